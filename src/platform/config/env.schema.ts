import { plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, ValidationError, validateSync } from 'class-validator';

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;

/** Every environment variable the app reads, with its default. Nothing else reads process.env. */
export class EnvSchema {
  @IsString()
  LABS = 'all';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '127.0.0.1';

  /** Added to every node port (tests use it to run beside a running lab). */
  @Transform(toInt)
  @IsInt()
  @Min(-8000)
  @Max(50000)
  NODE_PORTS_SHIFT = 0;

  /** Where peer nodes that do not run in this process live: `lab:node=http://host:port,...`. */
  @IsOptional()
  @Matches(/^([a-z]+:[a-z0-9-]+=https?:\/\/[^,\s]+)(,[a-z]+:[a-z0-9-]+=https?:\/\/[^,\s]+)*$/, {
    message: 'NODE_URLS must be a comma list of lab:node=http://host:port',
  })
  NODE_URLS?: string;

  @Matches(/^postgres(ql)?:\/\/[^\s/]+(:\d+)?\/[A-Za-z0-9_-]+$/, {
    message: 'DATABASE_URL must look like postgres://user[:password]@host:port/database',
  })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/labs';

  /** The replication lab's postgres-streaming engine: its own primary and two hot standbys (`npm run infra` starts them). */
  @Matches(/^postgres(ql)?:\/\/[^\s/]+(:\d+)?\/[A-Za-z0-9_-]+$/, {
    message: 'PG_STREAMING_PRIMARY_URL must look like postgres://user[:password]@host:port/database',
  })
  PG_STREAMING_PRIMARY_URL = 'postgres://postgres@127.0.0.1:5433/labs_streaming';

  @Matches(/^postgres(ql)?:\/\/[^\s/]+(:\d+)?\/[A-Za-z0-9_-]+$/, {
    message: 'PG_STREAMING_REPLICA1_URL must look like postgres://user[:password]@host:port/database',
  })
  PG_STREAMING_REPLICA1_URL = 'postgres://postgres@127.0.0.1:5434/labs_streaming';

  @Matches(/^postgres(ql)?:\/\/[^\s/]+(:\d+)?\/[A-Za-z0-9_-]+$/, {
    message: 'PG_STREAMING_REPLICA2_URL must look like postgres://user[:password]@host:port/database',
  })
  PG_STREAMING_REPLICA2_URL = 'postgres://postgres@127.0.0.1:5435/labs_streaming';

  @Matches(/^rediss?:\/\/[^\s]+$/, { message: 'REDIS_URL must look like redis://host:port[/db]' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  /** Redis servers of the Redlock quorum, comma separated; defaults to REDIS_URL. */
  @IsOptional()
  @Matches(/^rediss?:\/\/[^\s,]+(,rediss?:\/\/[^\s,]+)*$/, {
    message: 'REDLOCK_URLS must be a comma list of redis://host:port',
  })
  REDLOCK_URLS?: string;

  @Matches(/^[^\s,:]+:\d+(,[^\s,:]+:\d+)*$/, { message: 'KAFKA_BROKERS must be a comma list of host:port' })
  KAFKA_BROKERS = '127.0.0.1:9092';

  /** Prefix for the labs' topic and group names, so a test run never meets a running lab. */
  @Matches(/^[A-Za-z0-9._-]*$/, { message: 'KAFKA_NAMESPACE may hold only letters, digits, ".", "_" and "-"' })
  KAFKA_NAMESPACE = '';

  @IsOptional()
  @Matches(/^https?:\/\/\S+$/, { message: 'OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL' })
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;

  @IsString()
  OTEL_SERVICE_NAME = 'distributed-systems-labs';

  @Matches(/^\d+(b|kb|mb)$/i, { message: 'BODY_LIMIT must be a size like 100kb or 1mb' })
  BODY_LIMIT = '1mb';

  /** Every request on the main port and the node ports is answered 504 after this long, and its PostgreSQL work is cancelled then (LabDatabase). */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(600000)
  REQUEST_TIMEOUT_MS = 60000;

  /** Required for admin, fault and reset writes when HOST is not loopback (and then mandatory). */
  @IsOptional()
  @Matches(/^[\x21-\x7e]{16,256}$/, { message: 'ADMIN_TOKEN must be 16-256 printable ASCII characters without spaces' })
  ADMIN_TOKEN?: string;

  /** Shared by every node of a deployment: node-to-node calls carry it, node-to-node endpoints require it. */
  @IsOptional()
  @Matches(/^[\x21-\x7e]{16,256}$/, { message: 'NODE_SECRET must be 16-256 printable ASCII characters without spaces' })
  NODE_SECRET?: string;

  /** 1: a supervisor runs every selected node as its own OS process (see README "Process mode"). */
  @IsIn(['0', '1'])
  LAB_PROCESSES: '0' | '1' = '0';

  /** Process mode only: how many processes of a lab's nodes run behind a round-robin balancer, e.g. `booking=3,bank=2`. */
  @IsOptional()
  @Matches(/^[a-z]+=\d{1,2}(,[a-z]+=\d{1,2})*$/, {
    message: 'LAB_INSTANCES must be a comma list of lab=count, e.g. booking=3,bank=2',
  })
  LAB_INSTANCES?: string;

  /** Set by the supervisor on the processes it starts: a crash point then kills the process (SIGKILL). */
  @IsIn(['0', '1'])
  LAB_SUPERVISED: '0' | '1' = '0';

  /** Set by the supervisor: which instance of its node this process is (0-based). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(15)
  LAB_INSTANCE = 0;

  /** Set by the supervisor: the port of the one node this process serves (0: any free port, reported to the supervisor). */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  LAB_NODE_PORT?: number;

  @IsIn(['error', 'warn', 'log', 'debug', 'verbose'])
  LOG_LEVEL: 'error' | 'warn' | 'log' | 'debug' | 'verbose' = 'log';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(600000)
  SHUTDOWN_TIMEOUT_MS = 10000;

  /** On SIGTERM, how long in-flight requests may take to finish before their connections are dropped. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(600000)
  SHUTDOWN_DRAIN_MS = 5000;

  /** Size of each lab's own PostgreSQL pool: one lab holding all its connections never delays another lab. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  DB_POOL_SIZE = 10;

  /** How long a query waits for a free pooled connection (or a new connection) before a 503. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(60000)
  DB_CONNECT_TIMEOUT_MS = 5000;

  /** PostgreSQL statement_timeout on every connection (includes lock waits); above DB_LOCK_TIMEOUT_MS. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(3600000)
  DB_STATEMENT_TIMEOUT_MS = 140000;

  /** PostgreSQL lock_timeout: above the longest a lab's fault knobs make a transaction hold a lock. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(3600000)
  DB_LOCK_TIMEOUT_MS = 130000;

  /** PostgreSQL idle_in_transaction_session_timeout: above the longest await a fault puts inside a transaction. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(3600000)
  DB_IDLE_IN_TRANSACTION_TIMEOUT_MS = 90000;

  /** ioredis commandTimeout: a Redis command unanswered for this long fails (504) instead of hanging. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(60000)
  REDIS_COMMAND_TIMEOUT_MS = 2000;
}

export class ConfigError extends Error {}

export function validateEnv(env: Record<string, string | undefined>): EnvSchema {
  const known = Object.keys(new EnvSchema()).concat([
    'NODE_URLS',
    'REDLOCK_URLS',
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    'ADMIN_TOKEN',
    'NODE_SECRET',
    'LAB_INSTANCES',
    'LAB_NODE_PORT',
  ]);
  const defined = Object.fromEntries(
    Object.entries(env).filter(([key, value]) => known.includes(key) && value !== undefined && value.trim() !== ''),
  );
  const parsed = plainToInstance(EnvSchema, defined, { exposeDefaultValues: true });
  const errors = validateSync(parsed, { whitelist: false, forbidUnknownValues: false });
  if (parsed.DB_LOCK_TIMEOUT_MS > parsed.DB_STATEMENT_TIMEOUT_MS) {
    errors.push(
      Object.assign(new ValidationError(), {
        property: 'DB_LOCK_TIMEOUT_MS',
        value: parsed.DB_LOCK_TIMEOUT_MS,
        constraints: { order: `must not exceed DB_STATEMENT_TIMEOUT_MS (${parsed.DB_STATEMENT_TIMEOUT_MS})` },
      }),
    );
  }
  if (errors.length > 0) {
    const lines = errors.map((e) => {
      const messages = Object.values(e.constraints ?? {}).join('; ');
      return `${e.property}=${JSON.stringify(e.value)}: ${messages}`;
    });
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  if (!isLoopbackHost(parsed.HOST) && !parsed.ADMIN_TOKEN) {
    throw new ConfigError(
      `Invalid configuration:\n  ADMIN_TOKEN is required when HOST=${JSON.stringify(parsed.HOST)} is not a loopback address (127.0.0.1, ::1, localhost): admin, fault and reset endpoints would be open to the network`,
    );
  }
  return parsed;
}

/** 127.0.0.0/8, ::1 and localhost: only this machine can connect. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h);
}
