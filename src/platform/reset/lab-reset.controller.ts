import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AppConfig } from '../config/app-config';
import { LabName, isLabName } from '../config/lab-plan';
import { LabException } from '../http/lab-exception';
import { ApiErrors } from '../http/openapi';
import { LabResetReport, LabResetService } from './lab-reset.service';

/** One reset for everything a lab keeps: data, settings, strategies and faults back to the seed. */
@ApiTags('platform')
@Controller('admin/labs')
export class LabResetController {
  constructor(
    private readonly config: AppConfig,
    private readonly resets: LabResetService,
  ) {}

  @Post('reset')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Every selected lab back to its seed state: data, settings, strategies, faults (like `docker compose down -v`)',
  })
  async resetAll(): Promise<{ status: 'reset'; labs: LabResetReport[] }> {
    return { status: 'reset', labs: await this.resets.resetAll() };
  }

  @Post(':lab/reset')
  @HttpCode(200)
  @ApiOperation({ summary: 'One lab back to its seed state: data, settings, strategies, faults' })
  @ApiErrors(404)
  async resetLab(@Param('lab') lab: string): Promise<{ status: 'reset'; labs: LabResetReport[] }> {
    if (!isLabName(lab) || !this.config.labs.has(lab)) {
      throw new LabException('ADMIN.UNKNOWN_LAB', `Lab "${lab}" is not running here`, 'not_found', {
        running: [...this.config.labs.keys()],
      });
    }
    return { status: 'reset', labs: [await this.resets.reset(lab as LabName)] };
  }
}
