import { ConfigError, loadAppConfig } from './platform/config/app-config';
import { startTracing } from './platform/observability/tracing';

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
  // Tracing must patch http before Nest and the drivers are loaded.
  startTracing({ serviceName: config.env.OTEL_SERVICE_NAME, otlpEndpoint: config.env.OTEL_EXPORTER_OTLP_ENDPOINT });
  const { bootstrap, printLabsReady, printUrlTable } = await import('./bootstrap');
  const running = await bootstrap(config);
  printLabsReady(running);
  printUrlTable(running);
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
          process.stderr.write(`shutdown failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
          process.exit(1);
        },
      );
    });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`startup failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
