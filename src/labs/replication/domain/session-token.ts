import { isLsn, maxLsn } from './lsn';

/**
 * What a client session remembers, carried by the client as an opaque token: the epoch, the last
 * version it wrote (`w`, for read-your-writes) and when (`t`, epoch ms), and the highest version it
 * has read (`r`, for monotonic reads). The two guarantees are separate: `r` moves on reads only.
 * Under postgres-streaming also WAL positions: `l`, the commit LSN of its last write, and `s`, the
 * highest LSN its reads have seen — what the read strategies route on there.
 */
export interface Session {
  e: number;
  w: number;
  t: number;
  r: number;
  l?: string;
  s?: string;
}

export const EMPTY_SESSION: Session = { e: 0, w: 0, t: 0, r: 0 };

export function encodeSession(session: Session): string {
  return Buffer.from(JSON.stringify(session)).toString('base64url');
}

/** Returns undefined for anything that is not a token this lab issued. */
export function decodeSession(token: string): Session | undefined {
  try {
    const raw = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<string, unknown>;
    const fields = ['e', 'w', 't', 'r'] as const;
    if (!raw || typeof raw !== 'object') return undefined;
    if (!fields.every((f) => Number.isSafeInteger(raw[f]) && (raw[f] as number) >= 0)) return undefined;
    if ((raw.l !== undefined && !isLsn(raw.l)) || (raw.s !== undefined && !isLsn(raw.s))) return undefined;
    return {
      e: raw.e as number,
      w: raw.w as number,
      t: raw.t as number,
      r: raw.r as number,
      ...(raw.l !== undefined ? { l: raw.l as string } : {}),
      ...(raw.s !== undefined ? { s: raw.s as string } : {}),
    };
  } catch {
    return undefined;
  }
}

/** The session after seeing a version in some epoch: a newer epoch (the lab was reset) starts it over. */
export function observe(
  session: Session,
  epoch: number,
  change: { wrote?: { version: number; at: number; lsn?: string }; read?: number; readLsn?: string | null },
): Session {
  const base: Session = epoch > session.e ? { ...EMPTY_SESSION, e: epoch } : { ...session };
  if (epoch < session.e) return base;
  if (change.wrote && change.wrote.version >= base.w) {
    base.w = change.wrote.version;
    base.t = change.wrote.at;
  }
  if (change.wrote?.lsn) base.l = maxLsn(base.l, change.wrote.lsn);
  if (change.read !== undefined) base.r = Math.max(base.r, change.read);
  if (change.readLsn) base.s = maxLsn(base.s, change.readLsn);
  return base;
}
