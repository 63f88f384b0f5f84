import { Injectable } from '@nestjs/common';
import { LabStrategy } from '../../../platform/strategy';
import { BANK_LAB } from '../bank.config';
import { LabDatabase } from '../../../platform/database/lab-database';
import { BankRepository } from '../persistence/bank.repository';
import { IsolationLevelTransferStrategy } from './isolation-level.transfer.base';
import { TRANSFER_PORT, TransferStrategyKey } from './transfer.port';

/**
 * SERIALIZABLE (SSI) gives the result of some serial order or aborts with 40001. For two debits of
 * one row it behaves like REPEATABLE READ (the second aborts and its retry fails cleanly); it also
 * tracks read/write dependencies, so write skew is caught too. The price is retries, and aborts
 * that can come at COMMIT: every caller must be ready to run the whole transaction again.
 */
@Injectable()
@LabStrategy({
  lab: BANK_LAB,
  port: TRANSFER_PORT,
  key: TransferStrategyKey.Serializable,
  description: 'Check-then-act in one SERIALIZABLE transaction, retried on 40001: no anomaly, pays in retries',
})
export class SerializableTransferStrategy extends IsolationLevelTransferStrategy {
  protected readonly isolation = 'SERIALIZABLE' as const;

  constructor(db: LabDatabase, accounts: BankRepository) {
    super(db, accounts);
  }
}
