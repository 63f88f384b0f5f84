import { ReplicationExperiment } from './application/replication.experiment';
import { DynamicModule, Module, Provider } from '@nestjs/common';
import { LabWiring, NodeWiring, wireLab } from '../../platform/config/lab-wiring';
import { labDatabaseProvider } from '../../platform/database/database-pools.service';
import { NodeLifecycleService } from '../../platform/faults/node-lifecycle.service';
import { NodeClientService } from '../../platform/http/node-client.service';
import { ClusterGatewayService } from './persistence/cluster-gateway.service';
import { ConsistencyMonitorService } from './application/consistency-monitor.service';
import { ConsistencyProbeService } from './application/consistency-probe.service';
import { PrimaryService } from './application/primary.service';
import { ReplicationReset } from './application/replication.reset';
import { ReplicaNodeService, replicaNodeToken } from './application/replica-node.service';
import { ReplicationDelaysService } from './application/replication-delays.service';
import { ReplicationShipperService } from './application/replication-shipper.service';
import { SessionReadService } from './application/session-read.service';
import { StalenessReportService } from './application/staleness-report.service';
import { ClientController } from './nodes/client/client.controller';
import { PrimaryController } from './nodes/primary/primary.controller';
import { createReplicaController } from './nodes/replica/replica.controller';
import { PrimaryLogRepository } from './persistence/primary-log.repository';
import { ReplicaStoreRepository } from './persistence/replica-store.repository';
import { LAB, ReplicaName } from './replication.config';
import { ReplicationMetrics, replicationMetricProviders } from './replication.metrics';
import { AnyReplicaReadRoutingStrategy } from './strategies/any-replica.read-routing.strategy';
import { BoundedStalenessReadRoutingStrategy } from './strategies/bounded-staleness.read-routing.strategy';
import { MonotonicReadsReadRoutingStrategy } from './strategies/monotonic-reads.read-routing.strategy';
import { PrimaryOnlyReadRoutingStrategy } from './strategies/primary-only.read-routing.strategy';
import { ReadYourWritesReadRoutingStrategy } from './strategies/read-your-writes.read-routing.strategy';
import { AppLogReplicationEngine } from './strategies/app-log.replication-engine.strategy';
import { PostgresStreamingReplicationEngine } from './strategies/postgres-streaming.replication-engine.strategy';
import { ReplicationEngineService } from './application/replication-engine.service';
import { StreamingClusterService } from './persistence/streaming-cluster.service';
import { StreamingHealthService } from './application/streaming-health.service';

function replicaNodeProvider(name: ReplicaName): Provider {
  return {
    provide: replicaNodeToken(name),
    inject: [
      ReplicaStoreRepository,
      NodeClientService,
      NodeLifecycleService,
      ReplicationMetrics,
      ReplicationEngineService,
      StreamingClusterService,
    ],
    useFactory: (
      store: ReplicaStoreRepository,
      nodes: NodeClientService,
      lifecycle: NodeLifecycleService,
      metrics: ReplicationMetrics,
      engine: ReplicationEngineService,
      streaming: StreamingClusterService,
    ) => new ReplicaNodeService(name, store, nodes, lifecycle, metrics, engine, streaming),
  };
}

/** One replica node: its controller and its service (under the replica's own token); the store the replicas share. */
const replicaNode = (name: ReplicaName): NodeWiring => ({
  controllers: [createReplicaController(name)],
  providers: [ReplicaStoreRepository, replicaNodeProvider(name)],
});

/**
 * Shared providers always: the strategies of both ports (the read-routing ones with the cluster
 * gateway they read through) are registered whatever nodes run, so `/admin/labs` lists every port
 * even with `LABS=replication:primary`; every node resolves the engine (the selection lives in
 * Redis) and may reach the streaming servers. Each node adds its controllers and stateful services.
 */
const REPLICATION_WIRING: LabWiring<typeof LAB> = {
  lab: LAB,
  shared: [
    ...replicationMetricProviders,
    ReplicationMetrics,
    labDatabaseProvider(LAB),
    StreamingClusterService,
    ReplicationDelaysService,
    ReplicationEngineService,
    AppLogReplicationEngine,
    PostgresStreamingReplicationEngine,
    // The streaming primary and standbys in the main port's /health while that engine is selected.
    StreamingHealthService,
    ClusterGatewayService,
    PrimaryOnlyReadRoutingStrategy,
    AnyReplicaReadRoutingStrategy,
    ReadYourWritesReadRoutingStrategy,
    MonotonicReadsReadRoutingStrategy,
    BoundedStalenessReadRoutingStrategy,
    ReplicationExperiment,
    ReplicationReset,
  ],
  nodes: {
    primary: {
      controllers: [PrimaryController],
      providers: [PrimaryLogRepository, ReplicationShipperService, PrimaryService],
    },
    replica1: replicaNode('replica1'),
    replica2: replicaNode('replica2'),
    client: {
      controllers: [ClientController],
      providers: [StalenessReportService, ConsistencyProbeService, ConsistencyMonitorService, SessionReadService],
    },
  },
};

/**
 * The eventual-consistency lab: a primary with a durable ordered log, two replicas fed over HTTP
 * after a delay, and a client that measures staleness and routes session reads. Only the nodes this
 * process runs are wired (`LABS=replication:replica2` runs one replica alone).
 */
@Module({})
export class ReplicationModule {
  static register(nodes: string[]): DynamicModule {
    return wireLab(ReplicationModule, REPLICATION_WIRING, nodes);
  }
}
