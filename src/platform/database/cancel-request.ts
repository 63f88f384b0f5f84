import { connect } from 'node:net';
import type { PoolClient } from 'pg';

/** A cancel that gets no connection within this long is dropped (the statement then ends at its own timeouts). */
const CANCEL_CONNECT_TIMEOUT_MS = 2000;

interface BackendIdentity {
  processID?: number | null;
  secretKey?: number | null;
  host?: string;
  port?: number;
}

/**
 * Asks PostgreSQL to cancel the statement a connection runs now, the way psql's Ctrl-C does: a
 * CancelRequest (protocol message 80877102 with the backend's pid and secret key) on a new socket.
 * It takes no session slot and needs no free pooled connection; a failure is ignored.
 */
export function sendCancelRequest(client: PoolClient): void {
  const { processID, secretKey, host, port } = client as unknown as BackendIdentity;
  if (typeof processID !== 'number' || typeof secretKey !== 'number' || !port) return;
  const message = Buffer.alloc(16);
  message.writeInt32BE(16, 0);
  message.writeInt32BE(80877102, 4);
  message.writeInt32BE(processID, 8);
  message.writeInt32BE(secretKey, 12);
  const socket = host?.startsWith('/') ? connect(`${host}/.s.PGSQL.${port}`) : connect(port, host ?? '127.0.0.1');
  socket.setTimeout(CANCEL_CONNECT_TIMEOUT_MS, () => socket.destroy());
  socket.once('connect', () => socket.end(message));
  socket.on('error', () => socket.destroy());
}
