import { DataSource, Migration, MigrationExecutor, MigrationInterface } from 'typeorm';

/**
 * Runs only the given migrations, recorded in the DataSource's usual migrations table, so a
 * later `dataSource.runMigrations()` that also lists them sees them as done. TypeORM's executor
 * reads the DataSource's `migrations` option; overriding its one reader avoids touching that
 * option or running the application's own pending migrations behind its back.
 */
class SelectedMigrationExecutor extends MigrationExecutor {
  constructor(
    dataSource: DataSource,
    private readonly selected: MigrationInterface[],
  ) {
    super(dataSource);
    this.transaction = 'each';
  }

  protected override getMigrations(): Migration[] {
    return this.selected.map((instance) => new Migration(undefined, Number(instance.name!.slice(-13)), instance.name!, instance));
  }
}

/** Applies the pending ones of `migrations`, each in its own transaction; returns their names. */
export async function runSelectedMigrations(dataSource: DataSource, migrations: Array<new () => MigrationInterface>): Promise<string[]> {
  const instances = migrations.map((Migration) => new Migration());
  const executed = await new SelectedMigrationExecutor(dataSource, instances).executePendingMigrations();
  return executed.map((migration) => migration.name);
}
