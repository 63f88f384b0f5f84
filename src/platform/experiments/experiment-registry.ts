import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { LAB_EXPERIMENT, LabExperiment } from './experiment.contract';

export class ExperimentRegistryError extends Error {}

/** Finds every `@LabExperimentProvider()` at boot; fails at boot on two experiments for one lab. */
@Injectable()
export class ExperimentRegistry implements OnModuleInit {
  private readonly byLab = new Map<string, LabExperiment>();

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    const found: LabExperiment[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const target = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
      if (!target || !wrapper.instance) continue;
      if (Reflect.getMetadata(LAB_EXPERIMENT, target) === true) found.push(wrapper.instance as LabExperiment);
    }
    this.registerAll(found);
  }

  registerAll(found: LabExperiment[]): void {
    for (const experiment of found) {
      if (!((experiment as unknown) instanceof LabExperiment)) {
        throw new ExperimentRegistryError(
          `${(experiment as object).constructor.name} carries @LabExperimentProvider() but does not extend LabExperiment`,
        );
      }
      if (this.byLab.has(experiment.lab)) {
        throw new ExperimentRegistryError(`two experiments registered for lab "${experiment.lab}"`);
      }
      const entry = experiment.catalog();
      if (entry.lab !== experiment.lab) {
        throw new ExperimentRegistryError(
          `${experiment.constructor.name}: catalog lab "${entry.lab}" differs from "${experiment.lab}"`,
        );
      }
      if (!entry.nemeses.some((n) => n.name === entry.defaultNemesis)) {
        throw new ExperimentRegistryError(
          `${experiment.lab}: default nemesis "${entry.defaultNemesis}" is not in its catalog`,
        );
      }
      if (!entry.workloads.some((w) => w.name === entry.defaultWorkload)) {
        throw new ExperimentRegistryError(
          `${experiment.lab}: default workload "${entry.defaultWorkload}" is not in its catalog`,
        );
      }
      this.byLab.set(experiment.lab, experiment);
    }
  }

  get(lab: string): LabExperiment | undefined {
    return this.byLab.get(lab);
  }

  labs(): string[] {
    return [...this.byLab.keys()].sort();
  }

  all(): LabExperiment[] {
    return this.labs().map((lab) => this.byLab.get(lab)!);
  }
}
