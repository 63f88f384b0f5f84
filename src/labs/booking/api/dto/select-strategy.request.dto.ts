import { IsString, MaxLength } from 'class-validator';

export class SelectStrategyRequestDto {
  /** none, pessimistic, optimistic, distributed or fenced. */
  @IsString()
  @MaxLength(64)
  strategy!: string;
}
