import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';

/** Debian's chromium (`apt-get install -y chromium`); never a browser downloaded by Playwright. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A headless chromium (its one context) and the fresh profile directory it runs in; close() ends both. */
export interface LaunchedBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Why browser tests cannot run here, or undefined when they can. With `CI` set a missing browser
 * is an error (the CI script installs it), elsewhere a reason to skip.
 */
export function browserUnavailableReason(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  const reason = `no chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
  if (process.env.CI) throw new Error(`browser tests need a browser in CI: ${reason}`);
  return reason;
}

/**
 * Launches the system chromium headless with a fresh user data dir, no sandbox (root in
 * containers) and no background networking (no request leaves loopback).
 */
export async function launchChromium(
  options: { httpCredentials?: { username: string; password: string }; viewport?: { width: number; height: number } } = {},
): Promise<LaunchedBrowser> {
  const { chromium } = await import('playwright-core');
  const userDataDir = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--no-first-run', '--disable-dev-shm-usage'],
    httpCredentials: options.httpCredentials,
    viewport: options.viewport ?? { width: 1280, height: 800 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
