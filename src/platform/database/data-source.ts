import { DataSource } from 'typeorm';
import { loadAppConfig } from '../config/app-config';
import { dataSourceOptions } from './database-options';

/** For the TypeORM CLI: `npx typeorm-ts-node-commonjs migration:run -d src/platform/database/data-source.ts` (also `migration:revert`, `migration:show`). */
export default new DataSource(dataSourceOptions(loadAppConfig().env.DATABASE_URL));
