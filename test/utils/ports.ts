import { createServer } from 'node:net';
import type { RunningApp } from '../../src/bootstrap';
import { loadAppConfig } from '../../src/platform/config/app-config';
import { startApp } from './app';

/** A port the OS considers free on the loopback right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Whether 127.0.0.1:port can be bound right now. */
export function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Setup guard for an app on fixed node ports: with a large NODE_PORTS_SHIFT those ports sit in the
 * OS ephemeral range, where another process's outgoing connection can hold one for a moment.
 */
export async function waitForFreePorts(ports: number[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const busy: number[] = [];
    for (const port of ports) if (!(await canBind(port))) busy.push(port);
    if (busy.length === 0) return;
    if (Date.now() > deadline) throw new Error(`node ports still in use after ${timeoutMs} ms: ${busy.join(', ')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** startApp, once every node port the overrides select can be bound. */
export async function startAppOnFreePorts(overrides: Record<string, string>): Promise<RunningApp> {
  const config = loadAppConfig({ ...process.env, ...overrides });
  await waitForFreePorts(config.endpoints.map((e) => e.port));
  return startApp(overrides);
}
