import { Injectable } from '@nestjs/common';
import { LabStrategy } from '../../../platform/strategy';
import { BANK_LAB } from '../bank.config';
import { LabDatabase } from '../../../platform/database/lab-database';
import { BankRepository } from '../persistence/bank.repository';
import { IsolationLevelTransferStrategy } from './isolation-level.transfer.base';
import { TRANSFER_PORT, TransferStrategyKey } from './transfer.port';

/**
 * READ COMMITTED (PostgreSQL's default) lets the double spend through. Each statement sees what was
 * committed when it started, so both transfers read 1000 and pass the check. The second DEBIT waits
 * for the first one's row lock, then re-reads the committed row (200) and applies `- 800` to it:
 * -600. A transaction alone does not close a check-then-act window.
 */
@Injectable()
@LabStrategy({
  lab: BANK_LAB,
  port: TRANSFER_PORT,
  key: TransferStrategyKey.ReadCommitted,
  description: 'Check-then-act in one READ COMMITTED transaction, no locks: still double spends',
})
export class ReadCommittedTransferStrategy extends IsolationLevelTransferStrategy {
  protected readonly isolation = 'READ COMMITTED' as const;

  constructor(db: LabDatabase, accounts: BankRepository) {
    super(db, accounts);
  }
}
