/**
 * The simple query protocol: one Query message, possibly several statements,
 * run in order until the first error; then ReadyForQuery.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-SIMPLE-QUERY
 */
import type { ParsedStatement } from '../query/engine-types.js';
import { positionInQuery } from './error-position.js';
import { emptyQueryResponse } from './protocol/index.js';
import type { SessionCore } from './session-core.js';

export async function runSimpleQuery(core: SessionCore, sql: string): Promise<void> {
  // As pg_stat_activity: the whole Query string is the session's query while any of it runs.
  core.activityStarted(sql);
  try {
    await parseAndRun(core, sql);
  } finally {
    core.activityEnded();
  }
}

async function parseAndRun(core: SessionCore, sql: string): Promise<void> {
  let statements: ParsedStatement[];
  const startedAt = performance.now();
  try {
    statements = core.parseStatements(sql);
  } catch (error) {
    core.statementFinished(startedAt, core.reportError(error));
    await core.readyForQuery();
    return;
  }
  if (statements.length === 0) core.channel.send(emptyQueryResponse());
  await runStatements(core, sql, statements);
  await core.readyForQuery();
}

/**
 * Several statements in one Query form an implicit transaction block: an
 * error stops the rest and, outside an explicit block, undoes their SETs.
 */
async function runStatements(
  core: SessionCore,
  sql: string,
  statements: readonly ParsedStatement[],
): Promise<void> {
  const { settings, transaction } = core;
  const implicit = statements.length > 1;
  const before = transaction.inBlock ? undefined : settings.snapshot();
  for (const [index, statement] of statements.entries()) {
    const startedAt = performance.now();
    try {
      const signal = core.beginStatement();
      const outcome = await core.runner.run(statement, signal, implicit && !transaction.inBlock);
      await core.sendOutcome(outcome, signal);
      core.statementFinished(startedAt);
    } catch (error) {
      // Positions count from the start of the whole query string, as in PostgreSQL.
      core.statementFinished(startedAt, core.reportError(positionInQuery(error, sql, index, statement)));
      if (!transaction.inBlock && before !== undefined) settings.restore(before);
      break;
    } finally {
      core.endStatement();
    }
  }
  if (!transaction.inBlock) settings.clearLocal();
}
