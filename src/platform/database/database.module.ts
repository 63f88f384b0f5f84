import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { dataSourceOptions, ensureDatabase } from './database-options';

/** TypeORM on PostgreSQL; the labs' migrations run at boot, `synchronize` is off everywhere. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: async (config: AppConfig) => {
        await ensureDatabase(config.env.DATABASE_URL);
        return { ...dataSourceOptions(config.env.DATABASE_URL), retryAttempts: 3, retryDelay: 1000 };
      },
    }),
  ],
})
export class DatabaseModule {}
