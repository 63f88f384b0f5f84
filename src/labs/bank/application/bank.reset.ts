import { Injectable } from '@nestjs/common';
import { LabResetHook, LabResetProvider } from '../../../platform/reset/lab-reset.contract';
import { BANK_LAB } from '../bank.config';
import { BankAccountsService } from './bank-accounts.service';
import { RaceWindowService } from './race-window.service';

/** Bank's part of the one reset: no delay or barrier, the opening balances, an empty transaction log. */
@Injectable()
@LabResetProvider()
export class BankReset extends LabResetHook {
  readonly lab = BANK_LAB;

  constructor(
    private readonly accounts: BankAccountsService,
    private readonly raceWindow: RaceWindowService,
  ) {
    super();
  }

  async reset(): Promise<Record<string, unknown>> {
    // the barrier first: transfers waiting at it are released before the balances are restored
    await this.raceWindow.reset();
    const accounts = await this.accounts.reset();
    return { accounts: accounts.length, transactions: 0, race_window: 'defaults' };
  }
}
