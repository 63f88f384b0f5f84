import { Injectable } from '@nestjs/common';
import { RedisService } from '../redis/redis.service';

/** A node as the partition store names it: `lab:node`. */
export interface PartitionedNode {
  lab: string;
  node: string;
}

export interface NodePartition {
  partitioned: boolean;
  /** The peers (`lab:node`) this node's links to are cut. */
  peers: string[];
  /** When the partition was set (ISO), null when there is none. */
  since: string | null;
}

/** How long a partition lasts when nothing heals it: a forgotten cut ends by itself. */
export const PARTITION_TTL_SECONDS = 3600;

const PREFIX = 'labs:partition:';
/** In `peers`: cut from every peer. */
export const EVERYONE = '*';
const SCAN_BATCH = 200;

/**
 * Network partitions as the partitioned node's own state, like a firewall rule on its host: one
 * Redis key per node (`labs:partition:<lab>:<node>`, the peers it is cut from), so every process
 * that runs the node — one process for all nodes, one per node, several instances of it — sees the
 * same cut. The node enforces it on its own links: it refuses what arrives from a cut peer and
 * sends nothing to one. Its peers need to know nothing: what they send is refused at the node, as
 * it would be by the node's firewall. Bounded: heal and reset delete the key, and the key expires
 * after PARTITION_TTL_SECONDS. Every command runs under the client's command timeout.
 */
@Injectable()
export class NetworkFaultsService {
  constructor(private readonly redis: RedisService) {}

  /** Cuts `node` off from `peers` (replacing any earlier cut of it). */
  async cutOff(
    node: PartitionedNode,
    peers: readonly string[],
    ttlSeconds = PARTITION_TTL_SECONDS,
  ): Promise<NodePartition> {
    const state: NodePartition = {
      partitioned: true,
      peers: [...new Set(peers)].sort(),
      since: new Date().toISOString(),
    };
    await this.redis.client.set(
      keyOf(node),
      JSON.stringify({ peers: state.peers, since: state.since }),
      'EX',
      ttlSeconds,
    );
    return state;
  }

  /** Heals every link of `node`; answers whether it was partitioned. */
  async heal(node: PartitionedNode): Promise<boolean> {
    return (await this.redis.client.del(keyOf(node))) > 0;
  }

  /** Heals every node of `lab`; answers the nodes that were partitioned. */
  async healLab(lab: string): Promise<string[]> {
    const healed: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.client.scan(cursor, 'MATCH', `${PREFIX}${lab}:*`, 'COUNT', SCAN_BATCH);
      cursor = next;
      if (keys.length > 0) {
        await this.redis.client.del(...keys);
        healed.push(...keys.map((k) => k.slice(PREFIX.length + lab.length + 1)));
      }
    } while (cursor !== '0');
    return healed.sort();
  }

  async partitionOf(node: PartitionedNode): Promise<NodePartition> {
    const raw = await this.redis.client.get(keyOf(node));
    if (raw === null) return { partitioned: false, peers: [], since: null };
    const parsed = parse(raw);
    return { partitioned: true, peers: parsed.peers, since: parsed.since };
  }

  /** Whether `node`'s partition cuts its link to `peer` (`lab:node`). */
  async cuts(node: PartitionedNode, peer: string): Promise<boolean> {
    const { peers } = await this.partitionOf(node);
    return peers.includes(peer) || peers.includes(EVERYONE);
  }
}

function keyOf(node: PartitionedNode): string {
  return `${PREFIX}${node.lab}:${node.node}`;
}

/** A stored value this code did not write (a manual SET) still reads as a partition, from everyone. */
function parse(raw: string): { peers: string[]; since: string | null } {
  try {
    const value = JSON.parse(raw) as { peers?: unknown; since?: unknown };
    const peers = Array.isArray(value.peers) ? value.peers.filter((p): p is string => typeof p === 'string') : [];
    return {
      peers: peers.length > 0 ? peers : [EVERYONE],
      since: typeof value.since === 'string' ? value.since : null,
    };
  } catch {
    return { peers: [EVERYONE], since: null };
  }
}
