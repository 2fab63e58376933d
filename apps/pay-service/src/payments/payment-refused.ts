import { HttpException, HttpStatus } from '@nestjs/common';

/** A refused payment: the HTTP status and a reason a person can read, as `{ statusCode, reason }`. */
export class PaymentRefused extends HttpException {
  constructor(status: HttpStatus, reason: string) {
    super({ statusCode: status, reason }, status);
  }
}

/** PostgreSQL's unique_violation: a second payment of an order reached the unique order_id. */
export const UNIQUE_VIOLATION = '23505';
