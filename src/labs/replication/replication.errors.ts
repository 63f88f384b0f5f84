import { ErrorKind, LabException } from '../../platform/http/lab-exception';

export const ReplicationErrorCode = {
  UnknownReplica: 'REPLICATION.UNKNOWN_REPLICA',
  BadSessionToken: 'REPLICATION.BAD_SESSION_TOKEN',
  PrimaryUnavailable: 'REPLICATION.PRIMARY_UNAVAILABLE',
  PrimaryRejected: 'REPLICATION.PRIMARY_REJECTED',
  NoReplicaServed: 'REPLICATION.NO_SOURCE_AVAILABLE',
  NodeNotReady: 'REPLICATION.NODE_NOT_READY',
  TooManyWaiters: 'REPLICATION.TOO_MANY_WAITERS',
  EpochNotConfirmed: 'REPLICATION.EPOCH_NOT_CONFIRMED',
  ValueTooLarge: 'REPLICATION.VALUE_TOO_LARGE',
  EngineUnavailable: 'REPLICATION.ENGINE_UNAVAILABLE',
  WrongEngine: 'REPLICATION.WRONG_ENGINE',
} as const;
export type ReplicationErrorCode = (typeof ReplicationErrorCode)[keyof typeof ReplicationErrorCode];

export class ReplicationException extends LabException {
  constructor(code: ReplicationErrorCode, message: string, kind: ErrorKind = 'invalid', details?: unknown) {
    super(code, message, kind, details);
  }
}
