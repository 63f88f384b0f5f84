import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Type } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { nodeRoute } from '../../../../platform/config/lab-plan';
import { NodeToNode } from '../../../../platform/http/node-secret.guard';
import { withSpan } from '../../../../platform/observability/tracing';
import { ReplicaReadQueryDto, ReplicaResetQueryDto, ReplicateRequestDto } from '../../api/dto/replication.request.dto';
import { ReplicaNodeService, replicaNodeToken, replicaReadFields } from '../../application/replica-node.service';
import { LAB, ReplicaName } from '../../replication.config';
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
    ) {}

    @Get('health')
    @ApiOperation({ summary: `${name} health` })
    health() {
      return { status: 'ok', service: name, replica_id: name };
    }

    @Get('data')
    @ApiOperation({ summary: `All data on ${name}, with how far it is behind the primary` })
    async data() {
      return withSpan('replica-read', { 'replica.id': name }, async (span) => {
        const [state, lag] = await Promise.all([this.replica.view(), this.replica.lag()]);
        const fields = replicaReadFields(name, state, lag);
        this.countRead(fields.versions_behind, fields.ms_behind);
        const isStale = fields.versions_behind === null ? null : fields.versions_behind > 0;
        span.setAttributes({ 'replica.version': state.version, 'data.staleness_ms': fields.ms_behind ?? -1, 'data.is_stale': isStale ?? false });
        return { ...fields, data: Object.fromEntries(state.data), is_stale: isStale, replicated_at: state.replicated_at ?? 0 };
      });
    }

    @Get('data/:key')
    @ApiOperation({ summary: `One key on ${name}; min_version + wait_ms hold the answer until that version is applied` })
    async key(@Param('key') key: string, @Query() query: ReplicaReadQueryDto) {
      const started = Date.now();
      const reached = query.min_version === undefined ? true : await this.replica.waitFor(query.min_version, query.wait_ms ?? 0);
      const waited = Date.now() - started;
      const [state, lag] = await Promise.all([this.replica.view(), query.min_version === undefined ? this.replica.lag() : null]);
      const fields = replicaReadFields(name, state, lag);
      this.countRead(fields.versions_behind, fields.ms_behind);
      return { ...fields, key, found: state.data.has(key), value: state.data.get(key) ?? null, reached, waited_ms: waited };
    }

    @Get('version')
    @ApiOperation({ summary: `${name}’s version and lag; min_version + wait_ms hold the answer until that version is applied` })
    async version(@Query() query: ReplicaReadQueryDto) {
      if (query.min_version !== undefined) {
        const started = Date.now();
        const reached = await this.replica.waitFor(query.min_version, query.wait_ms ?? 0);
        const state = await this.replica.view();
        return { ...replicaReadFields(name, state, null), reached, waited_ms: Date.now() - started, replicated_at: state.replicated_at ?? 0 };
      }
      const [state, lag] = await Promise.all([this.replica.view(), this.replica.lag()]);
      const fields = replicaReadFields(name, state, lag);
      this.countRead(fields.versions_behind, fields.ms_behind);
      return { ...fields, replicated_at: state.replicated_at ?? 0 };
    }

    @Get('state')
    @ApiOperation({ summary: `Everything ${name} holds, its replication timestamps and the last delay` })
    async state() {
      const [state, lag] = await Promise.all([this.replica.view(), this.replica.lag()]);
      const fields = replicaReadFields(name, state, lag);
      if (fields.ms_behind !== null) this.metrics.replicaStaleness.set({ replica_id: name }, fields.ms_behind);
      return {
        ...fields,
        data: Object.fromEntries(state.data),
        replicated_at: state.replicated_at ?? 0,
        replication_delay_ms: state.replication_delay_ms,
      };
    }

    @Post('replicate')
    @ApiErrors(409)
    @HttpCode(200)
    @NodeToNode()
    @ApiOperation({ summary: 'Log entries shipped by the primary: applied in LSN order, duplicates ignored, gaps filled from the log' })
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
