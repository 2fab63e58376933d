import { TelemetryCommand } from './messaging.types';
import { TelemetryStream } from './telemetry-sessions';

/** A telemetry stream that records what is written to it (unit tests of the client registry and check-backs). */
export class RecordingStream implements TelemetryStream {
  readonly written: TelemetryCommand[] = [];
  open = true;
  write(command: TelemetryCommand): boolean {
    if (!this.open) return false;
    this.written.push(command);
    return true;
  }
  end(): void {
    this.open = false;
  }
}
