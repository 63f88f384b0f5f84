import { IsBoolean, IsIn, IsOptional } from 'class-validator';
import { DELIVERY_MODES, DeliveryMode } from '../../strategies/delivery.port';

/** Missing or null fields leave the setting unchanged. */
export class ProducerConfigRequestDto {
  @IsOptional()
  @IsIn(DELIVERY_MODES)
  delivery_mode?: DeliveryMode | null;

  @IsOptional()
  @IsBoolean()
  enable_transactions?: boolean | null;
}
