import { Injectable } from '@nestjs/common';
import { LabException } from '../../../platform/http/lab-exception';
import { NodeClientService, NodeRef } from '../../../platform/http/node-client.service';
import { LAB, ReplicaName, REPLICATION_DEFAULTS } from '../replication.config';
import { ReplicationErrorCode, ReplicationException } from '../replication.errors';

export interface PrimaryWrite {
  version: number;
  write_timestamp: number;
  write_id: string;
  key: string;
  value: unknown;
  replication_started: boolean;
  epoch: number;
  /** postgres-streaming: the primary's WAL position read right after the commit. */
  commit_lsn?: string;
}

export interface NodeVersion {
  source: string;
  version: number;
  write_id: string | null;
  write_timestamp: number | null;
  data_age_ms: number;
  versions_behind?: number | null;
  ms_behind?: number | null;
  epoch: number;
  reached?: boolean;
  replicated_at?: number;
  /** A long-poll read: when (epoch ms, the replica's clock) its wait ended with the version there. */
  reached_at_ms?: number;
  /** postgres-streaming, replicas: the standby's replay position, measured after the read's snapshot. */
  replay_lsn?: string | null;
  replay_lag_ms?: number | null;
  /** postgres-streaming, primary: its WAL position, measured after the read's snapshot. */
  lsn?: string;
}

/** What a replica read waits for (min_version, and min_lsn under postgres-streaming). */
export interface ReplicaWait {
  minVersion?: number;
  minLsn?: string;
  waitMs: number;
}

function waitQuery(wait?: ReplicaWait): Record<string, string | number> | undefined {
  if (!wait) return undefined;
  return {
    ...(wait.minVersion !== undefined ? { min_version: wait.minVersion } : {}),
    ...(wait.minLsn !== undefined ? { min_lsn: wait.minLsn } : {}),
    wait_ms: wait.waitMs,
  };
}

export interface NodeKeyRead extends NodeVersion {
  key: string;
  found: boolean;
  value: unknown;
  reached?: boolean;
  waited_ms?: number;
}

const CLIENT: NodeRef = { lab: LAB, node: 'client' };
const PRIMARY: NodeRef = { lab: LAB, node: 'primary' };

/** How the client node reaches the primary's and the replicas' data: HTTP only, failures as exceptions (used by the read-routing strategies and the use cases alike). */
@Injectable()
export class ClusterGatewayService {
  constructor(private readonly nodes: NodeClientService) {}

  async write(key: string, value: unknown): Promise<PrimaryWrite> {
    const res = await this.nodes.call<PrimaryWrite & { message?: string }>(CLIENT, PRIMARY, '/data', {
      method: 'POST',
      body: { key, value },
      timeoutMs: REPLICATION_DEFAULTS.clientTimeoutMs,
    });
    if (!res.ok) {
      throw new ReplicationException(
        res.status >= 500 ? ReplicationErrorCode.PrimaryUnavailable : ReplicationErrorCode.PrimaryRejected,
        `The primary refused the write (HTTP ${res.status}): ${res.body?.message ?? 'no reason given'}`,
        res.status >= 500 ? 'unavailable' : 'invalid',
        { primary: res.body },
      );
    }
    return res.body;
  }

  primaryVersion(): Promise<NodeVersion> {
    return this.get<NodeVersion>(PRIMARY, '/version');
  }

  primaryData(): Promise<NodeVersion & { data: Record<string, unknown> }> {
    return this.get(PRIMARY, '/data');
  }

  primaryKey(key: string): Promise<NodeKeyRead> {
    return this.get(PRIMARY, `/data/${encodeURIComponent(key)}`);
  }

  replicaVersion(replica: ReplicaName, wait?: ReplicaWait): Promise<NodeVersion> {
    return this.get(
      { lab: LAB, node: replica },
      '/version',
      waitQuery(wait),
      (wait?.waitMs ?? 0) + REPLICATION_DEFAULTS.clientTimeoutMs,
    );
  }

  replicaData(replica: ReplicaName): Promise<NodeVersion & { data: Record<string, unknown> }> {
    return this.get({ lab: LAB, node: replica }, '/data');
  }

  replicaKey(replica: ReplicaName, key: string, wait?: ReplicaWait): Promise<NodeKeyRead> {
    return this.get(
      { lab: LAB, node: replica },
      `/data/${encodeURIComponent(key)}`,
      waitQuery(wait),
      (wait?.waitMs ?? 0) + REPLICATION_DEFAULTS.clientTimeoutMs,
    );
  }

  private async get<T>(
    to: NodeRef,
    path: string,
    query?: Record<string, string | number>,
    timeoutMs: number = REPLICATION_DEFAULTS.clientTimeoutMs,
  ): Promise<T> {
    const res = await this.nodes.call<T>(CLIENT, to, path, { query, timeoutMs });
    if (!res.ok) {
      throw new LabException(
        'NODE.ERROR',
        `${to.lab}:${to.node} answered HTTP ${res.status} to ${path}`,
        'unavailable',
        { body: res.body },
      );
    }
    return res.body;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
