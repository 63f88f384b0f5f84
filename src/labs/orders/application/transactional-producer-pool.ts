import type { Producer } from 'kafkajs';
import type { TransactionSlots } from '../strategies/group-commit';

/** One producer of the pool, as built: the label names it in logs and in the zombie demo (`<transactional id>#<n>`). */
export interface BuiltProducer {
  producer: Producer;
  label: string;
}

export interface PoolMember {
  /** 1..n: the slot's place in the pool and the last part of its transactional id. */
  readonly slot: number;
  readonly transactionalId: string;
  producer: Producer;
  label: string;
  connected: Promise<void>;
  /** A transaction on the current producer has succeeded (so it holds its producer id and epoch). */
  transacted: boolean;
}

interface Member extends PoolMember {
  busy: boolean;
  /** A takeover is installing a successor: a failure of the producer it fences does not replace it. */
  handingOver: boolean;
  /** Resolved when the slot begins its next transaction (the zombie demo waits for one on the producer it fenced). */
  onBusy: Array<() => void>;
  /** Runs that asked for this slot in particular (the zombie demo), served before the pool's queue. */
  waiters: Array<() => void>;
}

/**
 * n transactional producers, each with its own transactional id (`<prefix><instance>-<slot>`), so
 * n transactions can be open at once where one kafkajs producer allows one. A transaction takes the
 * producer idle longest (the broker has had the most time to write that id's previous commit
 * markers) and gives it back when it settles; when all are busy, callers queue in arrival order.
 *
 * Each slot fails on its own: a transaction that throws (aborted, fenced by another producer with
 * the same id, broker gone) replaces that slot's producer with a fresh one under the same id,
 * whose InitProducerId fences any zombie in turn; the other slots and their transactions in flight
 * are not touched. A replacement that cannot connect (the broker still away) is rebuilt again by
 * the slot's next transaction.
 */
export class TransactionalProducerPool implements TransactionSlots {
  private readonly members: Member[];
  /** Free members, the one idle longest first. */
  private readonly idle: Member[];
  private readonly waiting: Array<(member: Member) => void> = [];
  private readonly quiet: Array<() => void> = [];

  constructor(
    transactionalIds: string[],
    private readonly build: (transactionalId: string) => BuiltProducer,
    private readonly onReplaced: (replaced: string, by: string, err: unknown) => void = () => undefined,
  ) {
    this.members = transactionalIds.map((transactionalId, i) => {
      const member = {
        slot: i + 1,
        transactionalId,
        busy: false,
        handingOver: false,
        waiters: [],
        onBusy: [],
      } as unknown as Member;
      this.connect(member);
      return member;
    });
    this.idle = [...this.members];
  }

  /** The first slot (what the session's `producer` names, and the one the zombie demo takes over). */
  get first(): PoolMember {
    return this.members[0];
  }

  /** Every slot connected (the warm-up after a build); rejects when one cannot connect. */
  async connectAll(): Promise<void> {
    await Promise.all(this.members.map((m) => m.connected));
  }

  /** A transaction on whichever producer is free (the one idle longest), waiting while all are busy. */
  async run<T>(fn: (producer: Producer) => Promise<T>): Promise<T> {
    const member = this.idle.shift() ?? (await new Promise<Member>((resolve) => this.waiting.push(resolve)));
    this.hold(member);
    return this.runHolding(member, member.producer, fn);
  }

  /**
   * `fn` on one slot in particular, once its transactions before are done; `producer` defaults to
   * the slot's current one (the zombie demo runs its probe on a producer the slot has replaced).
   */
  async runOn<T>(
    slot: PoolMember,
    fn: (producer: Producer) => Promise<T>,
    producer: Producer = slot.producer,
  ): Promise<T> {
    const member = slot as Member;
    if (member.busy) await new Promise<void>((resolve) => member.waiters.push(resolve));
    else this.idle.splice(this.idle.indexOf(member), 1);
    this.hold(member);
    return this.runHolding(member, producer, fn);
  }

  /**
   * A takeover of one slot: `start` builds and initialises a successor under the slot's id (which
   * fences the producer in it), then the successor takes the slot. Meanwhile a transaction of the
   * fenced producer that fails does not replace it (the successor is on its way).
   */
  async takeOver(slot: PoolMember, start: () => Promise<BuiltProducer>): Promise<void> {
    const member = slot as Member;
    member.handingOver = true;
    try {
      const successor = await start();
      member.producer = successor.producer;
      member.label = successor.label;
      member.connected = Promise.resolve();
      member.transacted = true;
    } finally {
      member.handingOver = false;
    }
  }

  /** Resolves when the slot begins its next transaction (on the producer it holds then). */
  nextTransaction(slot: PoolMember): Promise<void> {
    const member = slot as Member;
    return new Promise((resolve) => member.onBusy.push(resolve));
  }

  /** Resolves when no transaction runs or waits (bounded by the caller). */
  drained(): Promise<void> {
    if (this.idle.length === this.members.length) return Promise.resolve();
    return new Promise((resolve) => this.quiet.push(resolve));
  }

  async disconnect(): Promise<void> {
    await Promise.all(this.members.map((m) => m.producer.disconnect().catch(() => undefined)));
  }

  private hold(member: Member): void {
    member.busy = true;
    member.onBusy.splice(0).forEach((resolve) => resolve());
  }

  private async runHolding<T>(member: Member, producer: Producer, fn: (producer: Producer) => Promise<T>): Promise<T> {
    if (producer === member.producer) {
      // A producer that could not connect (built while the broker was away) is rebuilt now, not failed again.
      if (
        !(await member.connected.then(
          () => true,
          () => false,
        ))
      ) {
        void producer.disconnect().catch(() => undefined);
        this.connect(member);
        producer = member.producer;
      }
      try {
        await member.connected;
      } catch (err) {
        this.release(member); // still away: the slot's next transaction tries a new one
        throw err;
      }
    }
    try {
      const value = await fn(producer);
      if (producer === member.producer) member.transacted = true;
      return value;
    } catch (err) {
      // Only the slot's current producer: one the slot already replaced (a zombie's successor took over) stays replaced.
      if (producer === member.producer && !member.handingOver) this.replace(member, err);
      throw err;
    } finally {
      this.release(member);
    }
  }

  private release(member: Member): void {
    const mine = member.waiters.shift();
    if (mine) return mine();
    const next = this.waiting.shift();
    if (next) return next(member);
    member.busy = false;
    this.idle.push(member);
    if (this.idle.length === this.members.length) this.quiet.splice(0).forEach((resolve) => resolve());
  }

  private replace(member: Member, err: unknown): void {
    const old = member.producer;
    const oldLabel = member.label;
    void old.disconnect().catch(() => undefined);
    this.connect(member);
    this.onReplaced(oldLabel, member.label, err);
  }

  private connect(member: Member): void {
    const built = this.build(member.transactionalId);
    member.producer = built.producer;
    member.label = built.label;
    member.transacted = false;
    member.connected = built.producer.connect();
    member.connected.catch(() => undefined);
  }
}
