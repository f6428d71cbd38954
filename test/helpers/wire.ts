/**
 * Raw PostgreSQL-wire connections for tests that must send what no driver
 * sends: hand-built frames, garbage, partial messages. Frames are built here;
 * the SCRAM-SHA-256 login (RFC 5802/7677, without channel binding) is done by
 * hand so a raw socket can get past authentication.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** A backend message: its type byte and body (after the length word). */
export interface BackendFrame {
  readonly type: string;
  readonly body: Buffer;
}

export interface ErrorFields {
  readonly severity: string;
  readonly code: string;
  readonly message: string;
}

export function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value | 0);
  return buffer;
}

/** An untyped startup-phase packet: Int32 length (itself included), then the body. */
export function untyped(body: Buffer): Buffer {
  return Buffer.concat([int32(body.length + 4), body]);
}

/** A typed frontend message: type byte, Int32 length (itself included), body. */
export function typed(type: string, body: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([Buffer.from(type, 'latin1'), int32(body.length + 4), body]);
}

export function cstring(value: string): Buffer {
  return Buffer.concat([Buffer.from(value, 'utf8'), Buffer.from([0])]);
}

export const sslRequest = untyped(int32(80877103));
export const gssEncRequest = untyped(int32(80877104));

export function startupPacket(parameters: Record<string, string>): Buffer {
  const pairs = Object.entries(parameters).flatMap(([key, value]) => [cstring(key), cstring(value)]);
  return untyped(Buffer.concat([int32(3 << 16), ...pairs, Buffer.from([0])]));
}

export function queryMessage(sql: string): Buffer {
  return typed('Q', cstring(sql));
}

/** Parse, Bind (text parameters), Describe portal, Execute, Sync on the unnamed statement. */
export function extendedQuery(sql: string, params: readonly string[]): Buffer {
  const int16 = (value: number) => {
    const buffer = Buffer.alloc(2);
    buffer.writeInt16BE(value);
    return buffer;
  };
  const values = params.map((p) => Buffer.concat([int32(Buffer.byteLength(p)), Buffer.from(p)]));
  return Buffer.concat([
    typed('P', Buffer.concat([cstring(''), cstring(sql), int16(0)])),
    typed(
      'B',
      Buffer.concat([cstring(''), cstring(''), int16(0), int16(params.length), ...values, int16(0)]),
    ),
    typed('D', Buffer.concat([Buffer.from('P'), cstring('')])),
    typed('E', Buffer.concat([cstring(''), int32(0)])),
    typed('S'),
  ]);
}

export function errorFields(frame: BackendFrame): ErrorFields {
  const fields = new Map<string, string>();
  let offset = 0;
  while (offset < frame.body.length && frame.body[offset] !== 0) {
    const end = frame.body.indexOf(0, offset + 1);
    if (end < 0) break;
    fields.set(String.fromCharCode(frame.body[offset]!), frame.body.toString('utf8', offset + 1, end));
    offset = end + 1;
  }
  return {
    severity: fields.get('V') ?? fields.get('S') ?? '',
    code: fields.get('C') ?? '',
    message: fields.get('M') ?? '',
  };
}

/** The text values of a DataRow. */
export function dataRow(frame: BackendFrame): (string | null)[] {
  const count = frame.body.readInt16BE(0);
  const values: (string | null)[] = [];
  let offset = 2;
  for (let i = 0; i < count; i++) {
    const length = frame.body.readInt32BE(offset);
    offset += 4;
    if (length < 0) values.push(null);
    else {
      values.push(frame.body.toString('utf8', offset, offset + length));
      offset += length;
    }
  }
  return values;
}

/**
 * A raw client socket that collects what the server sends. `prefix` bytes
 * (answers to SSLRequest/GSSENCRequest, which are unframed) are taken with
 * readByte(); everything else is read as typed frames.
 */
export class WireClient {
  readonly socket: Socket;
  readonly frames: BackendFrame[] = [];
  /** Bytes that do not parse as frames (the server never sends such; kept for reports). */
  #buffer = Buffer.alloc(0);
  #unframed = 0;
  #closed = false;
  #waiters: (() => void)[] = [];
  readonly closedAt: Promise<number>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#parse();
      this.#wakeAll();
    });
    socket.on('error', () => undefined);
    this.closedAt = new Promise((resolve) =>
      socket.once('close', () => {
        this.#closed = true;
        this.#wakeAll();
        resolve(Date.now());
      }),
    );
  }

  /** `localAddress` binds the client end, e.g. to a loopback alias such as 127.0.0.5. */
  static async connect(port: number, host = '127.0.0.1', localAddress?: string): Promise<WireClient> {
    const socket = connect({ port, host, ...(localAddress ? { localAddress } : {}) });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new WireClient(socket);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes received that are not (yet) a whole frame. */
  get pendingBytes(): number {
    return this.#buffer.length;
  }

  /** Those bytes as text (a protocol 2.0 error is one unframed string). */
  get pendingText(): string {
    return this.#buffer.toString('utf8');
  }

  /** Expects one unframed byte next (the answer to SSLRequest or GSSENCRequest). */
  expectUnframedByte(): void {
    this.#unframed++;
  }

  /** Writes `data`; with `byteByByte`, one byte per write with a timer turn between writes. */
  async write(data: Buffer, byteByByte = false): Promise<void> {
    if (this.socket.destroyed) return;
    if (!byteByByte) {
      this.socket.write(data);
      return;
    }
    for (const byte of data) {
      if (this.socket.destroyed) return;
      this.socket.write(Buffer.from([byte]));
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }

  /** Waits until `condition` holds over the frames so far, or the socket closes, or the timeout. */
  async waitFor(
    condition: (frames: readonly BackendFrame[]) => boolean,
    timeoutMs: number,
  ): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (condition(this.frames)) return true;
      if (this.#closed) return condition(this.frames);
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves true if the server closes the connection within `timeoutMs`. */
  async waitClosed(timeoutMs: number): Promise<boolean> {
    return await this.waitFor(() => false, timeoutMs).then(() => this.#closed);
  }

  /** The frames after the first `from` that satisfy `type`. */
  framesOf(type: string, from = 0): BackendFrame[] {
    return this.frames.slice(from).filter((frame) => frame.type === type);
  }

  errors(): ErrorFields[] {
    return this.framesOf('E').map(errorFields);
  }

  /** Runs the startup and SCRAM-SHA-256 login; resolves after the first ReadyForQuery. */
  async login(user: string, password: string, database: string, byteByByte = false): Promise<void> {
    const from = this.frames.length;
    await this.write(startupPacket({ user, database }), byteByByte);
    await this.authenticate(password, byteByByte, from);
  }

  /**
   * After a StartupMessage: answers AuthenticationSASL with SCRAM-SHA-256 and
   * waits for the first ReadyForQuery. Throws with the server's error if any.
   * `from` is the number of frames received before the StartupMessage was sent.
   */
  async authenticate(password: string, byteByByte = false, from = this.frames.length): Promise<void> {
    let seen = from;
    const next = async (): Promise<BackendFrame> => {
      const got = await this.waitFor((frames) => frames.length > seen, 10_000);
      const frame = this.frames[seen++];
      if (!got || frame === undefined) throw new Error('login: no answer from the server');
      if (frame.type === 'E') throw new Error(`login: ${JSON.stringify(errorFields(frame))}`);
      return frame;
    };
    let sasl = await next();
    // NegotiateProtocolVersion may come first.
    if (sasl.type === 'v') sasl = await next();
    const mechanisms = sasl.body.subarray(4).toString().split('\0');
    if (sasl.type !== 'R' || sasl.body.readInt32BE(0) !== 10 || !mechanisms.includes('SCRAM-SHA-256')) {
      throw new Error(`login: expected AuthenticationSASL, got ${sasl.type}`);
    }
    const scram = new ScramClient(password);
    const first = Buffer.from(scram.clientFirst);
    await this.write(
      typed('p', Buffer.concat([cstring('SCRAM-SHA-256'), int32(first.length), first])),
      byteByByte,
    );
    const serverFirst = await next();
    const final = scram.clientFinal(serverFirst.body.subarray(4).toString());
    await this.write(typed('p', Buffer.from(final)), byteByByte);
    await next(); // AuthenticationSASLFinal
    const ready = await this.waitFor(
      (frames) => frames.slice(seen).some((frame) => frame.type === 'Z'),
      10_000,
    );
    const error = this.framesOf('E', seen).map(errorFields)[0];
    if (!ready || error !== undefined)
      throw new Error(`login failed: ${JSON.stringify(error ?? 'no ReadyForQuery')}`);
  }

  /** Sends Terminate and closes. */
  end(): void {
    if (!this.socket.destroyed) this.socket.end(typed('X'));
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  destroy(): void {
    this.socket.destroy();
  }

  #parse(): void {
    for (;;) {
      if (this.#unframed > 0 && this.#buffer.length >= 1) {
        this.frames.push({ type: String.fromCharCode(this.#buffer[0]!), body: Buffer.alloc(0) });
        this.#buffer = this.#buffer.subarray(1);
        this.#unframed--;
        continue;
      }
      if (this.#buffer.length < 5) return;
      const length = this.#buffer.readInt32BE(1);
      if (length < 4 || this.#buffer.length < length + 1) return;
      const type = String.fromCharCode(this.#buffer[0]!);
      this.frames.push({ type, body: this.#buffer.subarray(5, length + 1) });
      this.#buffer = this.#buffer.subarray(length + 1);
    }
  }

  #wakeAll(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}

/** The client side of SCRAM-SHA-256 without channel binding ("n,,"). */
class ScramClient {
  readonly #password: string;
  readonly #nonce = randomBytes(18).toString('base64');
  readonly clientFirst: string;

  constructor(password: string) {
    this.#password = password;
    this.clientFirst = `n,,n=*,r=${this.#nonce}`;
  }

  clientFinal(serverFirst: string): string {
    const attributes = new Map(serverFirst.split(',').map((part) => [part[0], part.slice(2)]));
    const nonce = attributes.get('r') ?? '';
    if (!nonce.startsWith(this.#nonce)) throw new Error('SCRAM: the server nonce does not extend ours');
    const salt = Buffer.from(attributes.get('s') ?? '', 'base64');
    const salted = pbkdf2Sync(this.#password, salt, Number(attributes.get('i')), 32, 'sha256');
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    const storedKey = createHash('sha256').update(clientKey).digest();
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.clientFirst.slice(3)},${serverFirst},${withoutProof}`;
    const signature = createHmac('sha256', storedKey).update(authMessage).digest();
    const proof = clientKey.map((byte, i) => byte ^ (signature[i] ?? 0));
    return `${withoutProof},p=${Buffer.from(proof).toString('base64')}`;
  }
}
