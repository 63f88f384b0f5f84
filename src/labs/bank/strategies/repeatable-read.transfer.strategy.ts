import { Injectable } from '@nestjs/common';
import { LabStrategy } from '../../../platform/strategy';
import { BANK_LAB } from '../bank.config';
import { LabDatabase } from '../../../platform/database/lab-database';
import { BankRepository } from '../persistence/bank.repository';
import { IsolationLevelTransferStrategy } from './isolation-level.transfer.base';
import { TRANSFER_PORT, TransferStrategyKey } from './transfer.port';

/**
 * REPEATABLE READ (snapshot isolation) stops this double spend: when the second DEBIT finds alice's
 * row changed by a transaction that committed after its snapshot, PostgreSQL aborts it with 40001
 * ("could not serialize access due to concurrent update"). The retry reads 200 and fails cleanly.
 * It works here because both transfers write the same row; a rule spanning rows that each
 * transaction writes separately (write skew) would still slip through at this level.
 */
@Injectable()
@LabStrategy({
  lab: BANK_LAB,
  port: TRANSFER_PORT,
  key: TransferStrategyKey.RepeatableRead,
  description: 'Check-then-act in one REPEATABLE READ transaction, retried on 40001: no double spend, pays in retries',
})
export class RepeatableReadTransferStrategy extends IsolationLevelTransferStrategy {
  protected readonly isolation = 'REPEATABLE READ' as const;

  constructor(db: LabDatabase, accounts: BankRepository) {
    super(db, accounts);
  }
}
