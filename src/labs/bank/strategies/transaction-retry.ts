import { retryReasonOf } from '../../../platform/database/database-errors';
import { delay } from '../../../platform/faults';
import type { RetryReason } from './transfer.port';

export type RetryResult<T> =
  { done: true; value: T; attempts: number } | { done: false; attempts: number; reason: RetryReason };

/**
 * Runs a whole transaction again when PostgreSQL aborted it as a serialization failure (40001) or a
 * deadlock victim (40P01), which is what those errors ask of the client; any other error is thrown.
 */
export async function retryTransaction<T>(
  maxAttempts: number,
  retryOn: RetryReason[],
  onRetry: (reason: RetryReason) => void,
  attempt: (n: number) => Promise<T>,
): Promise<RetryResult<T>> {
  let reason: RetryReason = 'serialization_failure';
  for (let n = 1; n <= maxAttempts; n++) {
    try {
      return { done: true, value: await attempt(n), attempts: n };
    } catch (err) {
      const found = retryReasonOf(err);
      if (!found || !retryOn.includes(found)) throw err;
      reason = found;
      onRetry(found);
      await delay(5 + Math.floor(Math.random() * 20 * n));
    }
  }
  return { done: false, attempts: maxAttempts, reason };
}
