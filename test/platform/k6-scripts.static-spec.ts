import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { LAB_NAMES, LabName } from '../../src/platform/config/lab-plan';
import { generateOpenApiDocument } from '../../src/openapi';
import { OpenApiPaths, checkK6Script, labOfScript } from '../utils/k6-script-checker';

/**
 * k6 cannot be installed here, so its scripts are checked statically: each parses as an ES module,
 * imports only k6 modules, names real executors, and calls only endpoints of the app's OpenAPI
 * document (the one a LABS=all app serves at /docs-json, built here offline by src/openapi.ts).
 */
const K6_DIR = join(__dirname, '..', '..', 'k6');

/** The seeds' load-test file names (docs/seed-contracts.md), kept per lab under k6/<lab>/. */
const SEED_SCRIPTS: Record<LabName, string[]> = {
  booking: ['concurrent-booking.js', 'strategy-comparison.js'],
  bank: ['basic.js', 'barrier-test.js', 'concurrent-transfers.js'],
  orders: ['basic.js', 'exactly-once.js'],
  counter: ['basic.js', 'comparison.js', 'partition-test.js'],
  replication: ['read-consistency.js'],
};

function scripts(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return scripts(path);
      return /\.(m?js)$/.test(name) ? [path] : [];
    })
    .sort();
}

describe('k6 script checker', () => {
  const paths: OpenApiPaths = {
    '/booking/book': { post: {} },
    '/booking/events/{event_id}': { get: {} },
    '/booking/events/{event_id}/seats': { get: {} },
    '/counter/gateway/api/increment': { post: {} },
    '/counter/us-east/increment': { post: {} },
    '/metrics': { get: {} },
  };
  const script = (body: string, header = "import http from 'k6/http';\nimport { check, sleep } from 'k6';") =>
    `${header}
const BASE_URL = __ENV.BASE_URL || 'http://localhost:8000';
export const options = { scenarios: { load: { executor: 'constant-vus', vus: 2, duration: '5s' } } };
export default function () {
${body}
}
`;

  it('accepts a well-formed script and reads the endpoints it calls', () => {
    const source = script(`
  const id = 1;
  const url = \`\${BASE_URL}/events/\${id}/seats?available_only=true\`;
  const res = http.post(\`\${BASE_URL}/book\`, JSON.stringify({ event_id: 1 }), { headers: { 'Content-Type': 'application/json' } });
  check(res, { ok: (r) => r.status === 200 });
  http.get(BASE_URL + '/events/' + id);
  http.get(url);
  http.batch([['GET', \`\${BASE_URL}/events/1\`], { method: 'POST', url: \`\${BASE_URL}/book\` }]);
  http.request('GET', \`\${BASE_URL}/metrics\`);
  sleep(0.1);`);
    const result = checkK6Script('booking/ok.js', source, 'booking', paths);
    expect(result.problems).toEqual([]);
    expect(result.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'post /book',
      'get /events/{}',
      'get /events/{}/seats',
      'get /events/1',
      'post /book',
      'get /metrics',
    ]);
  });

  it('matches a path of a multi-node lab under any of its node prefixes', () => {
    const source = script(
      "  http.post(`${BASE_URL}/api/increment`, '{}');\n  http.post(`${US_EAST}/increment`, '{}');",
    ).replace(
      "'http://localhost:8000'",
      "'http://localhost:8080';\nconst US_EAST = __ENV.US_EAST_URL || 'http://localhost:8001'",
    );
    expect(checkK6Script('counter/ok.js', source, 'counter', paths).problems).toEqual([]);
  });

  it('rejects a remote import and a non-k6 module', () => {
    const source = script(
      '  http.get(`${BASE_URL}/events/1`);',
      "import http from 'k6/http';\nimport { randomString } from 'https://jslib.k6.io/k6-utils/1.4.0/index.js';\nimport lodash from 'lodash';",
    );
    const { problems } = checkK6Script('booking/bad-import.js', source, 'booking', paths);
    expect(problems).toEqual([
      expect.stringMatching(/bad-import\.js:2: imports "https:\/\/jslib\.k6\.io.*only k6 modules/),
      expect.stringMatching(/bad-import\.js:3: imports "lodash"/),
    ]);
  });

  it('rejects an executor k6 does not have', () => {
    const source = script('  http.get(`${BASE_URL}/events/1`);').replace("'constant-vus'", "'constant-rate'");
    const { problems } = checkK6Script('booking/bad-executor.js', source, 'booking', paths);
    expect(problems).toEqual([expect.stringContaining('unknown executor "constant-rate"')]);
  });

  it('rejects an endpoint the app does not have, or the wrong method', () => {
    const source = script("  http.post(`${BASE_URL}/bookings`, '{}');\n  http.get(`${BASE_URL}/book`);");
    const { problems } = checkK6Script('booking/bad-path.js', source, 'booking', paths);
    expect(problems).toEqual([
      expect.stringContaining('POST /bookings is not an endpoint of the app'),
      expect.stringContaining('GET /book is not an endpoint of the app'),
    ]);
  });

  it('rejects a syntax error, CommonJS, a missing BASE_URL and a script outside a lab folder', () => {
    expect(
      checkK6Script('booking/broken.js', script('  http.get(`${BASE_URL}/events/1`;'), 'booking', paths).problems,
    ).toEqual([expect.stringContaining('syntax error')]);
    const commonJs =
      "const http = require('k6/http');\nmodule.exports.default = function () { http.get('http://localhost:8000/events/1'); };";
    expect(checkK6Script('booking/cjs.js', commonJs, 'booking', paths).problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('not an ES module'),
        expect.stringContaining('dynamic import/require'),
        expect.stringContaining('does not read BASE_URL'),
        expect.stringContaining('calls no HTTP endpoint'),
      ]),
    );
    const wrongDefault = script('  http.get(`${BASE_URL}/events/1`);').replace('8000', '9999');
    expect(checkK6Script('booking/port.js', wrongDefault, 'booking', paths).problems).toEqual([
      expect.stringContaining('BASE_URL should default to http://localhost:<seed port of booking> (8000)'),
    ]);
    expect(labOfScript('stray.js')).toBeUndefined();
    expect(checkK6Script('stray.js', script('  http.get(`${BASE_URL}/events/1`);'), undefined, paths).problems).toEqual(
      [expect.stringContaining('scripts live under k6/<lab>/')],
    );
  });
});

describe('k6 scripts under k6/', () => {
  let paths: OpenApiPaths;
  beforeAll(async () => {
    paths = (await generateOpenApiDocument()).paths as OpenApiPaths;
  });

  it.each(LAB_NAMES)('k6/%s/ holds the seed load tests', (lab) => {
    const present = scripts(join(K6_DIR, lab)).map((p) => relative(join(K6_DIR, lab), p));
    expect(present).toEqual(expect.arrayContaining(SEED_SCRIPTS[lab]));
  });

  it('every script parses as an ES module, imports only k6, uses real executors and existing endpoints', () => {
    const files = scripts(K6_DIR);
    const problems = files.flatMap((file) => {
      const rel = relative(K6_DIR, file).split('\\').join('/');
      return checkK6Script(`k6/${rel}`, readFileSync(file, 'utf8'), labOfScript(rel), paths).problems;
    });
    expect(problems).toEqual([]);
    expect(files.length).toBeGreaterThan(0);
  });
});
