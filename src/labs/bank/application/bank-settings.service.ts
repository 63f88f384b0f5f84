import { Injectable } from '@nestjs/common';
import { StrategySelectionService } from '../../../platform/strategy';
import { BANK_LAB, RaceWindowSettings } from '../bank.config';
import { TRANSFER_PORT, TransferStrategyKey } from '../strategies/transfer.port';
import { RaceWindowService } from './race-window.service';

/** GET /admin/settings: the seed's five keys first, then what this port adds. */
export interface BankSettingsView {
  delay_enabled: boolean;
  delay_ms: number;
  barrier_enabled: boolean;
  barrier_count: number;
  use_transactions: boolean;
  barrier_timeout_ms: number;
  transfer_strategy: string;
  barrier_waiting: number;
}

export interface BankSettingsChange extends Partial<RaceWindowSettings> {
  use_transactions?: boolean;
  transfer_strategy?: string;
}

/**
 * The seed's admin knobs. "Safe mode" (`use_transactions`) is the `safe` key of the `transfer`
 * port, selected through the platform's selection service, so /admin/labs shows the same choice.
 */
@Injectable()
export class BankSettingsService {
  constructor(
    private readonly raceWindow: RaceWindowService,
    private readonly selection: StrategySelectionService,
  ) {}

  async view(): Promise<BankSettingsView> {
    const [window, strategy] = await Promise.all([
      this.raceWindow.settings(),
      this.selection.current(BANK_LAB, TRANSFER_PORT),
    ]);
    return {
      delay_enabled: window.delay_enabled,
      delay_ms: window.delay_ms,
      barrier_enabled: window.barrier_enabled,
      barrier_count: window.barrier_count,
      use_transactions: strategy === TransferStrategyKey.Safe,
      barrier_timeout_ms: window.barrier_timeout_ms,
      transfer_strategy: strategy,
      barrier_waiting: this.raceWindow.waiting,
    };
  }

  /** Applies only the fields given; a strategy is validated before anything changes. */
  async update(change: BankSettingsChange): Promise<BankSettingsView> {
    const strategy =
      change.transfer_strategy ??
      (change.use_transactions === undefined
        ? undefined
        : change.use_transactions
          ? TransferStrategyKey.Safe
          : TransferStrategyKey.Vulnerable);
    if (strategy !== undefined) await this.selection.select(BANK_LAB, TRANSFER_PORT, strategy);
    await this.raceWindow.update({
      delay_enabled: change.delay_enabled,
      delay_ms: change.delay_ms,
      barrier_enabled: change.barrier_enabled,
      barrier_count: change.barrier_count,
      barrier_timeout_ms: change.barrier_timeout_ms,
    });
    return this.view();
  }

  strategies(): string[] {
    return this.selection.keys(BANK_LAB, TRANSFER_PORT);
  }
}
