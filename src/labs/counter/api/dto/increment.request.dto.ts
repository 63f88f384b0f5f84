import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { REGIONS } from '../../counter.config';
import { COUNTER_NAME_MESSAGE, COUNTER_NAME_PATTERN, MAX_AMOUNT } from './counter-validation';

export class IncrementRequestDto {
  /** Name of the counter (created on first increment). */
  @IsString()
  @Matches(COUNTER_NAME_PATTERN, { message: COUNTER_NAME_MESSAGE })
  counter_name: string = 'views';

  /** A positive integer: a G-Counter only grows (a negative amount would be dropped by merge-by-max). */
  @IsInt({ message: 'amount must be a positive integer' })
  @Min(1, { message: 'amount must be a positive integer' })
  @Max(MAX_AMOUNT)
  amount: number = 1;

  /** Optional: a retried request with the same key is answered from the first result and never counts twice. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  idempotency_key?: string;
}

export const ROUTINGS = ['random', 'round-robin', ...REGIONS] as const;

export class GatewayIncrementRequestDto extends IncrementRequestDto {
  /** `random`, `round-robin`, or a region name to pin the increment to that region. */
  @IsIn(ROUTINGS, { message: `routing must be one of ${ROUTINGS.join(', ')}` })
  routing: string = 'random';
}

export class CounterAmountRequestDto {
  @IsString()
  @Matches(COUNTER_NAME_PATTERN, { message: COUNTER_NAME_MESSAGE })
  counter_name: string = 'views';

  @IsInt({ message: 'amount must be a positive integer' })
  @Min(1, { message: 'amount must be a positive integer' })
  @Max(MAX_AMOUNT)
  amount: number = 1;
}

export class CounterNameParamDto {
  @Matches(COUNTER_NAME_PATTERN, { message: COUNTER_NAME_MESSAGE })
  counter_name!: string;
}
