import { ErrorKind, LabException } from '../../platform/http/lab-exception';

export const BankErrorCode = {
  AccountNotFound: 'BANK.ACCOUNT_NOT_FOUND',
  SelfTransfer: 'BANK.SELF_TRANSFER',
  InvalidAmount: 'BANK.INVALID_AMOUNT',
} as const;
export type BankErrorCode = (typeof BankErrorCode)[keyof typeof BankErrorCode];

export class BankException extends LabException {
  constructor(code: BankErrorCode, message: string, kind: ErrorKind, details?: unknown) {
    super(code, message, kind, details);
    this.name = 'BankException';
  }

  static accountNotFound(id: string): BankException {
    return new BankException(BankErrorCode.AccountNotFound, `Account ${id} not found`, 'not_found', { account_id: id });
  }
}
