import { Injectable } from '@nestjs/common';
import {
  CheckContext,
  ExperimentCatalogEntry,
  ExperimentRunContext,
  HistoryOp,
  LabExperiment,
  LabExperimentProvider,
  NemesisStep,
  OpOutcome,
  PlannedOp,
  Rng,
  Verdict,
  WorkloadParams,
} from '../../../platform/experiments/experiment.contract';
import { experimentHttp, outcomeOfError } from '../../../platform/experiments/experiment-http';
import { RunSwitch, restoreAfterRun, selectForRun, stepParam } from '../../../platform/experiments/run-restore';
import { StrategySelectionService } from '../../../platform/strategy';
import { BANK_LIMITS, BANK_NODE, BANK_LAB, RaceWindowSettings } from '../bank.config';
import { BalancesValue, checkBankHistory, TransferResult, TransferValue } from '../domain/bank-history.checker';
import { TRANSFER_PORT, TransferStrategyKey } from '../strategies/transfer.port';
import { BankAccountsService } from './bank-accounts.service';
import { BankSettingsService } from './bank-settings.service';

const DELAY_FAULT = 'delay';
/** The seed accounts: the plan must not depend on I/O, so they are named here (prepare checks them). */
const PLANNED_ACCOUNTS = ['alice', 'bob', 'charlie'] as const;
const BARRIER_FAULT = 'barrier';

/**
 * Jepsen's bank on the bank lab: random transfers among the accounts plus reads of every balance
 * in one statement. The checker proves money is conserved in every read, no balance goes
 * negative, the final balances are the initial ones plus the ok transfers, and names lost
 * updates (P4). The nemesis is the lab's own debug delay and barrier, which widen the
 * check-then-act window.
 */
@Injectable()
@LabExperimentProvider()
export class BankExperiment extends LabExperiment {
  readonly lab = BANK_LAB;

  /** The port a run switches, and the race-window settings kept beside it to restore. */
  private readonly transfer: RunSwitch<RaceWindowSettings>;

  constructor(
    private readonly accounts: BankAccountsService,
    private readonly settings: BankSettingsService,
    selection: StrategySelectionService,
  ) {
    super();
    this.transfer = {
      selection,
      lab: BANK_LAB,
      port: TRANSFER_PORT,
      readSettings: async () => {
        const { delay_enabled, delay_ms, barrier_enabled, barrier_count, barrier_timeout_ms } =
          await this.settings.view();
        return { delay_enabled, delay_ms, barrier_enabled, barrier_count, barrier_timeout_ms };
      },
      writeSettings: (previous) => this.settings.update(previous),
    };
  }

  catalog(): ExperimentCatalogEntry {
    return {
      lab: BANK_LAB,
      description:
        'Random transfers among the accounts and reads of all balances in one statement (Jepsen bank). Checked: every read ' +
        'totals the initial money, no negative balance, final balances = initial + ok transfers (info ones either way), lost updates (P4).',
      workloads: [
        {
          name: 'transfers',
          description: 'transfers of 1..max_amount between random accounts; reads of every balance',
        },
      ],
      defaultWorkload: 'transfers',
      strategies: Object.values(TransferStrategyKey),
      defaultStrategy: TransferStrategyKey.Vulnerable,
      faults: [DELAY_FAULT, BARRIER_FAULT],
      nemeses: [
        { name: 'none', description: 'no faults' },
        {
          name: DELAY_FAULT,
          description:
            "the lab's debug delay (50 ms) at the await points, for the whole run: check and act drift apart",
        },
        {
          name: 'delay-flapping',
          description: 'the debug delay switched on and off every ~0.8 s',
        },
        {
          name: BARRIER_FAULT,
          description: 'the barrier lines transfers up in pairs (count 2, timeout 200 ms) for the whole run',
        },
      ].map((n) => ({ ...n, schedule: (rng: Rng, params: WorkloadParams) => bankSchedule(n.name, rng, params) })),
      defaultNemesis: 'none',
      params: [
        {
          name: 'max_amount',
          type: 'integer',
          default: 600,
          min: 1,
          max: 1000,
          description: 'largest transfer, in whole dollars',
        },
        {
          name: 'read_ratio',
          type: 'number',
          default: 0.3,
          min: 0,
          max: 0.9,
          description: 'share of ops that read every balance',
        },
      ],
      defaults: { concurrency: 5, ops: 150, duration_ms: 20_000, op_timeout_ms: 5_000 },
      expectations: [
        { strategy: TransferStrategyKey.Vulnerable, nemesis: DELAY_FAULT, expected: 'invalid' },
        { strategy: TransferStrategyKey.ReadCommitted, nemesis: DELAY_FAULT, expected: 'invalid' },
        { strategy: TransferStrategyKey.RepeatableRead, nemesis: DELAY_FAULT, expected: 'valid' },
        { strategy: TransferStrategyKey.Serializable, nemesis: DELAY_FAULT, expected: 'valid' },
        { strategy: TransferStrategyKey.Safe, nemesis: DELAY_FAULT, expected: 'valid' },
        { strategy: TransferStrategyKey.Vulnerable, nemesis: BARRIER_FAULT, expected: 'invalid' },
        { strategy: TransferStrategyKey.Safe, nemesis: BARRIER_FAULT, expected: 'valid' },
        { strategy: TransferStrategyKey.Safe, nemesis: 'none', expected: 'valid' },
      ],
    };
  }

  /** Opening balances back, delay and barrier off, the strategy selected; the previous strategy and settings kept to restore. */
  async prepare(ctx: Omit<ExperimentRunContext, 'setup'>): Promise<Record<string, unknown>> {
    const restorePoint = await selectForRun(this.transfer, ctx.strategy);
    await this.settings.update({ delay_enabled: false, barrier_enabled: false });
    const accounts = await this.accounts.reset();
    const ids = accounts.map((a) => a.id).sort();
    if (ids.join() !== [...PLANNED_ACCOUNTS].sort().join()) {
      throw new Error(
        `the bank holds accounts ${ids.join(', ')}; the workload plans transfers among ${PLANNED_ACCOUNTS.join(', ')}`,
      );
    }
    const initial: BalancesValue = {};
    for (const a of accounts) initial[a.id] = a.balance;
    return { initial, accounts: accounts.map((a) => a.id), ...restorePoint };
  }

  plan(rng: Rng, params: WorkloadParams): PlannedOp[] {
    const accounts = PLANNED_ACCOUNTS;
    const readRatio = params.read_ratio as number;
    const maxAmount = params.max_amount as number;
    const ops: PlannedOp[] = [];
    for (let i = 0; i < params.ops; i++) {
      const process = i % params.concurrency;
      if (rng.next() < readRatio) {
        ops.push({ process, f: 'read', value: null, node: BANK_NODE });
        continue;
      }
      const from = rng.int(0, accounts.length - 1);
      const to = (from + rng.int(1, accounts.length - 1)) % accounts.length;
      const value: TransferValue = { from: accounts[from], to: accounts[to], amount: rng.int(1, maxAmount) };
      ops.push({ process, f: 'transfer', value, node: BANK_NODE });
    }
    return ops;
  }

  override finalOps(): PlannedOp[] {
    return [{ process: 0, f: 'read', value: { final: true }, node: BANK_NODE }];
  }

  async execute(op: PlannedOp, ctx: ExperimentRunContext): Promise<OpOutcome> {
    if (op.f === 'transfer') {
      const { from, to, amount } = op.value as TransferValue;
      const response = await experimentHttp(ctx, BANK_NODE, '/transfer', {
        body: { from_account: from, to_account: to, amount },
      });
      if (response.status !== 200) return outcomeOfError(response, op.value);
      const log = response.body as {
        id: string;
        status: string;
        from_balance_before: number;
        from_balance_after: number;
        to_balance_before: number;
        to_balance_after: number;
      };
      if (log.status !== 'success') return { type: 'fail', value: op.value, error: log.status };
      const value: TransferResult = {
        from,
        to,
        amount,
        transfer_id: log.id,
        from_balance_before: log.from_balance_before,
        from_balance_after: log.from_balance_after,
        to_balance_before: log.to_balance_before,
        to_balance_after: log.to_balance_after,
      };
      return { type: 'ok', value };
    }
    const response = await experimentHttp(ctx, BANK_NODE, '/accounts');
    if (response.status !== 200) return outcomeOfError(response, op.value);
    const balances: BalancesValue = {};
    for (const a of (response.body as { accounts: Array<{ id: string; balance: number }> }).accounts)
      balances[a.id] = a.balance;
    return { type: 'ok', value: balances };
  }

  async startFault(step: NemesisStep): Promise<void> {
    const params = step.params ?? {};
    if (step.fault === DELAY_FAULT) {
      await this.settings.update({
        delay_enabled: true,
        delay_ms: stepParam(params.ms, 50, 1, BANK_LIMITS.maxDelayMs),
      });
    } else if (step.fault === BARRIER_FAULT) {
      await this.settings.update({
        barrier_enabled: true,
        barrier_count: stepParam(params.count, 2, 2, BANK_LIMITS.maxBarrierCount),
        barrier_timeout_ms: stepParam(
          params.timeout_ms,
          200,
          BANK_LIMITS.minBarrierTimeoutMs,
          BANK_LIMITS.maxBarrierTimeoutMs,
        ),
      });
    } else {
      throw new Error(`bank has no fault "${step.fault}"`);
    }
  }

  async stopFault(step: NemesisStep): Promise<void> {
    if (step.fault === DELAY_FAULT) await this.settings.update({ delay_enabled: false });
    else if (step.fault === BARRIER_FAULT) await this.settings.update({ barrier_enabled: false });
  }

  check = (history: readonly HistoryOp[], context: CheckContext): Verdict => checkBankHistory(history, context);

  override async teardown(ctx: ExperimentRunContext): Promise<void> {
    await restoreAfterRun(this.transfer, ctx.setup);
  }
}

function bankSchedule(name: string, rng: Rng, params: WorkloadParams): NemesisStep[] {
  const whole = params.duration_ms;
  switch (name) {
    case DELAY_FAULT:
      return [{ at_ms: 0, fault: DELAY_FAULT, params: { ms: 50 }, duration_ms: whole }];
    case BARRIER_FAULT:
      return [{ at_ms: 0, fault: BARRIER_FAULT, params: { count: 2, timeout_ms: 200 }, duration_ms: whole }];
    case 'delay-flapping': {
      const steps: NemesisStep[] = [];
      for (let at = rng.int(0, 300); at < whole; at += 1600 + rng.int(0, 400)) {
        steps.push({ at_ms: at, fault: DELAY_FAULT, params: { ms: 50 }, duration_ms: 800 });
      }
      return steps;
    }
    default:
      return [];
  }
}
