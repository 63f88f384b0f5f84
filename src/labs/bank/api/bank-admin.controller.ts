import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { nodeRoute } from '../../../platform/config/lab-plan';
import { BANK_LAB, BANK_NODE } from '../bank.config';
import { BankSettingsService } from '../application/bank-settings.service';
import { BarrierQueryDto, DelayQueryDto, IsolationQueryDto, SafeModeQueryDto } from './dto/admin.query.dto';
import { SettingsRequestDto } from './dto/settings.request.dto';

/** The seed's admin knobs; every change is partial (what is not sent keeps its value). */
@ApiTags('bank')
@Controller(`${nodeRoute(BANK_LAB, BANK_NODE)}/admin`)
export class BankAdminController {
  constructor(private readonly settings: BankSettingsService) {}

  @Get('settings')
  @ApiOperation({ summary: 'Delay, barrier and transfer strategy settings' })
  view() {
    return this.settings.view();
  }

  @Post('settings')
  @HttpCode(200)
  @ApiOperation({ summary: 'Change any of the settings; fields not sent keep their value' })
  update(@Body() body: SettingsRequestDto) {
    return this.settings.update(body);
  }

  @Post('delay')
  @HttpCode(200)
  @ApiOperation({ summary: 'Turn the debug delay on or off (?enabled=true&ms=200); ms kept when omitted' })
  async delay(@Query() query: DelayQueryDto) {
    const view = await this.settings.update({ delay_enabled: query.enabled ?? true, delay_ms: query.ms });
    return { delay_enabled: view.delay_enabled, delay_ms: view.delay_ms };
  }

  @Post('barrier')
  @HttpCode(200)
  @ApiOperation({ summary: 'Turn the barrier on or off (?enabled=true&count=2); releases current waiters' })
  async barrier(@Query() query: BarrierQueryDto) {
    const view = await this.settings.update({
      barrier_enabled: query.enabled ?? true,
      barrier_count: query.count,
      barrier_timeout_ms: query.timeout_ms,
    });
    return {
      barrier_enabled: view.barrier_enabled,
      barrier_count: view.barrier_count,
      barrier_timeout_ms: view.barrier_timeout_ms,
    };
  }

  @Post('transactions')
  @HttpCode(200)
  @ApiOperation({ summary: 'Safe mode on or off: selects the `safe` or `vulnerable` transfer strategy' })
  async transactions(@Query() query: SafeModeQueryDto) {
    const view = await this.settings.update({ use_transactions: query.enabled ?? true });
    return { use_transactions: view.use_transactions, transfer_strategy: view.transfer_strategy };
  }

  @Post('isolation')
  @HttpCode(200)
  @ApiOperation({ summary: 'Run transfers as check-then-act in one transaction at this isolation level' })
  async isolation(@Query() query: IsolationQueryDto) {
    const view = await this.settings.update({ transfer_strategy: query.level });
    return { use_transactions: view.use_transactions, transfer_strategy: view.transfer_strategy };
  }
}
