import { SetMetadata } from '@nestjs/common';

/**
 * What a lab adds to the platform's reset (POST /admin/labs/reset, /admin/labs/:lab/reset). The
 * platform already puts back every strategy port's default, clears the lab's runtime settings
 * (delays, barriers, crash points, ...) and restarts its crashed nodes; the hook brings the lab's
 * own data and in-process state back to the seed (rows, Redis keys, partitions, counters) for the
 * nodes this process runs. One provider per lab extends this and carries `@LabResetProvider()`;
 * the platform finds it at boot and never imports the lab.
 */
export abstract class LabResetHook {
  abstract readonly lab: string;

  /** Back to the seed state; the answer says what was reset (shown in the reset response). */
  abstract reset(): Promise<Record<string, unknown>>;
}

export const LAB_RESET_HOOK = 'labs:reset-hook';

export const LabResetProvider = (): ClassDecorator => SetMetadata(LAB_RESET_HOOK, true);
