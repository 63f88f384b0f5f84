import * as ts from 'typescript';
import {
  LabName,
  SINGLE_LAB_BASE,
  isLabName,
  nodeOffset,
  nodeRoute,
  nodesOf,
} from '../../src/platform/config/lab-plan';

/**
 * Static checks of a k6 script, since k6 itself cannot run here: it parses as an ES module, imports
 * only k6's built-in modules, names only real executors, reads BASE_URL from __ENV, and every HTTP
 * call goes to an endpoint of the app's OpenAPI document (under one of its lab's node prefixes).
 */

export const K6_MODULES = ['k6', 'k6/http', 'k6/metrics', 'k6/execution', 'k6/data', 'k6/crypto', 'k6/encoding'];
export const K6_EXECUTORS = [
  'shared-iterations',
  'per-vu-iterations',
  'constant-vus',
  'ramping-vus',
  'constant-arrival-rate',
  'ramping-arrival-rate',
  'externally-controlled',
];

/** The `paths` object of an OpenAPI document: path template → { get: ..., post: ... }. */
export type OpenApiPaths = Record<string, Record<string, unknown>>;

/** Paths every node port serves as they are, without its prefix (NodePortsService). */
const UNPREFIXED = new Set(['/metrics']);

const HTTP_METHODS: Record<string, string> = {
  get: 'get',
  post: 'post',
  put: 'put',
  patch: 'patch',
  del: 'delete',
  head: 'head',
  options: 'options',
};

export interface K6Call {
  method: string;
  /** The path after BASE_URL, with `{}` for each template expression; the query string dropped. */
  path: string;
  line: number;
}

export interface K6CheckResult {
  problems: string[];
  calls: K6Call[];
}

/** The lab of a script from its place under k6/: `booking/concurrent-booking.js` → booking. */
export function labOfScript(relativePath: string): LabName | undefined {
  const [dir] = relativePath.split('/');
  return relativePath.includes('/') && isLabName(dir) ? dir : undefined;
}

export function checkK6Script(
  fileName: string,
  source: string,
  lab: LabName | undefined,
  paths: OpenApiPaths,
): K6CheckResult {
  const problems: string[] = [];
  const calls: K6Call[] = [];
  const where = (node: ts.Node, sf: ts.SourceFile) =>
    `${fileName}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`;

  const syntax =
    ts.transpileModule(source, {
      fileName,
      reportDiagnostics: true,
      compilerOptions: { allowJs: true, module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).diagnostics ?? [];
  for (const d of syntax) {
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : '?';
    problems.push(`${fileName}:${line}: syntax error: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  }
  if (syntax.length > 0) return { problems, calls };

  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  if (!lab)
    problems.push(`${fileName}: scripts live under k6/<lab>/ (one of the labs), so their endpoints can be checked`);

  // --- imports: ES module syntax, k6 built-ins only ---
  const httpNames = new Set<string>();
  const httpFunctions = new Map<string, string>();
  let moduleSyntax = false;
  for (const statement of sf.statements) {
    if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
      moduleSyntax = true;
      const specifier = statement.moduleSpecifier.text;
      if (!K6_MODULES.includes(specifier)) {
        problems.push(
          `${where(statement, sf)}: imports "${specifier}"; only k6 modules are allowed (${K6_MODULES.join(', ')})`,
        );
      }
      const clause = statement.importClause;
      if (specifier === 'k6/http' && clause) {
        if (clause.name) httpNames.add(clause.name.text);
        const bindings = clause.namedBindings;
        if (bindings && ts.isNamespaceImport(bindings)) httpNames.add(bindings.name.text);
        if (bindings && ts.isNamedImports(bindings)) {
          for (const el of bindings.elements) httpFunctions.set(el.name.text, (el.propertyName ?? el.name).text);
        }
      }
    }
    if (ts.isExportAssignment(statement) || ts.isExportDeclaration(statement)) moduleSyntax = true;
    if (
      ts.canHaveModifiers(statement) &&
      ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
    ) {
      moduleSyntax = true;
    }
  }
  if (!moduleSyntax) problems.push(`${fileName}: not an ES module (no import or export)`);
  if (!hasDefaultExport(sf) && !hasScenarioExec(sf)) {
    problems.push(`${fileName}: exports no default function and no scenario names an exec function`);
  }

  // --- the rest: a walk over every node ---
  const constants = collectConstants(sf);
  let readsBaseUrl = false;
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) {
        problems.push(`${where(node, sf)}: dynamic import/require is not allowed in a k6 script`);
      }
      const fn = httpFunctionOf(callee, httpNames, httpFunctions);
      if (fn) calls.push(...httpCalls(fn, node, sf, constants, fileName, problems));
    }
    if (ts.isPropertyAssignment(node) && propertyName(node.name) === 'executor') {
      const value = literalText(node.initializer, constants);
      if (value === undefined) problems.push(`${where(node, sf)}: executor must be a string literal`);
      else if (!K6_EXECUTORS.includes(value)) {
        problems.push(`${where(node, sf)}: unknown executor "${value}" (k6 has ${K6_EXECUTORS.join(', ')})`);
      }
    }
    if ((ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) && isBaseUrlRead(node))
      readsBaseUrl = true;
    if (
      lab &&
      ts.isBinaryExpression(node) &&
      [ts.SyntaxKind.BarBarToken, ts.SyntaxKind.QuestionQuestionToken].includes(node.operatorToken.kind) &&
      isBaseUrlRead(node.left)
    ) {
      const fallback = literalText(node.right, constants);
      const seedPorts = nodesOf(lab).map((n) => String(SINGLE_LAB_BASE + nodeOffset(lab, n)));
      const port = fallback && /^https?:\/\//.test(fallback) ? new URL(fallback).port : undefined;
      if (!port || !seedPorts.includes(port)) {
        problems.push(
          `${where(node, sf)}: BASE_URL should default to http://localhost:<seed port of ${lab}> (${seedPorts.join(', ')}), not ${node.right.getText(sf)}`,
        );
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  if (!readsBaseUrl) problems.push(`${fileName}: does not read BASE_URL from __ENV`);
  if (calls.length === 0 && !problems.some((p) => p.includes('cannot read'))) {
    problems.push(`${fileName}: calls no HTTP endpoint through k6/http`);
  }

  // --- every endpoint exists in the OpenAPI document under one of the lab's node prefixes ---
  if (lab) {
    for (const call of calls) {
      if (!endpointExists(lab, call, paths)) {
        const prefixes = nodesOf(lab).map((n) => `/${nodeRoute(lab, n)}`);
        problems.push(
          `${fileName}:${call.line}: ${call.method.toUpperCase()} ${call.path} is not an endpoint of the app ` +
            `(looked for it under ${prefixes.join(', ')} in the OpenAPI document)`,
        );
      }
    }
  }
  return { problems, calls };
}

function isBaseUrlRead(expr: ts.Expression): boolean {
  if (ts.isPropertyAccessExpression(expr)) {
    return expr.name.text === 'BASE_URL' && ts.isIdentifier(expr.expression) && expr.expression.text === '__ENV';
  }
  return (
    ts.isElementAccessExpression(expr) &&
    ts.isIdentifier(expr.expression) &&
    expr.expression.text === '__ENV' &&
    ts.isStringLiteral(expr.argumentExpression) &&
    expr.argumentExpression.text === 'BASE_URL'
  );
}

function hasDefaultExport(sf: ts.SourceFile): boolean {
  return sf.statements.some(
    (s) =>
      (ts.isExportAssignment(s) && !s.isExportEquals) ||
      (ts.canHaveModifiers(s) && (ts.getModifiers(s)?.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword) ?? false)) ||
      (ts.isExportDeclaration(s) &&
        s.exportClause !== undefined &&
        ts.isNamedExports(s.exportClause) &&
        s.exportClause.elements.some((e) => e.name.text === 'default')),
  );
}

function hasScenarioExec(sf: ts.SourceFile): boolean {
  let found = false;
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAssignment(node) && propertyName(node.name) === 'exec') found = true;
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

function propertyName(name: ts.PropertyName): string | undefined {
  return ts.isIdentifier(name) || ts.isStringLiteral(name) ? name.text : undefined;
}

/** `const X = <expr>` declarations anywhere in the file, so `http.post(url)` can see what `url` is. */
function collectConstants(sf: ts.SourceFile): Map<string, ts.Expression> {
  const constants = new Map<string, ts.Expression>();
  const visit = (node: ts.Node): void => {
    if (
      ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      node.initializer &&
      ts.isVariableDeclarationList(node.parent) &&
      (node.parent.flags & ts.NodeFlags.Const) !== 0 &&
      !constants.has(node.name.text)
    ) {
      constants.set(node.name.text, node.initializer);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return constants;
}

function literalText(expr: ts.Expression, constants: Map<string, ts.Expression>, depth = 0): string | undefined {
  if (ts.isStringLiteral(expr) || ts.isNoSubstitutionTemplateLiteral(expr)) return expr.text;
  if (ts.isIdentifier(expr) && depth < 5) {
    const value = constants.get(expr.text);
    return value ? literalText(value, constants, depth + 1) : undefined;
  }
  return undefined;
}

/** Which k6/http function a callee is (`http.post`, a named import `post`), if any. */
function httpFunctionOf(
  callee: ts.Expression,
  httpNames: Set<string>,
  httpFunctions: Map<string, string>,
): string | undefined {
  if (
    ts.isPropertyAccessExpression(callee) &&
    ts.isIdentifier(callee.expression) &&
    httpNames.has(callee.expression.text)
  ) {
    return callee.name.text;
  }
  if (ts.isIdentifier(callee)) return httpFunctions.get(callee.text);
  return undefined;
}

function httpCalls(
  fn: string,
  call: ts.CallExpression,
  sf: ts.SourceFile,
  constants: Map<string, ts.Expression>,
  fileName: string,
  problems: string[],
): K6Call[] {
  const line = sf.getLineAndCharacterOfPosition(call.getStart(sf)).line + 1;
  const one = (method: string | undefined, urlExpr: ts.Expression | undefined): K6Call[] => {
    if (!method || !urlExpr) {
      problems.push(`${fileName}:${line}: cannot tell the method and URL of http.${fn}(...)`);
      return [];
    }
    const path = pathAfterBase(urlExpr, constants);
    if (path === undefined) {
      problems.push(
        `${fileName}:${line}: cannot read the endpoint of http.${fn}(${urlExpr.getText(sf)}); ` +
          'write the URL as `${BASE_URL}/path` (a template or string literal after the base URL)',
      );
      return [];
    }
    return [{ method: method.toLowerCase(), path, line }];
  };
  if (fn in HTTP_METHODS) return one(HTTP_METHODS[fn], call.arguments[0]);
  if (fn === 'request' || fn === 'asyncRequest')
    return one(literalText(call.arguments[0], constants), call.arguments[1]);
  if (fn === 'batch') {
    const list = resolve(call.arguments[0], constants);
    if (!list || !(ts.isArrayLiteralExpression(list) || ts.isObjectLiteralExpression(list))) {
      problems.push(`${fileName}:${line}: cannot read the requests of http.batch(...); pass an array literal`);
      return [];
    }
    const items = ts.isArrayLiteralExpression(list)
      ? list.elements
      : list.properties.filter(ts.isPropertyAssignment).map((p) => p.initializer);
    return items.flatMap((item) => {
      const req = resolve(item, constants) ?? item;
      if (ts.isArrayLiteralExpression(req)) return one(literalText(req.elements[0], constants), req.elements[1]);
      if (ts.isObjectLiteralExpression(req)) {
        const prop = (name: string) =>
          req.properties.find(
            (p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && propertyName(p.name) === name,
          )?.initializer;
        return one(prop('method') ? literalText(prop('method')!, constants) : 'GET', prop('url'));
      }
      return one('GET', req);
    });
  }
  return [];
}

function resolve(expr: ts.Expression | undefined, constants: Map<string, ts.Expression>): ts.Expression | undefined {
  let current = expr;
  for (let i = 0; current && ts.isIdentifier(current) && i < 5; i++) current = constants.get(current.text);
  return current;
}

/**
 * The path part of a URL written as `${BASE_URL}/x/${id}` or `BASE_URL + '/x/' + id`: the first
 * piece is the base (any expression), the rest literal text and `{}` for each expression.
 */
function pathAfterBase(expr: ts.Expression, constants: Map<string, ts.Expression>): string | undefined {
  const parts = flatten(expr, constants);
  if (!parts || parts.length < 2 || typeof parts[0] === 'string') return undefined;
  const rest = parts
    .slice(1)
    .map((p) => (typeof p === 'string' ? p : '{}'))
    .join('');
  if (!rest.startsWith('/')) return undefined;
  return rest.split('?')[0].split('#')[0] || '/';
}

type Piece = string | { expr: ts.Expression };

function flatten(expr: ts.Expression, constants: Map<string, ts.Expression>, depth = 0): Piece[] | undefined {
  if (depth > 5) return undefined;
  if (ts.isParenthesizedExpression(expr)) return flatten(expr.expression, constants, depth);
  if (ts.isStringLiteral(expr) || ts.isNoSubstitutionTemplateLiteral(expr)) return [expr.text];
  if (ts.isTemplateExpression(expr)) {
    const pieces: Piece[] = expr.head.text ? [expr.head.text] : [];
    for (const span of expr.templateSpans) {
      pieces.push({ expr: span.expression });
      if (span.literal.text) pieces.push(span.literal.text);
    }
    return pieces;
  }
  if (ts.isBinaryExpression(expr) && expr.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const left = flatten(expr.left, constants, depth);
    const right = flatten(expr.right, constants, depth);
    return left && right ? [...left, ...right] : undefined;
  }
  if (ts.isIdentifier(expr)) {
    const value = constants.get(expr.text);
    // A constant holding a URL template is expanded; any other identifier (BASE_URL, an id) is one piece.
    if (
      value &&
      (ts.isTemplateExpression(value) ||
        (ts.isBinaryExpression(value) && value.operatorToken.kind === ts.SyntaxKind.PlusToken))
    ) {
      return flatten(value, constants, depth + 1);
    }
  }
  return [{ expr }];
}

/** Whether `method path` (relative to a node port) is an operation of the lab in the OpenAPI document. */
export function endpointExists(lab: LabName, call: K6Call, paths: OpenApiPaths): boolean {
  const candidates = nodesOf(lab).map((node) => `/${nodeRoute(lab, node)}${call.path === '/' ? '' : call.path}`);
  if (UNPREFIXED.has(call.path)) candidates.push(call.path);
  return Object.entries(paths).some(
    ([template, operations]) =>
      Object.keys(operations).includes(call.method) && candidates.some((candidate) => pathMatches(template, candidate)),
  );
}

/** OpenAPI `{param}` segments match anything; a `{}` (template expression) in the script matches any text. */
function pathMatches(template: string, path: string): boolean {
  const a = template.replace(/\/$/, '').split('/');
  const b = path.replace(/\/$/, '').split('/');
  if (a.length !== b.length) return false;
  return a.every((segment, i) => {
    if (/^\{[^}]+\}$/.test(segment)) return b[i] !== '';
    const pattern = new RegExp(`^${b[i].split('{}').map(escapeRegExp).join('[^/]+')}$`);
    return pattern.test(segment);
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
