import { builtinModules } from 'node:module';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parse } from 'yaml';
import { loadAppConfig } from '../../src/platform/config/app-config';
import { LAB_NAMES, LAB_PLAN, nodesOf } from '../../src/platform/config/lab-plan';

/**
 * No Docker engine runs here, so this checks the container setup by structure: the compose file
 * against the DESIGN port plan and the app's own env schema, the Dockerfile, the provisioning files,
 * and that the runtime image's production-only node_modules hold everything src/ imports.
 */
const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  environment?: Record<string, string | number | boolean> | string[];
  ports?: Array<string | number | { target: number; published?: string | number; host_ip?: string }>;
  volumes?: Array<string | { type?: string; source?: string; target: string }>;
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  profiles?: string[];
  command?: string | string[];
  deploy?: { replicas?: number };
  container_name?: string;
}

// merge: the lab services share their environment, healthcheck and dependencies through `<<: *anchor`, as compose reads them.
const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const services = compose.services;

function envOf(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((item) => [item.split('=')[0], item.split('=').slice(1).join('=')]));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, interpolate(String(v))]));
}

/** Compose's `${VAR:-default}` as compose resolves it when VAR is unset. */
function interpolate(value: string): string {
  return value.replace(/\$\{[A-Z0-9_]+(?::?-([^}]*))?\}/g, (_m, fallback: string | undefined) => fallback ?? '');
}

/** Port mappings as { host, container, hostIp } whatever the syntax ("8000:8000", "127.0.0.1:9092:9092", long form). */
function portsOf(service: Service): Array<{ host: number; container: number; hostIp?: string }> {
  return (service.ports ?? []).map((p) => {
    if (typeof p === 'object') return { host: Number(p.published ?? p.target), container: p.target, hostIp: p.host_ip };
    const parts = String(p)
      .replace(/\/tcp$/, '')
      .split(':');
    const container = Number(parts.pop());
    const host = Number(parts.pop() ?? container);
    return { host, container, hostIp: parts.pop() };
  });
}

/** Volume mounts as { source, target } (short "src:dst[:ro]" or long syntax). */
function mountsOf(service: Service): Array<{ source: string; target: string }> {
  return (service.volumes ?? []).map((v) => {
    if (typeof v === 'object') return { source: v.source ?? '', target: v.target };
    const [source, target] = v.split(':');
    return { source, target };
  });
}

function healthcheckText(service: Service): string {
  const test = service.healthcheck?.test;
  return Array.isArray(test) ? test.join(' ') : (test ?? '');
}

function dependsOn(service: Service): Record<string, string | undefined> {
  const deps = service.depends_on ?? [];
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, undefined]));
  return Object.fromEntries(Object.entries(deps).map(([name, d]) => [name, d.condition]));
}

/** The all-labs port of every node, straight from the DESIGN plan in lab-plan.ts. */
const NODE_PORTS = LAB_NAMES.flatMap((lab) =>
  nodesOf(lab).map((node) => LAB_PLAN[lab].base + (LAB_PLAN[lab].nodes as Record<string, number>)[node]),
).sort((a, b) => a - b);

/** The services that run labs: the app and every replicated lab (they build the one image). */
const LAB_SERVICES = Object.entries(services)
  .filter(([, s]) => s.image === 'distributed-systems-labs:local')
  .map(([name]) => name);
/** The lab services with several instances, behind the balancer. */
const REPLICATED = LAB_SERVICES.filter((name) => (services[name].deploy?.replicas ?? 1) > 1);

/** The all-labs port of one node (where the DESIGN plan puts it when every lab runs). */
const planPort = (lab: (typeof LAB_NAMES)[number], node: string) =>
  LAB_PLAN[lab].base + (LAB_PLAN[lab].nodes as Record<string, number>)[node];

/** haproxy.cfg as sections (`frontend main` → its directive lines), comments dropped. */
function haproxySections(text: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, '').trimEnd();
    if (!line.trim()) continue;
    if (!/^\s/.test(line)) sections.set(line.trim(), (current = []));
    else current?.push(line.trim().replace(/\s+/g, ' '));
  }
  return sections;
}

describe('docker-compose.yml', () => {
  it('has the app, the replicated labs, their balancer and every service around them', () => {
    expect(Object.keys(services).sort()).toEqual(
      expect.arrayContaining([
        'app',
        'bank',
        'booking',
        'grafana',
        'jaeger',
        'k6',
        'kafka',
        'lb',
        'postgres',
        'prometheus',
        'redis',
      ]),
    );
    for (const name of LAB_SERVICES) expect({ name, build: services[name].build }).toEqual({ name, build: '.' });
  });

  it('publishes the main port and every node port of the DESIGN plan once, each on the same host port (app and balancer together)', () => {
    const ports = [...portsOf(services.app), ...portsOf(services.lb)];
    expect(ports.map((p) => p.container).sort((a, b) => a - b)).toEqual([3000, ...NODE_PORTS].sort((a, b) => a - b));
    for (const p of ports)
      expect({ container: p.container, host: p.host }).toEqual({ container: p.container, host: p.container });
    // A replica publishes nothing (two replicas cannot hold one host port) and has no fixed name.
    for (const name of REPLICATED)
      expect({ name, ports: services[name].ports, container_name: services[name].container_name }).toEqual({
        name,
        ports: undefined,
        container_name: undefined,
      });
  });

  it('gives every lab service an environment its own config accepts; together they run every lab once', () => {
    const labs: string[] = [];
    for (const name of LAB_SERVICES) {
      const config = loadAppConfig(envOf(services[name]));
      expect({ name, host: config.env.HOST, port: config.port }).toEqual({ name, host: '0.0.0.0', port: 3000 });
      expect(new URL(config.env.DATABASE_URL).hostname).toBe('postgres');
      expect(new URL(config.env.REDIS_URL).hostname).toBe('redis');
      expect(config.kafkaBrokers.every((b) => b.startsWith('kafka:'))).toBe(true);
      expect(config.env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://jaeger:4318');
      labs.push(...config.labs.keys());
    }
    expect(labs.sort()).toEqual([...LAB_NAMES].sort());
    // The app's nodes sit on the ports it publishes, where the DESIGN plan puts them.
    const app = loadAppConfig(envOf(services.app));
    expect(app.endpoints.map((e) => e.port).sort((a, b) => a - b)).toEqual(
      portsOf(services.app)
        .map((p) => p.container)
        .sort((a, b) => a - b),
    );
    for (const e of app.endpoints)
      expect({ node: `${e.lab}:${e.node}`, port: e.port }).toEqual({
        node: `${e.lab}:${e.node}`,
        port: planPort(e.lab, e.node),
      });
  });

  it("runs booking and bank as several replicas, each a process under Docker's restart policy that shares its faults through Redis", () => {
    expect(REPLICATED.sort()).toEqual(['bank', 'booking']);
    for (const name of REPLICATED) {
      const config = loadAppConfig(envOf(services[name]));
      expect({
        name,
        replicas: services[name].deploy!.replicas! >= 2 && services[name].deploy!.replicas! <= 8,
      }).toEqual({ name, replicas: true });
      // One lab per replica; crash points kill the process and the bank barrier lives in Redis (LAB_SUPERVISED=1).
      expect({ name, labs: [...config.labs.keys()], supervised: config.isSupervised }).toEqual({
        name,
        labs: [name],
        supervised: true,
      });
      expect(dependsOn(services.lb)).toHaveProperty(name);
    }
  });

  it('puts HAProxy in front of the replicas: every published port routed, each replica found by Docker DNS and health-checked', () => {
    expect(services.lb.image).toMatch(/^haproxy:\d/);
    const mount = mountsOf(services.lb).find((m) => m.target === '/usr/local/etc/haproxy/haproxy.cfg');
    expect(mount?.source).toBe('./docker/haproxy/haproxy.cfg');
    const cfg = haproxySections(read('docker/haproxy/haproxy.cfg'));
    expect(cfg.get('resolvers docker')).toContain('nameserver dns 127.0.0.11:53');
    const defaults = (cfg.get('defaults') ?? []).join('\n');
    expect(defaults).toContain('mode http');
    // Past the app's own request timeout, so the app answers 504 itself.
    const serverTimeout = /timeout server (\d+)s/.exec(defaults);
    expect(Number(serverTimeout?.[1]) * 1000).toBeGreaterThan(
      loadAppConfig(envOf(services.app)).env.REQUEST_TIMEOUT_MS,
    );
    expect(defaults).toMatch(/default-server [^\n]*\bresolvers docker\b[^\n]*\bcheck\b/);

    const frontends = [...cfg.entries()].filter(([name]) => name.startsWith('frontend '));
    const backendOf = (lines: string[]) => lines.find((l) => l.startsWith('default_backend '))!.split(' ')[1];
    const servers = (backend: string) =>
      (cfg.get(`backend ${backend}`) ?? []).filter((l) => /^server(-template)? /.test(l));
    // Every port lb publishes has a frontend bound to it.
    for (const { container } of portsOf(services.lb)) {
      const bound = frontends.find(([, lines]) => lines.includes(`bind :${container}`));
      expect({ port: container, bound: bound !== undefined }).toEqual({ port: container, bound: true });
    }
    for (const name of REPLICATED) {
      const lab = name as (typeof LAB_NAMES)[number];
      const replica = loadAppConfig(envOf(services[name]));
      // The node port (the plan's all-labs port) goes round-robin to every replica's own node port, found by DNS.
      const [, node] = frontends.find(([, lines]) => lines.includes(`bind :${planPort(lab, nodesOf(lab)[0])}`))!;
      const backend = backendOf(node);
      expect(cfg.get(`backend ${backend}`)).toContain('balance roundrobin');
      expect(servers(backend)).toEqual([`server-template ${name} 8 ${name}:${replica.endpoints[0].port}`]);
      expect((cfg.get(`backend ${backend}`) ?? []).some((l) => l.startsWith('option httpchk GET /health'))).toBe(true);
      // The main port: this lab's routes to the replicas' main port.
      const main = cfg.get('frontend main') ?? [];
      const acl = main.find(
        (l) => l.startsWith('acl ') && l.includes(`/${name}/`) && l.includes(`/admin/labs/${name}`),
      )!;
      expect(acl).toBeDefined();
      const used = main
        .find((l) => l.startsWith('use_backend ') && l.endsWith(` if ${acl.split(' ')[1]}`))!
        .split(' ')[1];
      expect(servers(used)).toEqual([`server-template ${name} 8 ${name}:${replica.port}`]);
    }
    // Everything else of the main port: the app.
    expect(servers(backendOf(cfg.get('frontend main')!))).toEqual(['server app app:3000']);
  });

  it('guards the app bound beyond loopback: ADMIN_TOKEN set (the app refuses to start without it), k6 sends the same one', () => {
    const env = envOf(services.app);
    expect(loadAppConfig(env).env.ADMIN_TOKEN).toEqual(expect.any(String));
    const { ADMIN_TOKEN: _token, ...withoutToken } = env;
    expect(() => loadAppConfig(withoutToken)).toThrow(/ADMIN_TOKEN/);
    expect(envOf(services.k6).ADMIN_TOKEN).toBe(env.ADMIN_TOKEN);
  });

  it("publishes every port on the host's loopback only", () => {
    const exposed = Object.entries(services).flatMap(([name, service]) =>
      portsOf(service)
        .filter((p) => p.hostIp !== '127.0.0.1')
        .map((p) => `${name} ${p.host}:${p.container}`),
    );
    expect(exposed).toEqual([]);
  });

  it("keeps Prometheus' lifecycle API and Grafana's anonymous admin off", () => {
    const flags = [services.prometheus.command ?? []].flat();
    expect(flags.filter((f) => /enable-lifecycle|enable-admin-api/.test(f))).toEqual([]);
    const grafana = envOf(services.grafana);
    if (grafana.GF_AUTH_ANONYMOUS_ENABLED === 'true') expect(grafana.GF_AUTH_ANONYMOUS_ORG_ROLE).toBe('Viewer');
    expect(grafana.GF_USERS_VIEWERS_CAN_EDIT ?? 'false').toBe('false');
    expect(grafana.GF_USERS_ALLOW_SIGN_UP).toBe('false');
  });

  it('starts every lab service only once postgres, redis and kafka are healthy', () => {
    for (const name of LAB_SERVICES) {
      const deps = dependsOn(services[name]);
      for (const dep of ['postgres', 'redis', 'kafka'])
        expect({ name, dep, condition: deps[dep] }).toEqual({ name, dep, condition: 'service_healthy' });
    }
  });

  it('has healthchecks on app, postgres, redis and kafka (the app one needs no curl)', () => {
    for (const name of [...LAB_SERVICES, 'postgres', 'redis', 'kafka']) {
      expect({ name, disabled: services[name].healthcheck?.disable ?? false }).toEqual({ name, disabled: false });
      expect(healthcheckText(services[name])).not.toBe('');
    }
    expect(healthcheckText(services.postgres)).toContain('pg_isready');
    expect(healthcheckText(services.redis)).toContain('ping');
    expect(healthcheckText(services.kafka)).toMatch(/kafka-broker-api-versions|kafka-topics|kafka-metadata/);
    expect(healthcheckText(services.app)).toContain('/health');
    expect(healthcheckText(services.app)).not.toMatch(/\b(curl|wget)\b/);
  });

  it('keeps the data of postgres, redis and kafka in declared named volumes', () => {
    const declared = Object.keys(compose.volumes ?? {});
    const dataDirs: Record<string, string> = {
      postgres: '/var/lib/postgresql/data',
      redis: '/data',
      kafka: envOf(services.kafka).KAFKA_LOG_DIRS ?? '/var/lib/kafka/data',
    };
    for (const [name, dir] of Object.entries(dataDirs)) {
      const mount = mountsOf(services[name]).find((m) => m.target === dir);
      expect({ name, source: mount?.source }).toEqual({ name, source: expect.any(String) });
      expect(declared).toContain(mount!.source);
    }
  });

  it("runs the replication lab's streaming trio as infra.sh does: a primary and two hot standbys cloned with pg_basebackup -R", () => {
    const primary = services['pg-primary'];
    const command = ([] as string[]).concat(primary.command ?? []).join(' ');
    expect(command).toContain('wal_level=replica');
    expect(command).toContain('hot_standby=on');
    expect(envOf(primary).POSTGRES_HOST_AUTH_METHOD).toBe('trust');
    const init = mountsOf(primary).find((m) => m.target.startsWith('/docker-entrypoint-initdb.d/'));
    expect(read(init!.source.replace(/^\.\//, ''))).toMatch(
      /pg_create_physical_replication_slot[\s\S]*replica1[\s\S]*replica2/,
    );
    const entrypoint = read('docker/pg-streaming/standby-entrypoint.sh');
    expect(entrypoint).toMatch(/pg_basebackup [^\n]*-R[^\n]*-S "\$STANDBY_NAME"/);
    // on the command line it would outrank the app's ALTER SYSTEM
    expect(entrypoint).not.toMatch(/-c recovery_min_apply_delay/);
    const declared = Object.keys(compose.volumes ?? {});
    const app = envOf(services.app);
    for (const [name, hostPort, delay, url] of [
      ['pg-replica1', 5434, '500', app.PG_STREAMING_REPLICA1_URL],
      ['pg-replica2', 5435, '1500', app.PG_STREAMING_REPLICA2_URL],
      ['pg-primary', 5433, undefined, app.PG_STREAMING_PRIMARY_URL],
    ] as const) {
      const service = services[name];
      expect({ name, ports: portsOf(service) }).toEqual({
        name,
        ports: [{ host: hostPort, container: 5432, hostIp: '127.0.0.1' }],
      });
      expect(healthcheckText(service)).toContain('pg_isready');
      const data = mountsOf(service).find((m) => m.target === '/var/lib/postgresql/data');
      expect(declared).toContain(data!.source);
      expect(new URL(url).hostname).toBe(name);
      if (delay !== undefined) {
        expect(envOf(service)).toMatchObject({
          STANDBY_NAME: name.slice(3),
          PRIMARY_HOST: 'pg-primary',
          APPLY_DELAY_MS: delay,
        });
        expect(dependsOn(service)['pg-primary']).toBe('service_healthy');
        expect(healthcheckText(service)).toContain('pg_is_in_recovery');
      }
    }
    // not a dependency of the app: without the trio only that engine is unavailable
    expect(Object.keys(dependsOn(services.app))).not.toContain('pg-primary');
  });

  it('runs Kafka as a single-node KRaft broker fit for transactions, reachable as the app is told', () => {
    const env = envOf(services.kafka);
    expect(services.kafka.image).toBe('apache/kafka:3.9.1');
    expect(env.KAFKA_PROCESS_ROLES.split(',').sort()).toEqual(['broker', 'controller']);
    for (const key of [
      'KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR',
      'KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR',
      'KAFKA_TRANSACTION_STATE_LOG_MIN_ISR',
    ]) {
      expect({ key, value: env[key] }).toEqual({ key, value: '1' });
    }
    const advertised = env.KAFKA_ADVERTISED_LISTENERS.split(',').map((l) => l.replace(/^[A-Z_]+:\/\//, ''));
    for (const broker of envOf(services.app).KAFKA_BROKERS.split(',')) expect(advertised).toContain(broker);
    // CLUSTER_ID is a base64url UUID: 16 bytes.
    expect(Buffer.from(env.CLUSTER_ID, 'base64url')).toHaveLength(16);
  });

  it('runs Prometheus on 9090 with the repo config, scraping the app main port and every replica every 5 s', () => {
    expect(portsOf(services.prometheus).map((p) => [p.host, p.container])).toContainEqual([9090, 9090]);
    const mount = mountsOf(services.prometheus).find((m) => m.source === './observability/prometheus');
    expect(mount).toBeDefined();
    const configFlag = [services.prometheus.command ?? []].flat().find((c) => c.startsWith('--config.file='));
    expect(configFlag).toBe(`--config.file=${posix.join(mount!.target, 'prometheus.yml')}`);
    const config = parse(read('observability/prometheus/prometheus.yml')) as {
      global: { scrape_interval: string };
      scrape_configs: Array<{
        job_name: string;
        metrics_path?: string;
        static_configs?: Array<{ targets: string[] }>;
        dns_sd_configs?: Array<{ names: string[]; type?: string; port: number }>;
      }>;
    };
    expect(config.global.scrape_interval).toBe('5s');
    const targets = config.scrape_configs.flatMap((s) => (s.static_configs ?? []).flatMap((c) => c.targets));
    expect(targets).toContain(`app:${envOf(services.app).PORT ?? 3000}`);
    // Never through the balancer (one random replica per scrape): every replica, by Docker DNS, on its own main port.
    expect(targets.filter((t) => t.startsWith('lb:'))).toEqual([]);
    for (const name of REPLICATED) {
      const discovered = config.scrape_configs.flatMap((s) =>
        (s.dns_sd_configs ?? []).map((d) => ({ ...d, job: s.job_name, path: s.metrics_path ?? '/metrics' })),
      );
      const job = discovered.find((d) => d.names.includes(name));
      expect({ name, type: job?.type ?? 'SRV', port: job?.port, path: job?.path }).toEqual({
        name,
        type: 'A',
        port: loadAppConfig(envOf(services[name])).port,
        path: '/metrics',
      });
    }
  });

  it('runs Grafana on host port 3001 (admin/admin) with provisioned datasources and dashboards', () => {
    expect(portsOf(services.grafana).map((p) => [p.host, p.container])).toContainEqual([3001, 3000]);
    const env = envOf(services.grafana);
    expect([env.GF_SECURITY_ADMIN_USER, env.GF_SECURITY_ADMIN_PASSWORD]).toEqual(['admin', 'admin']);
    const mounts = mountsOf(services.grafana);
    expect(mounts).toContainEqual({
      source: './observability/grafana/provisioning',
      target: '/etc/grafana/provisioning',
    });
    const dashboardsMount = mounts.find((m) => m.source === './observability/grafana/dashboards');
    expect(dashboardsMount).toBeDefined();

    const providers = parse(read('observability/grafana/provisioning/dashboards/dashboards.yml')) as {
      providers: Array<{ type: string; options: { path: string } }>;
    };
    expect(providers.providers).toContainEqual(
      expect.objectContaining({ type: 'file', options: expect.objectContaining({ path: dashboardsMount!.target }) }),
    );

    const datasources = parse(read('observability/grafana/provisioning/datasources/datasources.yml')) as {
      datasources: Array<{ uid: string; type: string; url: string; isDefault?: boolean }>;
    };
    expect(datasources.datasources).toContainEqual(
      expect.objectContaining({
        uid: 'prometheus',
        type: 'prometheus',
        url: 'http://prometheus:9090',
        isDefault: true,
      }),
    );
    expect(datasources.datasources).toContainEqual(
      expect.objectContaining({ type: 'jaeger', url: 'http://jaeger:16686' }),
    );
  });

  it('runs Jaeger all-in-one with its UI on 16686 and OTLP on 4317/4318', () => {
    expect(services.jaeger.image).toMatch(/^jaegertracing\/all-in-one:/);
    const published = portsOf(services.jaeger).map((p) => p.container);
    expect(published).toEqual(expect.arrayContaining([16686, 4317, 4318]));
    expect(envOf(services.jaeger).COLLECTOR_OTLP_ENABLED).toBe('true');
  });

  it('offers k6 under the "k6" profile with ./k6 at /scripts and BASE_URL on a node port (through the balancer for replicated labs)', () => {
    expect(services.k6.image).toMatch(/^grafana\/k6/);
    expect(services.k6.profiles).toContain('k6');
    expect(mountsOf(services.k6)).toContainEqual({ source: './k6', target: '/scripts' });
    const base = new URL(envOf(services.k6).BASE_URL);
    expect(NODE_PORTS).toContain(Number(base.port));
    expect(base.hostname).toBe(portsOf(services.lb).some((p) => p.container === Number(base.port)) ? 'lb' : 'app');
  });

  it('documents a run line for every k6 script, with BASE_URL on its node, and sets the other node URLs the scripts read', () => {
    const k6Env = envOf(services.k6);
    const documented = new Map(
      [
        ...read('docker-compose.yml').matchAll(
          /docker compose run --rm (?:-e BASE_URL=(\S+) )?k6 run \/scripts\/(\S+)/g,
        ),
      ].map((m) => [m[2], m[1] ?? k6Env.BASE_URL]),
    );
    const problems: string[] = [];
    for (const lab of LAB_NAMES) {
      const dir = join(ROOT, 'k6', lab);
      if (!existsSync(dir)) continue;
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.js'))) {
        const script = `${lab}/${file}`;
        const source = readFileSync(join(dir, file), 'utf8');
        // Every `__ENV.X || 'http://localhost:<seed port>'` maps to the all-labs port of the same node.
        for (const [, name, seedPort] of source.matchAll(
          /__ENV\.([A-Z0-9_]+)\s*(?:\|\||\?\?)\s*['"`]https?:\/\/localhost:(\d+)['"`]/g,
        )) {
          const port = LAB_PLAN[lab].base + Number(seedPort) - 8000;
          // A replicated lab's node is reached through its balancer.
          const expected = `http://${portsOf(services.lb).some((p) => p.container === port) ? 'lb' : 'app'}:${port}`;
          const actual = name === 'BASE_URL' ? documented.get(script) : k6Env[name];
          if (actual !== expected)
            problems.push(`${script}: ${name} should be ${expected} in compose, found ${actual ?? 'nothing'}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('mounts only paths that exist in the repo', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const { source } of mountsOf(service).filter((m) => m.source.startsWith('.'))) {
        expect({ name, source, exists: existsSync(join(ROOT, source)) }).toEqual({ name, source, exists: true });
      }
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  // Instructions with their continuation lines joined, comments dropped.
  const instructions = dockerfile
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages = instructions.reduce<string[][]>((acc, line) => {
    if (/^FROM\s/i.test(line)) acc.push([]);
    acc[acc.length - 1]?.push(line);
    return acc;
  }, []);
  const runtime = stages[stages.length - 1];
  const finalInstruction = (keyword: string) => runtime.filter((l) => l.toUpperCase().startsWith(`${keyword} `)).pop();

  it('builds on node:22-bookworm-slim in several stages with npm ci and npm run build', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage[0]).toMatch(/^FROM\s+node:22-bookworm-slim\b/i);
    expect(dockerfile).toMatch(/RUN npm ci\b/);
    expect(dockerfile).toContain('npm run build');
    expect(dockerfile).toMatch(/npm ci[^\n]*--omit=dev/);
  });

  it('runs as a non-root user with a healthcheck that needs no curl', () => {
    const user = finalInstruction('USER');
    expect(user).toBeDefined();
    expect(user!.split(/\s+/)[1]).not.toMatch(/^(root|0)(:|$)/);
    const healthcheck = finalInstruction('HEALTHCHECK');
    expect(healthcheck).toBeDefined();
    expect(healthcheck).toContain('/health');
    expect(healthcheck).not.toMatch(/\b(curl|wget)\b/);
  });

  it('listens on 0.0.0.0 and exposes the main port and every node port', () => {
    expect(runtime.join('\n')).toMatch(/ENV[^\n]*\bHOST=0\.0\.0\.0\b/);
    const exposed = runtime
      .filter((l) => /^EXPOSE\s/i.test(l))
      .flatMap((l) => l.split(/\s+/).slice(1))
      .map(Number)
      .sort((a, b) => a - b);
    expect(exposed).toEqual([3000, ...NODE_PORTS].sort((a, b) => a - b));
  });

  it('keeps node_modules, dist and .git out of the build context', () => {
    const ignored = read('.dockerignore')
      .split(/\r?\n/)
      .map((l) => l.trim());
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git']));
  });

  it('has every package that src/ imports among the production dependencies the runtime stage installs', () => {
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { dev?: boolean }> };
    const builtins = new Set(builtinModules);
    const missing: string[] = [];
    for (const file of sourceFiles(join(ROOT, 'src'))) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(
        /^\s*(?:import|export)\s+(?!type\s)(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)|import\(\s*['"]([^'"]+)['"]\s*\)/gm,
      )) {
        const specifier = match[1] ?? match[2] ?? match[3];
        if (specifier.startsWith('.') || specifier.startsWith('node:') || builtins.has(specifier.split('/')[0]))
          continue;
        const pkg = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
        const entry = lock.packages[`node_modules/${pkg}`];
        if (!entry || entry.dev) missing.push(`${file.slice(ROOT.length + 1)} imports ${pkg}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}
