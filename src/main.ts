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
  const { bootstrap, printUrlTable } = await import('./bootstrap');
  const running = await bootstrap(config);
  printUrlTable(running);
  // Nest closes everything on SIGTERM/SIGINT; this only bounds how long that may take.
  const limit = config.env.SHUTDOWN_TIMEOUT_MS;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => setTimeout(() => process.exit(1), limit).unref());
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`startup failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
