import { LabException } from '../../platform/http/lab-exception';
import { fromStore, upstreamError } from './counter.errors';

describe('upstreamError', () => {
  it('keeps the status, code and message a node answered with', () => {
    const err = upstreamError('coordinator', 404, { code: 'COUNTER.UNKNOWN_REGION', message: 'Region mars not found' });
    expect({ status: err.status, code: err.code, message: err.message }).toEqual({
      status: 404,
      code: 'COUNTER.UNKNOWN_REGION',
      message: 'Region mars not found',
    });
  });

  it('falls back to the FastAPI-style detail, and to 503 for statuses it cannot carry', () => {
    const err = upstreamError('us-east', 500, { detail: 'boom' });
    expect({ status: err.status, code: err.code, message: err.message }).toEqual({
      status: 503,
      code: 'COUNTER.UPSTREAM_FAILED',
      message: 'boom',
    });
  });
});

describe('fromStore', () => {
  it('turns a driver failure into a 503 naming the store, and lets lab errors through', async () => {
    const down = await fromStore('redis', () => Promise.reject(new Error('ECONNREFUSED'))).catch(
      (e: LabException) => e,
    );
    expect({ status: down.status, code: down.code, message: down.message }).toEqual({
      status: 503,
      code: 'COUNTER.STORE_UNAVAILABLE',
      message: 'redis failed: ECONNREFUSED',
    });
    const own = new LabException('COUNTER.PARTITIONED', 'cut', 'unavailable');
    await expect(fromStore('postgres', () => Promise.reject(own))).rejects.toBe(own);
  });
});
