import { BeforeQueryEvent, EntitySubscriberInterface } from 'typeorm';

/** Every query TypeORM sends, in order, for a test to read back (push it onto `DataSource.subscribers`). */
export class QueryLog implements EntitySubscriberInterface {
  readonly queries: string[] = [];
  beforeQuery(event: BeforeQueryEvent<unknown>): void {
    this.queries.push(event.query.trim());
  }
}
