import { HalfMessageView } from '../transaction/transaction.types';
import type { HalfMessageCounts } from '@app/admin-client';

/** Pending and check-max half messages among `views`. */
export function halfMessageCounts(views: readonly HalfMessageView[]): HalfMessageCounts {
  let pending = 0;
  let checkMax = 0;
  for (const view of views) {
    if (view.state === 'pending') pending++;
    else if (view.state === 'check-max') checkMax++;
  }
  return { pending, checkMax };
}
