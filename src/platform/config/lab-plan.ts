/**
 * The port plan (docs/architecture.md): every lab, its nodes and each node's seed offset.
 * A node's port is its lab's base plus the offset; with exactly one lab selected the base is 8000,
 * so that lab's nodes sit on the ports its seed runbook uses.
 */
export const LAB_PLAN = {
  booking: { base: 8000, nodes: { booking: 0 }, dependencies: ['postgres', 'redis'] },
  bank: { base: 8100, nodes: { bank: 0 }, dependencies: ['postgres', 'redis'] },
  orders: {
    base: 8200,
    nodes: { producer: 0, consumer: 1, api: 3 },
    dependencies: ['postgres', 'redis', 'kafka'],
  },
  counter: {
    base: 8300,
    nodes: { coordinator: 0, 'us-east': 1, 'us-west': 2, 'eu-west': 3, strong: 4, gateway: 80 },
    dependencies: ['postgres', 'redis'],
  },
  replication: {
    base: 8400,
    nodes: { primary: 0, replica1: 1, replica2: 2, client: 3 },
    dependencies: ['postgres', 'redis'],
  },
} as const;

export const SINGLE_LAB_BASE = 8000;

export type LabName = keyof typeof LAB_PLAN;
export type NodeName<L extends LabName = LabName> = L extends LabName
  ? Extract<keyof (typeof LAB_PLAN)[L]['nodes'], string>
  : never;
export type DependencyName = 'postgres' | 'redis' | 'kafka';

export const LAB_NAMES = Object.keys(LAB_PLAN) as LabName[];

export function isLabName(value: string): value is LabName {
  return Object.prototype.hasOwnProperty.call(LAB_PLAN, value);
}

export function nodesOf(lab: LabName): string[] {
  return Object.keys(LAB_PLAN[lab].nodes);
}

export function nodeOffset(lab: LabName, node: string): number {
  const offsets = LAB_PLAN[lab].nodes as Record<string, number>;
  const offset = offsets[node];
  if (offset === undefined) throw new Error(`unknown node ${lab}:${node}`);
  return offset;
}

/** Single-node labs are served at /<lab>; multi-node labs at /<lab>/<node>. */
export function nodeRoute(lab: LabName, node: string): string {
  return nodesOf(lab).length === 1 ? lab : `${lab}/${node}`;
}

export function labDependencies(lab: LabName): readonly DependencyName[] {
  return LAB_PLAN[lab].dependencies;
}
