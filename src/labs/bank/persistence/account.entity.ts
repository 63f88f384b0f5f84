import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An account; money is NUMERIC(18,2), read as a decimal string. */
@Entity({ schema: 'bank', name: 'accounts' })
export class AccountEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ type: 'numeric', precision: 18, scale: 2 })
  balance!: string;

  /** What `POST /reset` restores; the invariants check conserves their sum. */
  @Column({ name: 'opening_balance', type: 'numeric', precision: 18, scale: 2 })
  openingBalance!: string;
}
