import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig, parseDurationMs } from '../src/config.js';

test('flags override environment, which overrides database settings, which override defaults', () => {
  assert.equal(loadConfig({}, []).naptimeMs, 1000);
  assert.equal(loadConfig({}, [], { 'analytica.naptime': '2s' }).naptimeMs, 2000);
  assert.equal(
    loadConfig({ PG_ANALYTICA_NAPTIME: '300ms' }, [], { 'analytica.naptime': '2s' }).naptimeMs,
    300,
  );
  assert.equal(
    loadConfig({ PG_ANALYTICA_NAPTIME: '300ms' }, ['--naptime', '5s'], { 'analytica.naptime': '2s' })
      .naptimeMs,
    5000,
  );
  assert.equal(loadConfig({}, ['--chunk-size=5000']).chunkSize, 5000);
  assert.equal(loadConfig({}, ['--port', '7000']).port, 7000);
  assert.ok(Object.isFrozen(loadConfig({}, [])));
});

test('bad values are rejected, naming the key and the value', () => {
  assert.throws(
    () => loadConfig({}, ['--naptime', 'soon']),
    (e: Error) => e instanceof ConfigError && /--naptime: "soon"/.test(e.message),
  );
  assert.throws(() => loadConfig({ PG_ANALYTICA_CHUNK_SIZE: '-5' }, []), /PG_ANALYTICA_CHUNK_SIZE: "-5"/);
  assert.throws(
    () => loadConfig({}, [], { 'analytica.chunk_size': '0' }),
    /analytica.chunk_size: "0" \(must be at least 1; the default is 1000000\)/,
  );
  assert.throws(() => loadConfig({}, ['--port', '70000']), /--port/);
  for (const ratio of ['0', '1.5', 'half', ''])
    assert.throws(
      () => loadConfig({}, ['--compaction-delete-ratio', ratio]),
      /--compaction-delete-ratio: .*\(expected a number above 0, at most 1\)/,
    );
  assert.equal(
    loadConfig({}, [], { 'analytica.compaction_delete_ratio': '0.25' }).compactionDeleteRatio,
    0.25,
  );
});

test('durations', () => {
  assert.equal(parseDurationMs('500ms'), 500);
  assert.equal(parseDurationMs('2'), 2000);
  assert.equal(parseDurationMs('1min'), 60000);
  assert.equal(parseDurationMs('1 fortnight'), undefined);
});

test('DATABASE_URL wins over PG* variables; neither means embedded', () => {
  assert.equal(loadConfig({}, []).connectionString, undefined);
  assert.equal(loadConfig({}, []).usePgEnvironment, false);
  assert.equal(loadConfig({ PGHOST: 'db' }, []).usePgEnvironment, true);
  assert.equal(loadConfig({ DATABASE_URL: 'postgresql://x/y', PGHOST: 'db' }, []).usePgEnvironment, false);
});

test('login settings: defaults, flags and environment, bad values named', () => {
  const defaults = loadConfig({}, []);
  assert.equal(defaults.authTimeoutMs, 10_000);
  assert.equal(defaults.maxAuthRelays, 10);
  assert.equal(defaults.maxAuthRelaysPerHost, 5);
  assert.equal(defaults.hbaFile, undefined);
  assert.equal(defaults.sourceSslMode, '');
  const set = loadConfig({ PG_ANALYTICA_HBA_FILE: 'hba.conf', PG_ANALYTICA_MAX_AUTH_RELAYS: '3' }, [
    '--authentication-timeout',
    '30s',
    '--source-sslmode',
    'verify-full',
  ]);
  assert.equal(set.authTimeoutMs, 30_000);
  assert.equal(set.maxAuthRelays, 3);
  assert.ok(set.hbaFile?.endsWith('/hba.conf') && set.hbaFile.startsWith('/'));
  assert.equal(set.sourceSslMode, 'verify-full');
  assert.throws(
    () => loadConfig({}, ['--max-auth-relays-per-host', '0']),
    /--max-auth-relays-per-host: "0" \(must be at least 1; the default is 5\)/,
  );
  assert.throws(
    () => loadConfig({ PG_ANALYTICA_AUTHENTICATION_TIMEOUT: 'never' }, []),
    /PG_ANALYTICA_AUTHENTICATION_TIMEOUT: "never"/,
  );
});
