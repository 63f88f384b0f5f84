import { spawnSync } from 'node:child_process';

/**
 * Reads RUNBOOK.md: its named Runme blocks, the checks written under each block as HTML comments,
 * and judges a block's output against them. The syntax is documented in test/runbook/README.md.
 */

export type Matcher = { kind: 'text'; text: string } | { kind: 'regex'; regex: RegExp };

export interface BlockDirectives {
  expect: Matcher[];
  expectNot: Matcher[];
  expectJson: string[];
  /** The block shows a 4xx on purpose (bad input); 5xx still fails it. */
  expectError: boolean;
  /** Why the runner does not run this block (Docker, k6, a browser, a foreground process). */
  skip?: string;
  timeoutSeconds?: number;
}

export interface RunbookBlock {
  /** Position among the document's named blocks, from 0. */
  index: number;
  name: string;
  language: string;
  attributes: Record<string, unknown>;
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The nearest heading above the block. */
  heading: string;
  directives: BlockDirectives;
}

export class RunbookSyntaxError extends Error {
  constructor(line: number, message: string) {
    super(`RUNBOOK.md line ${line}: ${message}`);
  }
}

const SHELLS = new Set(['bash', 'sh', 'shell']);
const FENCE_OPEN = /^```([\w-]*)\s*(\{.*\})?\s*$/;
const DIRECTIVE = /^<!--\s*(expect-not|expect-json|expect-error|expect|runner)\b(.*?)-->\s*$/;

export function parseRunbook(markdown: string): RunbookBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: RunbookBlock[] = [];
  let heading = '';
  let current: RunbookBlock | undefined;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i];
    const lineNo = i + 1;
    const open = FENCE_OPEN.exec(line);
    if (open && line !== '```') {
      const close = lines.findIndex((l, j) => j > i && l.trim() === '```');
      if (close < 0) throw new RunbookSyntaxError(lineNo, 'code fence is never closed');
      const [, language, rawAttributes] = open;
      if (SHELLS.has(language)) {
        const attributes = parseAttributes(rawAttributes, lineNo);
        const name = attributes.name;
        if (typeof name !== 'string' || name.trim() === '') {
          throw new RunbookSyntaxError(
            lineNo,
            `a ${language} block needs a Runme name: \`\`\`${language} {"name": "..."}`,
          );
        }
        current = {
          index: blocks.length,
          name,
          language,
          attributes,
          code: lines.slice(i + 1, close).join('\n'),
          line: lineNo,
          heading,
          directives: { expect: [], expectNot: [], expectJson: [], expectError: false },
        };
        blocks.push(current);
      } else {
        current = undefined;
      }
      i = close;
      continue;
    }
    if (line === '```') throw new RunbookSyntaxError(lineNo, 'a closing fence without an opening one');
    const title = /^#{1,6}\s+(.*)$/.exec(line);
    if (title) heading = title[1].trim();
    const directive = DIRECTIVE.exec(line.trim());
    if (directive) {
      if (!current) throw new RunbookSyntaxError(lineNo, 'a runner comment must follow a named shell block');
      applyDirective(current.directives, directive[1], directive[2].replace(/^:/, '').trim(), lineNo);
    } else if (/^<!--\s*(expect|runner)/.test(line.trim())) {
      throw new RunbookSyntaxError(lineNo, `malformed runner comment: ${line.trim()}`);
    }
  }
  return blocks;
}

function parseAttributes(raw: string | undefined, line: number): Record<string, unknown> {
  if (!raw) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new RunbookSyntaxError(line, `block attributes must be a JSON object, got ${raw}`);
}

function applyDirective(target: BlockDirectives, kind: string, value: string, line: number): void {
  switch (kind) {
    case 'expect':
    case 'expect-not': {
      if (!value) throw new RunbookSyntaxError(line, `${kind} needs a text or a /regex/`);
      (kind === 'expect' ? target.expect : target.expectNot).push(parseMatcher(value, line));
      return;
    }
    case 'expect-json':
      if (!value) throw new RunbookSyntaxError(line, 'expect-json needs a jq filter');
      target.expectJson.push(value);
      return;
    case 'expect-error':
      if (value) throw new RunbookSyntaxError(line, 'expect-error takes no value');
      target.expectError = true;
      return;
    case 'runner': {
      const skip = /^skip\s*\((.+)\)$/.exec(value);
      const timeout = /^timeout\s+(\d+)$/.exec(value);
      if (skip) target.skip = skip[1].trim();
      else if (timeout) target.timeoutSeconds = Number(timeout[1]);
      else throw new RunbookSyntaxError(line, `runner takes "skip (reason)" or "timeout <seconds>", got "${value}"`);
      return;
    }
    default:
      throw new RunbookSyntaxError(line, `unknown runner comment ${kind}`);
  }
}

export function parseMatcher(value: string, line = 0): Matcher {
  const regex = /^\/(.+)\/([imsu]*)$/.exec(value);
  if (!regex) return { kind: 'text', text: value };
  try {
    return { kind: 'regex', regex: new RegExp(regex[1], regex[2]) };
  } catch (err) {
    throw new RunbookSyntaxError(line, `bad regex ${value}: ${(err as Error).message}`);
  }
}

export function describeMatcher(m: Matcher): string {
  return m.kind === 'text' ? JSON.stringify(m.text) : String(m.regex);
}

function matches(m: Matcher, output: string): boolean {
  return m.kind === 'text' ? output.includes(m.text) : m.regex.test(output);
}

/** Problems that make the runbook itself wrong, whatever the app does. */
export function validateRunbook(blocks: RunbookBlock[]): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  for (const block of blocks) {
    const where = `"${block.name}" (line ${block.line})`;
    const first = seen.get(block.name);
    if (first !== undefined) problems.push(`${where}: the name is already used by the block at line ${first}`);
    else seen.set(block.name, block.line);
    const d = block.directives;
    const checks = d.expect.length + d.expectNot.length + d.expectJson.length;
    if (d.skip === undefined && checks === 0) {
      problems.push(`${where}: a runnable block needs at least one expect, expect-not or expect-json`);
    }
    if (d.skip === undefined && /(^|[\s;&|(`])(docker|k6)\s/m.test(block.code)) {
      problems.push(`${where}: uses docker or k6, so it must be marked <!-- runner: skip (reason) -->`);
    }
  }
  return problems;
}

/** The app's node ports: seed-table port (8000, 8301, ...) → host:port where it really listens. */
export type PortMap = ReadonlyMap<number, string>;

/** Points `localhost:<port>` / `127.0.0.1:<port>` of the app at where it runs; other ports stay. */
export function rewritePorts(code: string, ports: PortMap): string {
  return code.replace(
    /\b(localhost|127\.0\.0\.1):(\d{2,5})\b/g,
    (whole, _host: string, port: string) => ports.get(Number(port)) ?? whole,
  );
}

/**
 * The runner wraps `curl` so that the status of every answer is logged, one line per call, in the
 * file named by $RUNBOOK_HTTP_LOG: a block that throws its body away (`> /dev/null`) still fails
 * when a route it calls is gone. Each call writes its status line to a private file first and then
 * appends it in one write, so concurrent background calls do not interleave. The block's output is
 * untouched; a `-w` given by the block itself wins for that call.
 */
export const HTTP_MARKER = '@@runbook-http';
export const CURL_WRAPPER = `curl() {
  local rb_err="\${RUNBOOK_HTTP_LOG}.\${BASHPID}.\${RANDOM}" rb_rc=0 rb_line
  command curl -w '%{stderr}${HTTP_MARKER} %{http_code} %{method} %{url_effective}\\n' "$@" 2>"$rb_err" || rb_rc=$?
  while IFS= read -r rb_line || [[ -n $rb_line ]]; do
    if [[ $rb_line == "${HTTP_MARKER} "* ]]; then printf '%s\\n' "$rb_line" >> "$RUNBOOK_HTTP_LOG"; else printf '%s\\n' "$rb_line" >&2; fi
  done < "$rb_err"
  return "$rb_rc"
}
export -f curl
`;

export interface HttpCall {
  status: number;
  method: string;
  url: string;
}

export function httpCalls(text: string): HttpCall[] {
  const calls: HttpCall[] = [];
  for (const match of text.matchAll(new RegExp(`^${HTTP_MARKER} (\\d{3}) (\\S+) (\\S+)$`, 'gm'))) {
    calls.push({ status: Number(match[1]), method: match[2], url: match[3] });
  }
  return calls;
}

export function withoutMarkers(text: string): string {
  return text
    .split('\n')
    .filter((l) => !l.startsWith(HTTP_MARKER))
    .join('\n');
}

/** Every top-level JSON object or array in a text that mixes echo lines and (pretty or compact) JSON. */
export function jsonDocuments(text: string): unknown[] {
  const docs: unknown[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if ((ch === '{' || ch === '[') && (i === 0 || text[i - 1] === '\n' || text[i - 1] === '}' || text[i - 1] === ']')) {
      const end = closingIndex(text, i);
      if (end > 0) {
        try {
          docs.push(JSON.parse(text.slice(i, end + 1)));
          i = end + 1;
          continue;
        } catch {
          // not JSON after all (e.g. "[1/3] ..."): move on
        }
      }
    }
    i += 1;
  }
  return docs;
}

function closingIndex(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i += 1) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i += 1;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') depth += 1;
    else if (ch === '}' || ch === ']') {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  return -1;
}

export interface BlockResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** The status lines the curl wrapper logged. */
  http?: string;
}

/** True when the jq filter's last output is neither false nor null (`jq -e`). */
export type JqCheck = (filter: string, json: unknown) => { ok: boolean; error?: string };

export const runJq: JqCheck = (filter, json) => {
  const res = spawnSync('jq', ['-e', filter], { input: JSON.stringify(json), encoding: 'utf8', timeout: 10000 });
  if (res.error) return { ok: false, error: res.error.message };
  if (res.status === 0) return { ok: true };
  return {
    ok: false,
    error: res.status === 1 ? `gave ${res.stdout.trim() || 'false'}` : `jq failed: ${res.stderr.trim()}`,
  };
};

/** Why a block's run does not hold; empty when it passes. */
export function evaluate(block: RunbookBlock, result: BlockResult, jq: JqCheck = runJq): string[] {
  const d = block.directives;
  const failures: string[] = [];
  const output = withoutMarkers(result.stdout);
  if (result.timedOut)
    failures.push(`timed out (limit: ${d.timeoutSeconds === undefined ? 'the default' : `${d.timeoutSeconds} s`})`);
  else if (result.exitCode !== 0) failures.push(`exited with status ${result.exitCode}`);

  const statuses = httpCalls(`${result.stdout}\n${result.stderr}\n${result.http ?? ''}`).filter((c) => c.status >= 100);
  const bodies = jsonDocuments(output).filter(isErrorBody);
  const badCalls = new Map<string, number>();
  for (const call of statuses) {
    if (call.status >= 500 || (call.status >= 400 && !d.expectError)) {
      const key = `HTTP ${call.status} from ${call.method} ${call.url}`;
      badCalls.set(key, (badCalls.get(key) ?? 0) + 1);
    }
  }
  for (const [key, times] of badCalls) failures.push(times > 1 ? `${key} (${times} times)` : key);
  for (const body of bodies) {
    if (body.statusCode >= 500 || !d.expectError) {
      failures.push(`error body ${body.statusCode}: ${JSON.stringify(body).slice(0, 300)}`);
    }
  }
  if (d.expectError && !statuses.some((c) => c.status >= 400 && c.status < 500) && bodies.length === 0) {
    failures.push('declares expect-error, but no 4xx answer was seen');
  }

  for (const m of d.expect) if (!matches(m, output)) failures.push(`expected ${describeMatcher(m)} in the output`);
  for (const m of d.expectNot)
    if (matches(m, output)) failures.push(`did not expect ${describeMatcher(m)} in the output`);
  if (d.expectJson.length > 0) {
    const docs = jsonDocuments(output);
    const last = docs[docs.length - 1];
    for (const filter of d.expectJson) {
      if (last === undefined) {
        failures.push(`expect-json ${filter}: the output has no JSON document`);
        continue;
      }
      const verdict = jq(filter, last);
      if (!verdict.ok) failures.push(`expect-json ${filter} on the last JSON document ${verdict.error ?? ''}`.trim());
    }
  }
  return failures;
}

function isErrorBody(doc: unknown): doc is { statusCode: number } {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return false;
  const code = (doc as { statusCode?: unknown }).statusCode;
  return typeof code === 'number' && code >= 400;
}

export function tail(text: string, lines = 40): string {
  const all = text.trimEnd().split('\n');
  return (all.length > lines ? ['…', ...all.slice(-lines)] : all).join('\n');
}
