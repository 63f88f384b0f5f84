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
      to: {
        path: '^src/(labs|platform|app|bootstrap|main)',
        pathNot: '^src/platform/experiments/experiment\\.contract\\.ts$',
      },
    },
    {
      name: 'nothing-server-side-imports-the-console',
      severity: 'error',
      from: { path: '^src/(?!console/)' },
      to: { path: '^src/console/' },
    },
    // Direction inside a lab (STYLE.md): api/ and nodes/ → application/ → strategies/, persistence/,
    // domain/ (crdt/ in counter). Nothing points back up; the domain imports none of the lab's I/O.
    {
      name: 'lab-application-not-up',
      severity: 'error',
      from: { path: '^src/labs/([^/]+)/application/' },
      to: { path: '^src/labs/$1/(api|nodes)/' },
    },
    {
      name: 'lab-lower-layers-not-up',
      severity: 'error',
      from: { path: '^src/labs/([^/]+)/(strategies|persistence|domain|crdt)/' },
      to: { path: '^src/labs/$1/(api|nodes|application)/' },
    },
    {
      name: 'lab-domain-is-pure',
      severity: 'error',
      from: { path: '^src/labs/([^/]+)/(domain|crdt)/' },
      to: {
        path: ['^src/labs/$1/(strategies|persistence)/', '^src/platform/(database|redis|kafka|http|faults|health)/'],
      },
    },
    {
      name: 'lab-config-errors-metrics-below-layers',
      severity: 'error',
      from: { path: '^src/labs/([^/]+)/[^/]+\\.(config|errors|metrics)\\.ts$' },
      to: { path: '^src/labs/$1/(api|nodes|application|strategies|persistence)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
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
