import { LAB_NAMES, LabName, nodesOf } from './lab-plan';
import { EnvSchema, ConfigError, validateEnv } from './env.schema';
import { LabsSelectionError, NodeEndpoint, endpointsOf, parseLabs, portOf } from './labs-selection';

/** The typed configuration, built once at boot from the environment. */
export class AppConfig {
  constructor(
    readonly env: EnvSchema,
    readonly labs: Map<LabName, string[]>,
    /** Nodes this process serves, each on its own port. */
    readonly endpoints: NodeEndpoint[],
    /** Where every node of every lab is reached over HTTP (local ones on loopback). */
    private readonly nodeUrls: Map<string, string>,
  ) {}

  get port(): number {
    return this.env.PORT;
  }

  get redlockUrls(): string[] {
    return (this.env.REDLOCK_URLS ?? this.env.REDIS_URL).split(',');
  }

  /** BODY_LIMIT in bytes, as the body parser counts it (1kb = 1024). Node-to-node payloads are sized under it. */
  get bodyLimitBytes(): number {
    const match = /^(\d+)(b|kb|mb)$/i.exec(this.env.BODY_LIMIT);
    const units: Record<string, number> = { b: 1, kb: 1024, mb: 1024 * 1024 };
    return match ? Number(match[1]) * units[match[2].toLowerCase()] : units.mb;
  }

  get kafkaBrokers(): string[] {
    return this.env.KAFKA_BROKERS.split(',');
  }

  isSelected(lab: LabName, node?: string): boolean {
    const nodes = this.labs.get(lab);
    return nodes !== undefined && (node === undefined || nodes.includes(node));
  }

  /** Base URL of a node, e.g. http://127.0.0.1:8301 — the only way nodes reach one another. */
  nodeUrl(lab: LabName, node: string): string {
    const url = this.nodeUrls.get(`${lab}:${node}`);
    if (!url) throw new Error(`no URL known for node ${lab}:${node}`);
    return url;
  }
}

export function loadAppConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const parsed = validateEnv(env);
  let labs: Map<LabName, string[]>;
  try {
    labs = parseLabs(parsed.LABS);
  } catch (err) {
    if (err instanceof LabsSelectionError) throw new ConfigError(err.message);
    throw err;
  }
  const endpoints = endpointsOf(labs, parsed.NODE_PORTS_SHIFT);
  const nodeUrls = new Map<string, string>();
  // Peers not run here default to where they would run if started with the same LABS layout.
  for (const lab of LAB_NAMES) {
    for (const node of nodesOf(lab)) {
      nodeUrls.set(`${lab}:${node}`, `http://127.0.0.1:${portOf(lab, node, labs.size, parsed.NODE_PORTS_SHIFT)}`);
    }
  }
  for (const item of (parsed.NODE_URLS ?? '').split(',').filter(Boolean)) {
    const [key, url] = item.split('=');
    const [lab, node] = key.split(':');
    if (!nodeUrls.has(`${lab}:${node}`)) {
      throw new ConfigError(`NODE_URLS: unknown node "${key}"`);
    }
    nodeUrls.set(key, url.replace(/\/$/, ''));
  }
  return new AppConfig(parsed, labs, endpoints, nodeUrls);
}

export { ConfigError };
