/** The booking lab's names and the defaults of its runtime settings (changed through /admin/settings). */
export const BOOKING_LAB = 'booking';
export const BOOKING_NODE = 'booking';
export const SEAT_LOCKING_PORT = 'seat-locking';

/** The event the migration creates and `POST /admin/reset?event_id=1` restores. */
export const SEED_EVENT_ID = 1;

export interface BookingSettings {
  /** Pause between reading the seat and writing it: the window every race needs (the seed slept 50 ms). */
  race_window_ms: number;
  /** Lifetime of a Redis seat lock (distributed, fenced); the seed used SET NX EX 5. */
  lock_ttl_ms: number;
  /** Attempts of the optimistic strategy before it gives up (the seed's max_retries = 3). */
  optimistic_max_attempts: number;
  /** First optimistic back-off; it doubles after every conflict (10, 20, 40 ms...). */
  optimistic_backoff_ms: number;
}

export const BOOKING_SETTINGS_NAME = 'settings';

export const DEFAULT_BOOKING_SETTINGS: BookingSettings = {
  race_window_ms: 50,
  lock_ttl_ms: 5000,
  optimistic_max_attempts: 3,
  optimistic_backoff_ms: 10,
};

export interface PauseHolderFault {
  /** How long the next holders stall inside their critical section (a GC pause, a stalled VM). */
  pause_ms: number;
}

export const PAUSE_FAULT_NAME = 'fault.pause-holder';
export const DEFAULT_PAUSE_FAULT: PauseHolderFault = { pause_ms: 0 };
