import { DynamicModule, Module } from '@nestjs/common';
import { LabWiring, wireLab } from '../../platform/config/lab-wiring';
import { BANK_LAB } from './bank.config';
import { BankMetrics, bankMetricProviders } from './bank.metrics';
import { BankAdminController } from './api/bank-admin.controller';
import { BankController } from './api/bank.controller';
import { BankAccountsService } from './application/bank-accounts.service';
import { BankReset } from './application/bank.reset';
import { BankExperiment } from './application/bank.experiment';
import { BankSettingsService } from './application/bank-settings.service';
import { RaceWindowService } from './application/race-window.service';
import { TransferMoneyService } from './application/transfer-money.service';
import { labDatabaseProvider } from '../../platform/database/database-pools.service';
import { BankRepository } from './persistence/bank.repository';
import { ReadCommittedTransferStrategy } from './strategies/read-committed.transfer.strategy';
import { RepeatableReadTransferStrategy } from './strategies/repeatable-read.transfer.strategy';
import { SafeTransferStrategy } from './strategies/safe.transfer.strategy';
import { SerializableTransferStrategy } from './strategies/serializable.transfer.strategy';
import { VulnerableTransferStrategy } from './strategies/vulnerable.transfer.strategy';

/** Shared providers always (strategies included, so /admin/labs lists them); each node adds its controllers and stateful services. */
const BANK_WIRING: LabWiring<typeof BANK_LAB> = {
  lab: BANK_LAB,
  shared: [
    ...bankMetricProviders,
    BankMetrics,
    labDatabaseProvider(BANK_LAB),
    BankRepository,
    RaceWindowService,
    BankSettingsService,
    BankAccountsService,
    BankReset,
    TransferMoneyService,
    VulnerableTransferStrategy,
    SafeTransferStrategy,
    ReadCommittedTransferStrategy,
    RepeatableReadTransferStrategy,
    SerializableTransferStrategy,
    BankExperiment,
  ],
  nodes: {
    bank: { controllers: [BankController, BankAdminController], providers: [] },
  },
};

/** The transfer-race lab: one node, `bank` (seed port 8000). */
@Module({})
export class BankModule {
  static register(nodes: string[]): DynamicModule {
    return wireLab(BankModule, BANK_WIRING, nodes);
  }
}
