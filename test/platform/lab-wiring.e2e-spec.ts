import type { RunningApp } from '../../src/bootstrap';
import { startApp } from '../utils/app';
import { get } from '../utils/http';

/**
 * The lab skeleton's promise (src/labs/README.md): every strategy is registered whatever nodes a
 * process runs, so a process that runs one node of a lab still lists each port of that lab, with
 * its keys, and can answer a strategy change for it.
 */
describe('lab wiring: strategies are registered without their node (LABS=replication:primary,counter:coordinator)', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp({ LABS: 'replication:primary,counter:coordinator' });
  });

  afterAll(async () => {
    await app?.close();
  });

  it.each([
    ['replication', ['read-routing', 'replication-engine']],
    ['counter', ['global-view', 'strong-counter']],
  ])('/admin/labs/%s lists every port of the lab', async (lab, ports) => {
    const res = await get(`${app.url}/admin/labs/${lab}`);
    expect(res.status).toBe(200);
    const listed = (res.body.strategy_ports as Array<{ port: string; strategies: unknown[] }>)
      .map((p) => p.port)
      .sort();
    expect(listed).toEqual(ports);
  });

  it('knows the read-routing keys on a process that runs only the primary', async () => {
    const res = await get(`${app.url}/admin/labs/replication`);
    const port = (res.body.strategy_ports as Array<{ port: string; default: string }>).find(
      (p) => p.port === 'read-routing',
    );
    expect(port).toMatchObject({ default: 'any-replica' });
  });
});
