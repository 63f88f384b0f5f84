import { Body, Controller, Req, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { assertJsonBody } from '../../api/dto/counter-validation';
import { nodeRoute } from '../../../../platform/config/lab-plan';
import {
  CompareRequestDto,
  EnabledQueryDto,
  RegionParamDto,
  SyncSettingsRequestDto,
} from '../../api/dto/admin.request.dto';
import { CounterNameParamDto, GatewayIncrementRequestDto } from '../../api/dto/increment.request.dto';
import { GatewayService } from '../../application/gateway.service';
import { LAB } from '../../counter.config';

/** The gateway (seed port 8080). The literal /admin/partition/all is declared before /admin/partition/:region. */
@ApiTags('counter')
@Controller(nodeRoute(LAB, 'gateway'))
export class GatewayController {
  constructor(private readonly gateway: GatewayService) {}

  @Get('health')
  @ApiOperation({ summary: 'gateway: health' })
  health() {
    return { status: 'ok', service: 'gateway' };
  }

  @Post('api/increment')
  @HttpCode(200)
  @ApiOperation({ summary: 'gateway: increment on a region chosen by routing (random, round-robin or a region name)' })
  increment(@Body() body: GatewayIncrementRequestDto, @Req() req: Request) {
    assertJsonBody(req);
    return this.gateway.increment(body);
  }

  @Get('api/counter/:counter_name')
  @ApiOperation({ summary: 'gateway: global view of a counter through the coordinator' })
  counter(@Param() params: CounterNameParamDto) {
    return this.gateway.counter(params.counter_name);
  }

  @Get('api/counters')
  @ApiOperation({ summary: "gateway: every region's counters through the coordinator" })
  counters() {
    return this.gateway.counters();
  }

  @Get('api/status')
  @ApiOperation({ summary: 'gateway: region health and partition flags through the coordinator' })
  status() {
    return this.gateway.status();
  }

  @Post('api/compare')
  @HttpCode(200)
  @ApiOperation({ summary: 'gateway: time increments on one region (eventual) against the strong counter' })
  compare(@Body() body: CompareRequestDto, @Req() req: Request) {
    assertJsonBody(req);
    return this.gateway.compare(body.counter_name, body.iterations);
  }

  @Get('api/convergence')
  @ApiOperation({ summary: 'gateway: the last heal and how long the regions took to converge after it' })
  lastHeal() {
    return { last_heal: this.gateway.healReport() };
  }

  @Get('api/convergence/:counter_name')
  @ApiOperation({ summary: 'gateway: convergence check of one counter (lost / double-counted increments per region)' })
  convergence(@Param() params: CounterNameParamDto) {
    return this.gateway.convergence(params.counter_name);
  }

  @Post('admin/partition/all')
  @HttpCode(200)
  @ApiOperation({ summary: 'gateway: partition (enabled=true, default) or heal every region' })
  partitionAll(@Query() query: EnabledQueryDto) {
    return this.gateway.partitionAll(query.enabled);
  }

  @Post('admin/partition/:region')
  @HttpCode(200)
  @ApiOperation({ summary: 'gateway: partition (enabled=true, default) or heal one region' })
  partition(@Param() params: RegionParamDto, @Query() query: EnabledQueryDto) {
    return this.gateway.partition(params.region, query.enabled);
  }

  @Post('admin/force-sync')
  @HttpCode(200)
  @ApiOperation({ summary: 'gateway: every region runs an anti-entropy round now' })
  forceSync() {
    return this.gateway.forceSync();
  }

  @Get('admin/sync-settings')
  @ApiOperation({ summary: 'gateway: the anti-entropy interval every region uses' })
  syncSettings() {
    return this.gateway.syncSettings();
  }

  @Post('admin/sync-settings')
  @HttpCode(200)
  @ApiOperation({ summary: 'gateway: change the anti-entropy interval of every region (default 5000 ms)' })
  setSyncSettings(@Body() body: SyncSettingsRequestDto) {
    return this.gateway.setSyncSettings(body);
  }
}
