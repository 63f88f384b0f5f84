import { LabException } from '../../../../platform/http/lab-exception';
import { ValidateBy, ValidationOptions } from 'class-validator';
import { MAX_ENTRY, NODE_IDS } from '../../counter.config';
import { COUNTER_NAME_PATTERN, StateRules, isNodeMap, isPnCounter } from '../../crdt/state-validation';

export { COUNTER_NAME_PATTERN };
export const COUNTER_NAME_MESSAGE = 'counter_name must be 1-128 characters of letters, digits, "_", ".", ":" or "-"';
export const MAX_AMOUNT = 1_000_000;

/** What a /sync body may carry: entries of the three regions' node ids, each at most MAX_ENTRY. */
export const SYNC_RULES: StateRules = { nodeIds: NODE_IDS, maxEntry: MAX_ENTRY };
const MAX_SYNC_COUNTERS = 100_000;
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `{<counter_name>: {<node_id>: integer 0…MAX_ENTRY}}` — a G-Counter state as /sync carries it. */
export function IsCountMap(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isCountMap',
      validator: {
        validate: (value: unknown) =>
          isPlainObject(value) &&
          Object.keys(value).length <= MAX_SYNC_COUNTERS &&
          Object.entries(value).every(([name, map]) => COUNTER_NAME_PATTERN.test(name) && isNodeMap(map, SYNC_RULES)),
        defaultMessage: () =>
          `$property must map counter names to {node_id: integer 0-${MAX_ENTRY}} objects, node ids among ${NODE_IDS.join(', ')}`,
      },
    },
    options,
  );
}

/** `{<counter_name>: {p: {<node_id>: int}, n: {<node_id>: int}}}` — a PN-Counter state. */
export function IsPnCountMap(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPnCountMap',
      validator: {
        validate: (value: unknown) =>
          isPlainObject(value) &&
          Object.keys(value).length <= MAX_SYNC_COUNTERS &&
          Object.entries(value).every(([name, c]) => COUNTER_NAME_PATTERN.test(name) && isPnCounter(c, SYNC_RULES)),
        defaultMessage: () =>
          `$property must map counter names to {p: {node_id: int}, n: {node_id: int}} objects, entries 0-${MAX_ENTRY}`,
      },
    },
    options,
  );
}

/** The seed required a JSON body on writes (every field has a default, but an empty request is a mistake). */
export function assertJsonBody(req: { headers: Record<string, string | string[] | undefined> }): void {
  const length = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  if (!hasBody) {
    throw new LabException(
      'REQUEST.BODY_REQUIRED',
      'A JSON body is required, e.g. {"counter_name": "views", "amount": 1}',
      'invalid',
    );
  }
}
