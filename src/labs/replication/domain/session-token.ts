/**
 * What a client session remembers, carried by the client as an opaque token: the epoch, the last
 * version it wrote (`w`, for read-your-writes) and when (`t`, epoch ms), and the highest version it
 * has read (`r`, for monotonic reads). The two guarantees are separate: `r` moves on reads only.
 */
export interface Session {
  e: number;
  w: number;
  t: number;
  r: number;
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
    return { e: raw.e as number, w: raw.w as number, t: raw.t as number, r: raw.r as number };
  } catch {
    return undefined;
  }
}

/** The session after seeing a version in some epoch: a newer epoch (the lab was reset) starts it over. */
export function observe(session: Session, epoch: number, change: { wrote?: { version: number; at: number }; read?: number }): Session {
  const base = epoch > session.e ? { ...EMPTY_SESSION, e: epoch } : { ...session };
  if (epoch < session.e) return base;
  if (change.wrote && change.wrote.version >= base.w) {
    base.w = change.wrote.version;
    base.t = change.wrote.at;
  }
  if (change.read !== undefined) base.r = Math.max(base.r, change.read);
  return base;
}
