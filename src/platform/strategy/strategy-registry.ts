import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { LAB_STRATEGY, LabStrategyMeta } from './lab-strategy.decorator';

export interface RegisteredPort {
  lab: string;
  port: string;
  defaultKey: string;
  strategies: Map<string, { instance: unknown; meta: LabStrategyMeta }>;
}

export class StrategyRegistryError extends Error {}

/** Finds every @LabStrategy provider at boot; fails at boot on a duplicate key or a missing default. */
@Injectable()
export class StrategyRegistry implements OnModuleInit {
  private readonly ports = new Map<string, RegisteredPort>();

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    const found: Array<{ meta: LabStrategyMeta; instance: unknown }> = [];
    for (const wrapper of this.discovery.getProviders()) {
      const target = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
      if (!target || !wrapper.instance) continue;
      const meta = Reflect.getMetadata(LAB_STRATEGY, target) as LabStrategyMeta | undefined;
      if (meta) found.push({ meta, instance: wrapper.instance });
    }
    this.registerAll(found);
  }

  registerAll(found: Array<{ meta: LabStrategyMeta; instance: unknown }>): void {
    const defaults = new Map<string, string[]>();
    for (const { meta, instance } of found) {
      const id = portId(meta.lab, meta.port);
      const port =
        this.ports.get(id) ??
        ({ lab: meta.lab, port: meta.port, defaultKey: '', strategies: new Map() } satisfies RegisteredPort);
      if (port.strategies.has(meta.key)) {
        throw new StrategyRegistryError(`duplicate strategy key "${meta.key}" for ${id}`);
      }
      port.strategies.set(meta.key, { instance, meta });
      if (meta.isDefault) defaults.set(id, [...(defaults.get(id) ?? []), meta.key]);
      this.ports.set(id, port);
    }
    for (const [id, port] of this.ports) {
      const marked = defaults.get(id) ?? [];
      if (marked.length !== 1) {
        throw new StrategyRegistryError(
          `${id} needs exactly one default strategy, found ${marked.length ? marked.join(', ') : 'none'}`,
        );
      }
      port.defaultKey = marked[0];
    }
  }

  port(lab: string, port: string): RegisteredPort {
    const found = this.ports.get(portId(lab, port));
    if (!found) throw new StrategyRegistryError(`no strategies registered for ${portId(lab, port)}`);
    return found;
  }

  hasPort(lab: string, port: string): boolean {
    return this.ports.has(portId(lab, port));
  }

  all(): RegisteredPort[] {
    return [...this.ports.values()];
  }
}

export function portId(lab: string, port: string): string {
  return `${lab}:${port}`;
}
