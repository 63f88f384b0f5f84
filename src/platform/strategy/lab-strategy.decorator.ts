import { SetMetadata } from '@nestjs/common';

export const LAB_STRATEGY = Symbol('LAB_STRATEGY');

export interface LabStrategyMeta {
  /** The lab that owns the port, e.g. `booking`. */
  lab: string;
  /** The concern, e.g. `seat-locking`. */
  port: string;
  /** The key users select, e.g. `pessimistic` (shown in the admin API and the `strategy` label). */
  key: string;
  /** The selection before anyone chooses; exactly one strategy of a port is the default. */
  isDefault?: boolean;
  /** One line for /admin/labs: what this strategy does and the window it leaves open. */
  description?: string;
}

/** Tags a provider as one strategy of a lab's port; the registry finds it at boot. */
export const LabStrategy = (meta: LabStrategyMeta): ClassDecorator => SetMetadata(LAB_STRATEGY, meta);
