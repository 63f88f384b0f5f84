/**
 * Network partitions between nodes, enforced at the node-to-node HTTP boundary: a call whose
 * caller or callee is cut off from the other fails as if the network dropped it.
 * `isolate(a)` cuts a node from everyone; `cut(a, b)` cuts one link (both directions).
 */
export class PartitionSwitch {
  private readonly isolated = new Set<string>();
  private readonly links = new Set<string>();

  isolate(node: string): void {
    this.isolated.add(node);
  }

  heal(node: string): void {
    this.isolated.delete(node);
    for (const link of [...this.links]) if (link.split('|').includes(node)) this.links.delete(link);
  }

  cut(a: string, b: string): void {
    this.links.add(linkKey(a, b));
  }

  healAll(): void {
    this.isolated.clear();
    this.links.clear();
  }

  isIsolated(node: string): boolean {
    return this.isolated.has(node);
  }

  canReach(from: string, to: string): boolean {
    return !this.isolated.has(from) && !this.isolated.has(to) && !this.links.has(linkKey(from, to));
  }

  snapshot(): { isolated: string[]; cut: string[][] } {
    return { isolated: [...this.isolated].sort(), cut: [...this.links].sort().map((l) => l.split('|')) };
  }
}

function linkKey(a: string, b: string): string {
  return [a, b].sort().join('|');
}
