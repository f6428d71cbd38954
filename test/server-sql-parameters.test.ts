import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PgError } from '../src/errors.js';
import { SessionSettings, splitSearchPath } from '../src/server/session-settings.js';
import { highestParameterNumber, substituteParameters } from '../src/server/sql-parameters.js';
import { TransactionBlock } from '../src/server/transaction-block.js';

test('parameters become quoted literals, cast when the type is declared', () => {
  assert.equal(
    substituteParameters('SELECT $1, $2, $3 WHERE x = $1', ["it's", null, '5'], [25, 23, 0]),
    "SELECT 'it''s'::text, NULL::integer, '5' WHERE x = 'it''s'::text",
  );
  // Backslashes are plain characters under standard_conforming_strings.
  assert.equal(substituteParameters('SELECT $1', ["a\\'b"]), "SELECT 'a\\''b'");
});

test('placeholders inside strings, identifiers, comments and dollar quotes are left alone', () => {
  const sql = `SELECT '$1', E'\\'$1', "$1", a$1, $$ $1 $$, $q$ $1 $q$ -- $1
    /* $1 /* $1 */ */ , $2`;
  assert.equal(highestParameterNumber(sql), 2);
  assert.equal(substituteParameters(sql, ['x', 'y']).endsWith(", 'y'"), true);
  assert.throws(() => substituteParameters('SELECT $3', ['a']), PgError);
  assert.throws(() => substituteParameters('SELECT $1', ['a\0b']), PgError);
});

test('search_path splits like PostgreSQL and "$user" is expanded', () => {
  assert.deepEqual(splitSearchPath('"$user", public, "My ""S""", Other'), [
    '$user',
    'public',
    'My "S"',
    'other',
  ]);
  const settings = new SessionSettings('alice');
  assert.deepEqual(settings.searchPath(), ['alice', 'public']);
});

test('settings: startup values become RESET values; invalid values fail like PostgreSQL', () => {
  const settings = new SessionSettings(
    'alice',
    new Map([
      ['application_name', 'app'],
      ['DateStyle', 'ISO, DMY'],
    ]),
  );
  settings.set('application_name', 'other', false);
  settings.set('application_name', undefined, false);
  assert.equal(settings.get('application_name'), 'app');
  assert.equal(settings.show('datestyle').column, 'DateStyle');
  settings.set('datestyle', 'ymd', false);
  assert.equal(settings.get('DateStyle'), 'ISO, YMD');
  settings.set('statement_timeout', '5000', false);
  assert.equal(settings.get('statement_timeout'), '5s');
  assert.equal(settings.statementTimeoutMs, 5000);
  const codeOf = (fn: () => void) => {
    try {
      fn();
    } catch (error) {
      return (error as PgError).code;
    }
    return 'ok';
  };
  assert.equal(
    codeOf(() => settings.set('intervalstyle', 'sql_standard', false)),
    '0A000',
  );
  assert.equal(
    codeOf(() => settings.set('client_encoding', 'LATIN1', false)),
    '0A000',
  );
  assert.equal(
    codeOf(() => settings.set('timezone', 'Mars/Base', false)),
    '22023',
  );
  assert.equal(
    codeOf(() => settings.set('server_version', '1', false)),
    '55P02',
  );
  assert.equal(
    codeOf(() => settings.show('my.unset')),
    '42704',
  );
  assert.throws(() => new SessionSettings('a', new Map([['bogus', '1']])), PgError);
});

test('transaction block: savepoints, SET rollback and SET LOCAL lapse', () => {
  const settings = new SessionSettings('alice');
  const block = new TransactionBlock(settings);
  block.apply('begin', undefined);
  settings.set('timezone', 'GMT', false);
  block.apply('savepoint', 'a');
  settings.set('timezone', 'Europe/Paris', false);
  settings.set('extra_float_digits', '3', true);
  block.fail();
  assert.equal(block.status, 'E');
  assert.equal(block.allows('release'), false);
  assert.equal(block.apply('rollback_to', 'a').tag, 'ROLLBACK');
  assert.equal(block.status, 'T');
  assert.equal(settings.timeZone, 'GMT');
  assert.throws(
    () => block.apply('release', 'zz'),
    (e: unknown) => (e as PgError).code === '3B001',
  );
  assert.equal(block.apply('commit', undefined).tag, 'COMMIT');
  assert.equal(settings.timeZone, 'GMT');
  assert.equal(settings.get('extra_float_digits'), '1');
  assert.equal(block.apply('commit', undefined).notice?.code, '25P01');
  assert.equal(block.apply('begin', undefined).tag, 'BEGIN');
  assert.equal(block.apply('begin', undefined).notice?.code, '25001');
});
