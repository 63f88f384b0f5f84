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
