import { crossOriginProblem, isAdminWrite, presentedToken } from './request-guards';
import { findBodyProblem, findUrlProblem, MAX_JSON_DEPTH } from './text-guard';

describe('text guard', () => {
  it('names the body field holding a NUL byte, a lone surrogate or replaced invalid UTF-8', () => {
    expect(findBodyProblem({ a: { b: ['ok', 'x\u0000'] } }, false)).toMatchObject({ field: 'a.b[1]' });
    expect(findBodyProblem({ key: 'ab\uD800' }, false)?.field).toBe('key');
    expect(findBodyProblem({ key: 'ok\uFFFD' }, false)).toBeUndefined();
    expect(findBodyProblem({ key: 'ok\uFFFD' }, true)?.field).toBe('key');
    expect(findBodyProblem({ 'k\u0000': 1 }, false)?.field).toBe('k\u0000');
  });

  it('refuses deep nesting, non-finite numbers and integers beyond 2^53 − 1', () => {
    let deep: unknown = 1;
    for (let i = 0; i < MAX_JSON_DEPTH + 1; i++) deep = [deep];
    expect(findBodyProblem(deep, false)?.code).toBe('REQUEST.TOO_DEEP');
    let fine: unknown = 1;
    for (let i = 0; i < MAX_JSON_DEPTH - 1; i++) fine = { a: fine };
    expect(findBodyProblem(fine, false)).toBeUndefined();
    expect(findBodyProblem({ n: Infinity }, false)?.code).toBe('REQUEST.NUMBER_OUT_OF_RANGE');
    expect(findBodyProblem({ n: 2 ** 53 }, false)?.code).toBe('REQUEST.NUMBER_OUT_OF_RANGE');
    expect(findBodyProblem({ n: Number.MAX_SAFE_INTEGER, m: -Number.MAX_SAFE_INTEGER, f: 0.5 }, false)).toBeUndefined();
  });

  it('checks path segments and query parameters as bytes', () => {
    expect(findUrlProblem('/booking/events/1?x=%C3%A9')).toBeUndefined();
    expect(findUrlProblem('/booking/events/%00')?.field).toBe('path segment "%00"');
    expect(findUrlProblem('/booking/events/%E9')?.problem).toContain('UTF-8');
    expect(findUrlProblem('/x/%zz')?.problem).toContain('percent');
    expect(findUrlProblem('/x?customer_id=a%00b')?.field).toBe('query.customer_id');
    expect(findUrlProblem('/x?a=1&n%FF=2')?.field).toContain('query.n');
  });
});

describe('cross-origin guard', () => {
  const host = '127.0.0.1:3000';
  it('lets curl, node-to-node calls, reads and same-origin pages through', () => {
    expect(crossOriginProblem('POST', { host }, true)).toBeUndefined();
    expect(crossOriginProblem('GET', { host, origin: 'http://evil.example' }, true)).toBeUndefined();
    expect(
      crossOriginProblem('POST', { host, origin: 'http://127.0.0.1:3000', 'sec-fetch-site': 'same-origin' }, true),
    ).toBeUndefined();
    expect(crossOriginProblem('POST', { host, 'sec-fetch-site': 'none' }, true)).toBeUndefined();
  });

  it('refuses writes from other origins, other ports and rebound host names', () => {
    expect(crossOriginProblem('POST', { host, origin: 'http://evil.example' }, true)).toContain('evil.example');
    expect(crossOriginProblem('DELETE', { host, origin: 'http://127.0.0.1:3001' }, true)).toBeDefined();
    expect(crossOriginProblem('POST', { host, origin: 'null' }, true)).toBeDefined();
    expect(crossOriginProblem('POST', { host, 'sec-fetch-site': 'cross-site' }, true)).toBeDefined();
    expect(crossOriginProblem('POST', { host, 'sec-fetch-site': 'same-site' }, true)).toBeDefined();
    expect(
      crossOriginProblem('POST', { host: 'evil.example:3000', origin: 'http://evil.example:3000' }, true),
    ).toContain('loopback');
    expect(
      crossOriginProblem('POST', { host: 'labs.internal:3000', origin: 'http://labs.internal:3000' }, false),
    ).toBeUndefined();
  });
});

describe('admin token guard', () => {
  it('classifies admin, fault and reset writes in any letter case', () => {
    for (const url of [
      '/admin/labs/booking/strategies/locking',
      '/booking/admin/reset?event_id=1',
      '/BANK/Reset',
      '/orders/consumer/simulate/crash',
      '/counter/coordinator/global/partition/all',
      '/replication/replica1/admin/reset?epoch=2',
      '/orders/consumer/reset-stats',
    ]) {
      expect({ url, admin: isAdminWrite('POST', url) }).toEqual({ url, admin: true });
    }
    expect(isAdminWrite('GET', '/booking/admin/stats')).toBe(false);
    expect(isAdminWrite('POST', '/booking/book')).toBe(false);
    expect(isAdminWrite('POST', '/counter/us-east/increment?name=admin')).toBe(false);
  });

  it('reads the token from Authorization: Bearer or x-admin-token', () => {
    expect(presentedToken({ authorization: 'Bearer abc' })).toBe('abc');
    expect(presentedToken({ 'x-admin-token': 'xyz' })).toBe('xyz');
    expect(presentedToken({ authorization: 'Basic abc' })).toBeUndefined();
  });
});
