import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/** What the proxy does with one notification attempt. */
export type ProxyVerdict = 'refused' | 'forwarded';

/**
 * A stand-in for a flaky merchant endpoint between pay-service and order-service's
 * `POST /callbacks/payment`: it answers 500 to the first `failFirst` attempts per webhook id (or
 * to every attempt while `down`), then forwards the request unchanged (raw body and the Standard
 * Webhooks headers, so the signature still verifies) and relays the answer.
 */
export class CallbackProxy {
  /** Set to true to refuse every attempt (the receiver is "down"). */
  down = false;
  private readonly attemptsById = new Map<string, number>();
  private server?: Server;

  constructor(
    private readonly targetUrl: string,
    private readonly failFirst: number,
    private readonly onAttempt: (webhookId: string, attempt: number, verdict: ProxyVerdict, status: number) => void,
  ) {}

  /** Listens on a free loopback port; returns the URL to give pay-service. */
  async start(): Promise<string> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/callbacks/payment`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server!.close(resolve));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const webhookId = String(request.headers['webhook-id'] ?? 'unknown');
    const attempt = (this.attemptsById.get(webhookId) ?? 0) + 1;
    this.attemptsById.set(webhookId, attempt);
    if (this.down || attempt <= this.failFirst) {
      this.onAttempt(webhookId, attempt, 'refused', 500);
      response.writeHead(500, { 'content-type': 'application/json' }).end('{"reason":"demo: receiver failing on purpose"}');
      return;
    }
    const headers: Record<string, string> = {};
    for (const name of ['content-type', 'webhook-id', 'webhook-timestamp', 'webhook-signature', 'user-agent']) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    try {
      const answer = await fetch(this.targetUrl, { method: 'POST', headers, body: Buffer.concat(chunks), signal: AbortSignal.timeout(10_000) });
      const text = await answer.text();
      this.onAttempt(webhookId, attempt, 'forwarded', answer.status);
      response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' }).end(text);
    } catch {
      this.onAttempt(webhookId, attempt, 'forwarded', 502);
      response.writeHead(502).end();
    }
  }
}
