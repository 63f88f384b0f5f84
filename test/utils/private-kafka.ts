import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createConnection } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { canBind, freePort } from './ports';

/**
 * A single-node KRaft broker of a test's own (own temp data dir, own loopback ports), for tests
 * that stop and restart Kafka: the shared broker on 127.0.0.1:9092 must never be stopped.
 * It reuses the Kafka jars that `npm run infra` caches and the repository's broker template.
 */
export interface PrivateKafka {
  /** `127.0.0.1:<port>`, for KAFKA_BROKERS. */
  readonly brokers: string;
  readonly port: number;
  readonly controllerPort: number;
  readonly dataDir: string;
  readonly running: boolean;
  /** Starts the broker again on the same data dir and ports; resolves once it answers. Returns ms taken. */
  start(): Promise<number>;
  /** SIGTERM (a controlled shutdown), SIGKILL after the bound. Returns ms taken. */
  stop(): Promise<number>;
  /** Kills the broker and deletes its temp dir. */
  dispose(): Promise<void>;
  /** The end of the broker's logs, for failure messages. */
  logTail(lines?: number): string;
}

export interface PrivateKafkaOptions {
  /** Preferred PLAINTEXT port; the controller takes the next one. Another free pair is used if taken. */
  preferredPort?: number;
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
}

const ROOT = resolve(__dirname, '../..');
const KAFKA_VERSION = '3.9.1';
const TEMPLATE = join(ROOT, 'docker/kafka/server.properties');
const LOG4J = join(ROOT, 'docker/kafka/log4j.properties');
const STARTED_LINE = 'Kafka Server started';

function cacheDir(): string {
  return process.env.LABS_CACHE_DIR || join(homedir(), '.cache/distributed-systems-labs');
}

/** The broker classpath `scripts/infra.sh` resolves; resolved the same way (Maven) when it is missing. */
function kafkaLibs(): string {
  const home = join(cacheDir(), `kafka-${KAFKA_VERSION}`);
  const libs = join(home, 'libs');
  if (existsSync(join(libs, '.complete'))) return libs;
  mkdirSync(home, { recursive: true });
  const tmp = mkdtempSync(join(home, 'libs.tmp.'));
  try {
    execFileSync(
      'mvn',
      [
        '-q',
        '-B',
        '-Dstyle.color=never',
        '-f',
        join(ROOT, 'docker/kafka/pom.xml'),
        `-Dkafka.version=${KAFKA_VERSION}`,
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${tmp}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 },
    );
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    const output = `${(err as { stdout?: Buffer }).stdout ?? ''}${(err as { stderr?: Buffer }).stderr ?? ''}`;
    throw new Error(`mvn could not resolve the Kafka ${KAFKA_VERSION} jars (run \`npm run infra\`?)\n${output}`);
  }
  writeFileSync(join(tmp, '.complete'), '');
  rmSync(libs, { recursive: true, force: true });
  renameSync(tmp, libs);
  return libs;
}

/** Two consecutive free loopback ports, outside the ephemeral range where possible (a restart rebinds them). */
async function portPair(preferred: number): Promise<[number, number]> {
  for (let port = preferred; port < preferred + 400; port += 2) {
    if ((await canBind(port)) && (await canBind(port + 1))) return [port, port + 1];
  }
  const first = await freePort();
  let second = await freePort();
  while (second === first) second = await freePort();
  return [first, second];
}

/** A KRaft cluster id: 16 random bytes, base64url without padding (never starting with '-'). */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Kafka ApiVersions v0 with correlation id 42; the answer must echo it with error_code 0 (as infra.sh checks). */
function kafkaAnswers(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host: '127.0.0.1', port, timeout: 2000 });
    let received = Buffer.alloc(0);
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.once('connect', () => socket.write(Buffer.from([0, 0, 0, 0x0a, 0, 0x12, 0, 0, 0, 0, 0, 0x2a, 0xff, 0xff])));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 10) finish(received.readInt32BE(4) === 42 && received.readInt16BE(8) === 0);
    });
    socket.once('error', () => finish(false));
    socket.once('timeout', () => finish(false));
    socket.once('close', () => finish(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startPrivateKafka(options: PrivateKafkaOptions = {}): Promise<PrivateKafka> {
  const { preferredPort = 19092, startTimeoutMs = 120_000, stopTimeoutMs = 20_000 } = options;
  const libs = kafkaLibs();
  const [port, controllerPort] = await portPair(preferredPort);
  const home = mkdtempSync(join(tmpdir(), 'private-kafka-'));
  const dataDir = join(home, 'data');
  const logDir = join(home, 'logs');
  mkdirSync(dataDir);
  mkdirSync(logDir);

  const properties = readFileSync(TEMPLATE, 'utf8')
    .replaceAll('@KAFKA_DATA_DIR@', dataDir)
    .replaceAll('127.0.0.1:9092', `127.0.0.1:${port}`)
    .replaceAll('127.0.0.1:9093', `127.0.0.1:${controllerPort}`);
  if (!properties.includes(`PLAINTEXT://127.0.0.1:${port}`) || !properties.includes(`1@127.0.0.1:${controllerPort}`)) {
    throw new Error(`${TEMPLATE} no longer has the listeners this helper rewrites`);
  }
  const config = join(home, 'server.properties');
  writeFileSync(config, properties);

  // Small heap, serial GC and the C1 compiler only: a short-lived test broker on a shared 2-core machine.
  const java = [
    '-Xms64m',
    '-Xmx256m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=file:${LOG4J}`,
    `-Dkafka.logs.dir=${logDir}`,
    '-cp',
    `${libs}/*`,
  ];
  execFileSync('java', [...java, 'kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', config], {
    stdio: 'ignore',
    timeout: 120_000,
  });

  const serverLog = join(logDir, 'server.log');
  const stdoutLog = join(logDir, 'kafka.out');
  let child: ChildProcess | undefined;
  let alive = false;
  let exited: Promise<void> = Promise.resolve();
  // A test process that dies must not leave a JVM behind.
  const killOnExit = () => {
    if (alive) child?.kill('SIGKILL');
  };

  const logTail = (lines = 30): string =>
    [stdoutLog, serverLog]
      .filter((f) => existsSync(f))
      .map((f) => `---- ${f}\n${readFileSync(f, 'utf8').split('\n').slice(-lines).join('\n')}`)
      .join('\n');

  const start = async (): Promise<number> => {
    if (alive) throw new Error('private Kafka is already running');
    const started = Date.now();
    const logOffset = existsSync(serverLog) ? statSync(serverLog).size : 0;
    const out = openSync(stdoutLog, 'a');
    const proc = spawn('java', [...java, 'kafka.Kafka', config], { stdio: ['ignore', out, out] });
    closeSync(out);
    child = proc;
    alive = true;
    exited = new Promise((r) =>
      proc.once('exit', () => {
        alive = false;
        r();
      }),
    );
    process.once('exit', killOnExit);
    const deadline = started + startTimeoutMs;
    for (;;) {
      if (!alive)
        throw new Error(
          `private Kafka exited during startup (code ${proc.exitCode}, ${proc.signalCode})\n${logTail()}`,
        );
      if (await kafkaAnswers(port)) {
        const log = existsSync(serverLog) ? readFileSync(serverLog).subarray(logOffset).toString('utf8') : '';
        if (log.includes(STARTED_LINE)) return Date.now() - started;
      }
      if (Date.now() > deadline) throw new Error(`private Kafka not ready after ${startTimeoutMs} ms\n${logTail()}`);
      await sleep(250);
    }
  };

  const stop = async (): Promise<number> => {
    const proc = child;
    const started = Date.now();
    if (!proc || !alive) return 0;
    proc.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), stopTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (!stopped) {
      proc.kill('SIGKILL');
      await exited;
    }
    process.removeListener('exit', killOnExit);
    return Date.now() - started;
  };

  const dispose = async (): Promise<void> => {
    const proc = child;
    if (proc && alive) {
      proc.kill('SIGKILL');
      await exited;
    }
    process.removeListener('exit', killOnExit);
    rmSync(home, { recursive: true, force: true });
  };

  const kafka: PrivateKafka = {
    brokers: `127.0.0.1:${port}`,
    port,
    controllerPort,
    dataDir,
    get running() {
      return alive;
    },
    start,
    stop,
    dispose,
    logTail,
  };
  try {
    await start();
  } catch (err) {
    await dispose();
    throw err;
  }
  return kafka;
}
