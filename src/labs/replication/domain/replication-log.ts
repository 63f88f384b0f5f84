/** One write in the primary's log. `lsn` (log sequence number) is the version the write created. */
export interface LogEntry {
  lsn: number;
  key: string;
  value: unknown;
  write_id: string;
  /** Epoch seconds on the primary when the write took its LSN. */
  write_timestamp: number;
}

/** Where a replica is in the log. `epoch` changes when the primary is reset, so old entries are told apart. */
export interface LogPosition {
  epoch: number;
  version: number;
}

export interface ApplyPlan {
  /** Set when the entries come from a newer epoch: the replica must drop its data first. */
  resetToEpoch?: number;
  /** Entries to apply, contiguous from position + 1, in order. */
  apply: LogEntry[];
  /** Old or duplicate entries that are skipped (never applied twice, never applied backwards). */
  ignored: number;
  /** A hole before the first entry that could not be applied: fetch (after, upTo] from the primary. */
  missing?: { after: number; upTo: number };
}

/**
 * Decides what a replica does with entries it received: apply only the next LSNs in order, skip
 * anything at or below its position (duplicates, late retries, entries from before a reset), and
 * report a gap instead of jumping over it. The version therefore only moves forward, one by one.
 */
export function planApply(position: LogPosition, epoch: number, entries: LogEntry[]): ApplyPlan {
  if (epoch < position.epoch) return { apply: [], ignored: entries.length };
  const resetToEpoch = epoch > position.epoch ? epoch : undefined;
  let next = (resetToEpoch === undefined ? position.version : 0) + 1;
  const byLsn = [...new Map(entries.map((e) => [e.lsn, e])).values()].sort((a, b) => a.lsn - b.lsn);
  const apply: LogEntry[] = [];
  let ignored = entries.length - byLsn.length;
  let missing: ApplyPlan['missing'];
  for (const entry of byLsn) {
    if (entry.lsn < next) {
      ignored++;
    } else if (entry.lsn === next) {
      apply.push(entry);
      next++;
    } else {
      missing = { after: next - 1, upTo: byLsn[byLsn.length - 1].lsn };
      break;
    }
  }
  return { resetToEpoch, apply, ignored, missing };
}

/** Bytes an entry takes in a /replicate body or a log page (its JSON, UTF-8). */
export function entryBytes(entry: LogEntry): number {
  return Buffer.byteLength(JSON.stringify(entry));
}

/**
 * How many of `sizes` (in order) fit in one node-to-node body of `budgetBytes`, at most `maxCount`,
 * and always at least one: the writer refused any entry that could not travel alone.
 */
export function countUnder(sizes: readonly number[], budgetBytes: number, maxCount: number): number {
  let used = ENVELOPE_BYTES;
  let n = 0;
  while (n < sizes.length && n < maxCount && (n === 0 || used + sizes[n] + 1 <= budgetBytes)) used += sizes[n++] + 1;
  return n;
}

/** Room kept in every body for `{"epoch":…,"delay_ms":…,"version":…,"entries":[]}`. */
export const ENVELOPE_BYTES = 256;
