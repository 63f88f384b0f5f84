import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { AppConfig } from '../config/app-config';
import { LabName } from '../config/lab-plan';
import { NodeLifecycleService } from '../faults/node-lifecycle.service';
import { RuntimeSettingsService } from '../strategy/runtime-settings.service';
import { StrategyRegistry } from '../strategy/strategy-registry';
import { StrategySelectionService } from '../strategy/strategy-selection.service';
import { LAB_RESET_HOOK, LabResetHook } from './lab-reset.contract';

export interface LabResetReport {
  lab: LabName;
  /** port → the strategy it was on before, now back on its default */
  strategies: Record<string, { from: string; to: string }>;
  settings_cleared: string[];
  nodes_restarted: string[];
  data: Record<string, unknown> | null;
  took_ms: number;
}

/** One reset for every lab: platform state first (strategies, settings, crashed nodes), then the lab's hook. */
@Injectable()
export class LabResetService implements OnModuleInit {
  private readonly logger = new Logger('Reset');
  private readonly hooks = new Map<string, LabResetHook>();
  /** Resets of one lab never interleave (a second caller waits for the first). */
  private readonly running = new Map<string, Promise<unknown>>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly config: AppConfig,
    private readonly registry: StrategyRegistry,
    private readonly selection: StrategySelectionService,
    private readonly settings: RuntimeSettingsService,
    private readonly lifecycle: NodeLifecycleService,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const target = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
      if (!target || !wrapper.instance || Reflect.getMetadata(LAB_RESET_HOOK, target) !== true) continue;
      const hook = wrapper.instance as LabResetHook;
      if (!(hook instanceof LabResetHook))
        throw new Error(`${target.name} carries @LabResetProvider() but does not extend LabResetHook`);
      if (this.hooks.has(hook.lab)) throw new Error(`two reset hooks registered for lab "${hook.lab}"`);
      this.hooks.set(hook.lab, hook);
    }
  }

  async resetAll(): Promise<LabResetReport[]> {
    const reports: LabResetReport[] = [];
    for (const lab of this.config.labs.keys()) reports.push(await this.reset(lab));
    return reports;
  }

  reset(lab: LabName): Promise<LabResetReport> {
    const before = this.running.get(lab) ?? Promise.resolve();
    const next = before.catch(() => undefined).then(() => this.resetNow(lab));
    this.running.set(lab, next);
    void next
      .finally(() => {
        if (this.running.get(lab) === next) this.running.delete(lab);
      })
      .catch(() => undefined);
    return next;
  }

  private async resetNow(lab: LabName): Promise<LabResetReport> {
    const started = Date.now();
    const nodesRestarted: string[] = [];
    for (const node of this.config.labs.get(lab) ?? []) {
      if (this.lifecycle.isDown(lab, node)) {
        await this.lifecycle.restart(lab, node);
        nodesRestarted.push(node);
      }
    }
    // select() rather than clearing the stored choice: the lab hears STRATEGY_CHANGED and follows.
    const strategies: LabResetReport['strategies'] = {};
    for (const port of this.registry.all().filter((p) => p.lab === lab)) {
      const event = await this.selection.select(lab, port.port, port.defaultKey);
      if (event.from !== event.to) strategies[port.port] = { from: event.from, to: event.to };
    }
    const settingsCleared = await this.settings.resetLab(lab);
    const data = (await this.hooks.get(lab)?.reset()) ?? null;
    const report = {
      lab,
      strategies,
      settings_cleared: settingsCleared,
      nodes_restarted: nodesRestarted,
      data,
      took_ms: Date.now() - started,
    };
    this.logger.log(`${lab} reset to its seed state in ${report.took_ms} ms`);
    return report;
  }
}
