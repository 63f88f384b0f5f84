import { LAB_NAMES, LAB_PLAN, LabName, SINGLE_LAB_BASE, isLabName, nodeOffset, nodeRoute, nodesOf } from './lab-plan';

export interface NodeEndpoint {
  lab: LabName;
  node: string;
  /** Route prefix on the main port, without leading slash: `booking`, `orders/consumer`. */
  route: string;
  port: number;
}

export class LabsSelectionError extends Error {}

/**
 * Parses LABS: `all` (default), a comma list of labs, or `lab:node` items for single nodes,
 * e.g. `booking,bank` or `counter:us-east,counter:gateway`.
 */
export function parseLabs(raw: string | undefined): Map<LabName, string[]> {
  const value = (raw ?? '').trim();
  const selection = new Map<LabName, string[]>();
  if (value === '' || value === 'all') {
    for (const lab of LAB_NAMES) selection.set(lab, nodesOf(lab));
    return selection;
  }
  for (const item of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [labPart, nodePart, extra] = item.split(':');
    if (extra !== undefined || !isLabName(labPart)) {
      throw new LabsSelectionError(
        `LABS: unknown lab "${item}". Allowed: all, or a comma list of ${LAB_NAMES.join(', ')}, ` +
          `or lab:node (e.g. counter:us-east).`,
      );
    }
    const known = nodesOf(labPart);
    if (nodePart !== undefined && !known.includes(nodePart)) {
      throw new LabsSelectionError(
        `LABS: unknown node "${nodePart}" of lab ${labPart}. Allowed nodes: ${known.join(', ')}.`,
      );
    }
    const nodes = selection.get(labPart) ?? [];
    for (const node of nodePart === undefined ? known : [nodePart]) {
      if (!nodes.includes(node)) nodes.push(node);
    }
    selection.set(labPart, nodes);
  }
  if (selection.size === 0) throw new LabsSelectionError('LABS: empty selection.');
  return selection;
}

/** Ports follow the port plan (docs/architecture.md): lab base + node offset; base 8000 when exactly one lab is selected. */
export function portOf(lab: LabName, node: string, labCount: number, portShift: number): number {
  const base = labCount === 1 ? SINGLE_LAB_BASE : LAB_PLAN[lab].base;
  return base + nodeOffset(lab, node) + portShift;
}

export function endpointsOf(selection: Map<LabName, string[]>, portShift: number): NodeEndpoint[] {
  const endpoints: NodeEndpoint[] = [];
  for (const [lab, nodes] of selection) {
    for (const node of nodes) {
      endpoints.push({ lab, node, route: nodeRoute(lab, node), port: portOf(lab, node, selection.size, portShift) });
    }
  }
  return endpoints;
}
