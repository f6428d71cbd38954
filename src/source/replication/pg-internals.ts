/**
 * node-postgres internals the replication client reuses rather than
 * re-implements: connection defaults (PG* variables, connection strings) and
 * the SCRAM-SHA-256 / MD5 client computations. They are CommonJS files without
 * type declarations, reached through pg's `./lib/*` export; the interfaces
 * below describe the parts used (pg 8.23).
 */
import { createRequire } from 'node:module';
import type pg from 'pg';

export interface ResolvedConnectionParameters {
  readonly user: string;
  readonly database: string;
  readonly port: number;
  readonly host: string;
  readonly password: string | (() => string | Promise<string>) | undefined;
  readonly ssl: unknown;
  readonly application_name: string | undefined;
  /** Startup options (`-c name=value …`): config.options, else PGOPTIONS. */
  readonly options: string | undefined;
}

export interface SaslSession {
  readonly mechanism: string;
  readonly response: string;
}

interface SaslModule {
  startSession(mechanisms: string[], stream?: unknown): SaslSession;
  continueSession(
    session: SaslSession,
    password: string,
    serverData: string,
    stream?: unknown,
  ): Promise<void>;
  finalizeSession(session: SaslSession, serverData: string): void;
}

interface CryptoUtils {
  postgresMd5PasswordHash(user: string, password: string, salt: Buffer): Promise<string>;
}

type ConnectionParametersConstructor = new (config: pg.ClientConfig) => ResolvedConnectionParameters;

const require = createRequire(import.meta.url);

export const sasl = require('pg/lib/crypto/sasl.js') as SaslModule;
export const pgCrypto = require('pg/lib/crypto/utils.js') as CryptoUtils;
const ConnectionParameters = require('pg/lib/connection-parameters.js') as ConnectionParametersConstructor;

/** host/port/user/database/password as pg.Client would resolve them (config, then PG* variables, then defaults). */
export function resolveConnectionParameters(config: pg.ClientConfig): ResolvedConnectionParameters {
  return new ConnectionParameters(config);
}
