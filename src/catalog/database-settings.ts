/** The analytica.* custom settings as a database sees them (ALTER DATABASE … SET), for loadConfig. */
import type pg from 'pg';
import { databaseSettingNames } from '../config.js';

export async function readDatabaseSettings(
  client: pg.ClientBase,
): Promise<Record<string, string | undefined>> {
  const { rows } = await client.query<{ name: string; value: string | null }>(
    'SELECT name, pg_catalog.current_setting(name, true) AS value FROM pg_catalog.unnest($1::pg_catalog.text[]) AS name',
    [databaseSettingNames],
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.value ?? undefined]));
}
