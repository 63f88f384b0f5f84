import type { HistoryModel } from '../../../platform/experiments/testing/history-simulator';

interface Primary {
  lsn: number;
  data: Map<string, unknown>;
}

const KEYS = ['k0', 'k1', 'k2', 'k3'];

/** A primary serving every read (linearizable), for generated histories: writes get consecutive LSNs. */
export const replicationModel: HistoryModel<Primary> = {
  init: () => ({ lsn: 0, data: new Map() }),
  next: (rng, process, k) =>
    rng.next() < 0.3
      ? { f: 'write', value: { key: rng.pick(KEYS), value: `p${process}-${k}` } }
      : { f: 'read', value: { key: rng.pick(KEYS) } },
  apply(state, op) {
    const v = op.value as { key: string; value?: unknown };
    if (op.f === 'write') {
      state.lsn++;
      state.data.set(v.key, v.value);
      return { type: 'ok', value: { key: v.key, value: v.value, version: state.lsn } };
    }
    const found = state.data.has(v.key);
    return {
      type: 'ok',
      value: {
        key: v.key,
        found,
        value: found ? state.data.get(v.key) : null,
        version: state.lsn,
        served_by: 'primary',
      },
    };
  },
};
