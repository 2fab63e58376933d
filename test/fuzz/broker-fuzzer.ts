import { status as grpcStatus, StatusObject } from '@grpc/grpc-js';
import fc, { IAsyncProperty } from 'fast-check';
import { AdminCall, adminCallArbitrary } from './admin-request-arbitraries';
import { adminAnswerProblem, grpcAnswerProblem, isRejected, stableJson, statusProblem } from './answer-checks';
import { FuzzBroker, StoredState } from './fuzz-broker';
import { GrpcAnswer } from './fuzz-grpc-client';
import { GrpcCall, grpcCallArbitrary } from './grpc-request-arbitraries';
import { TelemetrySession, telemetrySessionArbitrary } from './telemetry-arbitraries';
import { applyWireMutations, WireMutation, wireMutationsArbitrary } from './wire-mutation';

/** Deadline of every fuzzed call: far above the tuned long polls, so running into it means a hang. */
const CALL_DEADLINE_MS = 8_000;
/** The liveness probe runs after this many fuzzed requests, and at the end of every property. */
const LIVENESS_EVERY_RUNS = 40;

/** An invariant the broker broke; the message says which and how. */
export class FuzzFinding extends Error {
  override readonly name = 'FuzzFinding';
}

/** The fuzzed surfaces, each one fast-check property. */
export const FUZZ_TARGETS = ['grpc', 'wire', 'telemetry', 'admin'] as const;
export type FuzzTarget = (typeof FUZZ_TARGETS)[number];

/**
 * The fuzzer's properties over one live FuzzBroker. Every run sends one request (or one telemetry
 * session) and checks the answer; a refused request must leave the stored state as it was; every
 * LIVENESS_EVERY_RUNS runs the broker must still answer /health and a send-and-receive round trip.
 */
export class BrokerFuzzer {
  private runsSinceProbe = 0;
  /** Answers per RPC or route and code, for the run's figures. */
  readonly tally = new Map<string, number>();

  constructor(private readonly target: FuzzBroker) {}

  property(name: FuzzTarget): IAsyncProperty<[unknown]> {
    const pools = this.target.pools;
    switch (name) {
      case 'grpc':
        return fc.asyncProperty(grpcCallArbitrary(pools), (call) => this.sendCall(call));
      case 'wire':
        return fc.asyncProperty(fc.tuple(grpcCallArbitrary(pools), wireMutationsArbitrary()), ([call, mutations]) => this.sendMutated(call, mutations));
      case 'telemetry':
        return fc.asyncProperty(telemetrySessionArbitrary(pools), (session) => this.runTelemetry(session));
      case 'admin':
        return fc.asyncProperty(adminCallArbitrary(pools), (call) => this.sendAdmin(call));
    }
  }

  /** Fails with a finding unless the broker answers /health and a round trip. */
  async assertAlive(): Promise<void> {
    this.runsSinceProbe = 0;
    const problem = await this.target.livenessProblem();
    if (problem) throw new FuzzFinding(`the broker is not alive: ${problem}`);
  }

  private async sendCall(call: GrpcCall): Promise<void> {
    const bytes = this.target.grpc.encode(call.rpc, call.request);
    fc.pre(bytes !== undefined);
    await this.exchange(call, bytes, false);
  }

  private async sendMutated(call: GrpcCall, mutations: WireMutation[]): Promise<void> {
    const bytes = this.target.grpc.encode(call.rpc, call.request);
    fc.pre(bytes !== undefined);
    await this.exchange(call, applyWireMutations(bytes, mutations), true);
  }

  private async exchange(call: GrpcCall, bytes: Buffer, mutated: boolean): Promise<void> {
    const send = () => this.target.grpc.call(call.rpc, bytes, call.clientId, CALL_DEADLINE_MS);
    const before = await this.target.storedState();
    const answer = await send();
    this.count(call.rpc, answerCode(answer));
    const problem = grpcAnswerProblem(call, answer, mutated);
    if (problem) throw new FuzzFinding(problem);
    if (isRejected(answer)) await this.assertUnchanged(before, async () => void (await send()), `${call.rpc} refused with ${answerCode(answer)}`);
    await this.probeNow();
  }

  private async sendAdmin(call: AdminCall): Promise<void> {
    // fetch() sends no body with GET.
    const body = call.method === 'GET' ? undefined : call.body;
    const send = () =>
      fetch(`${this.target.adminUrl}${call.path}`, {
        method: call.method,
        headers: body ? { 'content-type': body.contentType } : {},
        body: body?.text,
        signal: AbortSignal.timeout(CALL_DEADLINE_MS),
      });
    const before = await this.target.storedState();
    let response: Response;
    try {
      response = await send();
    } catch (error) {
      throw new FuzzFinding(`${call.method} ${call.path.slice(0, 200)} got no answer: ${String(error)}`);
    }
    const text = await response.text();
    const route = `${call.method} ${call.path.split('?')[0].replace(/\/[^/]+/g, (segment) => (segment.length > 24 ? '/…' : segment))}`;
    this.count('admin', String(response.status));
    const problem = adminAnswerProblem(response.status, response.headers.get('content-type'), text, call.path);
    if (problem) throw new FuzzFinding(`${route}: ${problem}`);
    if (response.status >= 400) await this.assertUnchanged(before, async () => void (await (await send()).text()), `${route} answered ${response.status}`);
    await this.probeNow();
  }

  private async runTelemetry(session: TelemetrySession): Promise<void> {
    const stream = this.target.grpc.telemetry(session.clientId);
    const answers: Record<string, unknown>[] = [];
    let mutated = false;
    const ended = new Promise<StatusObject>((resolve) => stream.on('status', resolve));
    stream.on('data', (command: Record<string, unknown>) => answers.push(command));
    stream.on('error', () => undefined);
    for (const write of session.writes) {
      const encoded = this.target.grpc.encode('Telemetry', write.command);
      if (!encoded) continue;
      mutated ||= write.kind === 'bytes';
      stream.write(write.kind === 'bytes' ? applyWireMutations(encoded, write.mutations) : encoded);
      if (session.ending === 'cancel-at-once') break;
    }
    if (session.ending === 'cancel-at-once') {
      stream.cancel();
    } else {
      await new Promise((resolve) => setTimeout(resolve, 30));
      if (session.ending === 'cancel') stream.cancel();
      else stream.end();
    }
    const outcome = await Promise.race([ended, new Promise<'hang'>((resolve) => setTimeout(() => resolve('hang'), CALL_DEADLINE_MS))]);
    this.count('Telemetry', outcome === 'hang' ? 'hang' : grpcStatus[outcome.code]);
    if (outcome === 'hang') throw new FuzzFinding(`the telemetry stream was not closed ${CALL_DEADLINE_MS} ms after the client's ${session.ending}`);
    for (const answer of answers) {
      if (!('status' in answer)) continue;
      const problem = statusProblem(answer.status);
      if (problem) throw new FuzzFinding(`Telemetry: ${problem}`);
    }
    const acceptable = [grpcStatus.OK, grpcStatus.CANCELLED, grpcStatus.RESOURCE_EXHAUSTED, ...(mutated ? [grpcStatus.INTERNAL] : [])];
    if (!acceptable.includes(outcome.code))
      throw new FuzzFinding(`the telemetry stream ended with gRPC status ${grpcStatus[outcome.code]}: ${outcome.details}`);
    await this.probeNow();
  }

  /**
   * Stored state must be as before a refused request. Timers (expiring invisible durations,
   * transaction checks) may change it in between, so a difference counts only when the request,
   * sent again, changes the state again.
   */
  private async assertUnchanged(before: StoredState, replay: () => Promise<void>, what: string): Promise<void> {
    const after = await this.target.storedState();
    if (stableJson(before) === stableJson(after)) return;
    const beforeAgain = await this.target.storedState();
    await replay();
    const afterAgain = await this.target.storedState();
    if (stableJson(beforeAgain) !== stableJson(afterAgain)) {
      throw new FuzzFinding(`${what}, yet changed the stored state: ${describeChange(beforeAgain, afterAgain)}`);
    }
  }

  private async probeNow(): Promise<void> {
    if (++this.runsSinceProbe >= LIVENESS_EVERY_RUNS) await this.assertAlive();
  }

  private count(what: string, code: string): void {
    const key = `${what} ${code}`;
    this.tally.set(key, (this.tally.get(key) ?? 0) + 1);
  }
}

function answerCode(answer: GrpcAnswer): string {
  if (answer.kind === 'error') return `grpc:${grpcStatus[answer.code]}`;
  const frames = answer.kind === 'unary' ? [answer.response] : answer.frames;
  const withStatus = frames.find((frame) => 'status' in frame) as { status?: { code?: string } } | undefined;
  return withStatus?.status?.code ?? 'no-status';
}

function describeChange(before: StoredState, after: StoredState): string {
  const parts = Object.keys(before) as (keyof StoredState)[];
  return parts
    .filter((part) => stableJson(before[part]) !== stableJson(after[part]))
    .map((part) => `${part}: ${stableJson(before[part]).slice(0, 300)} -> ${stableJson(after[part]).slice(0, 300)}`)
    .join('; ');
}
