import { Body, Controller, Req, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { assertJsonBody } from '../../api/dto/counter-validation';
import { nodeRoute } from '../../../../platform/config/lab-plan';
import { CoordinationDelayQueryDto } from '../../api/dto/admin.request.dto';
import { CounterNameParamDto, CounterAmountRequestDto } from '../../api/dto/increment.request.dto';
import { StrongCounterService } from '../../application/strong-counter.service';
import { LAB } from '../../counter.config';

/** The strongly consistent counter (seed port 8004). */
@ApiTags('counter')
@Controller(nodeRoute(LAB, 'strong'))
export class StrongCounterController {
  constructor(private readonly strong: StrongCounterService) {}

  @Get('health')
  @ApiOperation({ summary: 'strong: health' })
  health() {
    return { status: 'ok', service: 'counter-consistent' };
  }

  @Post('increment')
  @HttpCode(200)
  @ApiOperation({ summary: 'strong: linearizable increment, paying the coordination delay twice' })
  increment(@Body() body: CounterAmountRequestDto, @Req() req: Request) {
    assertJsonBody(req);
    return this.strong.increment(body.counter_name, body.amount);
  }

  @Get('counter/:counter_name')
  @ApiOperation({ summary: 'strong: the latest value of a counter (0 when unknown; never creates it)' })
  counter(@Param() params: CounterNameParamDto) {
    return this.strong.counter(params.counter_name);
  }

  @Get('counters')
  @ApiOperation({ summary: 'strong: every counter and its value' })
  counters() {
    return this.strong.counters();
  }

  @Post('admin/coordination-delay')
  @HttpCode(200)
  @ApiOperation({ summary: 'strong: set the coordination delay (ms, default 50)' })
  setDelay(@Query() query: CoordinationDelayQueryDto) {
    return this.strong.setCoordinationDelay(query.delay_ms);
  }
}
