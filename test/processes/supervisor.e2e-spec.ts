import { ProcessView, Supervised, alive, childrenOf, startSupervisor } from './process-kit';

/** LAB_PROCESSES=1: every node its own OS process; a crash is a real kill; SIGTERM leaves nothing behind. */
describe('process mode (LAB_PROCESSES=1)', () => {
  let sup: Supervised;
  let first: ProcessView[];

  beforeAll(async () => {
    sup = await startSupervisor({ LABS: 'booking,bank' });
    first = await sup.processes();
  }, 240_000);

  afterAll(async () => {
    if (sup.child.exitCode === null) await sup.terminate();
  });

  it('runs each node as its own child process, on the planned node ports', async () => {
    expect(first.map((p) => `${p.lab}:${p.node}`).sort()).toEqual(['bank:bank', 'booking:booking']);
    const pids = first.map((p) => p.pid!);
    expect(new Set(pids).size).toBe(2);
    expect(pids).not.toContain(sup.pid);
    expect(childrenOf(sup.pid).sort()).toEqual([...pids].sort());
    // The node's own port and its route under the main port both reach the node's process.
    const own = await fetch(`http://127.0.0.1:${sup.ports.get('booking:booking')}/health`);
    expect(own.status).toBe(200);
    const viaMain = await fetch(`${sup.url}/bank/health`);
    expect(viaMain.status).toBe(200);
  });

  it('GET /admin/labs shows each node with its pid, uptime and restart count', async () => {
    const body = (await (await fetch(`${sup.url}/admin/labs`)).json()) as {
      labs: {
        lab: string;
        strategy_ports: unknown[];
        nodes: { node: string; pid: number; uptime_ms: number; restarts: number; up: boolean }[];
      }[];
    };
    const booking = body.labs.find((l) => l.lab === 'booking')!;
    expect(booking.strategy_ports.length).toBeGreaterThan(0);
    const node = booking.nodes[0];
    expect(node.pid).toBe(first.find((p) => p.lab === 'booking')!.pid);
    expect(node.uptime_ms).toBeGreaterThan(0);
    expect(node.restarts).toBe(0);
    expect(node.up).toBe(true);
  });

  it('GET /metrics on the main port gathers every process, each sample labelled lab_instance', async () => {
    const text = await (await fetch(`${sup.url}/metrics`)).text();
    expect(text).toMatch(/^process_cpu_user_seconds_total\{lab_instance="booking:booking#0"\} /m);
    expect(text).toMatch(/^process_cpu_user_seconds_total\{lab_instance="bank:bank#0"\} /m);
    expect(text.match(/^# TYPE process_cpu_user_seconds_total /gm)).toHaveLength(1);
    expect(text).toMatch(/^lab_process_up\{lab_instance="bank:bank#0"\} 1$/m);
  });

  it('GET /docs-json on the main port documents every lab, each from its own process', async () => {
    const doc = (await (await fetch(`${sup.url}/docs-json`)).json()) as {
      paths: Record<string, unknown>;
      tags: { name: string }[];
    };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/booking/book', '/bank/transfer', '/admin/labs']));
    expect(doc.tags.map((t) => t.name)).toEqual(expect.arrayContaining(['platform', 'booking', 'bank']));
  });

  it('the admin crash kills the process (SIGKILL); the supervisor starts a new one after 3 s', async () => {
    const before = first.find((p) => p.lab === 'booking')!.pid!;
    const crashed = await fetch(`${sup.url}/admin/labs/booking/nodes/booking/crash`, { method: 'POST' });
    expect(crashed.status).toBe(200);
    expect(alive(before)).toBe(false);
    const down = await fetch(`http://127.0.0.1:${sup.ports.get('booking:booking')}/health`).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(down).toBe('refused');
    const views = await sup.waitUntil((v) => v.find((p) => p.lab === 'booking')!.restarts === 1);
    const now = views.find((p) => p.lab === 'booking')!;
    expect(now.pid).not.toBe(before);
    expect(now.last_exit).toMatchObject({ signal: 'SIGKILL', crash_point: 'admin' });
    // The other lab's process was never touched.
    expect(views.find((p) => p.lab === 'bank')!.pid).toBe(first.find((p) => p.lab === 'bank')!.pid);
    expect((await fetch(`${sup.url}/booking/health`)).status).toBe(200);
  });

  it('SIGTERM stops every process and the supervisor exits 0, leaving no process behind', async () => {
    const pids = (await sup.processes()).map((p) => p.pid!);
    expect(pids.every(alive)).toBe(true);
    const code = await sup.terminate();
    expect(code).toBe(0);
    expect(pids.filter(alive)).toEqual([]);
    expect(childrenOf(sup.pid)).toEqual([]);
  });
});

describe('a supervisor killed with SIGKILL (no chance to stop its children)', () => {
  it('leaves no orphan: each process sees its IPC channel close and stops by itself', async () => {
    const sup = await startSupervisor({ LABS: 'booking' });
    const pids = (await sup.processes()).map((p) => p.pid!);
    expect(pids.every(alive)).toBe(true);
    await new Promise<void>((resolve) => {
      sup.child.once('exit', () => resolve());
      sup.child.kill('SIGKILL');
    });
    const deadline = Date.now() + 30_000;
    while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(pids.filter(alive)).toEqual([]);
  }, 120_000);
});

describe("a supervised process's output", () => {
  it("reaches the supervisor's stdout and stderr line by line, each line prefixed with [lab:node]", async () => {
    const sup = await startSupervisor({ LABS: 'booking,bank', LOG_LEVEL: 'log' });
    try {
      // A 404 is logged by neither; the boot log of each process is (Nest logs at level log).
      const lines = sup
        .output()
        .split('\n')
        .filter((l) => l.length > 0);
      const own = lines.filter((l) => !l.startsWith('[supervisor] '));
      expect(own.length).toBeGreaterThan(4);
      expect(own.filter((l) => !/^\[(booking:booking|bank:bank)\] /.test(l))).toEqual([]);
      for (const prefix of ['[booking:booking] ', '[bank:bank] '])
        expect(own.some((l) => l.startsWith(prefix))).toBe(true);
    } finally {
      await sup.terminate();
    }
  }, 240_000);
});
