import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { nodeRoute } from '../../../../platform/config/lab-plan';
import {
  ReadStrategyRequestDto,
  SessionReadQueryDto,
  SessionWriteRequestDto,
  WriteAndWaitQueryDto,
  WriteDataRequestDto,
} from '../../api/dto/replication.request.dto';
import { ConsistencyMonitorService } from '../../application/consistency-monitor.service';
import { ConsistencyProbeService } from '../../application/consistency-probe.service';
import { SessionReadService } from '../../application/session-read.service';
import { StalenessReportService } from '../../application/staleness-report.service';
import { LAB } from '../../replication.config';

@ApiTags('replication')
@Controller(nodeRoute(LAB, 'client'))
export class ClientController {
  constructor(
    private readonly probe: ConsistencyProbeService,
    private readonly monitor: ConsistencyMonitorService,
    private readonly sessions: SessionReadService,
    private readonly staleness: StalenessReportService,
  ) {}

  @Get('health')
  @ApiOperation({ summary: 'Client health' })
  health() {
    return { status: 'ok', service: 'client' };
  }

  @Post('write-and-read')
  @HttpCode(200)
  @ApiOperation({ summary: 'Write through the primary, then read every replica at once (stale reads expected)' })
  writeAndRead(@Body() body: WriteDataRequestDto) {
    return this.probe.writeAndRead(body.key, body.value);
  }

  @Post('write-and-wait')
  @HttpCode(200)
  @ApiOperation({ summary: 'Write, then wait until every replica has applied it; reports the consistency time in ms' })
  writeAndWait(@Body() body: WriteDataRequestDto, @Query() query: WriteAndWaitQueryDto) {
    return this.probe.writeAndWait(body.key, body.value, query.timeout_ms ?? 5000);
  }

  @Get('read-compare')
  @ApiOperation({ summary: 'Read the primary and every replica now and compare versions' })
  readCompare() {
    return this.probe.readCompare();
  }

  @Get('status')
  @ApiOperation({ summary: 'Consistency status from the background monitor (versions and ms behind per replica)' })
  status() {
    return this.monitor.current();
  }

  @Post('writes')
  @HttpCode(200)
  @ApiOperation({ summary: 'Session write through the primary; returns the session token to pass to the next read' })
  sessionWrite(@Body() body: SessionWriteRequestDto) {
    return this.sessions.write(body.key, body.value, body.session);
  }

  @Get('reads')
  @ApiOperation({
    summary: 'Session read routed by the current read strategy; says whether it missed the session’s own write',
  })
  sessionRead(@Query() query: SessionReadQueryDto) {
    return this.sessions.read(query.key, query.session);
  }

  @Get('admin/read-strategy')
  @ApiOperation({ summary: 'Current read strategy and its settings' })
  readStrategy() {
    return this.sessions.describe();
  }

  @Post('admin/read-strategy')
  @HttpCode(200)
  @ApiOperation({ summary: 'Switch the read strategy and/or its settings at runtime' })
  async setReadStrategy(@Body() body: ReadStrategyRequestDto) {
    const { strategy, ...settings } = body;
    return { status: 'updated', ...(await this.sessions.configure(strategy, settings)) };
  }

  @Get('staleness-report')
  @ApiOperation({ summary: 'Probability a replica read is fresh t ms after a write, per replica, from live reads' })
  stalenessReport() {
    return this.staleness.view();
  }

  @Post('staleness-report/reset')
  @HttpCode(200)
  @ApiOperation({ summary: 'Start the staleness report over' })
  resetStalenessReport() {
    return this.staleness.reset();
  }
}
