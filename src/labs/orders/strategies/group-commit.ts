import type { Message, Producer } from 'kafkajs';

export interface GroupLimits {
  /** The longest a group waits for more orders after its first one (it also waits while every producer is busy). */
  lingerMs: number;
  maxMessages: number;
  maxBytes: number;
}

/**
 * The transactional producers of the producer node: kafkajs allows one open transaction per
 * producer, so with n of them (each its own transactional id) n transactions can be in flight.
 */
export interface TransactionSlots {
  /** Runs `fn` on a producer with no open transaction, holding it until `fn` settles; waits while every producer is busy. */
  run<T>(fn: (producer: Producer) => Promise<T>): Promise<T>;
}

type Commit = (producer: Producer, messages: Message[]) => Promise<void>;

interface Group {
  messages: Message[];
  bytes: number;
  /** Closed groups take no more messages (full, or their transaction has begun). */
  closed: boolean;
  /** Asks for a producer: the linger ran out, the group is full, or no one else is on the way. */
  ready: () => void;
  waiters: Array<{ resolve: (leader: boolean) => void; reject: (err: unknown) => void }>;
}

const sizeOf = (m: Message) => (typeof m.value === 'string' ? Buffer.byteLength(m.value) : (m.value?.length ?? 0));

/**
 * Group commit: single orders that arrive together share one Kafka transaction.
 *
 * A group opens with its first order and asks for a producer as soon as one of these holds:
 * - `lingerMs` has passed since its first order (the bound on the wait);
 * - it holds `maxMessages` orders or `maxBytes` (it also closes: the next order opens a new group);
 * - every single-order POST in flight is already in a group (`callersInFlight()` equals the orders
 *   held): waiting longer would not make it bigger, so it does not wait (adaptive linger).
 * While every producer is busy with an earlier group, it keeps taking orders; it closes when it
 * gets a producer, and runs begin, send, commit there. So with n producers up to n transactions are
 * in flight (pipelining): group N+1 is sent while group N commits, on another transactional id.
 *
 * Every caller's promise settles with its own group's transaction: resolved after that COMMIT,
 * rejected with its error after an abort. No order is answered before it is durable, every order
 * of an aborted group fails, and a group in flight beside it is not affected.
 */
export class GroupCommit {
  private open?: Group;
  /** Orders in groups that have not settled (open, waiting for a producer, or committing). */
  private held = 0;

  constructor(
    private readonly slots: TransactionSlots,
    /** Single-order POSTs in flight on this node (from their start to their answer), joined or not. */
    private readonly callersInFlight: () => number,
  ) {}

  /** Resolves with `true` for the group's first order (the one that counts the transaction). */
  add(messages: Message[], limits: GroupLimits, commit: Commit): Promise<boolean> {
    const bytes = messages.reduce((n, m) => n + sizeOf(m), 0);
    let group = this.open;
    if (
      !group ||
      group.closed ||
      group.messages.length + messages.length > limits.maxMessages ||
      group.bytes + bytes > limits.maxBytes
    ) {
      group = this.start(limits, commit);
    }
    group.messages.push(...messages);
    group.bytes += bytes;
    this.held += messages.length;
    const settled = new Promise<boolean>((resolve, reject) => group.waiters.push({ resolve, reject }));
    if (group.messages.length >= limits.maxMessages || group.bytes >= limits.maxBytes) {
      this.close(group);
      group.ready();
    } else if (this.callersInFlight() <= this.held) {
      group.ready();
    }
    return settled;
  }

  private start(limits: GroupLimits, commit: Commit): Group {
    let ready!: () => void;
    const asked = new Promise<void>((resolve) => (ready = resolve));
    const group: Group = { messages: [], bytes: 0, closed: false, ready, waiters: [] };
    this.open = group;
    const linger = setTimeout(ready, limits.lingerMs);
    void asked
      .then(() => {
        clearTimeout(linger);
        // The window: from here until a producer is free the group still takes orders.
        return this.slots.run(async (producer) => {
          this.close(group);
          await commit(producer, group.messages);
        });
      })
      .then(
        () => this.settle(group, (w, i) => w.resolve(i === 0)),
        (err: unknown) => this.settle(group, (w) => w.reject(err)),
      );
    return group;
  }

  private settle(group: Group, each: (waiter: Group['waiters'][number], index: number) => void): void {
    this.held -= group.messages.length;
    group.waiters.forEach(each);
  }

  private close(group: Group): void {
    group.closed = true;
    if (this.open === group) this.open = undefined;
  }
}
