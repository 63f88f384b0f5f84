import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One row of the transaction log (the seed's TransactionLog), written in the transfer's own transaction. */
@Entity({ schema: 'bank', name: 'transfers' })
export class TransferLogEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  seq!: string;

  @Index('transfers_id_idx')
  @Column({ type: 'varchar', length: 16 })
  id!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'from_account', type: 'varchar', length: 64 })
  fromAccount!: string;

  @Column({ name: 'to_account', type: 'varchar', length: 64 })
  toAccount!: string;

  @Column({ type: 'numeric', precision: 18, scale: 2 })
  amount!: string;

  @Column({ name: 'from_balance_before', type: 'numeric', precision: 18, scale: 2 })
  fromBalanceBefore!: string;

  @Column({ name: 'from_balance_after', type: 'numeric', precision: 18, scale: 2 })
  fromBalanceAfter!: string;

  @Column({ name: 'to_balance_before', type: 'numeric', precision: 18, scale: 2 })
  toBalanceBefore!: string;

  @Column({ name: 'to_balance_after', type: 'numeric', precision: 18, scale: 2 })
  toBalanceAfter!: string;

  @Column({ type: 'varchar', length: 32 })
  status!: string;

  @Column({ type: 'varchar', length: 32 })
  strategy!: string;

  @Column({ type: 'integer', default: 1 })
  attempts!: number;

  @Column({ name: 'thread_id', type: 'varchar', length: 64 })
  threadId!: string;

  @Column({ name: 'duration_ms', type: 'double precision' })
  durationMs!: number;
}
