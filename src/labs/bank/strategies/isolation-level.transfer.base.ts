import { BANK_LIMITS } from '../bank.config';
import { toCents, toDecimal } from '../domain/money';
import { IsolationLevel, LabDatabase } from '../../../platform/database/lab-database';
import { BankRepository } from '../persistence/bank.repository';
import { retryTransaction } from './transaction-retry';
import { TransferCommand, TransferOutcome, TransferPort } from './transfer.port';

/**
 * The vulnerable check-then-act, moved inside ONE transaction at a chosen isolation level and
 * without any explicit lock, so the only protection is what the level itself gives:
 *
 *   barrier ─ BEGIN ISOLATION LEVEL x ─ read ─ delay ─ CHECK ─ delay ─ DEBIT ─ 1 ms ─ CREDIT ─ COMMIT
 *
 * A transaction that PostgreSQL aborts with 40001 (serialization failure) or 40P01 (deadlock) is run
 * again from BEGIN, after a short random back-off; the barrier is passed only once.
 */
export abstract class IsolationLevelTransferStrategy extends TransferPort {
  protected abstract readonly isolation: IsolationLevel;

  constructor(
    private readonly db: LabDatabase,
    private readonly accounts: BankRepository,
  ) {
    super();
  }

  async transfer(command: TransferCommand): Promise<TransferOutcome> {
    const { from, to, amount, window } = command;
    await window.barrier();
    const result = await retryTransaction(
      BANK_LIMITS.maxAttempts,
      ['serialization_failure', 'deadlock'],
      command.retried,
      (attempt) =>
        this.db.transaction(this.isolation, async (tx) => {
          await this.accounts.blockResetUntilCommit(tx);
          const rows = await tx.query<{ id: string; balance: string }>(
            'SELECT id, balance FROM bank.accounts WHERE id IN ($1, $2)',
            [from, to],
          );
          const fromBefore = toCents(rows.find((r) => r.id === from)!.balance);
          const toBefore = toCents(rows.find((r) => r.id === to)!.balance);
          await window.delay('before check');
          if (fromBefore < amount) {
            const outcome: TransferOutcome = {
              status: 'failed_insufficient_funds',
              attempts: attempt,
              balances: { fromBefore, toBefore, fromAfter: fromBefore, toAfter: toBefore },
            };
            await command.journal(tx, outcome);
            return outcome;
          }
          await window.delay('after check, before debit');
          const [debited] = await tx.query<{ balance: string }>(
            'UPDATE bank.accounts SET balance = balance - $1 WHERE id = $2 RETURNING balance',
            [toDecimal(amount), from],
          );
          await window.pause();
          const [credited] = await tx.query<{ balance: string }>(
            'UPDATE bank.accounts SET balance = balance + $1 WHERE id = $2 RETURNING balance',
            [toDecimal(amount), to],
          );
          const outcome: TransferOutcome = {
            status: 'success',
            attempts: attempt,
            balances: { fromBefore, toBefore, fromAfter: toCents(debited.balance), toAfter: toCents(credited.balance) },
          };
          await command.journal(tx, outcome);
          return outcome;
        }),
    );
    if (result.done) return result.value;
    const rows = await this.db.query<{ id: string; balance: string }>(
      'SELECT id, balance FROM bank.accounts WHERE id IN ($1, $2)',
      [from, to],
    );
    const fromNow = toCents(rows.find((r) => r.id === from)!.balance);
    const toNow = toCents(rows.find((r) => r.id === to)!.balance);
    const outcome: TransferOutcome = {
      status: 'failed_conflict',
      attempts: result.attempts,
      reason: result.reason,
      balances: { fromBefore: fromNow, toBefore: toNow, fromAfter: fromNow, toAfter: toNow },
    };
    await command.journal(this.db, outcome);
    return outcome;
  }
}
