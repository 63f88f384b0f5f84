import {
  BlockResult,
  CURL_WRAPPER,
  HTTP_MARKER,
  RunbookSyntaxError,
  evaluate,
  jsonDocuments,
  parseRunbook,
  rewritePorts,
  validateRunbook,
} from './runbook-parser';

/**
 * The runbook parser and judge, without the app (pure logic; jq is the local binary).
 * A static check (`npm run test:static`): no app, no infrastructure.
 */

const fence = '```';
const doc = (...parts: string[]) => parts.join('\n');
const ok = (stdout: string, stderr = ''): BlockResult => ({ exitCode: 0, stdout, stderr, timedOut: false });
const marker = (status: number, method = 'GET', url = 'http://127.0.0.1:28000/admin/stats') =>
  `${HTTP_MARKER} ${status} ${method} ${url}`;

describe('parseRunbook', () => {
  const markdown = doc(
    '# Lab',
    '## Check it',
    `${fence}bash {"name": "check-stats", "excludeFromRunAll": false}`,
    'curl -s http://localhost:8000/admin/stats | jq',
    fence,
    '',
    '**Expected:** something.',
    '',
    '<!-- expect: "confirmed" -->',
    '<!-- expect: /"total": \\d+/m -->',
    '<!-- expect-not: UNSAFE -->',
    '<!-- expect-json: .totals.total == 10 -->',
    '<!-- runner: timeout 60 -->',
    '<!-- an ordinary comment is ignored -->',
    `${fence}json`,
    '{"not": "a block"}',
    fence,
    `${fence}bash {"name": "k6-run"}`,
    'docker compose run --rm k6 run /scripts/x.js',
    fence,
    '<!-- runner: skip (needs Docker) -->',
    `${fence}bash {"name": "bad-input"}`,
    'curl -s -X POST http://localhost:8000/book -d "{}"',
    fence,
    '<!-- expect-error -->',
    '<!-- expect: REQUEST.VALIDATION_FAILED -->',
  );

  it('finds the named shell blocks in order, with their code, line, heading and checks', () => {
    const blocks = parseRunbook(markdown);
    expect(blocks.map((b) => b.name)).toEqual(['check-stats', 'k6-run', 'bad-input']);
    const [stats, k6, bad] = blocks;
    expect(stats).toMatchObject({ index: 0, line: 3, heading: 'Check it', language: 'bash' });
    expect(stats.code).toBe('curl -s http://localhost:8000/admin/stats | jq');
    expect(stats.attributes).toEqual({ name: 'check-stats', excludeFromRunAll: false });
    expect(stats.directives.expect).toEqual([
      { kind: 'text', text: '"confirmed"' },
      { kind: 'regex', regex: /"total": \d+/m },
    ]);
    expect(stats.directives.expectNot).toEqual([{ kind: 'text', text: 'UNSAFE' }]);
    expect(stats.directives.expectJson).toEqual(['.totals.total == 10']);
    expect(stats.directives.timeoutSeconds).toBe(60);
    expect(k6.directives.skip).toBe('needs Docker');
    expect(bad.directives.expectError).toBe(true);
  });

  it.each([
    ['a shell block without a name', `${fence}bash\necho hi\n${fence}`, /needs a Runme name/],
    ['attributes that are not JSON', `${fence}bash {name: x}\necho hi\n${fence}`, /must be a JSON object/],
    ['an unclosed fence', `${fence}bash {"name": "x"}\necho hi`, /never closed/],
    ['a check before any block', '<!-- expect: hi -->', /must follow a named shell block/],
    [
      'an unknown runner option',
      `${fence}bash {"name": "x"}\necho\n${fence}\n<!-- runner: sometimes -->`,
      /runner takes/,
    ],
    [
      'a misspelt check',
      `${fence}bash {"name": "x"}\necho\n${fence}\n<!-- expects: hi -->`,
      /malformed runner comment/,
    ],
    ['a bad regex', `${fence}bash {"name": "x"}\necho\n${fence}\n<!-- expect: /(/ -->`, /bad regex/],
  ])('rejects %s with the line', (_what, text, message) => {
    expect(() => parseRunbook(text)).toThrow(RunbookSyntaxError);
    expect(() => parseRunbook(text)).toThrow(message);
  });
});

describe('validateRunbook', () => {
  it('reports duplicate names, unchecked runnable blocks and unmarked Docker/k6 blocks', () => {
    const blocks = parseRunbook(
      doc(
        `${fence}bash {"name": "a"}`,
        'echo one',
        fence,
        '<!-- expect: one -->',
        `${fence}bash {"name": "a"}`,
        'echo two',
        fence,
        '<!-- expect: two -->',
        `${fence}bash {"name": "unchecked"}`,
        'echo three',
        fence,
        `${fence}bash {"name": "load"}`,
        'k6 run k6/booking/concurrent-booking.js',
        fence,
        '<!-- expect: done -->',
      ),
    );
    const problems = validateRunbook(blocks);
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/"a" \(line 5\): the name is already used by the block at line 1/);
    expect(problems[1]).toMatch(/"unchecked".*needs at least one expect/);
    expect(problems[2]).toMatch(/"load".*must be marked <!-- runner: skip/);
  });
});

describe('rewritePorts', () => {
  const ports = new Map([
    [3000, '127.0.0.1:41234'],
    [8000, '127.0.0.1:28000'],
    [8380, '127.0.0.1:28380'],
  ]);

  it('points the app ports at this run and leaves every other port and host alone', () => {
    const code = [
      'curl -s http://localhost:8000/book',
      'curl -s "http://127.0.0.1:8380/api/counter/views"',
      'curl -s -X POST http://localhost:3000/admin/labs/orders/nodes/consumer/restart',
      'echo "Grafana: http://localhost:3001"',
      `-d '{"replica_url": "http://lab14-replica2:8002"}'`,
      'curl -s http://localhost:80000/nope',
    ].join('\n');
    expect(rewritePorts(code, ports).split('\n')).toEqual([
      'curl -s http://127.0.0.1:28000/book',
      'curl -s "http://127.0.0.1:28380/api/counter/views"',
      'curl -s -X POST http://127.0.0.1:41234/admin/labs/orders/nodes/consumer/restart',
      'echo "Grafana: http://localhost:3001"',
      `-d '{"replica_url": "http://lab14-replica2:8002"}'`,
      'curl -s http://localhost:80000/nope',
    ]);
  });
});

describe('jsonDocuments', () => {
  it('finds pretty and compact JSON among echo lines, including bodies printed back to back', () => {
    const output = [
      'Primary:',
      '{',
      '  "version": 3,',
      '  "note": "braces } and ] inside \\"strings\\""',
      '}',
      '[1/3] not json',
      '{"status":"failed"}{"status":"confirmed"}',
      'Replica 1: 3',
      '[',
      '  1,',
      '  2',
      ']',
    ].join('\n');
    expect(jsonDocuments(output)).toEqual([
      { version: 3, note: 'braces } and ] inside "strings"' },
      { status: 'failed' },
      { status: 'confirmed' },
      [1, 2],
    ]);
  });
});

describe('evaluate', () => {
  const blockOf = (checks: string, code = 'curl -s http://localhost:8000/admin/double-bookings | jq') =>
    parseRunbook(doc(`${fence}bash {"name": "under-test"}`, code, fence, checks))[0];

  it('passes when every expectation holds', () => {
    const block = blockOf(
      [
        '<!-- expect: SAFE - No double bookings -->',
        '<!-- expect-not: UNSAFE -->',
        '<!-- expect-json: .count == 0 -->',
      ].join('\n'),
    );
    const output = ['  SAFE - No double bookings', '{', '  "double_bookings": [],', '  "count": 0', '}'].join('\n');
    expect(evaluate(block, ok(output, marker(200)))).toEqual([]);
  });

  it('fails when an expected string is missing from the output', () => {
    const block = blockOf('<!-- expect: SAFE - No double bookings -->');
    expect(evaluate(block, ok('  UNSAFE - 1 double bookings detected\n'))).toEqual([
      'expected "SAFE - No double bookings" in the output',
    ]);
  });

  it('fails on a regex that does not match, a forbidden string and a jq filter that does not hold', () => {
    const block = blockOf(
      [
        '<!-- expect: /Testing none -+\\n  UNSAFE/ -->',
        '<!-- expect-not: UNSAFE -->',
        '<!-- expect-json: .count == 0 -->',
      ].join('\n'),
    );
    const failures = evaluate(block, ok('--- Testing none ---\n  SAFE\nUNSAFE\n{"count": 1}\n'));
    expect(failures).toEqual([
      'expected /Testing none -+\\n  UNSAFE/ in the output',
      'did not expect "UNSAFE" in the output',
      'expect-json .count == 0 on the last JSON document gave false',
    ]);
  });

  it('judges expect-json on the last JSON document and fails when there is none', () => {
    const block = blockOf('<!-- expect-json: .count == 1 -->');
    expect(evaluate(block, ok('{"count": 0}\n{"count": 1}\n'))).toEqual([]);
    expect(evaluate(block, ok('no json here\n'))).toEqual(['expect-json .count == 1: the output has no JSON document']);
  });

  it('fails on a 404 (a renamed route) even when the block throws the body away', () => {
    const block = blockOf('<!-- expect: done -->', 'curl -s -o /dev/null http://localhost:8000/admin/stats; echo done');
    expect(evaluate(block, ok('done\n', marker(404)))).toEqual([
      'HTTP 404 from GET http://127.0.0.1:28000/admin/stats',
    ]);
    const many = Array.from({ length: 3 }, () => marker(404, 'POST', 'http://127.0.0.1:28100/transfers')).join('\n');
    expect(evaluate(block, ok('done\n', many))).toEqual([
      'HTTP 404 from POST http://127.0.0.1:28100/transfers (3 times)',
    ]);
  });

  it('fails on an error body in the output, and on any 5xx even with expect-error', () => {
    const plain = blockOf('<!-- expect: x -->');
    const body = '{"statusCode":404,"code":"BOOKING.SEAT_NOT_FOUND","message":"Seat not found"}';
    expect(evaluate(plain, ok(`x\n${body}\n`))).toEqual([`error body 404: ${body}`]);

    const declared = blockOf('<!-- expect-error -->\n<!-- expect: SEAT_NOT_FOUND -->');
    expect(evaluate(declared, ok(`${body}\n`, marker(404, 'POST')))).toEqual([]);
    expect(evaluate(declared, ok(`${body}\n`, marker(500, 'POST')))).toEqual([
      'HTTP 500 from POST http://127.0.0.1:28000/admin/stats',
    ]);
  });

  it('fails a block that declares expect-error when everything succeeded', () => {
    const block = blockOf('<!-- expect-error -->\n<!-- expect: ok -->');
    expect(evaluate(block, ok('ok\n', marker(200)))).toEqual(['declares expect-error, but no 4xx answer was seen']);
  });

  it('fails on a non-zero exit and on a timeout', () => {
    const block = blockOf('<!-- expect: x -->');
    expect(evaluate(block, { exitCode: 5, stdout: 'x', stderr: '', timedOut: false })).toEqual([
      'exited with status 5',
    ]);
    expect(evaluate(block, { exitCode: null, stdout: 'x', stderr: '', timedOut: true })).toEqual([
      'timed out (limit: the default)',
    ]);
  });

  it('reads the statuses the curl wrapper logged', () => {
    const block = blockOf('<!-- expect: done -->');
    expect(evaluate(block, { ...ok('done\n'), http: `${marker(200)}\n${marker(404, 'POST')}\n` })).toEqual([
      'HTTP 404 from POST http://127.0.0.1:28000/admin/stats',
    ]);
    expect(CURL_WRAPPER).toContain(`%{stderr}${HTTP_MARKER} %{http_code} %{method} %{url_effective}`);
    expect(CURL_WRAPPER).toContain('>> "$RUNBOOK_HTTP_LOG"');
  });
});
