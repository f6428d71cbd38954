/**
 * The settings every connection of the daemon to the source opens with.
 *
 * The daemon usually logs in as a superuser (it needs REPLICATION and reads every registered
 * table), and its SQL calls functions and operators by unqualified name. With the default
 * search_path (`"$user", public`) a role allowed to CREATE in `public` could define, say,
 * `public.unnest(text[])`, which PostgreSQL prefers to `pg_catalog.unnest(anyarray)` as a closer
 * match, and so run its own code as the daemon's superuser (CVE-2018-1058). Every connection
 * therefore starts with `search_path = pg_catalog, pg_temp`, given in the startup packet so it
 * holds from the first statement and outranks ALTER ROLE / ALTER DATABASE … SET search_path.
 * https://wiki.postgresql.org/wiki/A_Guide_to_CVE-2018-1058:_Protect_Your_Search_Path
 */
import pg from 'pg';
import { parse, parseIntoClientConfig } from 'pg-connection-string';

/**
 * The daemon's own search_path: only PostgreSQL's objects, then its own session's temporary ones
 * (listed last, so they never come before pg_catalog). A space in a startup option's value would
 * need a backslash; this has none.
 */
const searchPathOption = '-c search_path=pg_catalog,pg_temp';

/**
 * `config` with the daemon's search_path added to its startup options, after any the user gave
 * (in the connection string's `options`, in `config.options` or in PGOPTIONS): the last `-c` of a
 * setting wins. Idempotent.
 */
export function sourceConnectionConfig(
  config: pg.ClientConfig,
  env: Readonly<Record<string, string | undefined>> = process.env,
): pg.ClientConfig {
  // pg lets the connection string's parameters override the config's, `options` included.
  const fromUrl = config.connectionString ? parse(config.connectionString).options : undefined;
  const base: pg.ClientConfig =
    fromUrl === undefined
      ? config
      : { ...config, ...parseIntoClientConfig(config.connectionString!), connectionString: undefined };
  const given = fromUrl ?? config.options ?? env.PGOPTIONS ?? '';
  if (given.endsWith(searchPathOption)) return base;
  return { ...base, options: given.trim() === '' ? searchPathOption : `${given} ${searchPathOption}` };
}

/** A client (not yet connected) on `config` with the daemon's settings, named in pg_stat_activity. */
export function sourceClient(config: pg.ClientConfig, applicationName: string): pg.Client {
  return new pg.Client({ ...sourceConnectionConfig(config), application_name: applicationName });
}
