import type { RunningApp } from '../../src/bootstrap';
import { startApp } from '../utils/app';
import { get } from '../utils/http';

class NeverProvided {}

/** NestFactory runs with abortOnError: false — a failed provider lookup is an error to handle, not an exit. */
describe('the app asked for a provider it does not have', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp({ LABS: 'booking' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('throws to the caller, and the process and the app go on', async () => {
    expect(() => app.app.get(NeverProvided)).toThrow(/NeverProvided/);
    expect((await get(`${app.url}/health`)).status).toBe(200);
  });
});
