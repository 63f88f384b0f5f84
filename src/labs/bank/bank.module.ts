import { DynamicModule, Module } from '@nestjs/common';
import { BANK_LAB, BANK_NODE } from './bank.config';
import { bankMetricProviders } from './bank.metrics';
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

/** The transfer-race lab: one node, `bank` (seed port 8000). */
@Module({})
export class BankModule {
  static register(nodes: string[]): DynamicModule {
    const serves = nodes.includes(BANK_NODE);
    return {
      module: BankModule,
      controllers: serves ? [BankController, BankAdminController] : [],
      providers: [
        ...bankMetricProviders,
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
    };
  }
}
