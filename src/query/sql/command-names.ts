/**
 * PostgreSQL's command names (CreateCommandName in src/backend/tcop/cmdtag.c
 * terms) for statements pg_analytica refuses, so its errors read exactly like
 * a read-only PostgreSQL server's: "cannot execute DROP TABLE in a read-only
 * transaction". Only the name matters here, never the statement's effect.
 */
import type { Node } from 'libpg-query';

/** Statement node → fixed name, for statements whose name does not depend on fields. */
const FIXED_NAMES: Readonly<Record<string, string>> = {
  InsertStmt: 'INSERT',
  UpdateStmt: 'UPDATE',
  DeleteStmt: 'DELETE',
  MergeStmt: 'MERGE',
  CopyStmt: 'COPY',
  TruncateStmt: 'TRUNCATE TABLE',
  CreateStmt: 'CREATE TABLE',
  CreateTableAsStmt: 'CREATE TABLE AS',
  IndexStmt: 'CREATE INDEX',
  ViewStmt: 'CREATE VIEW',
  CreateSchemaStmt: 'CREATE SCHEMA',
  CreateSeqStmt: 'CREATE SEQUENCE',
  AlterSeqStmt: 'ALTER SEQUENCE',
  CreateFunctionStmt: 'CREATE FUNCTION',
  CreateTrigStmt: 'CREATE TRIGGER',
  CreateExtensionStmt: 'CREATE EXTENSION',
  CreatedbStmt: 'CREATE DATABASE',
  DropdbStmt: 'DROP DATABASE',
  CreateRoleStmt: 'CREATE ROLE',
  AlterRoleStmt: 'ALTER ROLE',
  DropRoleStmt: 'DROP ROLE',
  CreateDomainStmt: 'CREATE DOMAIN',
  CompositeTypeStmt: 'CREATE TYPE',
  CreateEnumStmt: 'CREATE TYPE',
  CreateRangeStmt: 'CREATE TYPE',
  RuleStmt: 'CREATE RULE',
  CreatePolicyStmt: 'CREATE POLICY',
  CreatePublicationStmt: 'CREATE PUBLICATION',
  CreateSubscriptionStmt: 'CREATE SUBSCRIPTION',
  CreateForeignTableStmt: 'CREATE FOREIGN TABLE',
  CreateTableSpaceStmt: 'CREATE TABLESPACE',
  RenameStmt: 'ALTER TABLE',
  GrantStmt: 'GRANT',
  GrantRoleStmt: 'GRANT ROLE',
  AlterDefaultPrivilegesStmt: 'ALTER DEFAULT PRIVILEGES',
  AlterOwnerStmt: 'ALTER OWNER',
  CommentStmt: 'COMMENT',
  SecLabelStmt: 'SECURITY LABEL',
  VacuumStmt: 'VACUUM',
  ClusterStmt: 'CLUSTER',
  ReindexStmt: 'REINDEX',
  RefreshMatViewStmt: 'REFRESH MATERIALIZED VIEW',
  CallStmt: 'CALL',
  DoStmt: 'DO',
  LockStmt: 'LOCK TABLE',
  ListenStmt: 'LISTEN',
  UnlistenStmt: 'UNLISTEN',
  NotifyStmt: 'NOTIFY',
  ImportForeignSchemaStmt: 'IMPORT FOREIGN SCHEMA',
  CreateFdwStmt: 'CREATE FOREIGN DATA WRAPPER',
  CreateForeignServerStmt: 'CREATE SERVER',
  CreateUserMappingStmt: 'CREATE USER MAPPING',
  CreateEventTrigStmt: 'CREATE EVENT TRIGGER',
  CreateStatsStmt: 'CREATE STATISTICS',
  AlterSystemStmt: 'ALTER SYSTEM',
  AlterDatabaseStmt: 'ALTER DATABASE',
  AlterDatabaseSetStmt: 'ALTER DATABASE',
  AlterFunctionStmt: 'ALTER FUNCTION',
  AlterExtensionStmt: 'ALTER EXTENSION',
  AlterEnumStmt: 'ALTER TYPE',
  AlterDomainStmt: 'ALTER DOMAIN',
  AlterPolicyStmt: 'ALTER POLICY',
  AlterPublicationStmt: 'ALTER PUBLICATION',
  AlterSubscriptionStmt: 'ALTER SUBSCRIPTION',
  DropSubscriptionStmt: 'DROP SUBSCRIPTION',
  DropOwnedStmt: 'DROP OWNED',
  ReassignOwnedStmt: 'REASSIGN OWNED',
  DropTableSpaceStmt: 'DROP TABLESPACE',
  DropUserMappingStmt: 'DROP USER MAPPING',
  ReturnStmt: 'RETURN',
};

/** ObjectType enum → the object words PostgreSQL puts after CREATE/ALTER/DROP. */
const OBJECT_WORDS: Readonly<Record<string, string>> = {
  OBJECT_TABLE: 'TABLE',
  OBJECT_VIEW: 'VIEW',
  OBJECT_MATVIEW: 'MATERIALIZED VIEW',
  OBJECT_INDEX: 'INDEX',
  OBJECT_SEQUENCE: 'SEQUENCE',
  OBJECT_SCHEMA: 'SCHEMA',
  OBJECT_FUNCTION: 'FUNCTION',
  OBJECT_PROCEDURE: 'PROCEDURE',
  OBJECT_TYPE: 'TYPE',
  OBJECT_DOMAIN: 'DOMAIN',
  OBJECT_FOREIGN_TABLE: 'FOREIGN TABLE',
  OBJECT_EXTENSION: 'EXTENSION',
  OBJECT_TRIGGER: 'TRIGGER',
  OBJECT_ROLE: 'ROLE',
  OBJECT_DATABASE: 'DATABASE',
  OBJECT_PUBLICATION: 'PUBLICATION',
  OBJECT_POLICY: 'POLICY',
  OBJECT_RULE: 'RULE',
};

/** PostgreSQL's name for a statement node, e.g. "INSERT", "DROP TABLE", "SELECT FOR UPDATE". */
export function commandName(stmt: Node): string {
  const [tag, body] = Object.entries(stmt)[0] as [string, Record<string, unknown>];
  const fixed = FIXED_NAMES[tag];
  if (fixed !== undefined) return fixed;
  const objectType = body.removeType ?? body.objtype ?? body.objectType;
  const words = typeof objectType === 'string' ? OBJECT_WORDS[objectType] : undefined;
  if (tag === 'DropStmt') return words === undefined ? 'DROP' : `DROP ${words}`;
  if (tag === 'AlterTableStmt') return words === undefined ? 'ALTER TABLE' : `ALTER ${words}`;
  if (tag === 'DefineStmt') return words === undefined ? 'CREATE' : `CREATE ${words}`;
  return fallbackName(tag);
}

/** "AlterFooBarStmt" → "ALTER FOO BAR": close to PostgreSQL's names for the rare statements not listed. */
function fallbackName(tag: string): string {
  return tag
    .replace(/Stmt$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
}

/** SELECT … FOR UPDATE/SHARE is named after its strongest locking clause. */
export function lockingCommandName(strength: string | undefined): string {
  switch (strength) {
    case 'LCS_FORKEYSHARE':
      return 'SELECT FOR KEY SHARE';
    case 'LCS_FORSHARE':
      return 'SELECT FOR SHARE';
    case 'LCS_FORNOKEYUPDATE':
      return 'SELECT FOR NO KEY UPDATE';
    default:
      return 'SELECT FOR UPDATE';
  }
}
