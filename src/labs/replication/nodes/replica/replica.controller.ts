import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Type } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { nodeRoute } from '../../../../platform/config/lab-plan';
import { NodeToNode } from '../../../../platform/http/node-secret.guard';
import { withSpan } from '../../../../platform/observability/tracing';
import { ReplicaReadQueryDto, ReplicaResetQueryDto, ReplicateRequestDto } from '../../api/dto/replication.request.dto';
import {
  ReplicaNodeService,
  ReplicaRead,
  replicaNodeToken,
  replicaReadFields,
} from '../../application/replica-node.service';
import { ReplicationEngineService } from '../../application/replication-engine.service';
import { StreamingClusterService } from '../../persistence/streaming-cluster.service';
import { LAB, ReplicaName, ReplicationEngineKey } from '../../replication.config';
import { ReplicationMetrics } from '../../replication.metrics';
import { ApiErrors } from '../../../../platform/http/openapi';

/** One controller class per replica (a Nest controller has one path); both share this shape. */
export function createReplicaController(name: ReplicaName): Type<unknown> {
  @ApiTags('replication')
  @Controller(nodeRoute(LAB, name))
  class ReplicaController {
    constructor(
      @Inject(replicaNodeToken(name)) readonly replica: ReplicaNodeService,
      readonly metrics: ReplicationMetrics,
      readonly engine: ReplicationEngineService,
      readonly streaming: StreamingClusterService,
    ) {}

    @Get('health')
    @ApiOperation({
      summary: `${name} health; under postgres-streaming also its standby (up/down, replay position and lag, paused, cut off)`,
    })
    async health() {
      const base = { status: 'ok', service: name, replica_id: name };
      if ((await this.engine.current()) !== ReplicationEngineKey.PostgresStreaming) return base;
      const status = await this.streaming.status();
      return { ...base, engine: ReplicationEngineKey.PostgresStreaming, standby: status.standbys[name] };
    }

    /** A read and its lag: under postgres-streaming the lag is asked for the version the standby read returned. */
    async readWithLag(
      want: { key?: string; data?: boolean },
      withLag = true,
    ): Promise<{ read: ReplicaRead; fields: ReturnType<typeof replicaReadFields> }> {
      const read = await this.replica.read(want);
      const lag = !withLag ? null : read.standby ? await this.replica.lag(read.state) : await this.replica.lag();
      return { read, fields: replicaReadFields(name, read.state, lag, read.standby) };
    }

    @Get('data')
    @ApiOperation({ summary: `All data on ${name}, with how far it is behind the primary` })
    async data() {
      return withSpan('replica-read', { 'replica.id': name }, async (span) => {
        const { read, fields } = await this.readWithLag({ data: true });
        const state = read.state;
        this.countRead(fields.versions_behind, fields.ms_behind);
        const isStale = fields.versions_behind === null ? null : fields.versions_behind > 0;
        span.setAttributes({
          'replica.version': state.version,
          'data.staleness_ms': fields.ms_behind ?? -1,
          'data.is_stale': isStale ?? false,
        });
        return {
          ...fields,
          data: Object.fromEntries(state.data),
          is_stale: isStale,
          replicated_at: state.replicated_at ?? 0,
        };
      });
    }

    @Get('data/:key')
    @ApiOperation({
      summary: `One key on ${name}; min_version (and, postgres-streaming, min_lsn) + wait_ms hold the answer until that version is applied / that WAL position replayed`,
    })
    async key(@Param('key') key: string, @Query() query: ReplicaReadQueryDto) {
      const started = Date.now();
      const waiting = query.min_version !== undefined || query.min_lsn !== undefined;
      // Waited for before the read: the read's snapshot is then taken after the standby replayed it.
      const reached = !waiting
        ? true
        : await this.replica.waitFor({ minVersion: query.min_version, minLsn: query.min_lsn }, query.wait_ms ?? 0);
      const reachedAt = Date.now();
      const { read, fields } = await this.readWithLag({ key }, !waiting);
      this.countRead(fields.versions_behind, fields.ms_behind);
      return {
        ...fields,
        key,
        found: read.key!.found,
        value: read.key!.value,
        reached,
        waited_ms: reachedAt - started,
        ...(waiting && reached ? { reached_at_ms: reachedAt } : {}),
      };
    }

    @Get('version')
    @ApiOperation({
      summary: `${name}’s version and lag; min_version (and, postgres-streaming, min_lsn) + wait_ms hold the answer until that version is applied / that WAL position replayed`,
    })
    async version(@Query() query: ReplicaReadQueryDto) {
      if (query.min_version !== undefined || query.min_lsn !== undefined) {
        const started = Date.now();
        const reached = await this.replica.waitFor(
          { minVersion: query.min_version, minLsn: query.min_lsn },
          query.wait_ms ?? 0,
        );
        // When the wait ended: the moment the replica applied it (app-log) or its standby was seen to have replayed it.
        const reachedAt = Date.now();
        const { read, fields } = await this.readWithLag({}, false);
        return {
          ...fields,
          reached,
          waited_ms: reachedAt - started,
          ...(reached ? { reached_at_ms: reachedAt } : {}),
          replicated_at: read.state.replicated_at ?? 0,
        };
      }
      const { read, fields } = await this.readWithLag({});
      this.countRead(fields.versions_behind, fields.ms_behind);
      return { ...fields, replicated_at: read.state.replicated_at ?? 0 };
    }

    @Get('state')
    @ApiOperation({ summary: `Everything ${name} holds, its replication timestamps and the last delay` })
    async state() {
      const { read, fields } = await this.readWithLag({ data: true });
      const state = read.state;
      if (fields.ms_behind !== null) this.metrics.replicaStaleness.set({ replica_id: name }, fields.ms_behind);
      const delay = read.standby
        ? ((await this.streaming.status()).standbys[name].recovery_min_apply_delay_ms ?? null)
        : state.replication_delay_ms;
      return {
        ...fields,
        data: Object.fromEntries(state.data),
        replicated_at: state.replicated_at ?? 0,
        replication_delay_ms: delay,
      };
    }

    @Get('admin/standby')
    @ApiOperation({
      summary: `${name}’s PostgreSQL hot standby (postgres-streaming): up, replay and receive LSNs, replay lag, paused, cut off, recovery_min_apply_delay`,
    })
    async standby() {
      const status = await this.streaming.status();
      return { replica: name, engine: await this.engine.current(), standby: status.standbys[name] };
    }

    @Post('admin/standby/pause-replay')
    @HttpCode(200)
    @ApiErrors(409)
    @ApiOperation({
      summary: `Fault (postgres-streaming): pause WAL replay on ${name}’s standby (pg_wal_replay_pause()); WAL still arrives, reads stay where they are`,
    })
    pauseReplay() {
      return this.engine.replay(name, 'pause');
    }

    @Post('admin/standby/resume-replay')
    @HttpCode(200)
    @ApiErrors(409)
    @ApiOperation({
      summary: `Heal (postgres-streaming): resume WAL replay on ${name}’s standby (pg_wal_replay_resume())`,
    })
    resumeReplay() {
      return this.engine.replay(name, 'resume');
    }

    @Post('admin/standby/cut')
    @HttpCode(200)
    @ApiErrors(409)
    @ApiOperation({
      summary: `Fault (postgres-streaming): cut ${name}’s standby off its primary (empty primary_conninfo + reload: the WAL receiver stops)`,
    })
    cut() {
      return this.engine.link(name, 'cut');
    }

    @Post('admin/standby/heal')
    @HttpCode(200)
    @ApiErrors(409)
    @ApiOperation({
      summary: `Heal (postgres-streaming): give ${name}’s standby its primary_conninfo back; it reconnects and catches up`,
    })
    heal() {
      return this.engine.link(name, 'heal');
    }

    @Post('replicate')
    @ApiErrors(409)
    @HttpCode(200)
    @NodeToNode()
    @ApiOperation({
      summary: 'Log entries shipped by the primary: applied in LSN order, duplicates ignored, gaps filled from the log',
    })
    replicate(@Body() body: ReplicateRequestDto) {
      return this.replica.receive(body.epoch, body.delay_ms, body.entries);
    }

    @Post('admin/reset')
    @HttpCode(200)
    @ApiOperation({ summary: `Empty ${name} (the primary’s reset calls this with its new epoch)` })
    reset(@Query() query: ReplicaResetQueryDto) {
      return this.replica.reset(query.epoch);
    }

    private countRead(versionsBehind: number | null, msBehind: number | null): void {
      this.metrics.replicaReads.inc({ replica_id: name });
      if (versionsBehind !== null && versionsBehind > 0) this.metrics.replicaStaleReads.inc({ replica_id: name });
      if (msBehind !== null) this.metrics.replicaStaleness.set({ replica_id: name }, msBehind);
    }
  }
  Object.defineProperty(ReplicaController, 'name', { value: `Replica${name.slice(-1)}Controller` });
  return ReplicaController;
}
