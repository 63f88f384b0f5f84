import { Injectable } from '@nestjs/common';
import { LabStrategy } from '../../../platform/strategy';
import { BANK_LAB } from '../bank.config';
import { toCents, toDecimal } from '../domain/money';
import { LabDatabase, SqlExecutor } from '../../../platform/database/lab-database';
import { BankRepository } from '../persistence/bank.repository';
import { TRANSFER_PORT, TransferCommand, TransferOutcome, TransferPort, TransferStrategyKey } from './transfer.port';

/**
 * Check-then-act in separate autocommit statements, with the seed's await points:
 *
 *   read ─ barrier ─ delay ─ CHECK balance >= amount ─ delay ─ DEBIT balance - amount ─ 1 ms ─ CREDIT
 *                            └──── the window: nothing stops a second transfer ────┘
 *
 * Two $800 transfers from alice's $1000 both pass the check before either debits, and the relative
 * debit (`balance = balance - $1`) then applies both: alice ends at -600, money is double spent.
 * The debug delay between CHECK and DEBIT is the window; the barrier lines both transfers up in it.
 *
 * The check uses the balance read before the barrier, as the seed did, so with the barrier on both
 * transfers check the same $1000 and the race is guaranteed even without the delay.
 *
 * With delay and barrier off, the seed awaited nothing between check and deduct (one event loop,
 * in memory), so no overdraft could happen. Against PostgreSQL "nothing in between" means one
 * statement, `UPDATE … WHERE balance >= $1`: the check and the act can no longer be split.
 * That single statement is the whole fix; the window opens as soon as a delay or the barrier
 * separates them.
 *
 * There is no transaction, as in the seed. A session-level advisory lock only makes a reset wait
 * until the credit is written, so a reset never splits a transfer; it closes no part of the window.
 */
@Injectable()
@LabStrategy({
  lab: BANK_LAB,
  port: TRANSFER_PORT,
  key: TransferStrategyKey.Vulnerable,
  isDefault: true,
  description:
    'Read, check, then debit in separate statements: concurrent transfers both pass the check (double spend)',
})
export class VulnerableTransferStrategy extends TransferPort {
  constructor(
    private readonly db: LabDatabase,
    private readonly accounts: BankRepository,
  ) {
    super();
  }

  async transfer(command: TransferCommand): Promise<TransferOutcome> {
    const { from, to, amount, window } = command;
    const before = await this.readBalances(this.db, from, to);
    await window.barrier();
    await window.delay('before check');

    return this.db.session((session) =>
      this.accounts.blockResetDuring(session, async () => {
        const insufficient = async (): Promise<TransferOutcome> => {
          const now = await this.readBalances(session, from, to);
          const outcome: TransferOutcome = {
            status: 'failed_insufficient_funds',
            attempts: 1,
            balances: { fromBefore: before.from, toBefore: before.to, fromAfter: now.from, toAfter: now.to },
          };
          await command.journal(session, outcome);
          return outcome;
        };
        let debited: { balance: string } | undefined;
        if (window.widened) {
          if (before.from < amount) return insufficient();
          await window.delay('after check, before debit');
          [debited] = await session.query<{ balance: string }>(
            'UPDATE bank.accounts SET balance = balance - $1 WHERE id = $2 RETURNING balance',
            [toDecimal(amount), from],
          );
        } else {
          [debited] = await session.query<{ balance: string }>(
            'UPDATE bank.accounts SET balance = balance - $1 WHERE id = $2 AND balance >= $1 RETURNING balance',
            [toDecimal(amount), from],
          );
          if (!debited) return insufficient();
        }
        await window.pause();
        const [credited] = await session
          .query<{ balance: string }>(
            'UPDATE bank.accounts SET balance = balance + $1 WHERE id = $2 RETURNING balance',
            [toDecimal(amount), to],
          )
          .catch(async (err: unknown) => {
            await session.query('UPDATE bank.accounts SET balance = balance + $1 WHERE id = $2', [
              toDecimal(amount),
              from,
            ]);
            throw err;
          });
        const outcome: TransferOutcome = {
          status: 'success',
          attempts: 1,
          balances: {
            fromBefore: before.from,
            toBefore: before.to,
            fromAfter: toCents(debited.balance),
            toAfter: toCents(credited.balance),
          },
        };
        await command.journal(session, outcome);
        return outcome;
      }),
    );
  }

  private async readBalances(db: SqlExecutor, from: string, to: string): Promise<{ from: number; to: number }> {
    const rows = await db.query<{ id: string; balance: string }>(
      'SELECT id, balance FROM bank.accounts WHERE id IN ($1, $2)',
      [from, to],
    );
    const balance = (id: string) => toCents(rows.find((r) => r.id === id)!.balance);
    return { from: balance(from), to: balance(to) };
  }
}
