/**
 * One statement over the extended protocol with every result column asked for in binary, the
 * bytes returned as sent (hex), for comparing the daemon's binary output with PostgreSQL's.
 * node-postgres logs in (SCRAM) and then hands over its socket: its own parser reads text only.
 */
import type { Socket } from 'node:net';
import pg from 'pg';
import { serialize } from 'pg-protocol';

export interface BinaryReply {
  /** Per column: name, type OID, format code. */
  columns: [string, number, number][];
  /** Values as hex of the bytes on the wire (null for NULL). */
  rows: (string | null)[][];
  /** The command tag of CommandComplete. */
  tag?: string;
  /** The error's SQLSTATE and message, when the statement failed. */
  error?: { code: string; message: string };
}

/** `setup` runs first as simple queries (SET TimeZone …); `params` are bound as text. */
export async function binaryRows(
  config: pg.ClientConfig,
  sql: string,
  setup: string[] = [],
  params: string[] = [],
): Promise<BinaryReply> {
  const client = new pg.Client(config);
  await client.connect();
  for (const statement of setup) await client.query(statement);
  const socket = (client as unknown as { connection: { stream: Socket } }).connection.stream;
  for (const event of ['data', 'end', 'close', 'error']) socket.removeAllListeners(event);
  client.on('error', () => undefined);
  const reply: BinaryReply = { columns: [], rows: [] };
  let buffered = Buffer.alloc(0);
  const done = new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 5 && buffered.length >= 1 + buffered.readInt32BE(1)) {
        const type = String.fromCharCode(buffered[0]!);
        const body = buffered.subarray(5, 1 + buffered.readInt32BE(1));
        buffered = buffered.subarray(1 + buffered.readInt32BE(1));
        if (type === 'T') reply.columns = readRowDescription(body);
        else if (type === 'D') reply.rows.push(readDataRow(body));
        else if (type === 'C') reply.tag = body.toString('utf8', 0, body.length - 1);
        else if (type === 'E') reply.error = errorOf(body);
        else if (type === 'Z') resolve();
      }
    });
  });
  socket.write(
    Buffer.concat([
      serialize.parse({ text: sql }),
      serialize.bind({ values: params, binary: true }),
      serialize.describe({ type: 'P' }),
      serialize.execute(),
      serialize.sync(),
    ]),
  );
  try {
    await done;
    return reply;
  } finally {
    socket.destroy();
  }
}

function errorOf(body: Buffer): { code: string; message: string } {
  const fields = new Map<string, string>();
  let at = 0;
  while (at < body.length && body[at] !== 0) {
    const end = body.indexOf(0, at + 1);
    fields.set(String.fromCharCode(body[at]!), body.toString('utf8', at + 1, end));
    at = end + 1;
  }
  return { code: fields.get('C') ?? '', message: fields.get('M') ?? '' };
}

function readRowDescription(body: Buffer): [string, number, number][] {
  const columns: [string, number, number][] = [];
  let at = 2;
  for (let i = 0; i < body.readInt16BE(0); i++) {
    const end = body.indexOf(0, at);
    const name = body.toString('utf8', at, end);
    at = end + 1;
    columns.push([name, body.readInt32BE(at + 6), body.readInt16BE(at + 16)]);
    at += 18;
  }
  return columns;
}

function readDataRow(body: Buffer): (string | null)[] {
  const values: (string | null)[] = [];
  let at = 2;
  for (let i = 0; i < body.readInt16BE(0); i++) {
    const length = body.readInt32BE(at);
    at += 4;
    values.push(length < 0 ? null : body.toString('hex', at, at + length));
    at += Math.max(0, length);
  }
  return values;
}
