/**
 * The pure rules behind migrations followed in place: which type changes keep the stored values
 * exact, how renames not yet applied to a foreign table compose, how an enum column's labels
 * are read back from its DuckDB type, and the value older rows read for a column added with a
 * default, checked in a real DuckDB.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { type IngestColumn, ingestColumn, type SourceColumn } from '../src/source/column-types.js';
import { missingValue } from '../src/workers/added-column-defaults.js';
import { enumLabels } from '../src/workers/enum-labels.js';
import { composeRenames } from '../src/workers/stream-state.js';
import { followsInPlace } from '../src/workers/type-changes.js';

function column(typeName: string, baseTypeName: string, typeOid: number, typeModifier = -1): IngestColumn {
  const source: SourceColumn = {
    name: 'c',
    typeName,
    typeOid,
    typeModifier,
    baseTypeName,
    baseTypeOid: typeOid,
    isArray: false,
    enumLabels: undefined,
  };
  return ingestColumn(source);
}

const int2 = column('smallint', 'int2', 21);
const int4 = column('integer', 'int4', 23);
const int8 = column('bigint', 'int8', 20);
const float8 = column('double precision', 'float8', 701);
const numeric12x2 = column('numeric(12,2)', 'numeric', 1700, ((12 << 16) | 2) + 4);
const numeric14x2 = column('numeric(14,2)', 'numeric', 1700, ((14 << 16) | 2) + 4);
const numeric50x2 = column('numeric(50,2)', 'numeric', 1700, ((50 << 16) | 2) + 4);
const numeric = column('numeric', 'numeric', 1700);
const text = column('text', 'text', 25);
const varchar = column('character varying', 'varchar', 1043);
const varchar50 = column('character varying(50)', 'varchar', 1043, 54);
const varchar100 = column('character varying(100)', 'varchar', 1043, 104);
const timestamp = column('timestamp without time zone', 'timestamp', 1114);
const timestamptz = column('timestamp with time zone', 'timestamptz', 1184);

describe('type changes followed in place', () => {
  test('widenings whose values read the same are followed', () => {
    for (const [from, to] of [
      [int2, int4],
      [int4, int8],
      [int4, numeric12x2],
      [int8, numeric],
      [int4, float8],
      [varchar50, text],
      [varchar50, varchar100],
      [text, varchar],
      [numeric12x2, numeric14x2],
    ] as const) {
      assert.equal(followsInPlace(from, to), true, `${from.pgType} → ${to.pgType}`);
    }
  });

  test('changes that convert, cut or round values are copied again', () => {
    for (const [from, to] of [
      [int8, int4],
      [int8, float8],
      [int4, numeric50x2],
      [text, varchar50],
      [varchar100, varchar50],
      [numeric14x2, numeric12x2],
      [numeric12x2, numeric],
      [timestamp, timestamptz],
      [int4, text],
    ] as const) {
      assert.equal(followsInPlace(from, to), false, `${from.pgType} → ${to.pgType}`);
    }
  });
});

describe('renames kept for a foreign table altered later', () => {
  test('a chain of renames composes; unrelated ones are kept', () => {
    assert.deepEqual(composeRenames({ a: 'b' }, { b: 'c', x: 'y' }), { a: 'c', x: 'y' });
    assert.deepEqual(composeRenames({}, { a: 'b' }), { a: 'b' });
    assert.deepEqual(composeRenames({ a: 'b' }, {}), { a: 'b' });
  });
});

describe('enum labels of a DuckDB ENUM type', () => {
  test('labels with quotes, commas and parentheses are read back in order', () => {
    assert.deepEqual(enumLabels(`ENUM('draft', 'it''s, (odd)', 'paid')`), ['draft', "it's, (odd)", 'paid']);
    assert.equal(enumLabels('VARCHAR'), undefined);
  });
});

describe('the value older rows read for a column added with a default', () => {
  test('each type reads, in DuckDB, the value a streamed row would store', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const cases: [IngestColumn, string, string][] = [
      [int4, '5', '5'],
      [numeric12x2, '1.50', '1.50'],
      [text, "tab\there \\ 'q'", "tab\there \\ 'q'"],
      [column('boolean', 'bool', 16), 'f', 'false'],
      [column('interval', 'interval', 1186), 'P1DT2H', '1 day 02:00:00'],
      [column('bytea', 'bytea', 17), '\\x00ff', '\\x00\\xFF'],
      [timestamptz, '2024-05-01 10:00:00+00', '2024-05-01 10:00:00+00'],
    ];
    try {
      await connection.run(`SET TimeZone = 'UTC'`);
      for (const [c, text, expected] of cases) {
        const { sql } = missingValue(c, text, 10n, 5n);
        const read =
          c.outputText === 'interval'
            ? `to_months(v.months) + to_days(v.days) + to_microseconds(v.micros)`
            : 'v';
        const result = await connection.runAndReadAll(
          `SELECT CAST(${read} AS VARCHAR) FROM (SELECT ${sql} AS v)`,
        );
        assert.equal(String(result.getRows()[0]![0]), expected, `${c.pgType} ${text}`);
      }
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});
