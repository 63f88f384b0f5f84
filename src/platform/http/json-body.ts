import { json } from 'express';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { markInvalidUtf8 } from './text-guard';

/**
 * The seeds' quick-reference curls send JSON with curl's default form Content-Type (or none),
 * so JSON is parsed whatever the declared type, except multipart uploads.
 */
export function jsonBodyParser(limit: string): RequestHandler {
  return json({
    limit,
    strict: true,
    verify: markInvalidUtf8,
    type: (req: IncomingMessage) => !String(req.headers['content-type'] ?? '').startsWith('multipart/'),
  });
}
