import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { isLoopbackHost } from '../config/env.schema';
import { LabException } from './lab-exception';
import { abortControllerOf } from './request-context';
import { findBodyProblem, findUrlProblem, hadInvalidUtf8, textException } from './text-guard';

export type SendError = (res: Response, error: unknown) => void;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** NUL bytes, invalid UTF-8, deep nesting and inexact numbers stop here, before any DTO or lab sees them. */
export function textGuard(send: SendError): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const found =
      findUrlProblem(req.url) ?? (req.body === undefined ? undefined : findBodyProblem(req.body, hadInvalidUtf8(req)));
    if (found) return send(res, textException(found));
    next();
  };
}

/** Answers 504 JSON when the handler has not answered within `ms`, on every port (they share this app). */
export function requestTimeout(ms: number, send: SendError): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const controller = abortControllerOf(req);
    const timer = setTimeout(() => {
      controller.abort();
      if (res.headersSent) {
        res.destroy();
        return;
      }
      send(
        res,
        new LabException(
          'REQUEST.TIMEOUT',
          `${req.method} ${req.path} did not finish within ${ms} ms (REQUEST_TIMEOUT_MS)`,
          'timeout',
          {
            timeout_ms: ms,
          },
        ),
      );
    }, ms);
    timer.unref();
    const clear = () => clearTimeout(timer);
    res.once('finish', clear);
    res.once('close', () => {
      clear();
      if (!res.writableFinished) controller.abort();
    });
    next();
  };
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return undefined;
  }
}

function hostnameOf(host: string): string {
  const h = host.toLowerCase();
  return h.startsWith('[') ? h.slice(0, h.indexOf(']') + 1) : h.replace(/:\d+$/, '');
}

/**
 * Why a write is refused as coming from a page of another origin, or undefined. JSON is parsed
 * whatever the Content-Type, so a cross-site form post would otherwise reach the labs. Requests
 * without Origin and Sec-Fetch-Site (curl, node-to-node calls) pass; same-origin pages pass.
 * On a loopback bind a browser request must also name a loopback Host (DNS rebinding).
 */
export function crossOriginProblem(
  method: string,
  headers: IncomingMessage['headers'],
  loopbackOnly: boolean,
): string | undefined {
  if (SAFE_METHODS.has(method.toUpperCase())) return undefined;
  const origin = headers.origin;
  const site = headers['sec-fetch-site'];
  const host = String(headers.host ?? '').toLowerCase();
  if (origin === undefined && site === undefined) return undefined;
  if (origin !== undefined) {
    if (hostOf(origin) !== host) return `a ${method} from origin ${origin.slice(0, 100)} (not ${host || 'this host'})`;
  } else if (site !== 'same-origin' && site !== 'none') {
    return `a ${method} that a browser marked Sec-Fetch-Site: ${String(site).slice(0, 30)}`;
  }
  if (loopbackOnly && !isLoopbackHost(hostnameOf(host)))
    return `a browser ${method} to Host ${host.slice(0, 100)} on a loopback-only lab`;
  return undefined;
}

export function crossOriginGuard(loopbackOnly: boolean, send: SendError): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const problem = crossOriginProblem(req.method, req.headers, loopbackOnly);
    if (!problem) return next();
    send(
      res,
      new LabException(
        'REQUEST.CROSS_ORIGIN',
        `Refused ${problem}: writes are accepted from the same origin or from non-browser clients`,
        'forbidden',
      ),
    );
  };
}

/** Path segments that mark admin, fault and reset operations, whatever the lab. */
const ADMIN_SEGMENTS = new Set([
  'admin',
  'reset',
  'reset-stats',
  'simulate',
  'force-sync',
  'partition',
  'crash',
  'restart',
]);

/** Writes to admin, fault and reset endpoints (Express matches paths case-insensitively, so this does too). */
export function isAdminWrite(method: string, url: string): boolean {
  if (SAFE_METHODS.has(method.toUpperCase())) return false;
  const path = url.split('?')[0].toLowerCase();
  return path.split('/').some((segment) => ADMIN_SEGMENTS.has(segment));
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

export function presentedToken(headers: IncomingMessage['headers']): string | undefined {
  const header = headers['x-admin-token'];
  if (typeof header === 'string' && header) return header;
  const auth = headers.authorization;
  const bearer = typeof auth === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
  return bearer?.[1];
}

/** When bound beyond loopback: admin, fault and reset writes need `Authorization: Bearer <ADMIN_TOKEN>` or `x-admin-token`. */
export function adminTokenGuard(token: string, send: SendError): RequestHandler {
  const expected = digest(token);
  return (req: Request, res: Response, next: NextFunction) => {
    if (!isAdminWrite(req.method, req.url)) return next();
    const presented = presentedToken(req.headers);
    if (presented !== undefined && timingSafeEqual(digest(presented), expected)) return next();
    send(
      res,
      new LabException(
        presented === undefined ? 'ADMIN.TOKEN_REQUIRED' : 'ADMIN.TOKEN_INVALID',
        `${req.method} ${req.path.slice(0, 200)} is an admin, fault or reset operation: send Authorization: Bearer <ADMIN_TOKEN> or x-admin-token: <ADMIN_TOKEN>`,
        'unauthorized',
      ),
    );
  };
}
