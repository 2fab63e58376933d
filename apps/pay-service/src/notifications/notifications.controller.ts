import { Controller, Get, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import { NotificationService, OutboxError } from '@app/outbox';
import { MERCHANT_ENDPOINT } from '../payments/merchant-callback';

/** What an operator sees of one notification. */
interface NotificationView {
  id: string;
  event: string;
  payload: unknown;
  status: string;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
  failedAt: Date | null;
}

/**
 * The operator's view of the merchant notifications: the dead letters (`GET
 * /notifications/failed`), one notification with every attempt (`GET /notifications/:id`), and a
 * re-send by hand (`POST /notifications/:id/resend`, one more attempt now).
 */
@Controller('notifications')
export class NotificationsController {
  constructor(private readonly notifications: NotificationService) {}

  @Get('failed')
  async failed(): Promise<NotificationView[]> {
    return (await this.notifications.listFailed({ endpoint: MERCHANT_ENDPOINT })).map(toView);
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<NotificationView & { attemptLog: unknown[] }> {
    const row = await this.notifications.getNotification(id);
    if (!row) throw new NotFoundException({ statusCode: 404, reason: `no notification ${id}` });
    const attemptLog = (await this.notifications.listAttempts(id)).map((attempt) => ({
      attempt: attempt.attempt,
      kind: attempt.kind,
      at: attempt.attempted_at,
      statusCode: attempt.status_code,
      latencyMs: attempt.latency_ms,
      outcome: attempt.outcome,
      error: attempt.error,
    }));
    return { ...toView(row), attemptLog };
  }

  @Post(':id/resend')
  @HttpCode(202)
  async resend(@Param('id') id: string): Promise<{ id: string; status: string }> {
    try {
      await this.notifications.resend(id);
    } catch (error) {
      if (error instanceof OutboxError && error.code === 'OUTBOX_ERR_NOTIFY_NOT_FOUND') {
        throw new NotFoundException({ statusCode: 404, reason: `no failed or delivered notification ${id}` });
      }
      throw error;
    }
    return { id, status: 'queued' };
  }
}

function toView(row: Awaited<ReturnType<NotificationService['listFailed']>>[number]): NotificationView {
  return {
    id: row.id,
    event: row.event,
    payload: row.payload,
    status: row.status,
    attempts: row.attempt_count,
    lastError: row.last_error,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
    failedAt: row.failed_at,
  };
}
