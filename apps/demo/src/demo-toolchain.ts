import { buildDemoApps, DemoBuild } from './demo-build';
import { DemoPostgres } from './demo-postgres';
import { Timeline } from './timeline';

/**
 * What a run prepares once and every story or scenario shares: the transpiled apps and the
 * PostgreSQL server (each scenario still gets fresh databases, processes and broker store).
 */
export class DemoToolchain {
  private constructor(
    readonly build: DemoBuild,
    readonly postgres: DemoPostgres,
  ) {}

  static async prepare(timeline: Timeline, databaseAdminUrl?: string): Promise<DemoToolchain> {
    timeline.add('runner', 'transpiling the broker, order-service, pay-service and the libraries');
    const building = buildDemoApps(process.env).then((build) => {
      timeline.add('runner', 'apps built');
      return build;
    });
    timeline.add('runner', databaseAdminUrl ? 'connecting to the given PostgreSQL server' : 'starting embedded PostgreSQL (first run unpacks the binaries)');
    const starting = DemoPostgres.start(databaseAdminUrl).then((postgres) => {
      timeline.add('runner', `PostgreSQL ready: ${postgres.description}`);
      return postgres;
    });
    const [build, postgres] = await Promise.allSettled([building, starting]);
    if (build.status === 'rejected' || postgres.status === 'rejected') {
      if (build.status === 'fulfilled') await build.value.remove();
      if (postgres.status === 'fulfilled') await postgres.value.stop();
      throw build.status === 'rejected' ? build.reason : (postgres as PromiseRejectedResult).reason;
    }
    return new DemoToolchain(build.value, postgres.value);
  }

  async close(): Promise<void> {
    await this.postgres.stop().catch(() => undefined);
    await this.build.remove();
  }
}
