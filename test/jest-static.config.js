/**
 * Static checks: what needs no infrastructure at all (no PostgreSQL, Redis, Kafka, no open port) —
 * the runbook parser, the k6 script checker against the OpenAPI document built offline, the compose
 * file and Dockerfile by structure. `npm run test:static`; the e2e config does not pick these up.
 */
module.exports = {
  rootDir: '..',
  testRegex: 'test/.*\\.static-spec\\.ts$',
  moduleFileExtensions: ['js', 'json', 'ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }] },
  testEnvironment: 'node',
  testTimeout: 60000,
};
