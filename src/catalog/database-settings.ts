/** The analytica.* custom settings as a database sees them (ALTER DATABASE … SET), for loadConfig. */
import type pg from 'pg';
import { databaseSettingNames } from '../config.js';

export async function readDatabaseSettings(
  client: pg.ClientBase,
): Promise<Record<string, string | undefined>> {
  const { rows } = await client.query<{ name: string; value: string | null }>(
    'SELECT name, current_setting(name, true) AS value FROM unnest($1::text[]) AS name',
    [databaseSettingNames],
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.value ?? undefined]));
}
