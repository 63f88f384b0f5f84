/** What a supervised process tells its supervisor over the IPC channel. */
export type ChildMessage =
  | { type: 'ready'; pid: number; mainPort: number; nodePort: number }
  /** Sent just before the process kills itself at a crash point; `restartAfterMs` null: only on request. */
  | { type: 'crash'; point: string; restartAfterMs: number | null };

export interface RestartPolicy {
  /** Back-off after an unannounced exit, doubled per quick failure up to `maxBackoffMs`. */
  firstBackoffMs: number;
  maxBackoffMs: number;
  /** A process that lived this long before exiting resets the quick-failure count. */
  stableAfterMs: number;
  /** Quick failures in a row after which the supervisor gives up on the process. */
  maxQuickFailures: number;
  /** A process that has not reported ready by then is killed (and counts as a failure). */
  readyTimeoutMs: number;
}

/** Tells the supervisor (if any) something; `then` runs once the message is handed to the channel. */
export function tellSupervisor(message: ChildMessage, then?: () => void): boolean {
  if (typeof process.send !== 'function' || !process.connected) {
    then?.();
    return false;
  }
  process.send(message, undefined, {}, () => then?.());
  return true;
}
