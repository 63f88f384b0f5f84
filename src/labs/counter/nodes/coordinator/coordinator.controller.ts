import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { nodeRoute } from '../../../../platform/config/lab-plan';
import { EnabledQueryDto, GlobalPartitionRequestDto } from '../../api/dto/admin.request.dto';
import { CounterNameParamDto } from '../../api/dto/increment.request.dto';
import { CoordinatorService } from '../../application/coordinator.service';
import { LAB } from '../../counter.config';
import { ApiErrors } from '../../../../platform/http/openapi';

/** The coordinator (seed port 8000). */
@ApiTags('counter')
@Controller(nodeRoute(LAB, 'coordinator'))
export class CoordinatorController {
  constructor(private readonly coordinator: CoordinatorService) {}

  @Get('health')
  @ApiOperation({ summary: 'coordinator: health' })
  health() {
    return { status: 'ok', service: 'coordinator' };
  }

  @Get('global/counter/:counter_name')
  @ApiOperation({ summary: 'coordinator: global view of a counter (merged node maps) and convergence' })
  counter(@Param() params: CounterNameParamDto) {
    return this.coordinator.globalCounter(params.counter_name);
  }

  @Get('global/counters')
  @ApiOperation({ summary: "coordinator: every region's /counters" })
  counters() {
    return this.coordinator.globalCounters();
  }

  @Get('global/status')
  @ApiOperation({ summary: 'coordinator: health and partition flag of every region' })
  status() {
    return this.coordinator.globalStatus();
  }

  @Get('global/convergence/:counter_name')
  @ApiOperation({
    summary: 'coordinator: convergence check — every region against the increments the regions acknowledged',
  })
  convergence(@Param() params: CounterNameParamDto) {
    return this.coordinator.convergence(params.counter_name);
  }

  @Post('global/partition/all')
  @HttpCode(200)
  @ApiOperation({ summary: 'coordinator: partition (or heal) every region' })
  partitionAll(@Query() query: EnabledQueryDto) {
    return this.coordinator.partitionAll(query.enabled);
  }

  @Post('global/partition')
  @ApiErrors(404)
  @HttpCode(200)
  @ApiOperation({ summary: 'coordinator: partition (or heal) one region' })
  partition(@Body() body: GlobalPartitionRequestDto) {
    return this.coordinator.partition(body.region, body.enabled);
  }

  @Post('global/force-sync')
  @HttpCode(200)
  @ApiOperation({ summary: 'coordinator: make every region run an anti-entropy round now, in parallel' })
  forceSync() {
    return this.coordinator.forceSync();
  }
}
