/**
 * The columnar.* foreign tables grant SELECT as their source tables do (sql 0.8 "column
 * privileges", analytica.sync_foreign_grants). Where a superuser installed the schema, an event
 * trigger mirrors the grants after every GRANT and REVOKE. Without one (a managed service's
 * ordinary role cannot create event triggers) the launcher mirrors them on each pass instead: a
 * change of grants reaches the foreign tables within a naptime, and until then the daemon's own
 * check on the source's privileges still applies to every statement.
 */
import type pg from 'pg';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';

// The trigger's presence, enabled or not: a superuser who disabled it chose to stop the mirroring.
const mirroredByTrigger = `SELECT EXISTS (SELECT FROM pg_catalog.pg_event_trigger
                                             WHERE evtname = 'pg_analytica_mirror_grants') AS mirrored`;

/**
 * Brings the foreign tables' grants in line with their sources' unless the event trigger does.
 * A failure (the daemon's role is not the one that installed the schema) is logged once per
 * launcher; it never stops the pass: the daemon checks every statement's privileges itself.
 */
export class GrantMirror {
  #warned = false;

  async pass(client: pg.ClientBase, log: Logger): Promise<void> {
    try {
      const { rows } = await client.query<{ mirrored: boolean }>(mirroredByTrigger);
      if (rows[0]?.mirrored === true) return;
      await client.query('SELECT analytica.sync_foreign_grants()');
    } catch (error) {
      if (this.#warned) return;
      this.#warned = true;
      warn(log, error);
    }
  }
}

function warn(log: Logger, error: unknown): void {
  log.warn('could not mirror the source tables’ grants onto the columnar.* foreign tables', {
    error: errorMessage(error),
    hint: 'run SELECT analytica.sync_foreign_grants() as the role that installed pg_analytica',
  });
}
