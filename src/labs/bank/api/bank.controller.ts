import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { nodeRoute } from '../../../platform/config/lab-plan';
import { BANK_LAB, BANK_LIMITS, BANK_NODE, BANK_SERVICE } from '../bank.config';
import { BankAccountsService } from '../application/bank-accounts.service';
import { TransferMoneyService } from '../application/transfer-money.service';
import { TransactionsQueryDto } from './dto/admin.query.dto';
import { TransferRequestDto } from './dto/transfer.request.dto';
import { ApiErrors } from '../../../platform/http/openapi';

/** The seed's bank-api endpoints (on :8000 without the prefix), plus the live invariants check. */
@ApiTags('bank')
@Controller(nodeRoute(BANK_LAB, BANK_NODE))
export class BankController {
  constructor(
    private readonly accounts: BankAccountsService,
    private readonly transfers: TransferMoneyService,
  ) {}

  @Get('health')
  @ApiOperation({ summary: 'Liveness of the bank API (seed shape)' })
  health() {
    return { status: 'ok', service: BANK_SERVICE };
  }

  @Get('accounts')
  @ApiOperation({ summary: 'Every account and its balance' })
  async list() {
    return { accounts: await this.accounts.list() };
  }

  @Get('accounts/:id')
  @ApiErrors(404)
  @ApiOperation({ summary: 'One account and its balance (404 when unknown)' })
  account(@Param('id') id: string) {
    return this.accounts.get(id);
  }

  @Post('transfer')
  @ApiErrors(404, 409)
  @HttpCode(200)
  @ApiOperation({ summary: 'Move money with the selected transfer strategy; returns the transaction log entry' })
  transfer(@Body() body: TransferRequestDto) {
    return this.transfers.transfer({ from: body.from_account, to: body.to_account, amount: body.amount });
  }

  @Post('reset')
  @HttpCode(200)
  @ApiOperation({ summary: 'Restore the opening balances and empty the log (waits for in-flight writes)' })
  async reset() {
    return { status: 'reset', accounts: await this.accounts.reset() };
  }

  @Get('transactions')
  @ApiOperation({ summary: 'The latest transaction log entries, oldest first (limit 1..1000, default 20)' })
  async transactions(@Query() query: TransactionsQueryDto) {
    return { transactions: await this.accounts.recent(query.limit ?? BANK_LIMITS.defaultTransactionsLimit) };
  }

  @Get('invariants')
  @ApiOperation({
    summary: 'The Jepsen bank check, live: money conserved since reset, no negative balance, ledger matches',
  })
  invariants() {
    return this.accounts.invariants();
  }
}
