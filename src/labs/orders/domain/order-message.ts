import type { IHeaders, Message } from 'kafkajs';

export interface OrderItem {
  name: string;
  quantity: number;
  price: number;
}

/** The message value on the `orders` topic (the seed's fields, plus the extras it added). */
export interface OrderMessage {
  order_id: string;
  customer_id: string;
  items: OrderItem[];
  total_amount: number;
  timestamp: string;
  trace_id: string | null;
  producer: string;
  delivery_mode: string;
  batch?: boolean;
  duplicate_attempt?: number;
}

/** Keyed by order id (one partition per order); W3C trace context travels in the headers. */
export function toKafkaMessage(order: OrderMessage, headers: Record<string, string>): Message {
  return { key: order.order_id, value: JSON.stringify(order), headers };
}

export function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first.toString();
  }
  return out;
}

export class MalformedOrderMessage extends Error {}

/** Longest text the orders tables hold (varchar(255)); a longer id or name cannot be applied. */
const MAX_TEXT = 255;
const MAX_ITEMS = 100;
/** numeric(10,2) */
const MAX_AMOUNT = 99_999_999.99;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function text(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new MalformedOrderMessage(`${field} is not a non-empty string`);
  if (value.length > MAX_TEXT) throw new MalformedOrderMessage(`${field} is longer than ${MAX_TEXT} characters`);
  // PostgreSQL text and jsonb hold neither NUL nor a lone UTF-16 surrogate.
  if (value.includes('\u0000') || LONE_SURROGATE.test(value)) {
    throw new MalformedOrderMessage(`${field} holds a NUL byte or invalid UTF-16`);
  }
  return value;
}

function amount(value: unknown, field: string, integer = false): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < 0 ||
    value > MAX_AMOUNT ||
    (integer && !Number.isInteger(value))
  ) {
    throw new MalformedOrderMessage(
      `${field} is not ${integer ? 'an integer' : 'a number'} between 0 and ${MAX_AMOUNT}`,
    );
  }
  return value;
}

/**
 * Parses a record value into an order the database can hold; anything else is malformed and goes
 * to the dead-letter topic with the reason. Items are normalised to {name, quantity, price}, so two
 * copies of one order compare equal field by field (the conflict check).
 */
export function parseOrderMessage(value: Buffer | null): OrderMessage {
  if (!value || value.length === 0) throw new MalformedOrderMessage('empty message value');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    throw new MalformedOrderMessage('message value is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new MalformedOrderMessage('message value is not an order');
  const o = parsed as Record<string, unknown>;
  if (!Array.isArray(o.items) || o.items.length === 0 || o.items.length > MAX_ITEMS) {
    throw new MalformedOrderMessage(`items is not an array of 1 to ${MAX_ITEMS} items`);
  }
  const items = o.items.map((raw: unknown, i) => {
    if (typeof raw !== 'object' || raw === null) throw new MalformedOrderMessage(`items.${i} is not an item`);
    const item = raw as Record<string, unknown>;
    return {
      name: text(item.name, `items.${i}.name`),
      quantity: amount(item.quantity, `items.${i}.quantity`, true),
      price: amount(item.price, `items.${i}.price`),
    };
  });
  return {
    ...(o as unknown as OrderMessage),
    order_id: text(o.order_id, 'order_id'),
    customer_id: text(o.customer_id, 'customer_id'),
    items,
    total_amount: amount(o.total_amount, 'total_amount'),
  };
}

/** Whether two copies of an order_id carry the same order (customer, items, total): the idempotency key's body. */
export function sameOrderBody(a: OrderMessage, b: OrderMessage): boolean {
  return (
    a.customer_id === b.customer_id &&
    a.total_amount === b.total_amount &&
    a.items.length === b.items.length &&
    a.items.every(
      (item, i) =>
        item.name === b.items[i].name && item.quantity === b.items[i].quantity && item.price === b.items[i].price,
    )
  );
}
