/**
 * Reading the Grafana dashboards of observability/grafana/dashboards: structural checks of the JSON
 * and the PromQL each panel runs, with Grafana's variables replaced so Prometheus can evaluate it.
 */

export interface DatasourceRef {
  type?: string;
  uid?: string;
}

export interface GrafanaTarget {
  refId?: string;
  expr?: string;
  datasource?: DatasourceRef | string | null;
  hide?: boolean;
}

export interface GrafanaPanel {
  id?: number;
  type?: string;
  title?: string;
  datasource?: DatasourceRef | string | null;
  gridPos?: { x: number; y: number; w: number; h: number };
  targets?: GrafanaTarget[];
  panels?: GrafanaPanel[];
}

export interface GrafanaVariable {
  name: string;
  type: string;
  query?: string | { query?: string };
  current?: { value?: string | string[]; text?: string | string[] };
  datasource?: DatasourceRef | string | null;
}

export interface GrafanaDashboard {
  uid?: string;
  title?: string;
  schemaVersion?: number;
  panels?: GrafanaPanel[];
  templating?: { list?: GrafanaVariable[] };
}

export interface ProvisionedDatasource {
  uid: string;
  type: string;
}

/** Panel types that show no query results (layout or static content). */
const NO_QUERY_PANELS = new Set(['row', 'text', 'dashlist', 'news', 'annolist']);

/** Every panel, including those folded inside collapsed rows. */
export function panelsOf(dashboard: GrafanaDashboard): GrafanaPanel[] {
  return (dashboard.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
}

function datasourceOf(target: GrafanaTarget, panel: GrafanaPanel): DatasourceRef | string | null | undefined {
  return target.datasource ?? panel.datasource;
}

/** Structural problems of one dashboard, each naming the dashboard and panel. */
export function dashboardProblems(
  file: string,
  dashboard: GrafanaDashboard,
  datasources: ProvisionedDatasource[],
): string[] {
  const problems: string[] = [];
  const where = (panel?: GrafanaPanel) => `${file}${panel ? ` › panel "${panel.title ?? `#${panel.id}`}"` : ''}`;
  if (typeof dashboard.uid !== 'string' || !/^[A-Za-z0-9_-]{1,40}$/.test(dashboard.uid)) {
    problems.push(`${where()}: uid must be 1-40 letters, digits, "-" or "_" (got ${JSON.stringify(dashboard.uid)})`);
  }
  if (typeof dashboard.title !== 'string' || dashboard.title.trim() === '') problems.push(`${where()}: no title`);
  if (typeof dashboard.schemaVersion !== 'number') problems.push(`${where()}: no numeric schemaVersion`);
  const panels = panelsOf(dashboard);
  if (panels.length === 0) problems.push(`${where()}: no panels`);
  const ids = panels.map((p) => p.id).filter((id) => id !== undefined);
  const duplicates = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (duplicates.length > 0) problems.push(`${where()}: duplicate panel ids ${[...new Set(duplicates)].join(', ')}`);

  for (const panel of panels) {
    if (typeof panel.type !== 'string') problems.push(`${where(panel)}: no type`);
    if (typeof panel.title !== 'string') problems.push(`${where(panel)}: no title`);
    const grid = panel.gridPos;
    if (!grid || ![grid.x, grid.y, grid.w, grid.h].every((n) => Number.isInteger(n))) {
      problems.push(`${where(panel)}: gridPos must have integer x, y, w, h`);
    }
    if (NO_QUERY_PANELS.has(panel.type ?? '')) continue;
    if (!Array.isArray(panel.targets) || panel.targets.length === 0) {
      problems.push(`${where(panel)}: no targets`);
      continue;
    }
    for (const target of panel.targets) {
      const ds = datasourceOf(target, panel);
      const label = `${where(panel)} › target ${target.refId ?? '?'}`;
      if (!target.refId) problems.push(`${label}: no refId`);
      if (typeof ds !== 'object' || ds === null || !ds.uid || !ds.type) {
        problems.push(
          `${label}: datasource must be an object { type, uid } of a provisioned datasource (got ${JSON.stringify(ds)})`,
        );
        continue;
      }
      const known = datasources.find((d) => d.uid === ds.uid);
      if (!known || known.type !== ds.type) {
        problems.push(
          `${label}: datasource ${JSON.stringify(ds)} is not provisioned (${datasources.map((d) => `${d.type}/${d.uid}`).join(', ')})`,
        );
      }
      if (ds.type === 'prometheus' && (typeof target.expr !== 'string' || target.expr.trim() === '')) {
        problems.push(`${label}: Prometheus target without expr`);
      }
    }
  }
  for (const variable of dashboard.templating?.list ?? []) {
    const ds = variable.datasource;
    if (
      variable.type === 'query' &&
      (typeof ds !== 'object' || ds === null || !datasources.some((d) => d.uid === ds.uid))
    ) {
      problems.push(`${where()} › variable $${variable.name}: datasource must reference a provisioned datasource uid`);
    }
  }
  return problems;
}

export interface PanelQuery {
  panel: string;
  refId: string;
  expr: string;
}

/** The PromQL of every Prometheus target of every panel, and of every query variable. */
export function promQueriesOf(dashboard: GrafanaDashboard): PanelQuery[] {
  const queries: PanelQuery[] = [];
  for (const panel of panelsOf(dashboard)) {
    for (const target of panel.targets ?? []) {
      const ds = datasourceOf(target, panel);
      if (
        typeof ds === 'object' &&
        ds?.type === 'prometheus' &&
        typeof target.expr === 'string' &&
        target.expr.trim()
      ) {
        queries.push({ panel: panel.title ?? `#${panel.id}`, refId: target.refId ?? '?', expr: target.expr });
      }
    }
  }
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query') continue;
    const raw = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    const expr = raw ? variableQueryAsPromQL(raw) : undefined;
    if (expr) queries.push({ panel: `variable $${variable.name}`, refId: 'query', expr });
  }
  return queries;
}

/** `label_values(selector, label)` → a PromQL that has data exactly when the variable has values. */
function variableQueryAsPromQL(query: string): string | undefined {
  const labelValues = /^\s*label_values\(\s*(.+)\s*,\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$/.exec(query);
  if (labelValues) return `count by (${labelValues[2]}) (${labelValues[1]})`;
  const queryResult = /^\s*query_result\(\s*(.+)\s*\)\s*$/.exec(query);
  if (queryResult) return queryResult[1];
  return undefined;
}

/** Values for Grafana's built-in variables when a query is evaluated outside Grafana. */
const BUILTINS: Record<string, string> = {
  __rate_interval: '1m',
  __interval: '15s',
  __interval_ms: '15000',
  __range: '5m',
  __range_s: '300',
  __range_ms: '300000',
};

const VARIABLE = /\$\{([A-Za-z0-9_]+)(?::[^}]*)?\}|\[\[([A-Za-z0-9_]+)(?::[^\]]*)?\]\]|\$([A-Za-z0-9_]+)/g;

/**
 * Grafana's variables replaced for Prometheus: built-ins by fixed windows ($__rate_interval → 1m),
 * dashboard variables used in a label matcher by "any value" (`strategy="$strategy"` →
 * `strategy=~".*"`), interval/constant variables elsewhere by their current value.
 */
export function substituteVariables(expr: string, dashboard: GrafanaDashboard): string {
  const variables = new Map((dashboard.templating?.list ?? []).map((v) => [v.name, v]));
  // Only names Grafana would replace: `$1` in label_replace and other unknown names stay as they are.
  const replace = (text: string, by: (name: string, whole: string) => string) =>
    text.replace(VARIABLE, (whole: string, a?: string, b?: string, c?: string) => {
      const name = a ?? b ?? c ?? '';
      return name in BUILTINS || variables.has(name) ? by(name, whole) : whole;
    });
  const uses = (text: string) => replace(text, () => '\u0000') !== text;

  let result = replace(expr, (name, whole) => BUILTINS[name] ?? whole);

  result = result.replace(
    /([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g,
    (whole, label: string, op: string, value: string) => {
      if (!uses(value)) return whole;
      if (op === '!=' || op === '!~') return `${label}!~"__no_such_value__"`;
      return `${label}=~"${replace(value, () => '.*')}"`;
    },
  );

  return replace(result, (name) => {
    const variable = variables.get(name)!;
    const current = variable.current?.value;
    const value = Array.isArray(current) ? current[0] : current;
    if (['interval', 'constant', 'custom', 'textbox'].includes(variable.type) && value && !value.startsWith('$__')) {
      return value;
    }
    return variable.type === 'interval' ? '1m' : '.*';
  });
}

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
  'atan2',
  'le',
]);

/**
 * The metric names an expression reads: identifiers that are not functions, keywords, label names
 * (inside {} or by/without/on/ignoring/group_* lists) or strings. `or vector(0)` fallbacks make a
 * panel show a number whether or not its metric exists, so names are checked on their own.
 */
export function metricNamesOf(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(?<![\w.:])([A-Za-z_:][A-Za-z0-9_:]*)(?![\w:]|\s*\()/g)) {
    const name = match[1];
    if (!PROMQL_WORDS.has(name.toLowerCase())) names.add(name);
  }
  return [...names];
}

/** Metric families a Prometheus text exposition declares (`# TYPE name type`). */
export function exportedMetricFamilies(exposition: string): Set<string> {
  return new Set([...exposition.matchAll(/^# TYPE (\S+) \S+$/gm)].map((m) => m[1]));
}

/** Whether a sample name belongs to one of the families (histogram/summary series add suffixes). */
export function isExported(name: string, families: Set<string>): boolean {
  return families.has(name) || families.has(name.replace(/_(bucket|sum|count|created)$/, ''));
}

/** Whether an instant query result holds at least one finite value (what a panel shows as data). */
export function hasData(result: { data?: { resultType: string; result: unknown } }): 'data' | 'empty' | 'only NaN' {
  const data = result.data;
  if (!data) return 'empty';
  if (data.resultType === 'scalar') {
    const [, value] = data.result as [number, string];
    return Number.isNaN(Number(value)) ? 'only NaN' : 'data';
  }
  const samples = data.result as Array<{ value?: [number, string]; values?: Array<[number, string]> }>;
  if (samples.length === 0) return 'empty';
  const values = samples.flatMap((s) => (s.value ? [s.value[1]] : (s.values ?? []).map((v) => v[1])));
  return values.some((v) => !Number.isNaN(Number(v))) ? 'data' : 'only NaN';
}
