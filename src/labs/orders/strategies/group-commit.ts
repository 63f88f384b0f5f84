import type { Message } from 'kafkajs';

export interface GroupLimits {
  /** How long a group waits for more orders after its first one (it also waits while the transaction before it runs). */
  lingerMs: number;
  maxMessages: number;
  maxBytes: number;
}

interface Group {
  messages: Message[];
  bytes: number;
  /** Closed groups take no more messages (full, or already running). */
  closed: boolean;
  waiters: Array<{ resolve: (leader: boolean) => void; reject: (err: unknown) => void }>;
}

const sizeOf = (m: Message) => (typeof m.value === 'string' ? Buffer.byteLength(m.value) : (m.value?.length ?? 0));

/**
 * Group commit for one transactional producer: single orders that arrive while a group is open
 * share its Kafka transaction. A group opens with its first order, waits `lingerMs` and for the
 * transaction before it to end (one open transaction per producer, `exclusive`), then runs;
 * it closes early when it holds `maxMessages` orders or `maxBytes`. Every caller's promise settles
 * with the transaction: resolved after the COMMIT, rejected with the transaction's error after an
 * abort, so no order is answered before it is durable, and every order of an aborted group fails.
 */
export class GroupCommit {
  private open?: Group;

  constructor(private readonly exclusive: <T>(fn: () => Promise<T>) => Promise<T>) {}

  /** Resolves with `true` for the group's first order (the one that counts the transaction). */
  add(messages: Message[], limits: GroupLimits, commit: (messages: Message[]) => Promise<void>): Promise<boolean> {
    const bytes = messages.reduce((n, m) => n + sizeOf(m), 0);
    let group = this.open;
    if (!group || group.closed || group.messages.length + messages.length > limits.maxMessages || group.bytes + bytes > limits.maxBytes) {
      group = this.start(limits, commit);
    }
    group.messages.push(...messages);
    group.bytes += bytes;
    if (group.messages.length >= limits.maxMessages || group.bytes >= limits.maxBytes) this.close(group);
    return new Promise<boolean>((resolve, reject) => group.waiters.push({ resolve, reject }));
  }

  private start(limits: GroupLimits, commit: (messages: Message[]) => Promise<void>): Group {
    const group: Group = { messages: [], bytes: 0, closed: false, waiters: [] };
    this.open = group;
    const lingered = new Promise<void>((resolve) => setTimeout(resolve, limits.lingerMs));
    void this.exclusive(async () => {
      await lingered;
      this.close(group);
      await commit(group.messages);
    }).then(
      () => group.waiters.forEach((w, i) => w.resolve(i === 0)),
      (err: unknown) => group.waiters.forEach((w) => w.reject(err)),
    );
    return group;
  }

  private close(group: Group): void {
    group.closed = true;
    if (this.open === group) this.open = undefined;
  }
}
