/**
 * npm run bench [-- --quick] [-- --only=overhead,booking]
 * The cost of correctness, measured side by side in one run on this machine. Loopback only;
 * every scenario is bounded in time. Writes bench/results/latest.json and latest.md.
 */
import { cpus, totalmem } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchOverhead } from './scenarios/overhead.bench';
import { fmt } from './lib/stats';

const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const reps = 3;

interface Section {
  name: string;
  run: () => Promise<{ json: Record<string, unknown>; table: string[] }>;
}

const sections: Section[] = [
  {
    name: 'overhead',
    run: async () => {
      const r = await benchOverhead({ reps, durationMs: quick ? 3000 : 8000, concurrency: 32 });
      return {
        json: r as unknown as Record<string, unknown>,
        table: [
          '| server | requests/s | p99 ms |',
          '|---|---|---|',
          `| bare Express | ${fmt(r.express.throughput, 0)} | ${fmt(r.express.p99_ms)} |`,
          `| Nest | ${fmt(r.nest.throughput, 0)} | ${fmt(r.nest.p99_ms)} |`,
          `| Nest + validation + metrics + tracing | ${fmt(r.nest_full.throughput, 0)} | ${fmt(r.nest_full.p99_ms)} |`,
          '',
          `overhead.nest_full_vs_express = **${r.nest_full_vs_express.toFixed(2)}** (target ≥ 0.6)`,
        ],
      };
    },
  },
];

async function main(): Promise<void> {
  const started = new Date();
  const machine = { cores: cpus().length, cpu: cpus()[0]?.model, memory_gib: +(totalmem() / 2 ** 30).toFixed(1), node: process.version };
  const json: Record<string, unknown> = { date: started.toISOString(), mode: quick ? 'quick' : 'full', machine };
  const md = [
    `# Benchmark — ${started.toISOString()} (${quick ? 'quick' : 'full'})`,
    '',
    `Machine: ${machine.cores} cores (${machine.cpu}), ${machine.memory_gib} GiB, Node ${machine.node}. ` +
      `Each figure: median of ${reps} repetitions (min–max).`,
  ];
  for (const section of sections) {
    if (only && !only.includes(section.name)) continue;
    process.stderr.write(`bench: ${section.name}...\n`);
    const t0 = Date.now();
    const { json: part, table } = await section.run();
    json[section.name] = part;
    md.push('', `## ${section.name} (${((Date.now() - t0) / 1000).toFixed(0)} s)`, '', ...table);
  }
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.json'), JSON.stringify(json, null, 2));
  writeFileSync(join(dir, 'latest.md'), md.join('\n') + '\n');
  process.stdout.write(md.join('\n') + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
