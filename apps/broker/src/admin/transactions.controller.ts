import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
  ServiceUnavailableException,
} from '@nestjs/common';
import { TRANSACTIONS } from '../broker.tokens';
import { HalfMessageState, HalfMessageView, TransactionApi, TransactionResolution } from '../transaction/transaction.types';
import { bodyObject, parseMax, required } from './admin-request';
import { halfMessageCounts } from './half-message-counts';
import type { TransactionCheckResponse, TransactionListResponse, TransactionResolveResponse } from '@app/admin-client';

/** The states `GET /transactions?state=` filters on: the unresolved ones. */
const LISTED_STATES: ReadonlySet<HalfMessageState> = new Set(['pending', 'check-max']);

/**
 * Transactions an operator looks at and settles (mqadmin listHalfMessages, commitTransaction,
 * rollbackTransaction): the unresolved half messages with their age and check-back count, and a
 * commit or rollback by transaction id. An operator's resolution is recorded with source `admin`
 * and is the only one a half message in check-max accepts (transaction.types.ts).
 */
@Controller('transactions')
export class TransactionsController {
  constructor(@Inject(TRANSACTIONS) private readonly transactions: TransactionApi | undefined) {}

  @Get()
  list(@Query('topic') topic: unknown, @Query('state') state: unknown, @Query('max') max: unknown): TransactionListResponse {
    const maxCount = parseMax(typeof max === 'string' ? max : undefined);
    if (topic !== undefined && (typeof topic !== 'string' || topic === '')) throw new BadRequestException('topic must be a non-empty string');
    if (state !== undefined && !LISTED_STATES.has(state as HalfMessageState)) {
      throw new BadRequestException(`state must be one of ${[...LISTED_STATES].join(', ')}, got ${JSON.stringify(state)}`);
    }
    const all = this.service().list();
    const matching = all.filter((view) => (topic === undefined || view.topic === topic) && (state === undefined || view.state === state));
    return { total: matching.length, counts: halfMessageCounts(all), transactions: matching.slice(0, maxCount) };
  }

  /**
   * Commits an unresolved transaction: its message is delivered once. The body may name
   * `{ "topic", "messageId" }` for a transaction that is no longer listed (already resolved),
   * to learn how it ended.
   */
  @Post(':transactionId/commit')
  @HttpCode(200)
  commit(@Param('transactionId') transactionId: string, @Body() body: unknown): Promise<TransactionResolveResponse> {
    return this.resolve(transactionId, 'COMMIT', body);
  }

  /** Rolls back an unresolved transaction: its message is never delivered. */
  @Post(':transactionId/rollback')
  @HttpCode(200)
  rollback(@Param('transactionId') transactionId: string, @Body() body: unknown): Promise<TransactionResolveResponse> {
    return this.resolve(transactionId, 'ROLLBACK', body);
  }

  /**
   * Checks back now (the console's "check now"): one RecoverOrphanedTransactionCommand to a live
   * producer of the half message's topic, counted and traced as a scheduled check; the producer's
   * answer commits or rolls back as any check-back's does. 404 for a transaction not unresolved,
   * 409 when it is in check-max or no producer of its topic is connected.
   */
  @Post(':transactionId/check')
  @HttpCode(200)
  async check(@Param('transactionId') transactionId: string): Promise<TransactionCheckResponse> {
    const service = this.service();
    if (!service.checkNow) throw new ServiceUnavailableException('this transaction service cannot send a check-back on request');
    const result = await service.checkNow(transactionId);
    switch (result.status) {
      case 'sent':
        return { transactionId, messageId: result.messageId, topic: result.topic, clientId: result.clientId };
      case 'not-found':
        throw new NotFoundException(result.reason);
      case 'not-pending':
      case 'no-producer':
        throw new ConflictException(result.reason);
    }
  }

  private async resolve(transactionId: string, resolution: TransactionResolution, rawBody: unknown): Promise<TransactionResolveResponse> {
    const { topic, messageId } = this.target(transactionId, bodyObject(rawBody));
    const result = await this.service().endTransaction({ topic, messageId, transactionId, resolution, source: 'admin' });
    switch (result.status) {
      case 'ok':
        return { transactionId, messageId, topic, resolution, duplicate: result.duplicate };
      case 'not-found':
        throw new NotFoundException(result.reason);
      case 'conflict':
        throw new ConflictException(`${resolution} refused: ${result.reason} (state: ${result.state})`);
      case 'mismatch':
        throw new BadRequestException(result.reason);
      case 'store-failed':
      case 'not-running':
        throw new ServiceUnavailableException(result.reason);
    }
  }

  /** The half message's topic and id: from the listing, else from the body. */
  private target(transactionId: string, body: Record<string, unknown>): { topic: string; messageId: string } {
    for (const field of ['topic', 'messageId']) {
      if (body[field] !== undefined && (typeof body[field] !== 'string' || body[field] === '')) {
        throw new BadRequestException(`${field} must be a non-empty string, got ${JSON.stringify(body[field])}`);
      }
    }
    const listed: HalfMessageView | undefined = this.service()
      .list()
      .find((view) => view.transactionId === transactionId);
    const topic = (body.topic as string | undefined) ?? listed?.topic;
    const messageId = (body.messageId as string | undefined) ?? listed?.messageId;
    if (topic === undefined || messageId === undefined) {
      throw new NotFoundException(
        `transaction ${JSON.stringify(transactionId)} has no unresolved half message; name {"topic", "messageId"} to ask about a resolved one`,
      );
    }
    return { topic, messageId };
  }

  private service(): TransactionApi {
    return required(this.transactions, 'transaction service');
  }
}
