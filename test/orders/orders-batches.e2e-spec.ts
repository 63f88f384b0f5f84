import type { Consumer, Producer } from 'kafkajs';
import { DatabasePools } from '../../src/platform/database/database-pools.service';
import type { LabDatabase } from '../../src/platform/database/lab-database';
import type { RunningApp } from '../../src/bootstrap';
import { KafkaService } from '../../src/platform/kafka/kafka.service';
import { OrdersTopicsService } from '../../src/labs/orders/application/orders-topics.service';
import { nodeUrl, startApp } from '../utils/app';
import { eventually, runConcurrently } from '../utils/concurrency';
import { get, post } from '../utils/http';
import { Body, order, ordersKit } from './orders-kit';

/**
 * The orders lab's batch paths on the real broker and database:
 * crashes in the middle of a fetched batch keep their per-message meaning; poison records and
 * conflicting duplicates are dead-lettered with a reason and never stop the records behind them;
 * concurrent single orders share Kafka transactions (group commit), on a pool of transactional
 * producers where one fenced producer fails only its own group.
 */

interface DeadLetter {
  key: string | null;
  value: string | null;
  reason: string;
  offset: string;
}

describe('orders lab: batches, poison records, conflicting ids, group commit (LABS=orders, real Kafka)', () => {
  let app: RunningApp;
  let P: string;
  let C: string;
  let A: string;
  let db: LabDatabase;
  let kafka: KafkaService;
  let raw: Producer;
  let dlqReader: Consumer;
  const deadLetters: DeadLetter[] = [];

  const { consumerNode, consumerRunning, drained, stats, metric, resetAll, ...kit } = ordersKit(() => app);
  const defaults = () =>
    kit.defaults({
      producer: { transaction_linger_ms: 5, max_orders_per_transaction: 200, transactional_producers: 2 },
      restartAfterMs: 300,
    });
  const storedIds = async () =>
    ((await db.query(`SELECT order_id FROM orders.orders`)) as Array<{ order_id: string }>).map((r) => r.order_id);
  /** Publishes through the producer's batch endpoint (one Kafka transaction per 100). */
  const publish = async (prefix: string, count: number): Promise<string[]> => {
    const ids: string[] = [];
    for (let b = 0; b * 100 < count; b++) {
      const size = Math.min(100, count - b * 100);
      const res = await post(`${P}/orders/batch`, {
        orders: Array.from({ length: size }, (_, i) => order(`${prefix}-${b}-${i}`)),
      });
      expect(res.body.status).toBe('committed');
      ids.push(...res.body.order_ids);
    }
    return ids;
  };
  const crashNow = async () => {
    const before = (await consumerNode()).crashes;
    expect((await post(`${C}/simulate/crash`, { restart_after_ms: 600000 })).status).toBe(200);
    await eventually(consumerNode, (n) => n.crashes === before + 1 && !n.up, { timeoutMs: 10000, intervalMs: 50 });
  };
  const restart = async () =>
    expect((await post(`${app.url}/admin/labs/orders/nodes/consumer/restart`)).body).toMatchObject({ up: true });

  beforeAll(async () => {
    app = await startApp({ LABS: 'orders' });
    P = nodeUrl(app, 'orders', 'producer');
    C = nodeUrl(app, 'orders', 'consumer');
    A = nodeUrl(app, 'orders', 'api');
    db = app.app.get(DatabasePools).forLab('orders');
    kafka = app.app.get(KafkaService);
    await defaults();
    await resetAll();
    raw = kafka.kafka.producer({ allowAutoTopicCreation: false });
    await raw.connect();
    dlqReader = kafka.kafka.consumer({ groupId: `${kafka.name('dlq-reader')}-${Date.now()}` });
    await dlqReader.connect();
    await dlqReader.subscribe({ topic: kafka.name('dlq'), fromBeginning: false });
    await dlqReader.run({
      eachMessage: async ({ message }) => {
        deadLetters.push({
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? null,
          reason: message.headers?.['x-dlq-reason']?.toString() ?? '',
          offset: message.headers?.['x-original-offset']?.toString() ?? '',
        });
      },
    });
    // The reader starts at the end of the dead-letter topic: wait until it has its assignment.
    await new Promise((r) => setTimeout(r, 3000));
  });

  afterAll(async () => {
    await dlqReader?.disconnect().catch(() => undefined);
    await raw?.disconnect().catch(() => undefined);
    await app?.close();
  });

  describe('crashes in the middle of a fetched batch', () => {
    /**
     * For each crash point: the consumer is stopped, 200 orders wait in the topic (so its first fetch
     * holds dozens per partition), a crash is armed at the k-th record, the consumer is restarted.
     * While it is down again, the database must hold exactly the records before the k-th (plus the
     * k-th when the crash came after its write): the crash cut the batch at that record.
     */
    it.each([
      ['exactly-once', 0],
      ['at-least-once', 1],
    ])(
      'processing %s: per-record crash points, nothing lost, nothing applied twice, %p redelivery detected',
      async (mode, expectedRedeliveries) => {
        await post(`${C}/config`, { processing_mode: mode });
        try {
          await consumerRunning();
          await resetAll();
          const published: string[] = [];
          const points: Array<[string, number]> = [
            ['after-db-write', 37],
            ['before-db-write', 23],
            ['after-offset-commit', 51],
          ];
          for (const [round, [point, k]] of points.entries()) {
            await drained();
            const before = (await stats()).total_unique_orders as number;
            expect(
              (await post(`${C}/config`, { crash_after_messages: k, crash_point: point, restart_after_ms: 600000 }))
                .status,
            ).toBe(200);
            await crashNow();
            published.push(...(await publish(`mid-${mode}-${round}`, 200)));
            const crashes = (await consumerNode()).crashes;
            await restart();
            await eventually(consumerNode, (n) => n.crashes === crashes + 1 && !n.up, {
              timeoutMs: 30000,
              intervalMs: 20,
            });
            await new Promise((r) => setTimeout(r, 300));
            const atCrash = ((await stats()).total_unique_orders as number) - before;
            expect({ point, applied: atCrash }).toEqual({ point, applied: point === 'before-db-write' ? k - 1 : k });
            await restart();
            await consumerRunning();
          }
          await eventually(stats, (s) => s.total_unique_orders >= published.length, {
            timeoutMs: 60000,
            intervalMs: 250,
          });
          await drained();
          expect(new Set(await storedIds())).toEqual(new Set(published));
          const s = await stats();
          expect(s).toMatchObject({
            total_unique_orders: 600,
            total_side_effects: 600,
            duplicate_side_effects: 0,
            dead_lettered: 0,
            redeliveries_detected: expectedRedeliveries,
          });
          // Every record was received once, and the one cut before its write (before-db-write) twice.
          expect(s.delivery_attempts).toBe(600 + 1 + expectedRedeliveries);
        } finally {
          await defaults();
        }
      },
    );

    it('with idempotency off, the crash after the write redelivers exactly the k-th record, applied twice', async () => {
      await resetAll();
      await post(`${C}/config`, {
        enable_idempotency: false,
        crash_after_messages: 29,
        crash_point: 'after-db-write',
        restart_after_ms: 600000,
      });
      try {
        await crashNow();
        const published = await publish('mid-none', 200);
        const crashes = (await consumerNode()).crashes;
        await restart();
        await eventually(consumerNode, (n) => n.crashes === crashes + 1 && !n.up, { timeoutMs: 30000, intervalMs: 20 });
        await restart();
        await consumerRunning();
        await eventually(stats, (s) => s.total_unique_orders >= 200, { timeoutMs: 60000 });
        await drained();
        expect(new Set(await storedIds())).toEqual(new Set(published));
        expect(await stats()).toMatchObject({
          total_unique_orders: 200,
          total_side_effects: 201,
          duplicate_side_effects: 1,
        });
      } finally {
        await defaults();
      }
    });
  });

  describe('poison records', () => {
    it('dead-letters every record the database cannot hold, with its reason, and applies every order around them once', async () => {
      await resetAll();
      const topic = kafka.name('orders');
      const good = (i: number) => ({
        key: `poison-good-${i}`,
        value: JSON.stringify({
          ...order(`poison-good-${i}`),
          order_id: `poison-good-${i}`,
          timestamp: new Date().toISOString(),
          trace_id: null,
          producer: 'test',
          delivery_mode: 'raw',
        }),
      });
      const base = {
        customer_id: 'poison',
        items: [{ name: 'x', quantity: 1, price: 1 }],
        total_amount: 1,
        timestamp: 'now',
        trace_id: null,
        producer: 'test',
        delivery_mode: 'raw',
      };
      const poisons: Array<{ key: string; value: string | null; reason: RegExp }> = [
        { key: 'p-not-json', value: '{"order_id": ', reason: /not JSON/ },
        { key: 'p-array', value: '[1,2,3]', reason: /not an order/ },
        { key: 'p-null', value: null, reason: /empty/ },
        { key: 'p-nul', value: JSON.stringify({ ...base, order_id: 'p-nul', customer_id: 'a\u0000b' }), reason: /NUL/ },
        {
          key: 'p-surrogate',
          value: JSON.stringify({
            ...base,
            order_id: 'p-surrogate',
            items: [{ name: '\ud800', quantity: 1, price: 1 }],
          }),
          reason: /UTF-16/,
        },
        { key: 'p-long', value: JSON.stringify({ ...base, order_id: 'x'.repeat(300) }), reason: /longer than 255/ },
        {
          key: 'p-amount',
          value: JSON.stringify({ ...base, order_id: 'p-amount', total_amount: 1e12 }),
          reason: /total_amount/,
        },
        {
          key: 'p-types',
          value: JSON.stringify({ ...base, order_id: 'p-types', items: [{ name: 'x', quantity: '1', price: 1 }] }),
          reason: /quantity/,
        },
        {
          key: 'p-deep',
          value: JSON.stringify({
            ...base,
            order_id: 'p-deep',
            items: [{ name: { a: { b: [1] } }, quantity: 1, price: 1 }],
          }),
          reason: /name/,
        },
      ];
      const dlqBefore = deadLetters.length;
      // Poison records between good ones, in one partition (one key) and in one producer request: one fetched batch.
      const messages = [];
      for (let i = 0; i < poisons.length; i++)
        messages.push({ ...good(i), key: 'same-partition' }, { key: 'same-partition', value: poisons[i].value });
      messages.push({ ...good(poisons.length), key: 'same-partition' });
      const [meta] = await raw.send({ topic, acks: -1, messages });
      // And spread over partitions by their own keys.
      await raw.send({
        topic,
        acks: -1,
        messages: [...poisons.map((p) => ({ key: p.key, value: p.value })), ...[20, 21, 22].map(good)],
      });
      const expectedGood = [
        ...Array.from({ length: poisons.length + 1 }, (_, i) => `poison-good-${i}`),
        'poison-good-20',
        'poison-good-21',
        'poison-good-22',
      ];
      const s = await eventually(
        stats,
        (x) => x.total_unique_orders === expectedGood.length && x.dead_lettered === 2 * poisons.length,
        { timeoutMs: 30000 },
      );
      await drained();
      expect(s).toMatchObject({ total_side_effects: expectedGood.length, duplicate_side_effects: 0 });
      expect(new Set(await storedIds())).toEqual(new Set(expectedGood));
      const letters = await eventually(
        async () => deadLetters.slice(dlqBefore),
        (l) => l.length >= 2 * poisons.length,
        { timeoutMs: 20000 },
      );
      expect(letters).toHaveLength(2 * poisons.length);
      for (const p of poisons) {
        const mine = letters.filter((l) => l.value === p.value);
        expect({ key: p.key, copies: mine.length }).toEqual({ key: p.key, copies: 2 });
        for (const l of mine)
          expect({ key: p.key, reason: l.reason }).toEqual({ key: p.key, reason: expect.stringMatching(p.reason) });
      }
      // The offsets in the headers point at the poison records of the first request.
      const firstOffsets = letters.filter((l) => poisons.some((p) => p.value === l.value)).map((l) => BigInt(l.offset));
      expect(firstOffsets.some((o) => o >= BigInt(meta.baseOffset ?? '0'))).toBe(true);
      // Liveness: a normal order still goes end to end.
      const live = await post(`${P}/orders`, order('after-poison'));
      await eventually(
        () => get(`${A}/orders/${live.body.order_id}`),
        (r) => r.status === 200,
        { timeoutMs: 20000 },
      );
    });

    it('every order the producer answers 2xx ends applied once or dead-lettered with a reason, whatever its content', async () => {
      await resetAll();
      const tag = `odd-${Date.now()}`;
      const bodies: Body[] = [
        order('emoji 🙂 ünïcode ✓', { order_id: `${tag}-emoji` }),
        order('c'.repeat(255), {
          order_id: `${tag}-${'i'.repeat(200)}`,
          items: [{ name: 'n'.repeat(255), quantity: 1, price: 10 }],
        }),
        order('nul', { order_id: `${tag}-nul`, customer_id: 'a\u0000b' }),
        order('surrogate', { order_id: `${tag}-surrogate`, items: [{ name: '\ud800', quantity: 1, price: 1 }] }),
        order('max', {
          order_id: `${tag}-max`,
          total_amount: 99999999.99,
          items: [{ name: 'x', quantity: 1000000, price: 99999999.99 }],
        }),
        order('many', {
          order_id: `${tag}-many`,
          items: Array.from({ length: 100 }, (_, i) => ({
            name: `item ${i} ${'n'.repeat(200)}`,
            quantity: 1,
            price: 0,
          })),
        }),
        order('zero', { order_id: `${tag}-zero`, total_amount: 0, items: [{ name: 'free', quantity: 1, price: 0 }] }),
        order('quotes', { order_id: `${tag}-"quotes'\\`, customer_id: `'); DROP TABLE orders.orders; --` }),
      ];
      const accepted: string[] = [];
      const refused: string[] = [];
      for (const body of bodies) {
        const res = await post(`${P}/orders`, body);
        if (res.status === 200) accepted.push(res.body.order_id);
        else {
          // Refused at the edge (NUL, lone surrogate, ...): a 400 JSON naming the problem, nothing sent.
          expect({ id: body.order_id, status: res.status }).toEqual({ id: body.order_id, status: 400 });
          expect(res.body.code).toEqual(expect.any(String));
          refused.push(`${String(body.order_id).slice(tag.length + 1, tag.length + 12)}: ${res.body.code}`);
        }
      }
      for (const id of ['emoji', 'zero', 'many', 'i'.repeat(200)]) expect(accepted).toContain(`${tag}-${id}`);
      const settled = async () => {
        const applied = new Set(await storedIds());
        const lettered = new Set(
          (
            (await db.query(
              `SELECT message_id FROM orders.processing_log WHERE event_type = 'dead_lettered'`,
            )) as Array<{ message_id: string }>
          ).map((r) => r.message_id),
        );
        return accepted.map((id) => (applied.has(id) ? 'applied' : lettered.has(id) ? 'dead_lettered' : 'pending'));
      };
      const ends = await eventually(settled, (e) => !e.includes('pending'), { timeoutMs: 20000 });
      expect((await stats()).duplicate_side_effects).toBe(0);
      // The ones PostgreSQL can hold are applied; a NUL or a lone surrogate, if the producer let it through, is dead-lettered.
      expect(ends.filter((e) => e === 'applied').length).toBeGreaterThanOrEqual(3);
      process.stdout.write(
        `orders odd bodies: ${bodies.length} sent, ${accepted.length} accepted (${ends.join(', ')}), refused ${refused.join('; ')}\n`,
      );
    });

    it('with writes failing at random inside 100-record transactions, each record ends applied once or dead-lettered, nothing behind it stops', async () => {
      await resetAll();
      await post(`${C}/config`, { failure_rate: 0.3 });
      let ids: string[] = [];
      try {
        ids = await publish('flaky', 300);
        await eventually(stats, (x) => x.total_unique_orders + x.dead_lettered >= 300, {
          timeoutMs: 60000,
          intervalMs: 250,
        });
      } finally {
        await defaults();
      }
      await drained();
      const s = await stats();
      const lettered = (
        (await db.query(`SELECT message_id FROM orders.processing_log WHERE event_type = 'dead_lettered'`)) as Array<{
          message_id: string;
        }>
      ).map((r) => r.message_id);
      const stored = await storedIds();
      expect(s.duplicate_side_effects).toBe(0);
      expect(stored.length + lettered.length).toBe(300);
      expect(new Set([...stored, ...lettered])).toEqual(new Set(ids));
      // 0.3^3 of 300: a few are dead-lettered after three failed tries each; the others are applied.
      expect(s.failed_attempts).toBeGreaterThanOrEqual(3 * lettered.length);
      process.stdout.write(
        `orders flaky writes: ${stored.length} applied, ${lettered.length} dead-lettered, ${s.failed_attempts} failed tries\n`,
      );
    });
  });

  describe('an order_id means one order', () => {
    it.each([[true], [false]])(
      'idempotency %p: a second order with the same id and another body is dead-lettered as a conflict, never folded in',
      async (idempotent) => {
        await resetAll();
        await post(`${C}/config`, { enable_idempotency: idempotent });
        try {
          const id = `conflict-${idempotent}-${Date.now()}`;
          const first = await post(`${P}/orders`, order('alice', { order_id: id, total_amount: 10 }));
          expect(first.status).toBe(200);
          await eventually(
            () => get(`${A}/orders/${id}`),
            (r) => r.status === 200,
          );
          const dlqBefore = deadLetters.length;
          const second = await post(`${P}/orders`, order('mallory', { order_id: id, total_amount: 1 }));
          expect(second.status).toBe(200);
          await eventually(stats, (x) => x.dead_lettered === 1, { timeoutMs: 20000 });
          const row = (await get(`${A}/orders/${id}`)).body.order;
          expect(row).toMatchObject({ customer_id: 'alice', total_amount: 10, applied_count: 1 });
          const letter = await eventually(
            async () => deadLetters.slice(dlqBefore).find((l) => l.key === id),
            (l) => l !== undefined,
            { timeoutMs: 20000 },
          );
          expect(letter!.reason).toMatch(/conflicting duplicate/);
          expect(JSON.parse(letter!.value!)).toMatchObject({ customer_id: 'mallory' });
          // The same body again is a plain redelivery: detected (idempotent) or applied again (none), never a conflict.
          await post(`${P}/orders`, order('alice', { order_id: id, total_amount: 10 }));
          const after = await eventually(
            stats,
            (x) => (idempotent ? x.redeliveries_detected === 1 : x.total_side_effects === 2),
            { timeoutMs: 20000 },
          );
          expect(after.dead_lettered).toBe(1);
        } finally {
          await defaults();
        }
      },
    );

    it('the producer refuses one batch holding one order_id twice with different bodies (409), and takes identical copies', async () => {
      const conflict = await post(`${P}/orders/batch`, {
        orders: [order('a', { order_id: 'same-id' }), order('b', { order_id: 'same-id' })],
      });
      expect(conflict.status).toBe(409);
      expect(conflict.body).toMatchObject({ statusCode: 409, code: 'ORDERS.CONFLICTING_ORDER_ID' });
      expect(JSON.stringify(conflict.body)).toContain('same-id');
      await resetAll();
      const copies = await post(`${P}/orders/batch`, {
        orders: [order('a', { order_id: 'twin' }), order('a', { order_id: 'twin' })],
      });
      expect(copies.body).toMatchObject({ status: 'committed', count: 2 });
      const s = await eventually(stats, (x) => x.redeliveries_detected === 1, { timeoutMs: 20000 });
      expect(s).toMatchObject({ total_unique_orders: 1, total_side_effects: 1, dead_lettered: 0 });
    });
  });

  describe('group commit on the transactional producer', () => {
    const burst = async (n: number) => {
      const before = await metric('transactions_total', { status: 'committed' });
      const results = await runConcurrently(n, (i) => post(`${P}/orders`, order(`burst-${Date.now()}-${i}`)));
      expect(results.map((r) => r.status)).toEqual(Array(n).fill(200));
      return {
        transactions: (await metric('transactions_total', { status: 'committed' })) - before,
        ids: results.map((r) => r.body.order_id as string),
      };
    };

    it('shares transactions between concurrent orders; linger 0 keeps one per order; every order applied once', async () => {
      await resetAll();
      expect(
        (await post(`${P}/config`, { transaction_linger_ms: 20, max_orders_per_transaction: 10 })).body,
      ).toMatchObject({
        transaction_linger_ms: 20,
        max_orders_per_transaction: 10,
      });
      const grouped = await burst(30);
      expect(grouped.transactions).toBeGreaterThanOrEqual(3);
      expect(grouped.transactions).toBeLessThan(30);
      expect((await post(`${P}/config`, { transaction_linger_ms: 0 })).status).toBe(200);
      const single = await burst(10);
      expect(single.transactions).toBe(10);
      await defaults();
      const s = await eventually(stats, (x) => x.total_unique_orders === 40, { timeoutMs: 30000 });
      expect(s).toMatchObject({ total_side_effects: 40, duplicate_side_effects: 0 });
      process.stdout.write(
        `orders group commit: 30 concurrent orders in ${grouped.transactions} transactions (linger 20 ms, max 10)\n`,
      );
    });

    it('two groups in flight on two producers: a fenced producer fails only its own group (every POST 503), the other commits; the pool recovers', async () => {
      await resetAll();
      // Long linger, 5 orders per transaction: a burst of 10 fills groups that start at once, one per producer.
      expect((await post(`${P}/config`, { transaction_linger_ms: 200, max_orders_per_transaction: 5 })).status).toBe(
        200,
      );
      const [first, second] = app.app.get(OrdersTopicsService).transactionalIds(2);
      const burst = async (tag: string) => {
        const ids = Array.from({ length: 10 }, (_, i) => `fence-${tag}-${Date.now()}-${i}`);
        const results = await runConcurrently(10, (i) =>
          post(`${P}/orders`, order(`fence-${tag}`, { order_id: ids[i] })),
        );
        return results.map((r, i) => ({ ...r, id: ids[i] }));
      };
      // Both producers have run a transaction (so each holds its producer id and epoch).
      const warm = await burst('warm');
      expect(warm.map((r) => r.status)).toEqual(Array(10).fill(200));
      const fencedBefore = await metric('orders_fenced_orders_total');
      // A zombie under the first producer's transactional id: its InitProducerId bumps the epoch and fences that producer only.
      const zombie = kafka.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        transactionalId: first,
        allowAutoTopicCreation: false,
      });
      await zombie.connect();
      await (await zombie.transaction()).abort();
      const sent: Array<{ status: number; id: string }> = [];
      let fencedBurst: Awaited<ReturnType<typeof burst>> = [];
      // Until the fenced producer has been used (each burst spreads over both producers, but not always).
      for (let attempt = 0; attempt < 5 && fencedBurst.every((r) => r.status === 200); attempt++) {
        fencedBurst = await burst(`f${attempt}`);
        sent.push(...fencedBurst);
      }
      const failed = fencedBurst.filter((r) => r.status !== 200);
      expect(failed.length).toBeGreaterThan(0);
      expect(fencedBurst.filter((r) => r.status === 200).length).toBeGreaterThan(0);
      // The broker refused the fenced producer's transaction (INVALID_PRODUCER_EPOCH): each of its POSTs says so.
      for (const r of failed) {
        expect(r).toMatchObject({
          status: 503,
          body: { code: 'ORDERS.PRODUCER_FENCED', details: { transactional_id: first } },
        });
      }
      expect((await metric('orders_fenced_orders_total')) - fencedBefore).toBe(failed.length);
      // The fenced producer was replaced under the same id (fencing the zombie in turn): every order commits again.
      const after = await burst('after');
      expect(after.map((r) => r.status)).toEqual(Array(10).fill(200));
      sent.push(...after);
      await expect(
        (await zombie.transaction()).send({ topic: kafka.name('orders'), messages: [{ key: 'z', value: '{}' }] }),
      ).rejects.toThrow();
      await zombie.disconnect().catch(() => undefined);
      await defaults();
      const committed = [...warm, ...sent].filter((r) => r.status === 200).map((r) => r.id);
      const refused = sent.filter((r) => r.status !== 200).map((r) => r.id);
      await eventually(stats, (x) => x.total_unique_orders >= committed.length, { timeoutMs: 30000 });
      await drained();
      const rows = (await db.query(`SELECT order_id, applied_count FROM orders.orders`)) as Array<{
        order_id: string;
        applied_count: number;
      }>;
      const stored = new Map(rows.map((r) => [r.order_id, r.applied_count]));
      // Every 2xx order applied once; not one order of the aborted group visible (read_committed never saw it).
      expect(committed.filter((id) => stored.get(id) !== 1)).toEqual([]);
      expect(refused.filter((id) => stored.has(id))).toEqual([]);
      expect(rows).toHaveLength(committed.length);
      process.stdout.write(
        `orders pool: ${first} fenced, ${second} not; ${failed.length} POSTs of its group got 503, ${10 - failed.length} beside it committed\n`,
      );
    });

    it('validates the group-commit settings (bounded) and keeps them on GET /config', async () => {
      for (const [body, field] of [
        [{ transaction_linger_ms: -1 }, 'transaction_linger_ms'],
        [{ transaction_linger_ms: 1001 }, 'transaction_linger_ms'],
        [{ transaction_linger_ms: 2.5 }, 'transaction_linger_ms'],
        [{ max_orders_per_transaction: 0 }, 'max_orders_per_transaction'],
        [{ max_orders_per_transaction: 1001 }, 'max_orders_per_transaction'],
        [{ max_orders_per_transaction: '10' }, 'max_orders_per_transaction'],
        [{ transactional_producers: 0 }, 'transactional_producers'],
        [{ transactional_producers: 9 }, 'transactional_producers'],
        [{ transactional_producers: 1.5 }, 'transactional_producers'],
      ] as const) {
        const res = await post(`${P}/config`, body);
        expect({ body, status: res.status }).toEqual({ body, status: 400 });
        expect(JSON.stringify(res.body)).toContain(field);
      }
      expect((await get(`${P}/config`)).body).toMatchObject({
        transaction_linger_ms: 5,
        max_orders_per_transaction: 200,
        transactional_producers: 2,
      });
    });
  });
});
