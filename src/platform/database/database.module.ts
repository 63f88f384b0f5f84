import { Global, Logger, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DatabasePools } from './database-pools.service';
import { runMigrations } from './database-options';

const MIGRATED = Symbol('migrated');
const ATTEMPTS = 3;

/**
 * PostgreSQL for the labs: the migrations run at boot (TypeORM, `synchronize` off everywhere),
 * then each lab gets its own pool and executor from DatabasePools (`labDatabaseProvider(lab)`).
 */
@Global()
@Module({
  providers: [
    {
      provide: MIGRATED,
      inject: [AppConfig],
      useFactory: async (config: AppConfig) => {
        for (let attempt = 1; ; attempt++) {
          try {
            await runMigrations(config.env.DATABASE_URL);
            return true;
          } catch (err) {
            if (attempt >= ATTEMPTS) throw err;
            new Logger('Database').warn(`migrations failed (${(err as Error).message}); retrying`);
            await new Promise((resolve) => setTimeout(resolve, 1000));
          }
        }
      },
    },
    {
      provide: DatabasePools,
      inject: [AppConfig, MIGRATED],
      useFactory: (config: AppConfig) => new DatabasePools(config),
    },
  ],
  exports: [DatabasePools],
})
export class DatabaseModule {}
