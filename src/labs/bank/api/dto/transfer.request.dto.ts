import { IsNotEmpty, IsString, Max, MaxLength, ValidateBy } from 'class-validator';
import { BANK_LIMITS } from '../../bank.config';

/** A finite JSON number, above zero, with at most two decimals (cents). */
const IsMoneyAmount = () =>
  ValidateBy({
    name: 'isMoneyAmount',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'number' &&
        Number.isFinite(value) &&
        value > 0 &&
        Math.abs(Math.round(value * 100) - value * 100) < 1e-6,
      defaultMessage: () => 'amount must be a positive JSON number with at most two decimals',
    },
  });

export class TransferRequestDto {
  /** The account to debit, e.g. `alice`. */
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  from_account!: string;

  /** The account to credit, e.g. `bob`; must differ from `from_account`. */
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  to_account!: string;

  /** A positive JSON number with at most two decimals, e.g. 800 or 12.5. */
  @IsMoneyAmount()
  @Max(BANK_LIMITS.maxAmount)
  amount!: number;
}
