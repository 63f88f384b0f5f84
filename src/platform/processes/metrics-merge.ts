/**
 * Merges the Prometheus text expositions of several processes into one: each sample gains a
 * `lab_instance="<lab>:<node>#<n>"` label (not `instance`, which Prometheus sets to the scrape
 * target), and each family's HELP/TYPE appear once, its samples from every process together.
 */
export function mergeExpositions(parts: Array<{ label: string; text: string }>): string {
  const families = new Map<string, { meta: string[]; samples: string[] }>();
  for (const { label, text } of parts) {
    let family = '';
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const meta = /^# (HELP|TYPE) (\S+)/.exec(line);
      if (meta) {
        family = meta[2];
        const entry = families.get(family) ?? { meta: [], samples: [] };
        if (!entry.meta.some((m) => m.startsWith(`# ${meta[1]} `))) entry.meta.push(line);
        families.set(family, entry);
        continue;
      }
      if (line.startsWith('#')) continue;
      const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?( .*)$/.exec(line);
      if (!sample) continue;
      const name = sample[1];
      const key = family && name.startsWith(family) ? family : name;
      const entry = families.get(key) ?? { meta: [], samples: [] };
      const labels = sample[3] ? `${sample[3]},lab_instance="${label}"` : `lab_instance="${label}"`;
      entry.samples.push(`${name}{${labels}}${sample[4]}`);
      families.set(key, entry);
    }
  }
  return [...families.values()].map((f) => [...f.meta, ...f.samples].join('\n')).join('\n') + '\n';
}
