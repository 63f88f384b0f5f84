import type { DynamicModule, Provider, Type } from '@nestjs/common';
import { LabName, NodeName } from './lab-plan';

/** What one node of a lab adds to the process that runs it. */
export interface NodeWiring {
  /** Its HTTP controllers (routes under `nodeRoute(lab, node)` and on the node's own port). */
  controllers: Type<unknown>[];
  /** Its stateful services: Kafka clients, background loops, in-memory state, the repositories only it uses. */
  providers: Provider[];
}

export interface LabWiring<L extends LabName> {
  lab: L;
  /**
   * Registered whatever nodes this process runs: metrics, the lab's database, settings, the
   * strategies (so `/admin/labs` lists every port and key even with `LABS=<lab>:<one node>`),
   * the experiment and the reset hook.
   */
  shared: Provider[];
  /** One entry per node of the lab's port plan (the type requires them all). */
  nodes: Record<NodeName<L>, NodeWiring>;
}

/**
 * A lab module's `register(nodes)`: the shared providers plus the wiring of each node this process
 * runs. A provider two nodes both list (a repository two regions use) is registered once.
 */
export function wireLab<L extends LabName>(
  module: Type<unknown>,
  wiring: LabWiring<L>,
  nodes: readonly string[],
): DynamicModule {
  const table = wiring.nodes as Record<string, NodeWiring>;
  const selected = nodes.map((node) => {
    if (!Object.prototype.hasOwnProperty.call(table, node)) {
      throw new Error(`${wiring.lab} has no node "${node}" (nodes: ${Object.keys(table).join(', ')})`);
    }
    return table[node];
  });
  return {
    module,
    controllers: [...new Set(selected.flatMap((node) => node.controllers))],
    providers: [...new Set([...wiring.shared, ...selected.flatMap((node) => node.providers)])],
  };
}
