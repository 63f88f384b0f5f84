import { RedisService } from '../../../platform/redis/redis.service';
import { fromStore } from '../counter.errors';

/** Outside `counter:*`, which a reset deletes: the epoch must outlive every reset. */
export const RESET_EPOCH = 'counter-reset:epoch';
/** Set while a reset runs (with a TTL, so a reset that dies does not stop syncs for good). */
export const RESET_RUNNING = 'counter-reset:running';

export interface ResetFence {
  epoch: number;
  resetting: boolean;
}

/** Bumps the epoch and raises the in-progress flag in one step. */
const BEGIN_RESET = `
local epoch = redis.call('INCR', KEYS[1])
redis.call('SET', KEYS[2], epoch, 'PX', ARGV[1])
return epoch
`;

/*
 * The reset fence of the counter lab. A round reads the epoch before its state and every /sync it
 * sends carries it; the merge script (RegionStateRepository) refuses a merge while a reset runs or
 * when the epoch moved since. So a round whose state predates a reset cannot write it back after
 * the reset deleted it, whichever process runs the round and whichever runs the reset: both sides
 * meet in Redis. Increments are not fenced: one concurrent with a reset may or may not survive it.
 */

export async function readResetFence(redis: RedisService): Promise<ResetFence> {
  const [epoch, running] = await fromStore('redis', () => redis.client.mget(RESET_EPOCH, RESET_RUNNING));
  return { epoch: Number(epoch ?? 0), resetting: running !== null };
}

/** Starts a reset: syncs read in an older epoch are refused from now on, and every merge until `endReset` (or `holdMs`). */
export async function beginReset(redis: RedisService, holdMs: number): Promise<number> {
  return Number(
    await fromStore('redis', () => redis.client.eval(BEGIN_RESET, 2, RESET_EPOCH, RESET_RUNNING, String(holdMs))),
  );
}

/** Keeps the in-progress flag up while a long reset deletes. */
export async function holdReset(redis: RedisService, holdMs: number): Promise<void> {
  await fromStore('redis', () => redis.client.pexpire(RESET_RUNNING, holdMs));
}

export async function endReset(redis: RedisService): Promise<void> {
  await fromStore('redis', () => redis.client.del(RESET_RUNNING));
}
