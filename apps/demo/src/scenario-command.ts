import { formatTable } from '@app/admin-client';
import { DemoToolchain } from './demo-toolchain';
import { SCENARIOS } from './scenarios/scenario-registry';
import { runScenario, ScenarioOutcome } from './scenarios/scenario-runner';
import { Timeline } from './timeline';

/**
 * `npm run scenario -- <name...>|all`: each scenario on fresh processes and databases (one
 * PostgreSQL server and one build shared by all), then a summary; exit code 1 if any FAILs.
 */
export async function runScenarioCommand(names: string[], databaseUrl?: string): Promise<number> {
  if (names.length === 0) {
    process.stdout.write(`Scenarios (npm run scenario -- <name>|all):\n${SCENARIOS.map((s) => `  ${s.name.padEnd(26)} ${s.title}`).join('\n')}\n`);
    return 0;
  }
  const unknown = names.filter((name) => name !== 'all' && !SCENARIOS.some((s) => s.name === name));
  if (unknown.length > 0) {
    process.stderr.write(`unknown scenario(s): ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}, all\n`);
    return 2;
  }
  const selected = names.includes('all') ? SCENARIOS : SCENARIOS.filter((s) => names.includes(s.name));
  const timeline = new Timeline();
  const toolchain = await DemoToolchain.prepare(timeline, databaseUrl);
  const outcomes: ScenarioOutcome[] = [];
  try {
    for (const scenario of selected) outcomes.push(await runScenario(toolchain, scenario, timeline));
  } finally {
    await toolchain.close();
  }
  const rows = outcomes.map((o) => [o.ok ? 'PASS' : 'FAIL', o.name, `${(o.durationMs / 1000).toFixed(1)} s`, o.ok ? '' : (o.error ?? failedChecks(o))]);
  process.stdout.write(`\n${formatTable(['Result', 'Scenario', 'Time', 'Why'], rows)}`);
  return outcomes.every((o) => o.ok) ? 0 : 1;
}

function failedChecks(outcome: ScenarioOutcome): string {
  const failed = [
    ...outcome.expectations.filter((e) => !e.ok).map((e) => e.name),
    ...outcome.invariants.filter((r) => r.problems.length > 0).map((r) => r.name),
  ];
  return failed.join('; ');
}
