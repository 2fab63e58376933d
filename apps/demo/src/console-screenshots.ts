import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { TopicMessagesPageResponse } from '@app/admin-client';
import { browserUnavailableReason, launchChromium } from '@app/testkit';
import type { DemoStack } from './demo-stack';
import type { Timeline } from './timeline';

/** The pages README shows, in the order they are taken. */
const PAGES = ['overview', 'timeline', 'transactions', 'groups'] as const;

/**
 * `npm run demo -- --once --screenshots docs/images`: after the story, opens the broker's console
 * in Debian's chromium (headless) and saves the overview, the timeline of the first payment's
 * message (its half message, the local transaction, the order-service's consumption and each
 * notification attempt), the transactions page and the consumer groups, as PNG files.
 */
export async function captureConsole(stack: DemoStack, directory: string, timeline: Timeline): Promise<string[]> {
  const unavailable = browserUnavailableReason();
  if (unavailable) {
    timeline.add('runner', `no screenshots: ${unavailable}`);
    return [];
  }
  const outDir = resolve(directory);
  await mkdir(outDir, { recursive: true });
  const payments = await stack.admin.get<TopicMessagesPageResponse>(['topics', 'payment-succeeded', 'messages'], { since: 0, max: 1 });
  const paymentMessageId = payments.messages[0]?.messageId;
  const launched = await launchChromium({ viewport: { width: 1400, height: 900 }, httpCredentials: stack.adminCredentials });
  const saved: string[] = [];
  try {
    const page = await launched.context.newPage();
    for (const name of PAGES) {
      if (name === 'timeline' && paymentMessageId === undefined) continue;
      const route = name === 'timeline' ? `timeline?id=${encodeURIComponent(paymentMessageId ?? '')}` : name;
      await page.goto(`${stack.urls.brokerAdmin}/console#/${route}`);
      if (name === 'timeline') await page.getByTestId('timeline-step').first().waitFor();
      // The overview's rates need two polls (2 s apart); other pages settle after one load.
      await page.waitForTimeout(name === 'overview' ? 4_500 : 1_000);
      const file = join(outDir, `console-${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      saved.push(file);
      timeline.add('runner', `screenshot ${file}`);
    }
  } finally {
    await launched.close();
  }
  return saved;
}
