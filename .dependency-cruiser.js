/** Module boundaries of STYLE.md: labs never import each other; the platform never imports a lab. */
const LABS = ['booking', 'bank', 'orders', 'counter', 'replication'];

module.exports = {
  forbidden: [
    {
      name: 'platform-never-imports-labs',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: '^src/labs/' },
    },
    ...LABS.map((lab) => ({
      name: `${lab}-imports-no-other-lab`,
      severity: 'error',
      from: { path: `^src/labs/${lab}/` },
      to: { path: `^src/labs/(?!${lab}/)[^/]+/` },
    })),
    {
      // The browser console talks to the app over HTTP only; it may share the experiment contract's types.
      name: 'console-reaches-the-app-over-http-only',
      severity: 'error',
      from: { path: '^src/console/' },
      to: { path: '^src/(labs|platform|app|bootstrap|main)', pathNot: '^src/platform/experiments/experiment\\.contract\\.ts$' },
    },
    {
      name: 'nothing-server-side-imports-the-console',
      severity: 'error',
      from: { path: '^src/(?!console/)' },
      to: { path: '^src/console/' },
    },
    {
      name: 'no-circular',
      severity: 'warn',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
