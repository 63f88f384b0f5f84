import { KafkaJSBrokerNotFound, KafkaJSConnectionError, KafkaJSRequestTimeoutError } from 'kafkajs';
import { ErrorKind, LabException } from '../../platform/http/lab-exception';

export const OrdersErrorCode = {
  BROKER_UNAVAILABLE: 'ORDERS.BROKER_UNAVAILABLE',
  TRANSACTION_ABORTED: 'ORDERS.TRANSACTION_ABORTED',
  BATCH_REQUIRES_EXACTLY_ONCE: 'ORDERS.BATCH_REQUIRES_EXACTLY_ONCE',
  BATCH_REQUIRES_TRANSACTIONS: 'ORDERS.BATCH_REQUIRES_TRANSACTIONS',
  ORDER_NOT_FOUND: 'ORDERS.ORDER_NOT_FOUND',
  CONFLICTING_ORDER_ID: 'ORDERS.CONFLICTING_ORDER_ID',
  PRODUCER_FENCED: 'ORDERS.PRODUCER_FENCED',
  ZOMBIE_REQUIRES_TRANSACTIONS: 'ORDERS.ZOMBIE_REQUIRES_TRANSACTIONS',
} as const;
export type OrdersErrorCode = (typeof OrdersErrorCode)[keyof typeof OrdersErrorCode];

export class OrdersException extends LabException {
  constructor(code: OrdersErrorCode, message: string, kind: ErrorKind, details?: unknown) {
    super(code, message, kind, details);
    this.name = 'OrdersException';
  }
}

export function brokerUnavailable(err: unknown): OrdersException {
  const reason = err instanceof Error ? err.message : String(err);
  return new OrdersException(OrdersErrorCode.BROKER_UNAVAILABLE, `Kafka broker unavailable: ${reason}`, 'unavailable', {
    reason,
  });
}

/** Whether a kafkajs error, or one it wraps, says the broker could not be reached (rather than that it refused the request). */
export function isBrokerUnreachable(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (
      e instanceof KafkaJSConnectionError ||
      e instanceof KafkaJSRequestTimeoutError ||
      e instanceof KafkaJSBrokerNotFound
    ) {
      return true;
    }
  }
  return false;
}
