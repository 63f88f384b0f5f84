import { ConfigError, loadAppConfig } from './platform/config/app-config';
import { startTracing } from './platform/observability/tracing';
import type { AppConfig } from './platform/config/app-config';
import type { RunningApp } from './bootstrap';
import { tellSupervisor } from './platform/processes/process-messages';

async function main(): Promise<void> {
  let config;
  try {
    config = loadAppConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (config.isSupervisor) return supervise(config);
  // Supervised and still booting: a supervisor gone before we are ready means nobody wants us.
  if (config.isSupervised) process.on('disconnect', () => process.exit(1));
  // Tracing must patch http before Nest and the drivers are loaded.
  startTracing({ serviceName: config.env.OTEL_SERVICE_NAME, otlpEndpoint: config.env.OTEL_EXPORTER_OTLP_ENDPOINT });
  const { bootstrap, printLabsReady, printUrlTable } = await import('./bootstrap');
  const running = await bootstrap(config);
  printLabsReady(running);
  printUrlTable(running);
  if (config.isSupervised) await announceReady(running);
  // SIGTERM/SIGINT: drain, run the shutdown hooks, exit 0; exit 1 if that takes beyond SHUTDOWN_TIMEOUT_MS.
  const limit = config.env.SHUTDOWN_TIMEOUT_MS;
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      setTimeout(() => {
        process.stderr.write(`shutdown took longer than SHUTDOWN_TIMEOUT_MS=${limit}\n`);
        process.exit(1);
      }, limit).unref();
      running.shutdown().then(
        () => process.exit(0),
        (err: unknown) => {
          process.stderr.write(`shutdown failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
          process.exit(1);
        },
      );
    });
  }
}

/** LAB_PROCESSES=1: no Nest here; every node runs as its own process under a supervisor. */
async function supervise(config: AppConfig): Promise<void> {
  const { Supervisor } = await import('./platform/processes/supervisor');
  const supervisor = new Supervisor(config, process.argv[1]);
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      supervisor.stop(config.env.SHUTDOWN_TIMEOUT_MS).then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
  try {
    const { url } = await supervisor.start();
    process.stdout.write(`[supervisor] main port ${url}; ${supervisor.views().length} processes: ${url}/admin/labs\n`);
  } catch (err) {
    await supervisor.stop(config.env.SHUTDOWN_TIMEOUT_MS);
    throw err;
  }
}

/** A supervised process: tell the supervisor its ports; stop when the supervisor is gone. */
async function announceReady(running: RunningApp): Promise<void> {
  const { NodePortsService } = await import('./platform/http/node-ports.service');
  const endpoint = running.config.endpoints[0];
  const nodePort = running.app.get(NodePortsService).boundPort(endpoint.lab, endpoint.node) ?? endpoint.port;
  tellSupervisor({ type: 'ready', pid: process.pid, mainPort: Number(new URL(running.url).port), nodePort });
  // The IPC channel closes when the supervisor dies (even by SIGKILL): no orphan keeps a port.
  process.removeAllListeners('disconnect');
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`startup failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
