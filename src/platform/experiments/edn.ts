import type { HistoryOp } from './experiment.contract';

const KEYWORD = /^[A-Za-z*+!_?<>=-][A-Za-z0-9*+!_?<>=.-]*$/;

/** One op as a Jepsen history map: `{:type :invoke, :f :transfer, :value {:from 1, …}, :process 3, :time 123, :index 0}`. */
export function opToEdn(op: HistoryOp): string {
  const parts = [
    `:type :${op.type}`,
    `:f ${KEYWORD.test(op.f) ? `:${op.f}` : ednString(op.f)}`,
    `:value ${toEdn(op.value)}`,
    `:process ${op.process === 'nemesis' ? ':nemesis' : String(op.process)}`,
    `:time ${op.time}`,
    `:index ${op.index}`,
  ];
  if (op.node !== undefined) parts.push(`:node ${ednString(op.node)}`);
  if (op.error !== undefined) parts.push(`:error ${ednString(op.error)}`);
  return `{${parts.join(', ')}}`;
}

/** JSON → EDN: objects become maps with keyword keys (string keys when not a valid keyword), arrays vectors, null nil. */
export function toEdn(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? String(value) : 'nil';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return ednString(value);
    case 'object':
      if (Array.isArray(value)) return `[${value.map(toEdn).join(' ')}]`;
      return `{${Object.entries(value as Record<string, unknown>)
        .map(([k, v]) => `${KEYWORD.test(k) && !/^\d/.test(k) ? `:${k}` : ednString(k)} ${toEdn(v)}`)
        .join(', ')}}`;
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return 'nil';
  }
  return 'nil';
}

function ednString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}"`;
}
