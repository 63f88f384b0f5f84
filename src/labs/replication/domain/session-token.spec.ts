import { EMPTY_SESSION, decodeSession, encodeSession, observe } from './session-token';

describe('session token', () => {
  it('round-trips and rejects anything else', () => {
    const s = { e: 2, w: 7, t: 123, r: 9 };
    expect(decodeSession(encodeSession(s))).toEqual(s);
    expect(decodeSession('not-a-token')).toBeUndefined();
    expect(decodeSession(Buffer.from('{"e":1,"w":-1,"t":0,"r":0}').toString('base64url'))).toBeUndefined();
  });

  it('only moves forward within an epoch and starts over in a newer one', () => {
    let s = observe(EMPTY_SESSION, 1, { wrote: { version: 5, at: 1000 } });
    expect(s).toEqual({ e: 1, w: 5, t: 1000, r: 0 });
    s = observe(s, 1, { read: 6 });
    s = observe(s, 1, { read: 3 });
    expect(s.r).toBe(6);
    s = observe(s, 1, { wrote: { version: 4, at: 900 } });
    expect(s.w).toBe(5);
    s = observe(s, 1, { read: 8 });
    expect(s.r).toBe(8);
    expect(observe(s, 2, { read: 1 })).toEqual({ e: 2, w: 0, t: 0, r: 1 });
    expect(observe(s, 0, { read: 100 })).toEqual(s);
  });
});

describe('session token under postgres-streaming', () => {
  it('carries the last commit LSN and the highest seen LSN, each only moving forward', () => {
    let s = observe(EMPTY_SESSION, 1, { wrote: { version: 1, at: 1000, lsn: '0/10' } });
    s = observe(s, 1, { read: 1, readLsn: '0/20' });
    s = observe(s, 1, { read: 1, readLsn: '0/18' });
    expect(s).toMatchObject({ w: 1, l: '0/10', s: '0/20' });
    expect(decodeSession(encodeSession(s))).toEqual(s);
    expect(decodeSession(encodeSession({ ...s, l: 'not-an-lsn' }))).toBeUndefined();
    // a token from before the streaming engine (no LSNs) stays valid
    expect(decodeSession(encodeSession({ e: 1, w: 2, t: 3, r: 4 }))).toEqual({ e: 1, w: 2, t: 3, r: 4 });
  });
});
