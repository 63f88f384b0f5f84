import { Injectable, Logger } from '@nestjs/common';
import type { Span } from '@opentelemetry/api';
import type { IHeaders } from 'kafkajs';
import { performance } from 'node:perf_hooks';
import { CrashSignal, delay } from '../../../platform/faults';
import type { SqlExecutor } from '../../../platform/database/lab-database';
import { startRemoteSpan, traceIdOf } from '../../../platform/observability/tracing';
import { OrderMessage, headersToStrings, parseOrderMessage } from '../domain/order-message';
import { DeadLetterProducer } from './dead-letter.producer';
import { CrashPoint, ORDERS_NODES, ORDERS_TIMINGS } from '../orders.config';
import { ConsumerOffsetsRepository, StoredPosition } from '../persistence/consumer-offsets.repository';
import { OrdersRepository } from '../persistence/orders.repository';
import { ApplyOutcome, IdempotencyKey, IdempotencyPort, OrderToApply } from '../strategies/idempotency.port';
import { ProcessingPort } from '../strategies/processing.port';
import { ConsumerMetricsService, MessageOutcome } from './consumer-metrics.service';
import { OrdersSettingsService } from './orders-settings.service';
import { OrdersTopicsService } from './orders-topics.service';

export interface DeliveredRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
}

/** What the consumer loop provides for one fetched batch (the records of one partition). */
export interface BatchContext {
  /** The Kafka cluster id this consumer generation reads from (stored with the positions). */
  clusterId: string;
  alive(): boolean;
  /** Records to go (this one included) until the armed crash point fires; undefined when none is armed. */
  recordsUntilCrash(): number | undefined;
  /** A crash point reached by one record; throws CrashSignal when armed there (or when the node already crashed). */
  reached(point: CrashPoint): void;
  /** Marks `record` (the last of a chunk) consumed and commits the group's offset in Kafka. */
  commitOffset(record: DeliveredRecord): Promise<void>;
  /** Records delivered to processing (the node's in-process counter). */
  received(count: number): void;
  /** After each chunk: the record that ended it (lag, heartbeat). */
  chunkDone(last: DeliveredRecord): Promise<void>;
}

interface Parsed {
  record: DeliveredRecord;
  order?: OrderMessage;
  malformed?: string;
  span: Span;
  traceId: string | null;
}

export interface BatchModes {
  processing: { key: string; strategy: ProcessingPort };
  idempotency: { key: string; strategy: IdempotencyPort };
  failureRate: number;
  /** The position is stored in PostgreSQL by the write transaction (exactly-once processing with the idempotent write). */
  positionInDatabase: boolean;
}

class SimulatedFailure extends Error {
  constructor() {
    super('simulated processing failure (failure_rate)');
  }
}

/** A failure of the dependency rather than of the records (connection, timeout, deadlock, shutdown): retried, never dead-lettered. */
function isTransient(err: unknown): boolean {
  if (err instanceof SimulatedFailure) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^(08|40|53|57)/.test(code)) return true;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return false;
  return /connect|terminat|timeout|ECONN|pool/i.test((err as Error).message ?? '');
}

const SERVICE = ORDERS_NODES.consumer;

/**
 * One fetched batch of one partition: parsed, cut into chunks (at most `maxRecordsPerTransaction`
 * records; a record where a crash point is armed is a chunk of its own, so the crash keeps its
 * per-message meaning), and each chunk run through the processing strategy's order of steps —
 * the database write of the whole chunk is ONE transaction through the idempotency strategy.
 * A chunk that fails for a record's sake is retried record by record, each with bounded attempts,
 * then dead-lettered: one bad record never stops the ones behind it. A malformed record or a
 * conflicting duplicate goes to the dead-letter topic with its reason.
 */
@Injectable()
export class ProcessOrderBatchService {
  private readonly logger = new Logger('OrdersConsumer');

  constructor(
    private readonly settings: OrdersSettingsService,
    private readonly topics: OrdersTopicsService,
    private readonly repository: OrdersRepository,
    private readonly offsets: ConsumerOffsetsRepository,
    private readonly deadLetters: DeadLetterProducer,
    private readonly metrics: ConsumerMetricsService,
  ) {}

  /** The selections for this batch (read once per batch, from Redis). */
  async modes(): Promise<BatchModes> {
    const [processing, idempotency, settings] = await Promise.all([
      this.settings.processing(),
      this.settings.idempotency(),
      this.settings.consumer(),
    ]);
    return {
      processing,
      idempotency,
      failureRate: settings.failure_rate,
      positionInDatabase:
        processing.strategy.offsetStore === 'database' && idempotency.key === IdempotencyKey.Idempotent,
    };
  }

  async handle(records: DeliveredRecord[], modes: BatchModes, context: BatchContext): Promise<void> {
    const parsed = records.map((record) => this.parse(record, modes));
    try {
      for (const chunk of this.chunks(parsed, context.recordsUntilCrash())) {
        if (!context.alive()) throw new CrashSignal('node-down');
        await this.chunk(chunk, modes, context);
        await context.chunkDone(chunk[chunk.length - 1].record);
      }
    } finally {
      for (const p of parsed) p.span.end();
    }
  }

  private parse(record: DeliveredRecord, modes: BatchModes): Parsed {
    const span = startRemoteSpan(
      'process_message',
      {
        'kafka.topic': record.topic,
        'kafka.partition': record.partition,
        'kafka.offset': record.offset,
        processing_mode: modes.processing.key,
      },
      headersToStrings(record.headers),
    );
    const traceId = traceIdOf(span) ?? null;
    try {
      const order = parseOrderMessage(record.value);
      span.setAttribute('order_id', order.order_id);
      return { record, order, span, traceId };
    } catch (err) {
      return { record, malformed: (err as Error).message, span, traceId };
    }
  }

  /** Chunks in order; the record at which the armed crash fires (counting parsed orders) stands alone. */
  private *chunks(parsed: Parsed[], untilCrash: number | undefined): Generator<Parsed[]> {
    let chunk: Parsed[] = [];
    let orders = 0;
    for (const p of parsed) {
      if (p.order && untilCrash !== undefined && orders + 1 === untilCrash) {
        if (chunk.length > 0) yield chunk;
        yield [p];
        chunk = [];
        orders++;
        continue;
      }
      if (p.order) orders++;
      chunk.push(p);
      if (chunk.length >= ORDERS_TIMINGS.maxRecordsPerTransaction) {
        yield chunk;
        chunk = [];
      }
    }
    if (chunk.length > 0) yield chunk;
  }

  private async chunk(chunk: Parsed[], modes: BatchModes, context: BatchContext): Promise<void> {
    const started = performance.now();
    const topic = chunk[0].record.topic;
    const valid = chunk.filter((p) => p.order !== undefined);
    this.metrics.received(topic, chunk.length);
    context.received(chunk.length);
    if (valid.length > 0) {
      await this.repository.logReceived(
        valid.map((p) => ({
          messageId: p.order!.order_id,
          details: {
            partition: p.record.partition,
            offset: p.record.offset,
            trace_id: p.traceId,
            processing_mode: modes.processing.key,
            idempotency: modes.idempotency.key,
          },
        })),
        SERVICE,
      );
    }
    const outcomes = await modes.processing.strategy.process({
      writeToDatabase: () => this.write(chunk, valid, modes, context),
      commitOffset: () => context.commitOffset(chunk[chunk.length - 1].record),
      reached: (point) => {
        for (let i = 0; i < valid.length; i++) context.reached(point);
      },
    });
    const seconds = (performance.now() - started) / 1000;
    valid.forEach((p, i) => {
      const outcome = outcomes[i];
      if (outcome === 'duplicate_detected') p.span.setAttribute('duplicate', true);
      this.metrics.outcome(topic, modes.processing.key, modes.idempotency.key, outcome, seconds);
    });
  }

  /** The chunk's database work: malformed records dead-lettered, the orders applied in one transaction (or one by one after a record's failure). */
  private async write(
    chunk: Parsed[],
    valid: Parsed[],
    modes: BatchModes,
    context: BatchContext,
  ): Promise<MessageOutcome[]> {
    for (const p of chunk) {
      if (p.malformed === undefined) continue;
      await this.deadLetter(p.record, p.malformed, null);
      this.metrics.outcome(p.record.topic, modes.processing.key, modes.idempotency.key, 'dead_lettered', 0);
    }
    const last = chunk[chunk.length - 1].record;
    if (valid.length === 0) {
      if (modes.positionInDatabase) await this.offsets.storeAlone(this.position(last, context));
      return [];
    }
    if (valid.length > 1) {
      const together = await this.applyTogether(valid, last, modes, context);
      if (together) return together;
    }
    const outcomes: MessageOutcome[] = [];
    for (const p of valid) outcomes.push(await this.applyAlone(p, modes, context));
    if (modes.positionInDatabase && valid[valid.length - 1] !== chunk[chunk.length - 1])
      await this.offsets.storeAlone(this.position(last, context));
    return outcomes;
  }

  /** The whole chunk in one transaction; undefined when a record made it fail (the caller goes record by record). */
  private async applyTogether(
    valid: Parsed[],
    last: DeliveredRecord,
    modes: BatchModes,
    context: BatchContext,
  ): Promise<MessageOutcome[] | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.applyOnce(valid, last, modes, context);
      } catch (err) {
        if (err instanceof CrashSignal) throw err;
        const topic = last.topic;
        if (!isTransient(err)) {
          this.metrics.error(topic, err instanceof SimulatedFailure ? 'simulated' : 'processing');
          this.logger.warn(
            `a chunk of ${valid.length} records failed (${(err as Error).message}); applying them one by one`,
          );
          return undefined;
        }
        await this.transientPause(err, attempt, topic, context);
      }
    }
  }

  /** One record, `maxProcessingAttempts` tries for its own failures, then the dead-letter topic. */
  private async applyAlone(p: Parsed, modes: BatchModes, context: BatchContext): Promise<MessageOutcome> {
    let attempts = 0;
    for (let round = 1; ; round++) {
      try {
        const [outcome] = await this.applyOnce([p], p.record, modes, context);
        return outcome;
      } catch (err) {
        if (err instanceof CrashSignal) throw err;
        if (isTransient(err)) {
          await this.transientPause(err, round, p.record.topic, context);
          continue;
        }
        attempts++;
        const simulated = err instanceof SimulatedFailure;
        const reason = (err as Error).message;
        this.metrics.error(p.record.topic, simulated ? 'simulated' : 'processing');
        await this.repository
          .logEvent(p.order!.order_id, 'failed', SERVICE, { attempt: attempts, error: reason })
          .catch(() => undefined);
        if (attempts >= ORDERS_TIMINGS.maxProcessingAttempts) {
          await this.deadLetter(p.record, reason, p.order!.order_id);
          if (modes.positionInDatabase) await this.offsets.storeAlone(this.position(p.record, context));
          return 'dead_lettered';
        }
        await delay(ORDERS_TIMINGS.retryBackoffMs * attempts);
      }
    }
  }

  /** A dependency failure: wait and try again, bounded; past the bound the batch fails uncommitted and is fetched again. */
  private async transientPause(err: unknown, attempt: number, topic: string, context: BatchContext): Promise<void> {
    this.metrics.error(topic, 'processing');
    if (attempt >= ORDERS_TIMINGS.maxTransientAttempts || !context.alive()) throw err;
    await delay(Math.min(ORDERS_TIMINGS.retryBackoffMs * 2 ** attempt, 2000));
  }

  private applyOnce(
    valid: Parsed[],
    last: DeliveredRecord,
    modes: BatchModes,
    context: BatchContext,
  ): Promise<MessageOutcome[]> {
    const entries: OrderToApply[] = valid.map((p) => ({ order: p.order!, traceId: p.traceId }));
    const failureRate = modes.failureRate;
    return modes.idempotency.strategy
      .apply(entries, {
        consumerId: SERVICE,
        beforeOrderWrite: () => {
          if (failureRate > 0 && Math.random() < failureRate) throw new SimulatedFailure();
        },
        beforeCommit: async (sql: SqlExecutor, outcomes: ApplyOutcome[], keepPosition: boolean) => {
          for (let i = 0; i < outcomes.length; i++) {
            const outcome = outcomes[i];
            if (outcome.status === 'conflict')
              await this.deadLetter(valid[i].record, outcome.reason, entries[i].order.order_id, sql);
          }
          if (keepPosition && modes.positionInDatabase) await this.offsets.store(sql, this.position(last, context));
          // The node died while the transaction was open: roll back, as the process would have.
          if (!context.alive()) throw new CrashSignal('node-down');
        },
      })
      .then((outcomes) =>
        outcomes.map((o): MessageOutcome => {
          if (o.status === 'duplicate') return 'duplicate_detected';
          if (o.status === 'conflict') return 'dead_lettered';
          return o.appliedCount > 1 ? 'duplicate_applied' : 'applied';
        }),
      );
  }

  private position(record: DeliveredRecord, context: BatchContext): StoredPosition {
    return {
      groupId: this.topics.groupId,
      topic: record.topic,
      partition: record.partition,
      nextOffset: (BigInt(record.offset) + 1n).toString(),
      clusterId: context.clusterId,
    };
  }

  /** To the dead-letter topic first, then the log row (inside the caller's transaction when given). */
  private async deadLetter(
    record: DeliveredRecord,
    reason: string,
    orderId: string | null,
    sql?: SqlExecutor,
  ): Promise<void> {
    try {
      await this.deadLetters.send({ ...record, reason });
    } catch (err) {
      this.metrics.error(record.topic, 'kafka');
      throw err;
    }
    const id = orderId ?? `${record.topic}/${record.partition}/${record.offset}`;
    if (sql) await this.repository.logEvent(id, 'dead_lettered', SERVICE, { reason }, sql);
    else await this.repository.logEvent(id, 'dead_lettered', SERVICE, { reason }).catch(() => undefined);
  }
}
