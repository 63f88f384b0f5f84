import { MalformedOrderMessage, headersToStrings, parseOrderMessage, toKafkaMessage } from './order-message';

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
    expect(headersToStrings({ traceparent: Buffer.from('00-abc-def-01'), multi: [Buffer.from('a'), Buffer.from('b')] })).toEqual({
      traceparent: '00-abc-def-01',
      multi: 'a',
    });
  });

  it.each([null, Buffer.from('not json'), Buffer.from('{"order_id": 1}'), Buffer.from('[]')])('rejects %p as malformed', (value) => {
    expect(() => parseOrderMessage(value)).toThrow(MalformedOrderMessage);
  });
});
