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

/** Parses a record value; anything that is not an order is malformed (it goes to the dead-letter topic). */
export function parseOrderMessage(value: Buffer | null): OrderMessage {
  if (!value) throw new MalformedOrderMessage('empty message value');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    throw new MalformedOrderMessage('message value is not JSON');
  }
  const o = parsed as Partial<OrderMessage>;
  if (
    typeof o !== 'object' ||
    o === null ||
    typeof o.order_id !== 'string' ||
    typeof o.customer_id !== 'string' ||
    !Array.isArray(o.items) ||
    typeof o.total_amount !== 'number'
  ) {
    throw new MalformedOrderMessage('message value is not an order');
  }
  return o as OrderMessage;
}
