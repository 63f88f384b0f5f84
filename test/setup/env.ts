/**
 * Test defaults: a database, Redis db, port range and Kafka namespace of their own, so tests run
 * beside a running `npm run lab` without touching it. Any of these can be overridden from outside.
 */
const defaults: Record<string, string> = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/labs_test',
  REDIS_URL: 'redis://127.0.0.1:6379/15',
  KAFKA_NAMESPACE: 'test',
  NODE_PORTS_SHIFT: '20000',
  PORT: '0',
  LOG_LEVEL: 'warn',
};
for (const [key, value] of Object.entries(defaults)) process.env[key] ??= value;
