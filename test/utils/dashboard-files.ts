import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { GrafanaDashboard, ProvisionedDatasource } from './grafana-dashboards';

/** The repo's dashboards and provisioned datasources, read once (static and e2e checks share them). */
export const ROOT = join(__dirname, '..', '..');
export const DASHBOARD_DIR = join(ROOT, 'observability', 'grafana', 'dashboards');

export const datasources = (
  parse(
    readFileSync(join(ROOT, 'observability', 'grafana', 'provisioning', 'datasources', 'datasources.yml'), 'utf8'),
  ) as {
    datasources: ProvisionedDatasource[];
  }
).datasources.map(({ uid, type }) => ({ uid, type }));

export const files = readdirSync(DASHBOARD_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

export const dashboards = files.map((file) => {
  try {
    return { file, dashboard: JSON.parse(readFileSync(join(DASHBOARD_DIR, file), 'utf8')) as GrafanaDashboard };
  } catch (err) {
    return { file, error: (err as Error).message };
  }
});

export const PROMETHEUS = { type: 'prometheus', uid: 'prometheus' };
