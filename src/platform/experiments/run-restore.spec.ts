import type { StrategySelectionService } from '../strategy/strategy-selection.service';
import { restoreAfterRun, selectForRun, stepParam } from './run-restore';

function fakeLab(strategy: string, settings: { delay: number }) {
  const state = { strategy, settings, calls: [] as string[] };
  const selection = {
    current: async () => state.strategy,
    select: async (_lab: string, _port: string, key: string) => {
      state.calls.push(`select ${key}`);
      state.strategy = key;
    },
  } as unknown as StrategySelectionService;
  const target = {
    selection,
    lab: 'bank',
    port: 'transfer',
    readSettings: async () => ({ ...state.settings }),
    writeSettings: async (s: { delay: number }) => {
      state.calls.push(`settings ${s.delay}`);
      state.settings = s;
    },
  };
  return { state, target };
}

describe('selectForRun / restoreAfterRun', () => {
  it('remembers the strategy and settings, selects the run’s strategy, and puts both back', async () => {
    const { state, target } = fakeLab('vulnerable', { delay: 7 });
    const setup = { ...(await selectForRun(target, 'safe')), other: 1 };
    expect(setup).toEqual({ previous_strategy: 'vulnerable', previous_settings: { delay: 7 }, other: 1 });
    expect(state.strategy).toBe('safe');
    state.settings = { delay: 0 };
    await restoreAfterRun(target, setup);
    expect(state).toMatchObject({ strategy: 'vulnerable', settings: { delay: 7 } });
    expect(state.calls).toEqual(['select safe', 'settings 7', 'select vulnerable']);
  });

  it('restores nothing from a setup prepare never filled', async () => {
    const { state, target } = fakeLab('safe', { delay: 1 });
    await restoreAfterRun(target, {});
    expect(state.calls).toEqual([]);
  });
});

describe('stepParam', () => {
  it('falls back on missing or non-finite values and rounds into the bounds', () => {
    expect([undefined, 'x', Number.NaN, Infinity].map((v) => stepParam(v, 50, 1, 100))).toEqual([50, 50, 50, 50]);
    expect([0, 3.6, 1e9, -5].map((v) => stepParam(v, 50, 1, 100))).toEqual([1, 4, 100, 1]);
  });
});
