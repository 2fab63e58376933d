import * as http from 'node:http';
import * as https from 'node:https';
import { performance } from 'node:perf_hooks';
import { SsrfGuard } from './ssrf-guard';
import { signWebhook } from './webhook-signature';

/** One POST as the worker asks for it. */
export interface WebhookRequest {
  url: string;
  /** `webhook-id`: the notification id, the same on every attempt, so receivers dedupe on it. */
  id: string;
  /** `webhook-timestamp`: this attempt's time, so the receiver's tolerance check holds on late retries. */
  timestampSeconds: number;
  body: string;
  secrets: readonly string[];
  timeoutMs: number;
}

/** What came back; never an exception: every outcome is recorded as an attempt. */
export interface WebhookResponse {
  statusCode?: number;
  timedOut: boolean;
  latencyMs: number;
  /** The first bytes of the response body (UTF-8, possibly cut mid-character). */
  responseExcerpt?: string;
  retryAfter?: string;
  /** Why no response arrived (timeout, refused address, connection reset...), or the redirect target. */
  error?: string;
}

/**
 * Sends webhooks with node:http rather than fetch: the SSRF guard needs its own `lookup` on the
 * agent, and redirects must not be followed (node:http never follows them). No keep-alive: a
 * webhook endpoint is called rarely, and idle sockets would only delay shutdown.
 */
export class WebhookSender {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(
    private readonly guard: SsrfGuard,
    private readonly excerptBytes: number,
  ) {
    this.httpAgent = new http.Agent({ keepAlive: false, lookup: guard.lookup });
    this.httpsAgent = new https.Agent({ keepAlive: false, lookup: guard.lookup });
  }

  async send(request: WebhookRequest): Promise<WebhookResponse> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      const url = new URL(request.url);
      this.guard.assertLiteralHost(url.hostname);
      return await this.post(url, request, elapsed);
    } catch (error) {
      return { timedOut: false, latencyMs: elapsed(), error: error instanceof Error ? error.message : String(error) };
    }
  }

  private post(url: URL, request: WebhookRequest, elapsed: () => number): Promise<WebhookResponse> {
    const secure = url.protocol === 'https:';
    const transport = secure ? https : http;
    return new Promise((resolve) => {
      let settled = false;
      const finish = (response: WebhookResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(response);
      };
      const req = transport.request(url, {
        method: 'POST',
        agent: secure ? this.httpsAgent : this.httpAgent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(request.body),
          'user-agent': 'nest-rocket-tx-webhooks',
          'webhook-id': request.id,
          'webhook-timestamp': String(request.timestampSeconds),
          'webhook-signature': signWebhook(request.secrets, request.id, request.timestampSeconds, request.body),
        },
      });
      // A total deadline, not a socket idle timeout: a receiver trickling bytes must not hold the worker.
      const timer = setTimeout(() => {
        finish({ timedOut: true, latencyMs: elapsed(), error: `timed out after ${request.timeoutMs} ms` });
        req.destroy();
      }, request.timeoutMs);
      req.on('error', (error) => finish({ timedOut: false, latencyMs: elapsed(), error: error.message }));
      req.on('response', (res) => {
        void this.readExcerpt(res).then((excerpt) => finish(describe(res, excerpt, elapsed())));
      });
      req.end(request.body);
    });
  }

  /** Reads at most `excerptBytes` of the body, then drops the connection rather than draining a large response. */
  private readExcerpt(res: http.IncomingMessage): Promise<string> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => resolve(Buffer.concat(chunks).subarray(0, this.excerptBytes).toString('utf8'));
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= this.excerptBytes) {
          res.destroy();
          done();
        }
      });
      res.on('end', done);
      res.on('error', done);
      res.on('close', done);
    });
  }
}

function describe(res: http.IncomingMessage, excerpt: string, latencyMs: number): WebhookResponse {
  const statusCode = res.statusCode ?? 0;
  const location = res.headers.location;
  return {
    statusCode,
    timedOut: false,
    latencyMs,
    responseExcerpt: excerpt,
    retryAfter: res.headers['retry-after'],
    error: statusCode >= 300 && statusCode < 400 ? `redirect to ${location ?? '(no location)'} not followed` : undefined,
  };
}
