/**
 * The daemon's own client address rules (--hba-file). The source server
 * verifies every password, but it sees each login coming from the daemon's
 * address, so its pg_hba.conf address lines cannot tell clients apart. These
 * rules can: they are read in pg_hba.conf's format and checked first match
 * wins, before the daemon opens any connection to the source.
 *
 *   # TYPE     DATABASE   USER         ADDRESS          METHOD
 *   hostssl    all        all          10.0.0.0/8       allow
 *   host       all        bob          127.0.0.5/32     reject
 *   host       sales,hr   "Mixed Name" 192.168.1.0 255.255.255.0 allow
 *
 * TYPE is host, hostssl (TLS connections only) or hostnossl. DATABASE and
 * USER are `all`, names (quoted for case or commas), comma lists, or for
 * DATABASE `sameuser`. ADDRESS is `all`, an IPv4/IPv6 CIDR or an address and a
 * mask. METHOD is only `allow` or `reject`: the password check itself is
 * always the source server's (pg_hba.conf's authentication methods belong
 * there). A connection no line matches is refused. IPv4-mapped IPv6 client
 * addresses (::ffff:a.b.c.d) are matched as IPv4.
 * https://www.postgresql.org/docs/current/auth-pg-hba-conf.html
 */
import { readFile } from 'node:fs/promises';
import { BlockList, isIP } from 'node:net';
import { ConfigError } from '../config.js';
import { PgError, SqlState } from '../errors.js';
import { tokenizeHbaLine } from './hba-tokens.js';

type ConnectionType = 'host' | 'hostssl' | 'hostnossl';

/** A DATABASE or USER column: `all`, or names (`sameuser` among databases). */
interface NameList {
  readonly all: boolean;
  readonly sameUser: boolean;
  readonly names: ReadonlySet<string>;
}

export interface HbaRule {
  /** 1-based line in the file, and the line as written, for the daemon's log. */
  readonly line: number;
  readonly text: string;
  readonly type: ConnectionType;
  readonly databases: NameList;
  readonly users: NameList;
  /** undefined: `all` addresses. */
  readonly addresses: BlockList | undefined;
  /** The family of `addresses`: an IPv4 line matches IPv4 clients only, as in PostgreSQL. */
  readonly family: 'ipv4' | 'ipv6' | undefined;
  readonly allow: boolean;
}

export interface HbaClient {
  readonly address: string;
  readonly user: string;
  readonly database: string;
  /** Whether the client's connection runs over TLS. */
  readonly encrypted: boolean;
}

export class HbaRules {
  readonly file: string;
  readonly rules: readonly HbaRule[];

  constructor(file: string, rules: readonly HbaRule[]) {
    this.file = file;
    this.rules = rules;
  }

  /** The first rule matching `client`, if any. */
  match(client: HbaClient): HbaRule | undefined {
    const [address, family] = normalizeAddress(client.address);
    return this.rules.find(
      (rule) =>
        (rule.type === 'host' || (rule.type === 'hostssl') === client.encrypted) &&
        matchesName(rule.databases, client.database, client.user) &&
        matchesName(rule.users, client.user, client.user) &&
        (rule.addresses === undefined || (family === rule.family && rule.addresses.check(address, family))),
    );
  }

  /** Throws FATAL 28000 unless the first matching rule allows `client`, in PostgreSQL's words. */
  check(client: HbaClient): HbaRule {
    const rule = this.match(client);
    const who = `host "${normalizeAddress(client.address)[0]}", user "${client.user}", database "${client.database}", ${client.encrypted ? 'SSL encryption' : 'no encryption'}`;
    if (rule === undefined) {
      throw new PgError(
        SqlState.invalidAuthorizationSpecification,
        `no pg_analytica --hba-file entry for ${who}`,
        {
          severity: 'FATAL',
          hint: 'The daemon’s administrator can allow this connection with a line in its --hba-file.',
        },
      );
    }
    if (!rule.allow) {
      throw new PgError(
        SqlState.invalidAuthorizationSpecification,
        `pg_analytica --hba-file rejects connection for ${who}`,
        { severity: 'FATAL' },
      );
    }
    return rule;
  }
}

/** Reads and parses the file; a bad line fails the daemon's start, naming the file and the line. */
export async function loadHbaFile(file: string): Promise<HbaRules> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `invalid value for --hba-file (PG_ANALYTICA_HBA_FILE): cannot read ${JSON.stringify(file)} (${(error as Error).message})`,
    );
  }
  return parseHbaFile(text, file);
}

export function parseHbaFile(text: string, file: string): HbaRules {
  const rules: HbaRule[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const first = i + 1;
    // A backslash at the end continues the line, as in pg_hba.conf.
    let line = lines[i] ?? '';
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i] ?? ''}`;
    try {
      const rule = parseLine(line, first);
      if (rule !== undefined) rules.push(rule);
    } catch (error) {
      throw new ConfigError(
        `invalid --hba-file ${JSON.stringify(file)}, line ${first}: ${(error as Error).message}\n  ${line.trim()}`,
      );
    }
  }
  return new HbaRules(file, rules);
}

function parseLine(line: string, lineNumber: number): HbaRule | undefined {
  const fields = tokenizeHbaLine(line);
  if (fields.length === 0) return undefined;
  const [type, databases, users, ...rest] = fields;
  const typeWord = type?.[0];
  if (
    type?.length !== 1 ||
    typeWord?.quoted ||
    !['host', 'hostssl', 'hostnossl'].includes(typeWord?.text ?? '')
  ) {
    throw new Error(
      `connection type ${JSON.stringify(type?.map((t) => t.text).join(','))} is not supported: use host, hostssl or hostnossl (the daemon listens on TCP only)`,
    );
  }
  if (databases === undefined || users === undefined) throw new Error('end of line before the user field');
  const { addresses, family, methodIndex } = parseAddress(rest);
  const method = rest[methodIndex];
  if (method === undefined) throw new Error('end of line before the method field');
  const methodWord = method.length === 1 ? method[0]?.text : undefined;
  if (methodWord !== 'allow' && methodWord !== 'reject') {
    throw new Error(
      `method ${JSON.stringify(method.map((t) => t.text).join(','))} is not supported: use allow or reject (the password is always checked by the source server)`,
    );
  }
  if (rest.length > methodIndex + 1) throw new Error('options after the method are not supported');
  return {
    line: lineNumber,
    text: line.trim(),
    type: typeWord!.text as ConnectionType,
    databases: nameList(databases, 'database'),
    users: nameList(users, 'user'),
    addresses,
    family,
    allow: methodWord === 'allow',
  };
}

function nameList(tokens: readonly { text: string; quoted: boolean }[], what: 'database' | 'user'): NameList {
  let all = false;
  let sameUser = false;
  const names = new Set<string>();
  for (const token of tokens) {
    if (token.quoted) names.add(token.text);
    else if (token.text === 'all') all = true;
    else if (token.text === 'sameuser' && what === 'database') sameUser = true;
    else if (token.text === 'replication' && what === 'database') {
      // Matches replication connections only, which the daemon does not serve: never matches.
    } else if (
      /^(samerole|samegroup)$/.test(token.text) ||
      token.text.startsWith('+') ||
      token.text.startsWith('@')
    ) {
      throw new Error(
        `${what} ${token.text} is not supported: the daemon checks these rules before the login, without the source's role memberships or files; list the names`,
      );
    } else names.add(token.text);
  }
  return { all, sameUser, names };
}

/** ADDRESS (and a MASK column when the address has no /prefix), then where METHOD is. */
function parseAddress(rest: readonly (readonly { text: string; quoted: boolean }[])[]): {
  addresses: BlockList | undefined;
  family: 'ipv4' | 'ipv6' | undefined;
  methodIndex: number;
} {
  const field = rest[0];
  if (field === undefined) throw new Error('end of line before the IP address field');
  const text = field.length === 1 ? field[0]!.text : '';
  if (text === 'all') return { addresses: undefined, family: undefined, methodIndex: 1 };
  const [address, prefixText] = text.split('/');
  const family = isIP(address ?? '');
  if (family === 0) {
    throw new Error(
      `invalid IP address ${JSON.stringify(text)}: use an IPv4 or IPv6 address with a /prefix, or all (host names, samehost and samenet are not supported)`,
    );
  }
  const bits = family === 4 ? 32 : 128;
  let prefix: number;
  let methodIndex = 1;
  if (prefixText !== undefined) {
    prefix = Number(prefixText);
    if (!/^\d+$/.test(prefixText) || prefix > bits)
      throw new Error(`invalid CIDR mask in address ${JSON.stringify(text)}`);
  } else {
    prefix = maskPrefix(rest[1]?.[0]?.text ?? '', family);
    methodIndex = 2;
  }
  const addresses = new BlockList();
  addresses.addSubnet(address!, prefix, family === 4 ? 'ipv4' : 'ipv6');
  return { addresses, family: family === 4 ? 'ipv4' : 'ipv6', methodIndex };
}

/** The prefix length of an IPv4 netmask such as 255.255.255.0 (IPv6 rules give a /prefix). */
function maskPrefix(mask: string, family: number): number {
  if (family !== 4 || isIP(mask) !== 4) {
    throw new Error(
      `invalid IP mask ${JSON.stringify(mask)}: give the address as CIDR (address/prefix), or an IPv4 address and an IPv4 mask`,
    );
  }
  const value = mask.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const binary = value.toString(2).padStart(32, '0');
  if (!/^1*0*$/.test(binary)) {
    throw new Error(`invalid IP mask ${JSON.stringify(mask)}: the mask must be contiguous ones, then zeros`);
  }
  return binary.indexOf('0') < 0 ? 32 : binary.indexOf('0');
}

function matchesName(list: NameList, name: string, user: string): boolean {
  return list.all || list.names.has(name) || (list.sameUser && name === user);
}

/** The address as matched and reported: IPv4-mapped IPv6 as IPv4; the family for BlockList. */
function normalizeAddress(address: string): [string, 'ipv4' | 'ipv6' | undefined] {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const plain = mapped?.[1] ?? address;
  const family = isIP(plain);
  return [plain, family === 4 ? 'ipv4' : family === 6 ? 'ipv6' : undefined];
}
