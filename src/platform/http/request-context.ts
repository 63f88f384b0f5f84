import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { LabException } from './lab-exception';

const storage = new AsyncLocalStorage<{ signal: AbortSignal }>();
const CONTROLLER = Symbol('requestAbortController');

/** The abort controller of a request: aborted when REQUEST_TIMEOUT_MS answered 504 or the client went away. */
export function abortControllerOf(req: IncomingMessage): AbortController {
  const holder = req as unknown as Record<symbol, AbortController | undefined>;
  return (holder[CONTROLLER] ??= new AbortController());
}

/** Runs the rest of the request inside its context, so code deep in a use case can see the signal. */
export function requestContext(): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) =>
    storage.run({ signal: abortControllerOf(req).signal }, next);
}

/** The signal of the HTTP request being served, or undefined (a Kafka consumer, a background loop). */
export function requestSignal(): AbortSignal | undefined {
  return storage.getStore()?.signal;
}

/**
 * For loops that a request drives (compare runs, floods): stop once nobody waits for the answer,
 * instead of running on after the 504 or the client's disconnect.
 */
export function throwIfRequestAbandoned(): void {
  if (requestSignal()?.aborted) {
    throw new LabException(
      'REQUEST.ABANDONED',
      'The request was answered 504 or its client went away; the work stopped',
      'timeout',
    );
  }
}
