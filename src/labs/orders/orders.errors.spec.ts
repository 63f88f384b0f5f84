import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { TransactionAbortedError } from './strategies/delivery.port';
import { isBrokerUnreachable } from './orders.errors';

describe('isBrokerUnreachable', () => {
  it('recognises a connection failure, also wrapped by kafkajs retries and by an aborted transaction', () => {
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:19092');
    expect(isBrokerUnreachable(refused)).toBe(true);
    expect(isBrokerUnreachable(new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 5, retryTime: 1000 }))).toBe(
      true,
    );
    expect(
      isBrokerUnreachable(
        new TransactionAbortedError(new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 5, retryTime: 1000 }))
          .cause,
      ),
    ).toBe(true);
  });

  it('does not take a broker that answered with an error for one that is gone', () => {
    expect(
      isBrokerUnreachable(
        new KafkaJSProtocolError('The producer attempted to use a producer id which is not currently assigned'),
      ),
    ).toBe(false);
    expect(isBrokerUnreachable(new Error('boom'))).toBe(false);
    expect(isBrokerUnreachable('not an error')).toBe(false);
  });
});
