import { ErrorKind, LabException } from '../../platform/http/lab-exception';

export const CounterErrorCode = {
  PARTITIONED: 'COUNTER.PARTITIONED',
  UNKNOWN_REGION: 'COUNTER.UNKNOWN_REGION',
  INVALID_STATE: 'COUNTER.INVALID_STATE',
  IDEMPOTENCY_KEY_REUSED: 'COUNTER.IDEMPOTENCY_KEY_REUSED',
  UPSTREAM_FAILED: 'COUNTER.UPSTREAM_FAILED',
  STORE_UNAVAILABLE: 'COUNTER.STORE_UNAVAILABLE',
  OUT_OF_RANGE: 'COUNTER.OUT_OF_RANGE',
  SYNC_STALE: 'COUNTER.SYNC_STALE',
} as const;
export type CounterErrorCode = (typeof CounterErrorCode)[keyof typeof CounterErrorCode];

export class CounterException extends LabException {
  constructor(code: CounterErrorCode, message: string, kind: ErrorKind, details?: unknown) {
    super(code, message, kind, details);
  }
}

const KIND_OF_STATUS: Record<number, ErrorKind> = {
  400: 'invalid',
  404: 'not_found',
  409: 'conflict',
  413: 'too_large',
  422: 'precondition',
  503: 'unavailable',
  504: 'timeout',
};

/**
 * A node answered with an error: pass its status and body on (the seed's gateway turned these
 * into 200s). Unknown statuses become 503, since the upstream failed.
 */
export function upstreamError(node: string, status: number, body: unknown): LabException {
  const b = (body ?? {}) as { code?: unknown; message?: unknown; detail?: unknown; details?: unknown };
  const message = String(b.message ?? b.detail ?? `${node} answered ${status}`);
  const kind = KIND_OF_STATUS[status] ?? 'unavailable';
  const code = typeof b.code === 'string' ? b.code : CounterErrorCode.UPSTREAM_FAILED;
  return new LabException(code, message, kind, b.details ?? { node, status });
}

/** Redis or PostgreSQL failed under a counter: the node cannot answer now (503), it is not a bug of the request. */
export async function fromStore<T>(store: 'redis' | 'postgres', fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof LabException) throw err;
    throw new CounterException(
      CounterErrorCode.STORE_UNAVAILABLE,
      `${store} failed: ${(err as Error).message}`,
      'unavailable',
      { store },
    );
  }
}
