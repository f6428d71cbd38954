/**
 * Micro-benchmark (printed, never asserted): decode 1M Insert messages of an
 * 8-column row shaped like the events table of the machine baselines (§4:
 * the server sends ≈ 360k rows/s, so decoding must be far faster).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePgoutput, type PgoutputContext } from '../src/source/pgoutput/index.js';
import { msg } from './pgoutput-builder.js';

const messageCount = 1_000_000;
const distinctPayloads = 1024;

function insertPayload(i: number): Buffer {
  return msg('I')
    .uint32(16_384)
    .byte('N')
    .tuple([
      String(1_000_000 + i),
      `2024-05-${String(1 + (i % 28)).padStart(2, '0')} 12:34:56.${String(i % 1_000_000).padStart(6, '0')}+00`,
      String(i % 100_000),
      `https://example.com/page/${i % 5000}?ref=campaign-${i % 17}`,
      i % 10 === 0 ? '404' : '200',
      `${i % 1000}.${String(i % 100).padStart(2, '0')}`,
      i % 2 === 0 ? 't' : 'f',
      i % 3 === 0 ? null : 'Zoë',
    ])
    .build();
}

test('benchmark: decode 1M Insert messages of an 8-column row', (t) => {
  const payloads = Array.from({ length: distinctPayloads }, (_, i) => insertPayload(i));
  const context: PgoutputContext = { inStream: false };
  const bytes = payloads.reduce((sum, p) => sum + p.length, 0) / distinctPayloads;
  for (let i = 0; i < 50_000; i++) decodePgoutput(payloads[i % distinctPayloads]!, context);
  let columns = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < messageCount; i++) {
    const message = decodePgoutput(payloads[i % distinctPayloads]!, context);
    if (message.type === 'insert') columns += message.newTuple.length;
  }
  const elapsedNs = Number(process.hrtime.bigint() - started);
  assert.equal(columns, messageCount * 8);
  const rowsPerSecond = Math.round((messageCount / elapsedNs) * 1e9);
  const line =
    `pgoutput decode: ${messageCount} Insert messages (8 columns, ${bytes.toFixed(0)} bytes each) in ` +
    `${(elapsedNs / 1e6).toFixed(0)} ms = ${(rowsPerSecond / 1000).toFixed(0)}k rows/s, ` +
    `${(elapsedNs / messageCount).toFixed(0)} ns/message, ` +
    `${((bytes * rowsPerSecond) / 1e6).toFixed(0)} MB/s`;
  t.diagnostic(line);
});
