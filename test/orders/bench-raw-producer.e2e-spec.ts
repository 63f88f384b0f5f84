import { Kafka, logLevel } from 'kafkajs';

const NAMESPACE = `${process.env.KAFKA_NAMESPACE ?? 'test'}-bench-${Date.now().toString(36)}`;

/** The bench's raw kafkajs producer runs on a topic of its own, named by BENCH_KAFKA_NAMESPACE, and deletes it at the end. */
describe('bench: the raw kafkajs producer section against the real broker', () => {
  it('measures on <BENCH_KAFKA_NAMESPACE>.raw-producer and leaves no topic behind', async () => {
    process.env.BENCH_KAFKA_NAMESPACE = NAMESPACE;
    const { BENCH_ENV } = await import('../../bench/lib/app');
    const { benchRawKafkajs } = await import('../../bench/scenarios/orders.bench');
    expect(BENCH_ENV.KAFKA_NAMESPACE).toBe(NAMESPACE);
    const kafka = new Kafka({
      clientId: 'bench-raw-e2e',
      brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      let seen = false;
      const watching = setInterval(() => {
        void admin.listTopics().then(
          (topics) => (seen ||= topics.includes(`${NAMESPACE}.raw-producer`)),
          () => undefined,
        );
      }, 200);
      const result = await benchRawKafkajs(1, 1500, 2).finally(() => clearInterval(watching));
      expect(result.acks_all_msgs_per_s.median).toBeGreaterThan(0);
      expect(seen).toBe(true);
      // Topic deletion is asynchronous in the broker: wait (bounded) for the listing to drop it.
      const deadline = Date.now() + 20_000;
      let topics = await admin.listTopics();
      while (topics.some((t) => t.startsWith(NAMESPACE)) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        topics = await admin.listTopics();
      }
      expect(topics.filter((t) => t.startsWith(NAMESPACE))).toEqual([]);
    } finally {
      await admin.deleteTopics({ topics: [`${NAMESPACE}.raw-producer`], timeout: 5000 }).catch(() => undefined);
      await admin.disconnect();
    }
  }, 120_000);
});
