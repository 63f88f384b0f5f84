import { Injectable } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import { RuntimeSettingsService } from '../../../platform/strategy/runtime-settings.service';
import { StrategySelectionService } from '../../../platform/strategy/strategy-selection.service';
import { COUNTER_DEFAULTS, LAB, STRONG_SETTINGS, StrongSettings } from '../counter.config';
import { CounterMetrics } from '../counter.metrics';
import {
  MAX_STRONG_VALUE,
  STRONG_COUNTER_PORT,
  StrongCounterKey,
  StrongCounterPort,
} from '../strategies/strong-counter.port';
import { CounterErrorCode, CounterException, fromStore } from '../counter.errors';

const round2 = (n: number) => Math.round(n * 100) / 100;
const storeOf = (key: string) => (key === StrongCounterKey.RedisIncr ? 'redis' : 'postgres');

/** The strongly consistent counter node (seed port 8004), the baseline the CRDT is compared with. */
@Injectable()
export class StrongCounterService {
  constructor(
    private readonly selection: StrategySelectionService,
    private readonly settings: RuntimeSettingsService,
    private readonly metrics: CounterMetrics,
  ) {}

  async increment(name: string, amount: number) {
    const started = performance.now();
    const { key, strategy } = await this.selection.resolve<StrongCounterPort>(LAB, STRONG_COUNTER_PORT);
    const { coordination_delay_ms } = await this.delaySettings();
    const { value, lockWaitMs, outOfRange } = await fromStore(storeOf(key), () =>
      strategy.increment(name, amount, coordination_delay_ms),
    );
    if (outOfRange) {
      throw new CounterException(
        CounterErrorCode.OUT_OF_RANGE,
        `"${name}" is at ${value}; adding ${amount} would pass ${MAX_STRONG_VALUE} (2^53 - 1), beyond which its value would no longer be exact`,
        'precondition',
        { counter_name: name, value, amount, max_value: MAX_STRONG_VALUE },
      );
    }
    const totalMs = performance.now() - started;
    const label = this.metrics.counterNames.of(name);
    this.metrics.strongIncrements.inc({ counter_name: label, strategy: key });
    if (label === name) this.metrics.strongValue.set({ counter_name: name }, value);
    this.metrics.strongLatency.observe({ counter_name: label }, totalMs / 1000);
    this.metrics.strongLockWait.observe({ counter_name: label }, lockWaitMs / 1000);
    trace.getActiveSpan()?.setAttributes({
      'counter.name': name,
      'counter.amount': amount,
      'counter.consistency': 'strong',
      'counter.value': value,
      'counter.latency_ms': round2(totalMs),
      'counter.strategy': key,
    });
    return {
      counter: name,
      value,
      consistency: 'strong',
      strategy: key,
      lock_wait_ms: round2(lockWaitMs),
      coordination_delay_ms: 2 * coordination_delay_ms,
      total_latency_ms: round2(totalMs),
    };
  }

  async counter(name: string) {
    const { key, strategy } = await this.selection.resolve<StrongCounterPort>(LAB, STRONG_COUNTER_PORT);
    return {
      counter: name,
      value: (await fromStore(storeOf(key), () => strategy.read(name))) ?? 0,
      consistency: 'strong',
      note: 'Linearizable: this is the latest value, including every acknowledged increment',
    };
  }

  async counters() {
    const { key, strategy } = await this.selection.resolve<StrongCounterPort>(LAB, STRONG_COUNTER_PORT);
    return { counters: await fromStore(storeOf(key), () => strategy.all()), consistency: 'strong' };
  }

  async setCoordinationDelay(delayMs: number) {
    await this.settings.patch<StrongSettings>(LAB, STRONG_SETTINGS, await this.delaySettings(), {
      coordination_delay_ms: delayMs,
    });
    return {
      coordination_delay_ms: delayMs,
      message: `Coordination delay set to ${delayMs} ms (paid twice per increment, while holding the counter)`,
    };
  }

  private delaySettings(): Promise<StrongSettings> {
    return this.settings.get<StrongSettings>(LAB, STRONG_SETTINGS, {
      coordination_delay_ms: COUNTER_DEFAULTS.coordinationDelayMs,
    });
  }
}
