import { createConnection } from 'node:net';
import './env';
import { ensureDatabase } from '../../src/platform/database/database-options';

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port, timeout: 2000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

/** The e2e suites need the real services: fail at once, saying how to get them, when one is missing. */
export default async function globalSetup(): Promise<void> {
  const pg = new URL(process.env.DATABASE_URL!);
  // The suites drop and rewrite the labs' schemas: never in a database that is not meant for tests.
  const database = decodeURIComponent(pg.pathname.replace(/^\//, ''));
  if (!/(^|[_-])test([_-]|$)/i.test(database)) {
    throw new Error(
      `DATABASE_URL names the database "${database}", which the e2e suites would wipe; ` +
        'point DATABASE_URL at a database whose name says it is for tests (e.g. labs_test, labs_test_<you>), or unset it for the default labs_test.',
    );
  }
  const redis = new URL(process.env.REDIS_URL!);
  const [kafkaHost, kafkaPort] = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')[0].split(':');
  const checks: Array<[string, string, number]> = [
    ['PostgreSQL', pg.hostname, Number(pg.port || 5432)],
    ['Redis', redis.hostname, Number(redis.port || 6379)],
    ['Kafka', kafkaHost, Number(kafkaPort)],
  ];
  for (const [name, host, port] of checks) {
    if (!(await reachable(host, port))) {
      throw new Error(`${name} is not reachable at ${host}:${port}; run \`npm run infra\` first (npm test does).`);
    }
  }
  await ensureDatabase(process.env.DATABASE_URL!);
}
