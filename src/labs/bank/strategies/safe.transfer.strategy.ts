import { Injectable } from '@nestjs/common';
import { LabStrategy } from '../../../platform/strategy';
import { BANK_LAB } from '../bank.config';
import { toCents, toDecimal } from '../domain/money';
import { LabDatabase } from '../../../platform/database/lab-database';
import { BankRepository } from '../persistence/bank.repository';
import { TRANSFER_PORT, TransferCommand, TransferOutcome, TransferPort, TransferStrategyKey } from './transfer.port';

/**
 * One transaction; both rows locked before the check, in one global order (by id):
 *
 *   barrier ─ BEGIN ─ SELECT … ORDER BY id FOR UPDATE ─ CHECK ─ delay ─ DEBIT ─ CREDIT ─ COMMIT
 *                     └──────── the second transfer waits here until the first commits ────────┘
 *
 * The second transfer reads alice only after the first committed, sees 200 and fails with
 * insufficient funds. Locking by id, not by from/to, means alice→bob and bob→alice ask for the same
 * row first, so they queue instead of deadlocking. The barrier sits before BEGIN, so waiting at it
 * holds no connection and no lock.
 */
@Injectable()
@LabStrategy({
  lab: BANK_LAB,
  port: TRANSFER_PORT,
  key: TransferStrategyKey.Safe,
  description:
    'One transaction, both rows locked FOR UPDATE in id order before the check: no double spend, no deadlock',
})
export class SafeTransferStrategy extends TransferPort {
  constructor(
    private readonly db: LabDatabase,
    private readonly accounts: BankRepository,
  ) {
    super();
  }

  async transfer(command: TransferCommand): Promise<TransferOutcome> {
    const { from, to, amount, window } = command;
    await window.barrier();
    return this.db.transaction('READ COMMITTED', async (tx) => {
      await this.accounts.blockResetUntilCommit(tx);
      const locked = await tx.query<{ id: string; balance: string }>(
        'SELECT id, balance FROM bank.accounts WHERE id IN ($1, $2) ORDER BY id FOR UPDATE',
        [from, to],
      );
      const fromBefore = toCents(locked.find((r) => r.id === from)!.balance);
      const toBefore = toCents(locked.find((r) => r.id === to)!.balance);
      if (fromBefore < amount) {
        const outcome: TransferOutcome = {
          status: 'failed_insufficient_funds',
          attempts: 1,
          balances: { fromBefore, toBefore, fromAfter: fromBefore, toAfter: toBefore },
        };
        await command.journal(tx, outcome);
        return outcome;
      }
      await window.delay('inside the locks');
      const [debited] = await tx.query<{ balance: string }>(
        'UPDATE bank.accounts SET balance = balance - $1 WHERE id = $2 RETURNING balance',
        [toDecimal(amount), from],
      );
      const [credited] = await tx.query<{ balance: string }>(
        'UPDATE bank.accounts SET balance = balance + $1 WHERE id = $2 RETURNING balance',
        [toDecimal(amount), to],
      );
      const outcome: TransferOutcome = {
        status: 'success',
        attempts: 1,
        balances: { fromBefore, toBefore, fromAfter: toCents(debited.balance), toAfter: toCents(credited.balance) },
      };
      await command.journal(tx, outcome);
      return outcome;
    });
  }
}
