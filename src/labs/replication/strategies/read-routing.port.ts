import { ClusterGatewayService, NodeKeyRead, errorMessage } from '../persistence/cluster-gateway.service';
import { Session } from '../domain/session-token';
import { ReadSettings, ReplicaName } from '../replication.config';

export interface ReadRequest {
  key: string;
  session: Session;
  settings: ReadSettings;
}

export type RoutedRead =
  | {
      status: 'served';
      served_by: 'primary' | ReplicaName;
      epoch: number;
      version: number;
      found: boolean;
      value: unknown;
      waited_ms: number;
      /** postgres-streaming: the WAL position the read saw up to (an upper bound, measured after its snapshot). */
      lsn?: string;
      /** Why no replica served and the primary did. */
      fallback?: string;
    }
  | { status: 'unavailable'; reason: string };

/** Where a client read goes: the port of the read strategies, resolved on every read. */
export abstract class ReadRoutingPort {
  abstract read(request: ReadRequest): Promise<RoutedRead>;
}

export function served(by: 'primary' | ReplicaName, read: NodeKeyRead, fallback?: string): RoutedRead {
  const { epoch, version, found, value } = read;
  const lsn = read.replay_lsn ?? read.lsn ?? undefined;
  return {
    status: 'served',
    served_by: by,
    epoch,
    version,
    found,
    value,
    waited_ms: read.waited_ms ?? 0,
    ...(lsn ? { lsn } : {}),
    ...(fallback ? { fallback } : {}),
  };
}

/** The primary serves when no replica would; `why` says what the replicas lacked. */
export async function fromPrimary(cluster: ClusterGatewayService, key: string, why: string): Promise<RoutedRead> {
  try {
    return served('primary', await cluster.primaryKey(key), why);
  } catch (err) {
    return { status: 'unavailable', reason: `${why}; primary: ${errorMessage(err)}` };
  }
}

export function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
