/** E2E tests: the app booted in-process against the real PostgreSQL, Redis and Kafka. */
module.exports = {
  rootDir: '..',
  testRegex: 'test/.*\\.e2e-spec\\.ts$',
  moduleFileExtensions: ['js', 'json', 'ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }] },
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/test/setup/env.ts'],
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  testTimeout: 120000,
  // The suites boot the real app many times in one process. Every suite closes what it opens (each
  // file exits cleanly on its own, and --detectOpenHandles finds nothing), but once in a while a
  // kafkajs reconnect timer from an earlier app outlives the whole run and jest would wait forever.
  forceExit: true,
};
