import { Logger } from 'pino';
import { AckMessageHandler } from './handlers/ack-message.handler';
import { ChangeInvisibleDurationHandler } from './handlers/change-invisible-duration.handler';
import { EndTransactionHandler } from './handlers/end-transaction.handler';
import { RecallMessageHandler } from './handlers/recall-message.handler';
import { ForwardMessageToDeadLetterQueueHandler } from './handlers/forward-message-to-dead-letter-queue.handler';
import { GetOffsetHandler } from './handlers/get-offset.handler';
import { StreamHandler, UnaryHandler } from './handlers/handler.types';
import { HeartbeatHandler } from './handlers/heartbeat.handler';
import { NotifyClientTerminationHandler } from './handlers/notify-client-termination.handler';
import { PullMessageHandler } from './handlers/pull-message.handler';
import { QueryAssignmentHandler } from './handlers/query-assignment.handler';
import { QueryOffsetHandler } from './handlers/query-offset.handler';
import { QueryRouteHandler } from './handlers/query-route.handler';
import { ReceiveMessageHandler } from './handlers/receive-message.handler';
import { SendMessageHandler } from './handlers/send-message.handler';
import { TelemetryHandler } from './handlers/telemetry.handler';
import { UpdateOffsetHandler } from './handlers/update-offset.handler';
import { Status, TelemetryCommand } from './messaging.types';
import { maxReceiveMessageBytes } from './inbound-message-limit';
import { MessagingParts } from './messaging-parts';
import { loadMessagingService } from './proto-loader';
import { AUTHORIZATION_HEADER, CLIENT_ID_HEADER, DATE_TIME_HEADER, peerHostOf, remainingUntil, RequestContext } from './request-context';
import { GrpcHttp2Server, RequestHandler } from './server/grpc-http2-server';
import { GrpcServerCall, IncomingGrpcCall } from './server/grpc-server-call';
import { errorStatus, Statuses, unsafeNumberStatus } from './status-codes';
import { TelemetrySessions } from './telemetry-sessions';
import { findUnsafeNumber } from './unsafe-number-guard';
import { requiredPermissions } from './required-permissions';
import type { TlsMaterial } from '../config/tls-material';
import { LifecycleState } from '../lifecycle-state';

/** The broker parts the server needs; the server adds its address and logger. */
export type MessagingServerParts = Omit<MessagingParts, 'address' | 'logger'>;

/**
 * The gRPC server of `apache.rocketmq.v2.MessagingService`: one handler per RPC (handlers/),
 * served on `config.host:config.grpcPort` by GrpcHttp2Server (server/). SyncLiteSubscription (lite
 * topics) has no handler, so it is answered UNIMPLEMENTED.
 *
 * Every call must carry `x-mq-client-id` (CLIENT_ID_REQUIRED otherwise, as the proxy's
 * GrpcMessagingApplication.validateContext), and a request holding an int64 the decoder rounded is
 * refused before its handler runs (unsafe-number-guard.ts). A handler that throws answers
 * INTERNAL_SERVER_ERROR in the response status; the call itself never fails.
 *
 * open() also starts the expiry of silent clients in the telemetry sessions. close() drains: the
 * server stops taking calls, long polls end at once with what they have, telemetry streams are
 * ended (status OK) and expiry stops, and ordinary calls get `shutdownGraceMs` to finish before
 * they are cancelled.
 */
export class MessagingServer {
  readonly sessions: TelemetrySessions;
  /** Longest request message read; longer ones fail with RESOURCE_EXHAUSTED unread (inbound-message-limit.ts). */
  readonly maxReceiveMessageBytes: number;
  private readonly parts: MessagingParts;
  private readonly server: GrpcHttp2Server;
  private state: LifecycleState = LifecycleState.Created;
  private boundPort = 0;
  /** Connections closed at accept because maxConnections were open (connection-limit.ts). */
  refusedConnections = 0;
  /** Calls in progress (not telemetry), for the shutdown log. */
  private callsInProgress = 0;
  /** Abort controllers of the long polls in progress (ReceiveMessage, PullMessage), aborted on stop. */
  private readonly longPolls = new Set<AbortController>();

  constructor(
    parts: MessagingServerParts,
    private readonly logger: Logger,
  ) {
    this.sessions = parts.sessions;
    this.parts = { ...parts, logger, address: () => ({ host: parts.config.host, port: this.boundPort }) };
    this.maxReceiveMessageBytes = maxReceiveMessageBytes(parts.options.maxInboundMessageBytes, parts.config.segmentSizeBytes);
    this.server = new GrpcHttp2Server({
      maxReceiveMessageBytes: this.maxReceiveMessageBytes,
      flowControlWindowBytes: parts.options.flowControlWindowBytes,
      maxConnections: parts.options.maxConnections,
      onConnectionRefused: (remoteAddress, remotePort) => {
        this.refusedConnections += 1;
        logger.warn({ remoteAddress, remotePort, maxConnections: parts.options.maxConnections }, 'gRPC connection refused: maxConnections are open');
      },
      logger,
    });
    this.server.addService(loadMessagingService(), this.implementation());
  }

  /** The bound port (the real one when 0 was configured); 0 before open(). */
  get port(): number {
    return this.boundPort;
  }

  /** Binds `config.host:config.grpcPort` and starts serving, on TLS when given its material; resolves with the bound port. */
  async open(tls?: TlsMaterial): Promise<number> {
    if (this.state !== LifecycleState.Created) throw new Error('MessagingServer.open() may be called once');
    this.state = LifecycleState.Loading;
    const { host, grpcPort } = this.parts.config;
    this.boundPort = await this.server.listen(host, grpcPort, tls);
    this.sessions.startExpiry();
    this.state = LifecycleState.Running;
    this.logger.info(
      { host, port: this.boundPort, tls: tls !== undefined, maxReceiveMessageBytes: this.maxReceiveMessageBytes },
      'gRPC messaging service listening',
    );
    return this.boundPort;
  }

  /** Drains and stops; safe to call more than once and before open(). */
  async close(): Promise<void> {
    if (this.state === LifecycleState.ShuttingDown || this.state === LifecycleState.Closed) return;
    const wasRunning = this.state === LifecycleState.Running;
    this.state = LifecycleState.ShuttingDown;
    const drained = this.server.tryShutdown();
    for (const longPoll of this.longPolls) longPoll.abort();
    this.sessions.endAll();
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.parts.options.shutdownGraceMs)));
    const outcome = await Promise.race([drained, graceOver]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.logger.warn({ callsInProgress: this.callsInProgress }, 'gRPC calls still running after the shutdown grace period; cancelling them');
      this.server.forceShutdown();
    }
    this.state = LifecycleState.Closed;
    if (wasRunning) this.logger.info('gRPC messaging service stopped');
  }

  private implementation(): Record<string, RequestHandler | { stream: (call: GrpcServerCall) => void }> {
    const parts = this.parts;
    return {
      QueryRoute: this.unary('QueryRoute', new QueryRouteHandler(parts)),
      Heartbeat: this.unary('Heartbeat', new HeartbeatHandler(parts)),
      SendMessage: this.unary('SendMessage', new SendMessageHandler(parts)),
      QueryAssignment: this.unary('QueryAssignment', new QueryAssignmentHandler(parts)),
      ReceiveMessage: this.stream('ReceiveMessage', new ReceiveMessageHandler(parts)),
      AckMessage: this.unary('AckMessage', new AckMessageHandler(parts)),
      ForwardMessageToDeadLetterQueue: this.unary('ForwardMessageToDeadLetterQueue', new ForwardMessageToDeadLetterQueueHandler(parts)),
      PullMessage: this.stream('PullMessage', new PullMessageHandler(parts)),
      UpdateOffset: this.unary('UpdateOffset', new UpdateOffsetHandler(parts)),
      GetOffset: this.unary('GetOffset', new GetOffsetHandler(parts)),
      QueryOffset: this.unary('QueryOffset', new QueryOffsetHandler(parts)),
      Telemetry: this.telemetry(new TelemetryHandler(parts)),
      NotifyClientTermination: this.unary('NotifyClientTermination', new NotifyClientTerminationHandler(parts)),
      ChangeInvisibleDuration: this.unary('ChangeInvisibleDuration', new ChangeInvisibleDurationHandler(parts)),
      EndTransaction: this.unary('EndTransaction', new EndTransactionHandler(parts)),
      RecallMessage: this.unary('RecallMessage', new RecallMessageHandler(parts)),
    };
  }

  private unary<Request, Response>(rpc: string, handler: UnaryHandler<Request, Response>): RequestHandler {
    return (received, call) => {
      const request = received as Request;
      const context = this.contextOf(rpc, call);
      this.callsInProgress++;
      this.noteActivity(context);
      const refusal = this.refusalOf(context, request, call);
      const answer = refusal
        ? Promise.resolve(handler.failure(refusal))
        : Promise.resolve()
            .then(() => handler.handle(request, context))
            .catch((error: unknown) => handler.failure(errorStatus(error, this.logger, rpc)));
      void answer.then((response) => {
        this.callsInProgress--;
        call.respond(response);
      });
    };
  }

  /** Server-streaming calls are the long polls: only they get an abort signal. */
  private stream<Request, Frame>(rpc: string, handler: StreamHandler<Request, Frame>): RequestHandler {
    return (received, call) => {
      const request = received as Request;
      const { signal, release } = this.longPoll(call);
      const context = this.contextOf(rpc, call, signal);
      this.callsInProgress++;
      this.noteActivity(context);
      const write = (frame: Frame): void => call.write(frame);
      const refusal = this.refusalOf(context, request, call);
      const answer = refusal
        ? Promise.resolve(handler.failure(refusal).forEach(write))
        : Promise.resolve()
            .then(() => handler.handle(request, context, write))
            .catch((error: unknown) => handler.failure(errorStatus(error, this.logger, rpc)).forEach(write));
      void answer.then(() => {
        release();
        this.callsInProgress--;
        call.end();
      });
    };
  }

  private telemetry(handler: TelemetryHandler): { stream: (call: GrpcServerCall) => void } {
    const onStream = (call: GrpcServerCall<TelemetryCommand>): void => {
      const context = this.contextOf('Telemetry', call);
      const refusal = context.clientId ? this.authenticationRefusal(context, call) : Statuses.clientIdRequired();
      if (refusal) {
        call.write({ status: refusal });
        call.end();
        return;
      }
      if (this.state !== LifecycleState.Running) {
        call.end();
        return;
      }
      handler.handle(call, context);
    };
    return { stream: onStream };
  }

  /**
   * The status refusing a call before its handler runs: no client id, a failed authentication or
   * authorization (auth/), or a number the decoder could not carry exactly (unsafe-number-guard.ts).
   */
  private refusalOf(context: RequestContext, request: unknown, call: IncomingGrpcCall): Status | undefined {
    if (!context.clientId) return Statuses.clientIdRequired();
    const unauthenticated = this.authenticationRefusal(context, call);
    if (unauthenticated) return unauthenticated;
    // The permissions are only worked out when authorization is on: this runs for every call.
    const authorizer = this.parts.authorizer;
    if (authorizer?.enabled) {
      const unauthorized = authorizer.check(context.principal, requiredPermissions(context.rpc, request ?? {}), context.peerHost, { rpc: context.rpc });
      if (unauthorized) return Statuses.unauthorized(unauthorized);
    }
    const unsafe = findUnsafeNumber(request);
    return unsafe ? unsafeNumberStatus(unsafe.path, unsafe.value) : undefined;
  }

  /** With authentication on: UNAUTHORIZED unless the request carries a valid signature of a known, enabled user. */
  private authenticationRefusal(context: RequestContext, call: IncomingGrpcCall): Status | undefined {
    const authenticator = this.parts.authenticator;
    if (!authenticator?.enabled) return undefined;
    const outcome = authenticator.authenticateSigned(call.header(AUTHORIZATION_HEADER), call.header(DATE_TIME_HEADER), {
      rpc: context.rpc,
      peerHost: context.peerHost,
    });
    if (!outcome.ok) return Statuses.unauthorized(outcome.reason);
    context.principal = outcome.user;
    return undefined;
  }

  /**
   * Any request is a sign of life: a client whose telemetry stream is closed is forgotten only
   * after channelExpiredTimeout without one (TelemetrySessions). Telemetry calls attach instead.
   */
  private noteActivity(context: RequestContext): void {
    if (context.clientId) this.sessions.touch(context.clientId);
  }

  /** What a handler knows about a new call. */
  private contextOf(rpc: string, call: IncomingGrpcCall, signal?: AbortSignal): RequestContext {
    const peer = call.peer;
    return {
      rpc,
      clientId: call.header(CLIENT_ID_HEADER),
      peerHost: peerHostOf(peer),
      peer,
      signal,
      logger: this.logger,
      cancelled: () => call.cancelled,
      remainingMs: () => remainingUntil(call.deadline),
    };
  }

  /**
   * The abort signal of a long poll: aborted when the client cancels the call or the server stops.
   * Unary calls never wait, so they go without one (an AbortController per send or ack was
   * measurable). `release` must be called when the call is answered.
   */
  private longPoll(call: GrpcServerCall): { signal: AbortSignal; release: () => void } {
    const controller = new AbortController();
    this.longPolls.add(controller);
    if (this.state !== LifecycleState.Running) controller.abort();
    const onCancelled = (): void => controller.abort();
    call.on('cancelled', onCancelled);
    const release = (): void => {
      this.longPolls.delete(controller);
      call.removeListener('cancelled', onCancelled);
    };
    return { signal: controller.signal, release };
  }
}
