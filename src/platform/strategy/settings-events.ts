/** Raised in every process when a lab's strategy selection changed (in this process or, via SettingsBus, another). */
export const STRATEGY_CHANGED = 'lab.strategy.changed';

export interface StrategyChangedEvent {
  lab: string;
  port: string;
  from: string;
  to: string;
}

/** Raised in every process when a lab's runtime setting changed; `*` for "everything may have" (a reset, a missed notice). */
export const SETTINGS_CHANGED = 'lab.settings.changed';

export interface SettingsChangedEvent {
  /** The lab, or `*` for every lab. */
  lab: string;
  /** The setting's name (`consumer`, `race-window`, ...) or `*`. */
  name: string;
}
