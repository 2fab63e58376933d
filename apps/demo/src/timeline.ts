/** One entry of the story: when, who, what. */
export interface TimelineEvent {
  atMs: number;
  actor: string;
  text: string;
}

/**
 * The readable timeline the runner prints: one line per event with the seconds since the start,
 * who did it and what happened. Events are kept so a scenario can show them again on FAIL.
 */
export class Timeline {
  readonly events: TimelineEvent[] = [];
  private readonly startedAtMs = Date.now();

  constructor(private readonly print: (line: string) => void = (line) => process.stdout.write(`${line}\n`)) {}

  /** Records and prints one event. */
  add(actor: string, text: string): void {
    const event = { atMs: Date.now() - this.startedAtMs, actor, text };
    this.events.push(event);
    this.print(formatEvent(event));
  }

  /** A heading line (not an event). */
  heading(text: string): void {
    this.print(`\n== ${text}`);
  }

  /** Free text, printed as is. */
  write(text: string): void {
    this.print(text);
  }

  elapsedMs(): number {
    return Date.now() - this.startedAtMs;
  }
}

export function formatEvent(event: TimelineEvent): string {
  const seconds = (event.atMs / 1000).toFixed(1).padStart(6);
  return `${seconds}s  ${event.actor.padEnd(14)} ${event.text}`;
}
