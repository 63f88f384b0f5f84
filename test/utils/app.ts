import { bootstrap, RunningApp } from '../../src/bootstrap';
import { loadAppConfig } from '../../src/platform/config/app-config';
import { startTracing } from '../../src/platform/observability/tracing';

/** Boots the real app in-process (real PostgreSQL, Redis, Kafka) with env overrides, e.g. `{ LABS: 'booking' }`. */
export async function startApp(overrides: Record<string, string> = {}): Promise<RunningApp> {
  startTracing({ serviceName: 'labs-test' });
  const config = loadAppConfig({ ...process.env, ...overrides });
  return bootstrap(config);
}

/** The URL of a node on its own port, e.g. nodeUrl(app, 'orders', 'consumer') → http://127.0.0.1:28201 */
export function nodeUrl(app: RunningApp, lab: string, node: string): string {
  const endpoint = app.config.endpoints.find((e) => e.lab === lab && e.node === node);
  if (!endpoint) throw new Error(`${lab}:${node} is not running in this app`);
  return `http://127.0.0.1:${endpoint.port}`;
}
