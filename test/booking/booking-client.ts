import { Agent, request as httpRequest } from 'node:http';
import type { RunningApp } from '../../src/bootstrap';
import { nodeUrl } from '../utils/app';
import { get, JsonResponse, post, request } from '../utils/http';

/** Safe in this one-process app; `local` is safe only while one process serves the seats (test/processes shows three do not). */
export const SAFE_STRATEGIES = ['pessimistic', 'optimistic', 'distributed', 'fenced', 'local'] as const;
export const ALL_STRATEGIES = ['none', ...SAFE_STRATEGIES] as const;

/** The seed's 100 seats, A1..J10. */
export const SEED_SEATS = Array.from(
  { length: 100 },
  (_, n) => `${String.fromCharCode(65 + Math.floor(n / 10))}${(n % 10) + 1}`,
);

export const STORM_CONNECTIONS = 400;

export interface Totals {
  confirmed: number;
  failed: number;
  double_booked: number;
  total: number;
}

/** The booking node on its own port (the seed's 8000 + the test shift), spoken to as the runbook does. */
export class BookingClient {
  readonly base: string;

  constructor(readonly app: RunningApp) {
    this.base = nodeUrl(app, 'booking', 'booking');
  }

  get<T = any>(path: string): Promise<JsonResponse<T>> {
    return get<T>(`${this.base}${path}`);
  }

  post<T = any>(path: string, body?: unknown): Promise<JsonResponse<T>> {
    return post<T>(`${this.base}${path}`, body);
  }

  delete<T = any>(path: string): Promise<JsonResponse<T>> {
    return request<T>('DELETE', `${this.base}${path}`);
  }

  book(seat: string, customer: string, eventId: unknown = 1) {
    return this.post('/book', { event_id: eventId, seat_number: seat, customer_id: customer });
  }

  /**
   * A booking over a bounded pool of keep-alive connections, for storms of thousands of requests:
   * every request is issued at once, at most `STORM_CONNECTIONS` are on the wire, the rest queue
   * in the client. More simultaneous connects than the server's listen backlog (511) overflow the
   * kernel's accept queue and come back as ECONNRESET, which would test the kernel, not the lab.
   */
  bookOverPool(seat: string, customer: string): Promise<{ status: number; body: any }> {
    const payload = JSON.stringify({ event_id: 1, seat_number: seat, customer_id: customer });
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        `${this.base}/book`,
        { method: 'POST', agent: this.stormAgent, headers: { 'content-type': 'application/json' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  private readonly stormAgent = new Agent({ keepAlive: true, maxSockets: STORM_CONNECTIONS });

  close(): void {
    this.stormAgent.destroy();
  }

  async useStrategy(strategy: string): Promise<void> {
    const res = await this.post('/admin/strategy', { strategy });
    if (res.status !== 200) throw new Error(`could not select ${strategy}: ${JSON.stringify(res.body)}`);
  }

  async reset(eventId = 1): Promise<void> {
    const res = await this.post(`/admin/reset?event_id=${eventId}`);
    if (res.status !== 200) throw new Error(`reset failed: ${JSON.stringify(res.body)}`);
  }

  /** Back to the defaults: strategy none, default settings, no armed fault, a fresh seed event. */
  async restoreDefaults(): Promise<void> {
    await this.useStrategy('none');
    await this.delete('/admin/settings');
    await this.delete('/admin/faults/pause-holder');
    await this.reset();
  }

  async totals(): Promise<Totals> {
    return (await this.get('/admin/stats')).body.totals;
  }

  async doubleBookingCount(): Promise<number> {
    return (await this.get('/admin/double-bookings')).body.count;
  }

  async metrics(): Promise<string> {
    return (await fetch(`${this.base}/metrics`)).text();
  }
}

/** The value of one series in a Prometheus text exposition (0 when absent). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelPart = line.slice(name.length).match(/^\{([^}]*)\}/)?.[1] ?? '';
    const present = labelPart ? labelPart.split(',') : [];
    if (wanted.every((w) => present.includes(w)) && present.length === wanted.length) {
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return 0;
}
