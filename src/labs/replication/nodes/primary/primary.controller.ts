import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { nodeRoute } from '../../../../platform/config/lab-plan';
import { NodeToNode } from '../../../../platform/http/node-secret.guard';
import {
  LogQueryDto,
  PrimaryVersionQueryDto,
  ReplicationEngineRequestDto,
  SetReplicationDelayRequestDto,
  SetReplicationDelaysRequestDto,
  WriteDataRequestDto,
} from '../../api/dto/replication.request.dto';
import { PrimaryService } from '../../application/primary.service';
import { ReplicationDelaysService, Delays } from '../../application/replication-delays.service';
import { ReplicationEngineService } from '../../application/replication-engine.service';
import { StreamingClusterService } from '../../persistence/streaming-cluster.service';
import { LAB, REPLICA_SEED, ReplicationEngineKey } from '../../replication.config';
import { ApiErrors } from '../../../../platform/http/openapi';

@ApiTags('replication')
@Controller(nodeRoute(LAB, 'primary'))
export class PrimaryController {
  constructor(
    private readonly primary: PrimaryService,
    private readonly delays: ReplicationDelaysService,
    private readonly engine: ReplicationEngineService,
    private readonly streaming: StreamingClusterService,
  ) {}

  @Get('health')
  @ApiOperation({
    summary:
      'Primary health; under postgres-streaming also its PostgreSQL primary and each standby (up/down, replay lag, paused, cut off)',
  })
  async health() {
    const base = { status: 'ok', service: 'primary' };
    if ((await this.engine.current()) !== ReplicationEngineKey.PostgresStreaming) return base;
    const status = await this.streaming.status();
    return {
      ...base,
      engine: ReplicationEngineKey.PostgresStreaming,
      available: status.available,
      postgres_primary: status.primary,
      standbys: status.standbys,
    };
  }

  @Get('admin/replication-engine')
  @ApiOperation({
    summary:
      'The replication engine in force (app-log or postgres-streaming) and the state of the streaming primary and standbys',
  })
  getEngine() {
    return this.engine.describe();
  }

  @Post('admin/replication-engine')
  @HttpCode(200)
  @ApiErrors(409)
  @ApiOperation({
    summary:
      'Switch the replication engine at runtime; postgres-streaming is refused (409, naming why) while its primary or a standby is not up, and gets the current delays on its standbys',
  })
  setEngine(@Body() body: ReplicationEngineRequestDto) {
    return this.engine.select(body.engine);
  }

  @Post('data')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Write a key: it gets the next version (LSN) and is shipped to each replica after its delay',
  })
  write(@Body() body: WriteDataRequestDto) {
    return this.primary.write(body.key, body.value);
  }

  @Get('data')
  @ApiOperation({ summary: 'All data on the primary, with its version' })
  data() {
    return this.primary.data();
  }

  @Get('data/:key')
  @ApiOperation({ summary: 'One key on the primary' })
  key(@Param('key') key: string) {
    return this.primary.key(key);
  }

  @Get('version')
  @ApiOperation({
    summary: 'The primary’s version; with replica_version, how far behind that replica is (versions and ms)',
  })
  version(@Query() query: PrimaryVersionQueryDto) {
    return this.primary.version(
      query.replica_version === undefined ? undefined : { version: query.replica_version, epoch: query.replica_epoch },
    );
  }

  @Get('state')
  @ApiOperation({ summary: 'Data, version and the replication delays' })
  state() {
    return this.primary.state();
  }

  @Get('log')
  @NodeToNode()
  @ApiOperation({ summary: 'The ordered replication log after an LSN (what a catching-up replica reads)' })
  log(@Query() query: LogQueryDto) {
    return this.primary.logPage(query.after ?? 0, query.limit ?? 500);
  }

  @Get('admin/replication-delays')
  @ApiOperation({
    summary:
      'Current replication delay per replica (postgres-streaming: also each standby’s recovery_min_apply_delay as PostgreSQL reports it)',
  })
  async getDelays() {
    const [delays, engine] = await Promise.all([this.delays.current(), this.engine.current()]);
    const streaming =
      engine === ReplicationEngineKey.PostgresStreaming
        ? {
            engine,
            recovery_min_apply_delay_ms: Object.fromEntries(
              Object.entries((await this.streaming.status()).standbys).map(([r, s]) => [
                r,
                s.recovery_min_apply_delay_ms ?? null,
              ]),
            ),
          }
        : {};
    return {
      delays: this.delays.bySeedUrl(delays),
      default_replica1_ms: REPLICA_SEED.replica1.defaultDelayMs,
      default_replica2_ms: REPLICA_SEED.replica2.defaultDelayMs,
      by_replica: delays,
      ...streaming,
    };
  }

  @Post('admin/replication-delay')
  @HttpCode(200)
  @ApiOperation({ summary: 'Set one replica’s delay (applies to writes from now on)' })
  async setDelay(@Body() body: SetReplicationDelayRequestDto) {
    const replica = this.delays.resolve(body.replica_url);
    const delays = await this.delays.set({ [replica]: body.delay_ms });
    // postgres-streaming: the standby's recovery_min_apply_delay (in force when this answers).
    if (await this.engine.isStreaming()) await this.engine.applyDelays({ [replica]: body.delay_ms });
    return {
      status: 'updated',
      replica_url: body.replica_url,
      delay_ms: body.delay_ms,
      all_delays: this.delays.bySeedUrl(delays),
      replica,
    };
  }

  @Post('admin/replication-delays')
  @HttpCode(200)
  @ApiOperation({ summary: 'Set several replicas’ delays at once' })
  async setDelays(@Body() body: SetReplicationDelaysRequestDto) {
    const changes: Partial<Delays> = {};
    for (const [url, ms] of Object.entries(body.delays))
      changes[this.delays.resolve(url)] = this.delays.validateDelay(url, ms);
    const delays = await this.delays.set(changes);
    if (await this.engine.isStreaming()) await this.engine.applyDelays(changes);
    return { status: 'updated', delays: this.delays.bySeedUrl(delays) };
  }

  @Post('admin/reset')
  @HttpCode(200)
  @ApiOperation({ summary: 'Clear all data (new epoch, version 0), drop queued shipments, reset the replicas' })
  reset() {
    return this.primary.reset();
  }
}
