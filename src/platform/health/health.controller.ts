import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { AppConfig } from '../config/app-config';
import { LabName, isLabName } from '../config/lab-plan';
import { LabException } from '../http/lab-exception';
import { ApiErrors, ErrorResponseDto } from '../http/openapi';
import { DependencyHealthService, Readiness } from './dependency-health.service';

export class LivenessResponseDto {
  @ApiProperty({ enum: ['ok'], example: 'ok' })
  status!: 'ok';

  @ApiProperty({ description: 'Seconds since the process started', example: 42.5 })
  uptime_s!: number;
}

/**
 * Liveness and readiness apart, for compose healthchecks and balancers: live says the process
 * answers (restart it if not); ready says the labs it serves can reach what they need right now.
 */
@ApiTags('platform')
@Controller('health')
export class HealthController {
  private readonly started = Date.now();

  constructor(
    private readonly config: AppConfig,
    private readonly health: DependencyHealthService,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: 200 while the process answers, whatever its dependencies do' })
  @ApiOkResponse({ type: LivenessResponseDto })
  live(): LivenessResponseDto {
    return { status: 'ok', uptime_s: Math.round((Date.now() - this.started) / 100) / 10 };
  }

  @Get('ready')
  @ApiOperation({
    summary:
      'Readiness of every selected lab: 503 while a dependency one of them needs is down or does not answer in time',
  })
  @ApiServiceUnavailableResponse({
    description: 'Not ready: `details` names the dependencies and the labs',
    type: ErrorResponseDto,
  })
  async ready() {
    return this.answer(await this.health.readiness([...this.config.labs.keys()]));
  }

  @Get('ready/:lab')
  @ApiOperation({ summary: 'Readiness of one lab: 503 while a dependency it needs is down (other labs keep serving)' })
  @ApiServiceUnavailableResponse({ description: 'Not ready: `details` names the dependencies', type: ErrorResponseDto })
  @ApiErrors(404)
  async readyLab(@Param('lab') lab: string) {
    if (!isLabName(lab) || !this.config.labs.has(lab)) {
      throw new LabException('HEALTH.UNKNOWN_LAB', `Lab "${lab}" is not running here`, 'not_found', {
        running: [...this.config.labs.keys()],
      });
    }
    return this.answer(await this.health.readiness([lab as LabName]));
  }

  private answer(readiness: Readiness): { status: 'ready' } & Omit<Readiness, 'ready'> {
    const { ready, ...rest } = readiness;
    if (ready) return { status: 'ready', ...rest };
    const down = Object.entries(rest.labs)
      .filter(([, l]) => l.status === 'down')
      .map(([lab, l]) => `${lab} (${l.down.join(', ')})`);
    throw new LabException(
      'HEALTH.NOT_READY',
      `Not ready: ${down.join('; ')} down or not answering`,
      'unavailable',
      rest,
    );
  }
}
