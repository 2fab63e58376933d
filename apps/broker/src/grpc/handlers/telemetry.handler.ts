import { consumerSettings, producerSettings } from '../client-settings';
import { compiledFilterProblem } from '../filter-converter';
import { Settings, Status, TelemetryCommand } from '../messaging.types';
import { MessagingParts } from '../messaging-parts';
import { RequestContext } from '../request-context';
import { GrpcServerCall } from '../server/grpc-server-call';
import { topicProblem, validGroup } from '../request-validator';
import { errorStatus, OK_STATUS, status, Statuses, unsafeNumberStatus } from '../status-codes';
import { TelemetryStream } from '../telemetry-sessions';
import { findUnsafeNumber } from '../unsafe-number-guard';
import { settingsPermissions } from '../required-permissions';

type TelemetryCall = GrpcServerCall<TelemetryCommand>;

/**
 * Telemetry: the bidirectional stream each client opens at start (ClientActivity.telemetry). The
 * client sends its Settings; the broker answers with the settings it imposes (producers: retry
 * policy, max body size; consumers: FIFO flag, retry policy, batch size, long-polling timeout) and
 * keeps the stream in TelemetrySessions so commands can be pushed to the client later. Accepted
 * settings register the client; when the registry is at its cap and every client in it has an open
 * stream, a new client is refused with TOO_MANY_REQUESTS (see TelemetrySessions).
 *
 * A client that declares several topics gets the same answer again after `settingsRepeatDelayMs`
 * (see MessagingOptions: the official Node client can miss the first one while it starts).
 *
 * Refused settings are answered with a command carrying only a non-OK status, and the stream
 * stays open. The proxy fails the stream instead (INVALID_ARGUMENT); the official Node client then
 * reconnects every second and its start() never settles, while a status-only command makes its
 * start() fail with the status as a client exception.
 */
export class TelemetryHandler {
  constructor(private readonly parts: MessagingParts) {}

  handle(call: TelemetryCall, context: RequestContext): void {
    const stream = new CallStream(call);
    const { sessions } = this.parts;
    // A renewed stream of a known client makes it connected at once; a new client is registered
    // by its Settings.
    sessions.attach(context.clientId, stream);
    // Commands are processed one at a time, in order: a Settings answer must not overtake an
    // earlier one.
    let queue: Promise<void> = Promise.resolve();
    call.on('data', (command: TelemetryCommand) => {
      queue = queue.then(() => this.onCommand(command, stream, context));
    });
    call.on('end', () => {
      sessions.detach(context.clientId, stream);
      stream.end();
    });
    const closed = (): void => {
      stream.end();
      sessions.detach(context.clientId, stream);
    };
    call.on('cancelled', closed);
    call.on('error', closed);
  }

  private async onCommand(command: TelemetryCommand, stream: CallStream, context: RequestContext): Promise<void> {
    try {
      const unsafe = findUnsafeNumber(command);
      if (unsafe) {
        stream.write({ status: unsafeNumberStatus(unsafe.path, unsafe.value) });
      } else if (command.settings) {
        const reply = await this.settingsReply(command.settings, stream, context);
        stream.write(reply);
        if (reply.settings && declaredTopicCount(command.settings) > 1) stream.writeLater(reply, this.parts.options.settingsRepeatDelayMs);
      } else {
        // Thread stack traces and verification results answer commands this broker never sends.
        context.logger.debug({ clientId: context.clientId, command: command.command }, 'telemetry command ignored');
      }
    } catch (error) {
      stream.write({ status: errorStatus(error, context.logger, context.rpc) });
    }
  }

  private async settingsReply(settings: Settings, stream: CallStream, context: RequestContext): Promise<TelemetryCommand> {
    // Authorization: a producer only declares (and so only answers check-backs for) topics it may publish to.
    const authorizer = this.parts.authorizer;
    const unauthorized = authorizer?.enabled
      ? authorizer.check(context.principal, settingsPermissions(settings), context.peerHost, { rpc: 'Telemetry' })
      : undefined;
    if (unauthorized) return { status: Statuses.unauthorized(unauthorized) };
    if (settings.publishing) {
      for (const topic of settings.publishing.topics ?? []) {
        const problem = topicProblem(topic.name ?? '');
        if (problem) return { status: problem };
      }
      const refused = this.register(settings, stream, context);
      if (refused) return { status: refused };
      // Half messages of these topics that found no producer to check back need not wait out
      // their check interval (TransactionApi.producerAvailable).
      for (const topic of settings.publishing.topics ?? []) if (topic.name) this.parts.transactions.producerAvailable?.(topic.name);
      return { status: OK_STATUS, settings: producerSettings(settings, this.parts.options, this.parts.config.maxMessageSizeBytes) };
    }
    if (settings.subscription) {
      const problem = await this.subscriptionProblem(settings);
      if (problem) return { status: problem };
      const group = await this.parts.topics.getOrCreateGroup(settings.subscription.group!.name!);
      if (!group) return { status: Statuses.consumerGroupNotFound(settings.subscription.group!.name!) };
      const refused = this.register(settings, stream, context);
      if (refused) return { status: refused };
      return { status: OK_STATUS, settings: consumerSettings(settings, group, this.parts.options) };
    }
    return { status: status('BAD_REQUEST', 'there is no publishing or subscription data in settings') };
  }

  /** Records the client's settings and stream; the refusal status when the registry has no room. */
  private register(settings: Settings, stream: CallStream, context: RequestContext): Status | undefined {
    // A stream that closed while its settings were checked was already detached: attaching it now
    // would keep a client that is gone looking connected forever. The answer goes nowhere anyway.
    if (!stream.isOpen) return undefined;
    if (this.parts.sessions.updateSettings(context.clientId, settings, stream) === 'registered') return undefined;
    return Statuses.clientRegistryFull(this.parts.sessions.maxClients);
  }

  private async subscriptionProblem(settings: Settings): Promise<Status | undefined> {
    const group = validGroup(settings.subscription?.group);
    if ('status' in group) return group.status;
    for (const entry of settings.subscription?.subscriptions ?? []) {
      const problem = topicProblem(entry.topic?.name ?? '') ?? compiledFilterProblem(entry.expression);
      if (problem) return problem;
    }
    return undefined;
  }
}

/** Topics a client's settings name (publishing topics or subscriptions). */
function declaredTopicCount(settings: Settings): number {
  return (settings.publishing?.topics?.length ?? 0) + (settings.subscription?.subscriptions?.length ?? 0);
}

/** The broker's end of one telemetry call; writes after the call closed are dropped. */
class CallStream implements TelemetryStream {
  private closed = false;
  private repeat: NodeJS.Timeout | undefined;

  constructor(private readonly call: TelemetryCall) {}

  /** False once the call ended, was cancelled or failed. */
  get isOpen(): boolean {
    return !this.closed && !this.call.cancelled;
  }

  write(command: TelemetryCommand): boolean {
    if (this.closed || this.call.cancelled || !this.call.writable) return false;
    this.call.write(command);
    return true;
  }

  /** Writes `command` after `delayMs` unless the stream closes first (0: not at all). */
  writeLater(command: TelemetryCommand, delayMs: number): void {
    if (delayMs <= 0) return;
    clearTimeout(this.repeat);
    this.repeat = setTimeout(() => this.write(command), delayMs);
    // A pending repeat must not keep a stopping process alive.
    this.repeat.unref();
  }

  end(): void {
    clearTimeout(this.repeat);
    if (this.closed) return;
    this.closed = true;
    if (!this.call.cancelled && this.call.writable) this.call.end();
  }
}
