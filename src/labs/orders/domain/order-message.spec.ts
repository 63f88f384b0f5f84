import {
  MalformedOrderMessage,
  headersToStrings,
  parseOrderMessage,
  sameOrderBody,
  toKafkaMessage,
} from './order-message';

describe('order messages', () => {
  const order = {
    order_id: 'o-1',
    customer_id: 'c-1',
    items: [{ name: 'Widget', quantity: 1, price: 9.5 }],
    total_amount: 9.5,
    timestamp: '2026-01-01T00:00:00.000Z',
    trace_id: null,
    producer: 'producer',
    delivery_mode: 'exactly-once',
  };

  it('round-trips through a Kafka message keyed by order id, with the trace headers', () => {
    const message = toKafkaMessage(order, { traceparent: '00-abc-def-01' });
    expect(message.key).toBe('o-1');
    expect(parseOrderMessage(Buffer.from(message.value as string))).toEqual(order);
    expect(
      headersToStrings({ traceparent: Buffer.from('00-abc-def-01'), multi: [Buffer.from('a'), Buffer.from('b')] }),
    ).toEqual({
      traceparent: '00-abc-def-01',
      multi: 'a',
    });
  });

  it.each([
    null,
    Buffer.from(''),
    Buffer.from('not json'),
    Buffer.from('{"order_id": 1}'),
    Buffer.from('[]'),
    Buffer.from('null'),
  ])('rejects %p as malformed', (value) => {
    expect(() => parseOrderMessage(value)).toThrow(MalformedOrderMessage);
  });

  const withChanges = (changes: Record<string, unknown>) => Buffer.from(JSON.stringify({ ...order, ...changes }));

  it.each([
    [{ customer_id: 'a\u0000b' }, 'customer_id holds a NUL byte'],
    [{ customer_id: '\ud800' }, 'customer_id holds a NUL byte or invalid UTF-16'],
    [{ order_id: 'x'.repeat(256) }, 'order_id is longer than 255'],
    [{ order_id: '' }, 'order_id is not a non-empty string'],
    [{ total_amount: 1e12 }, 'total_amount is not a number'],
    [{ total_amount: -1 }, 'total_amount'],
    [{ items: [] }, 'items is not an array'],
    [{ items: [{ name: 'x', quantity: 1.5, price: 1 }] }, 'items.0.quantity is not an integer'],
    [{ items: [{ name: 'x', quantity: '1', price: 1 }] }, 'items.0.quantity'],
    [{ items: [null] }, 'items.0 is not an item'],
  ])('rejects an order the database cannot hold (%p) with the reason', (changes, reason) => {
    expect(() => parseOrderMessage(withChanges(changes))).toThrow(reason);
  });

  it('keeps emoji and 255-character ids, and normalises items to name, quantity, price', () => {
    const parsed = parseOrderMessage(
      withChanges({
        order_id: 'x'.repeat(255),
        customer_id: '🙂 ünïcode',
        items: [{ name: 'a', quantity: 2, price: 1, extra: true }],
      }),
    );
    expect(parsed.items).toEqual([{ name: 'a', quantity: 2, price: 1 }]);
    expect(parsed.customer_id).toBe('🙂 ünïcode');
  });

  it('compares the body of two copies of an order id (customer, items, total), not their timestamps', () => {
    expect(sameOrderBody(order, { ...order, timestamp: 'later', duplicate_attempt: 2 })).toBe(true);
    expect(sameOrderBody(order, { ...order, total_amount: 10 })).toBe(false);
    expect(sameOrderBody(order, { ...order, items: [{ name: 'Widget', quantity: 2, price: 9.5 }] })).toBe(false);
  });
});
