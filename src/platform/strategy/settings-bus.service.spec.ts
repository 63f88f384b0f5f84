import { EventEmitter } from 'node:events';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { RedisService } from '../redis/redis.service';
import { SettingsBus } from './settings-bus.service';
import { SETTINGS_CHANGED, STRATEGY_CHANGED } from './settings-events';

/** One pretend Redis server: PUBLISH delivers to every subscriber of the channel (pub/sub semantics, no I/O). */
function fakeServer(db: number) {
  const subscribers: Array<{ channels: Set<string>; conn: EventEmitter }> = [];
  const published: string[] = [];
  const service = (): RedisService =>
    ({
      client: {
        options: { db },
        publish: async (channel: string, text: string) => {
          published.push(channel);
          for (const s of subscribers) if (s.channels.has(channel)) s.conn.emit('message', channel, text);
          return 1;
        },
      },
      duplicate: () => {
        const conn = new EventEmitter() as EventEmitter & {
          subscribe(c: string): Promise<void>;
          unsubscribe(): Promise<void>;
        };
        const entry = { channels: new Set<string>(), conn };
        conn.subscribe = async (c: string) => void entry.channels.add(c);
        conn.unsubscribe = async () => entry.channels.clear();
        subscribers.push(entry);
        return conn;
      },
    }) as unknown as RedisService;
  return { service, published, subscribers };
}

function listen(events: EventEmitter2) {
  const seen: Array<[string, unknown]> = [];
  events.on(SETTINGS_CHANGED, (e) => seen.push([SETTINGS_CHANGED, e]));
  events.on(STRATEGY_CHANGED, (e) => seen.push([STRATEGY_CHANGED, e]));
  return seen;
}

describe('SettingsBus', () => {
  it('raises a change in the writing process once, and in every other process once', async () => {
    const server = fakeServer(4);
    const [eventsA, eventsB, eventsC] = [new EventEmitter2(), new EventEmitter2(), new EventEmitter2()];
    const [a, b, c] = [
      new SettingsBus(server.service(), eventsA),
      new SettingsBus(server.service(), eventsB),
      new SettingsBus(server.service(), eventsC),
    ];
    await Promise.all([a, b, c].map((bus) => bus.onApplicationBootstrap()));
    const [seenA, seenB, seenC] = [listen(eventsA), listen(eventsB), listen(eventsC)];

    await a.settingsChanged({ lab: 'orders', name: 'consumer' });
    await b.strategyChanged({ lab: 'orders', port: 'processing', from: 'at-least-once', to: 'exactly-once' });

    const settings: [string, unknown] = [SETTINGS_CHANGED, { lab: 'orders', name: 'consumer' }];
    const strategy: [string, unknown] = [
      STRATEGY_CHANGED,
      { lab: 'orders', port: 'processing', from: 'at-least-once', to: 'exactly-once' },
    ];
    expect(seenA).toEqual([settings, strategy]);
    expect(seenB).toEqual([settings, strategy]);
    expect(seenC).toEqual([settings, strategy]);
    expect(server.published).toEqual(['labs:settings-changed:db4', 'labs:settings-changed:db4']);
  });

  it('ignores what is not a notice, and re-applies everything when the subscription comes back', async () => {
    const server = fakeServer(0);
    const events = new EventEmitter2();
    const bus = new SettingsBus(server.service(), events);
    await bus.onApplicationBootstrap();
    const seen = listen(events);
    const conn = server.subscribers[0].conn;
    conn.emit('message', 'labs:settings-changed:db0', 'not json');
    conn.emit('message', 'labs:settings-changed:db0', JSON.stringify({ origin: 'x', kind: 'settings' }));
    conn.emit(
      'message',
      'another-channel',
      JSON.stringify({ origin: 'x', kind: 'settings', change: { lab: 'bank', name: 'race-window' } }),
    );
    expect(seen).toEqual([]);
    conn.emit('ready');
    expect(seen).toEqual([[SETTINGS_CHANGED, { lab: '*', name: '*' }]]);
  });
});
