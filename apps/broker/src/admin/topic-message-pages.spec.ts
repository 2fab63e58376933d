import fc from 'fast-check';
import { StoredMessage } from '../store/message-record';
import { MessageStore } from '../store/message-store';
import { decodeCursor, encodeCursor, readMessagePage } from './topic-message-pages';

/** The three store reads a page uses, over queues given as lists of store times (offset = index). */
function fakeStore(queues: number[][]): Pick<MessageStore, 'getQueueBounds' | 'findQueueOffsetByTime' | 'readQueue'> {
  const message = (queueId: number, offset: number): StoredMessage =>
    ({ topic: 't', queueId, queueOffset: offset, messageId: `${queueId}:${offset}`, storeTimestampMs: queues[queueId][offset] }) as StoredMessage;
  return {
    getQueueBounds: (_topic, queueId) => ({ minOffset: 0, maxOffset: queues[queueId].length }),
    // The store's binary search: the first offset stored at or after the time.
    findQueueOffsetByTime: async (_topic, queueId, timestampMs) => {
      let low = 0;
      let high = queues[queueId].length;
      while (low < high) {
        const mid = (low + high) >> 1;
        if (queues[queueId][mid] < timestampMs) low = mid + 1;
        else high = mid;
      }
      return low;
    },
    readQueue: async (_topic, queueId, from, max) => queues[queueId].slice(from, from + max).map((_time, i) => message(queueId, from + i)),
  };
}

async function readAll(queues: number[][], sinceMs: number, untilMs: number, max: number): Promise<StoredMessage[][]> {
  const store = fakeStore(queues) as MessageStore;
  const ids = queues.map((_q, i) => i);
  const pages: StoredMessage[][] = [];
  let from: Map<number, number> | undefined;
  for (;;) {
    const page = await readMessagePage(store, 't', ids, { sinceMs, untilMs, max, from });
    pages.push(page.messages);
    if (!page.next) return pages;
    // Through the cursor's text, as a client would hand it back.
    from = decodeCursor(encodeCursor(page.next));
    if (pages.length > 10_000) throw new Error('paging does not end');
  }
}

/** Store times of one queue: non-decreasing, with ties (as a queue's appends are stamped). */
const queueTimes = fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 30 }).map((steps) => {
  let time = 1_000;
  return steps.map((step) => (time += step));
});

describe('readMessagePage (a topic by time range, in pages)', () => {
  it('returns every message stored in the range exactly once, oldest first, whatever the page size and ties', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(queueTimes, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 990, max: 1_100 }),
        fc.integer({ min: 0, max: 120 }),
        fc.integer({ min: 1, max: 7 }),
        async (queues, sinceMs, span, max) => {
          const untilMs = sinceMs + span;
          const pages = await readAll(queues, sinceMs, untilMs, max);
          const got = pages.flat();
          const expected = queues
            .flatMap((times, queueId) => times.map((time, offset) => ({ id: `${queueId}:${offset}`, time })))
            .filter((m) => m.time >= sinceMs && m.time < untilMs);
          expect(got.map((m) => m.messageId).sort()).toEqual(expected.map((m) => m.id).sort());
          for (let i = 1; i < got.length; i++) expect(got[i].storeTimestampMs).toBeGreaterThanOrEqual(got[i - 1].storeTimestampMs);
          for (const page of pages.slice(0, -1)) expect(page).toHaveLength(max);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never repeats a message and ends when a queue’s store times step back (a clock moved back)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.integer({ min: 995, max: 1_010 }), { maxLength: 20 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 5 }),
        async (queues, max) => {
          const got = (await readAll(queues, 1_000, 1_005, max)).flat().map((m) => m.messageId);
          expect(new Set(got).size).toBe(got.length);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a cursor it did not make', () => {
    for (const bad of [
      '',
      'x',
      Buffer.from('[1,2]').toString('base64url'),
      Buffer.from('{"a":1}').toString('base64url'),
      Buffer.from('{"0":-1}').toString('base64url'),
    ]) {
      expect(() => decodeCursor(bad)).toThrow(/not a cursor of this API/);
    }
    expect(decodeCursor(encodeCursor(new Map([[3, 17]])))).toEqual(new Map([[3, 17]]));
  });
});
