import { LAB_NAMES, LabName, isLabName, nodesOf } from './lab-plan';
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
    /** LAB_INSTANCES: processes per lab in process mode (labs not named run one). */
    readonly instances: Map<LabName, number> = new Map(),
    /** The environment this config was read from, handed on (with overrides) to supervised processes. */
    private readonly rawEnv: Record<string, string | undefined> = {},
  ) {}

  /** The environment of a process the supervisor starts: this one's, with `overrides` (undefined removes). */
  childEnv(overrides: Record<string, string | undefined>): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries({ ...this.rawEnv, ...overrides }))
      if (value !== undefined) env[key] = value;
    return env;
  }

  /** LAB_PROCESSES=1 and this is the supervisor (not one of the processes it starts). */
  get isSupervisor(): boolean {
    return this.env.LAB_PROCESSES === '1' && this.env.LAB_SUPERVISED === '0';
  }

  /** Started by the supervisor: crash points end this process (SIGKILL) instead of simulating it. */
  get isSupervised(): boolean {
    return this.env.LAB_SUPERVISED === '1';
  }

  instancesOf(lab: LabName): number {
    return this.instances.get(lab) ?? 1;
  }

  /** Every node's URL as `lab:node=url` items, the NODE_URLS a supervised process is given. */
  get nodeUrlList(): string {
    return [...this.nodeUrls].map(([key, url]) => `${key}=${url}`).join(',');
  }

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
  if (parsed.LAB_NODE_PORT !== undefined) {
    if (endpoints.length !== 1)
      throw new ConfigError('LAB_NODE_PORT: allowed only when LABS selects exactly one node (lab:node)');
    endpoints[0].port = parsed.LAB_NODE_PORT;
  }
  return new AppConfig(parsed, labs, endpoints, nodeUrls, parseInstances(parsed.LAB_INSTANCES, labs, parsed), {
    ...env,
  });
}

/** LAB_INSTANCES=booking=3,bank=2: each lab named once, selected, 1-8 processes. */
export function parseInstances(
  raw: string | undefined,
  labs: Map<LabName, string[]>,
  parsed: EnvSchema,
): Map<LabName, number> {
  const instances = new Map<LabName, number>();
  if (raw && parsed.LAB_PROCESSES !== '1')
    throw new ConfigError('LAB_INSTANCES: allowed only with LAB_PROCESSES=1 (process mode)');
  for (const item of (raw ?? '').split(',').filter(Boolean)) {
    const [lab, count] = item.split('=');
    if (!isLabName(lab)) throw new ConfigError(`LAB_INSTANCES: unknown lab "${lab}". Allowed: ${LAB_NAMES.join(', ')}`);
    if (!labs.has(lab)) throw new ConfigError(`LAB_INSTANCES: lab "${lab}" is not selected by LABS`);
    if (instances.has(lab)) throw new ConfigError(`LAB_INSTANCES: lab "${lab}" is named twice`);
    const n = Number(count);
    if (!Number.isInteger(n) || n < 1 || n > 8)
      throw new ConfigError(`LAB_INSTANCES: ${lab}=${count}: the count must be 1 to 8`);
    instances.set(lab, n);
  }
  return instances;
}

export { ConfigError };
