/** Thrown at a crash point: nothing after it runs, as if the process died there. */
export class CrashSignal extends Error {
  constructor(readonly point: string) {
    super(`simulated crash at ${point}`);
    this.name = 'CrashSignal';
  }
}

/**
 * A crash point that can be armed: `hook.reached('after-db-write')` throws a CrashSignal when
 * that point is armed, and calls `onCrash` (which takes the node down) exactly once per arming.
 */
export class CrashHook<P extends string = string> {
  private armed?: { point: P; afterHits: number; hits: number };

  constructor(private readonly onCrash: (point: P) => void) {}

  arm(point: P, afterHits = 1): void {
    if (!Number.isInteger(afterHits) || afterHits < 1) throw new RangeError('afterHits must be an integer >= 1');
    this.armed = { point, afterHits, hits: 0 };
  }

  disarm(): void {
    this.armed = undefined;
  }

  get armedAt(): { point: P; afterHits: number; hits: number } | undefined {
    return this.armed ? { ...this.armed } : undefined;
  }

  reached(point: P): void {
    const armed = this.armed;
    if (!armed || armed.point !== point) return;
    armed.hits += 1;
    if (armed.hits < armed.afterHits) return;
    this.armed = undefined;
    this.onCrash(point);
    throw new CrashSignal(point);
  }
}
