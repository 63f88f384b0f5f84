import type { StrategySelectionService } from '../strategy/strategy-selection.service';

/** Kept in a run's setup by `selectForRun`, read back by `restoreAfterRun`. */
export interface RunRestorePoint<S> {
  previous_strategy: string;
  previous_settings: S;
}

/** The port an experiment switches: a lab's strategy port and how to read and write the lab's settings. */
export interface RunSwitch<S> {
  selection: StrategySelectionService;
  lab: string;
  port: string;
  readSettings(): Promise<S>;
  writeSettings(settings: S): Promise<unknown>;
}

/**
 * The start of a lab's `prepare`: what the lab had (the port's strategy and its settings) is read,
 * then the run's strategy is selected through the selection service (so `STRATEGY_CHANGED` fires
 * as it does from the admin API). Spread the answer into the setup; `restoreAfterRun` in
 * `teardown` puts both back.
 */
export async function selectForRun<S>(target: RunSwitch<S>, strategy: string): Promise<RunRestorePoint<S>> {
  const [previousStrategy, previousSettings] = await Promise.all([
    target.selection.current(target.lab, target.port),
    target.readSettings(),
  ]);
  await target.selection.select(target.lab, target.port, strategy);
  return { previous_strategy: previousStrategy, previous_settings: previousSettings };
}

/** The end of `teardown`: the lab's settings, then its strategy, as `selectForRun` found them; nothing when prepare stopped before it. */
export async function restoreAfterRun<S>(target: RunSwitch<S>, setup: Record<string, unknown>): Promise<void> {
  const point = setup as Partial<RunRestorePoint<S>>;
  if (point.previous_settings !== undefined) await target.writeSettings(point.previous_settings);
  if (typeof point.previous_strategy === 'string')
    await target.selection.select(target.lab, target.port, point.previous_strategy);
}

/** A nemesis step's numeric parameter: `fallback` when absent or not a finite number, rounded and held within [min, max]. */
export function stepParam(value: unknown, fallback: number, min: number, max: number): number {
  const n = typeof value === 'number' && Number.isFinite(value) ? value : fallback;
  return Math.min(max, Math.max(min, Math.round(n)));
}
