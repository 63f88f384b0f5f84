import { Body, Controller, Req, Get, HttpCode, Inject, Param, Post, Type } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { assertJsonBody } from '../../api/dto/counter-validation';
import { nodeRoute } from '../../../../platform/config/lab-plan';
import { NodeToNode } from '../../../../platform/http/node-secret.guard';
import { CounterNameParamDto, IncrementRequestDto, CounterAmountRequestDto } from '../../api/dto/increment.request.dto';
import { PartitionRequestDto } from '../../api/dto/admin.request.dto';
import { SyncRequestDto } from '../../api/dto/sync.request.dto';
import { RegionCounterService, regionServiceToken } from '../../application/region-counter.service';
import { LAB, Region } from '../../counter.config';
import { ApiErrors } from '../../../../platform/http/openapi';

/** The seed's regional counter API (ports 8001-8003), one controller class per region. */
export function createRegionController(region: Region): Type<unknown> {
  @ApiTags('counter')
  @Controller(nodeRoute(LAB, region))
  class RegionController {
    constructor(@Inject(regionServiceToken(region)) private readonly counters: RegionCounterService) {}

    @Get('health')
    @ApiOperation({ summary: `${region}: health with region and node id` })
    health() {
      return this.counters.health();
    }

    @Post('increment')
    @ApiErrors(409)
    @HttpCode(200)
    @ApiOperation({ summary: `${region}: add a positive amount to this region's own G-Counter entry` })
    increment(@Body() body: IncrementRequestDto, @Req() req: Request) {
      assertJsonBody(req);
      return this.counters.increment(body.counter_name, body.amount, body.idempotency_key);
    }

    @Get('counter/:counter_name')
    @ApiOperation({ summary: `${region}: one counter as this region sees it (node map, totals); never creates it` })
    counter(@Param() params: CounterNameParamDto) {
      return this.counters.counter(params.counter_name);
    }

    @Get('counters')
    @ApiOperation({ summary: `${region}: every counter of this region, partition flag and last sync time` })
    all() {
      return this.counters.counters();
    }

    @Post('sync')
    @HttpCode(200)
    @NodeToNode()
    @ApiErrors(409)
    @ApiOperation({
      summary: `${region}: anti-entropy push-pull: merge a peer's state, answer with ours (503 while partitioned; 409 COUNTER.SYNC_STALE while a lab reset runs or when the sender's epoch predates one)`,
    })
    sync(@Body() body: SyncRequestDto) {
      return this.counters.receiveSync(body);
    }

    @Get('admin/partition')
    @ApiOperation({ summary: `${region}: whether this region is cut off from its peers` })
    partition() {
      return this.counters.partitionStatus();
    }

    @Post('admin/partition')
    @HttpCode(200)
    @ApiOperation({ summary: `${region}: cut this region off from its peers (or heal it)` })
    setPartition(@Body() body: PartitionRequestDto) {
      return this.counters.setPartition(body.enabled);
    }

    @Post('admin/force-sync')
    @HttpCode(200)
    @ApiOperation({ summary: `${region}: run one anti-entropy round now (503 while partitioned)` })
    forceSync() {
      return this.counters.forceSync();
    }

    @Post('pn/increment')
    @HttpCode(200)
    @ApiOperation({ summary: `${region}: PN-Counter increment (beyond the seed)` })
    pnIncrement(@Body() body: CounterAmountRequestDto) {
      return this.counters.pnAdd(body.counter_name, 'increment', body.amount);
    }

    @Post('pn/decrement')
    @HttpCode(200)
    @ApiOperation({ summary: `${region}: PN-Counter decrement (beyond the seed)` })
    pnDecrement(@Body() body: CounterAmountRequestDto) {
      return this.counters.pnAdd(body.counter_name, 'decrement', body.amount);
    }

    @Get('pn/counter/:counter_name')
    @ApiOperation({ summary: `${region}: PN-Counter value with its P and N node maps` })
    pnCounter(@Param() params: CounterNameParamDto) {
      return this.counters.pnCounter(params.counter_name);
    }
  }
  Object.defineProperty(RegionController, 'name', { value: `${pascal(region)}RegionController` });
  return RegionController;
}

function pascal(region: string): string {
  return region.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}
