/**
 * PgError carries a PostgreSQL SQLSTATE so every layer can fail the way a
 * PostgreSQL server would. Only the server session serializes these to
 * clients; everything else throws them.
 * Codes: https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
export const SqlState = {
  successfulCompletion: '00000',
  warning: '01000',
  connectionException: '08000',
  connectionFailure: '08006',
  protocolViolation: '08P01',
  featureNotSupported: '0A000',
  invalidParameterValue: '22023',
  nullValueNotAllowed: '22004',
  dataException: '22000',
  divisionByZero: '22012',
  substringError: '22011',
  invalidEscapeSequence: '22025',
  invalidUseOfEscapeCharacter: '2200C',
  invalidRegularExpression: '2201B',
  invalidArgumentForLogarithm: '2201E',
  invalidArgumentForPowerFunction: '2201F',
  invalidTextRepresentation: '22P02',
  invalidTablesampleArgument: '2202H',
  serializationFailure: '40001',
  invalidBinaryRepresentation: '22P03',
  characterNotInRepertoire: '22021',
  invalidDatetimeFormat: '22007',
  datetimeFieldOverflow: '22008',
  numericValueOutOfRange: '22003',
  invalidArgumentForWidthBucket: '2201G',
  invalidColumnReference: '42P10',
  ambiguousFunction: '42725',
  untranslatableCharacter: '22P05',
  arraySubscriptError: '2202E',
  invalidTransactionState: '25000',
  activeSqlTransaction: '25001',
  noActiveSqlTransaction: '25P01',
  inFailedSqlTransaction: '25P02',
  readOnlySqlTransaction: '25006',
  invalidSqlStatementName: '26000',
  invalidAuthorizationSpecification: '28000',
  invalidPassword: '28P01',
  invalidCursorName: '34000',
  invalidCursorState: '24000',
  duplicateCursor: '42P03',
  invalidSavepointSpecification: '3B001',
  syntaxError: '42601',
  insufficientPrivilege: '42501',
  undefinedColumn: '42703',
  undefinedFunction: '42883',
  undefinedTable: '42P01',
  undefinedObject: '42704',
  duplicateObject: '42710',
  duplicatePreparedStatement: '42P05',
  wrongObjectType: '42809',
  ambiguousColumn: '42702',
  nameTooLong: '42622',
  datatypeMismatch: '42804',
  invalidParameterValueConfig: '22023',
  cantChangeRuntimeParam: '55P02',
  objectNotInPrerequisiteState: '55000',
  invalidCatalogName: '3D000',
  queryCanceled: '57014',
  adminShutdown: '57P01',
  cannotConnectNow: '57P03',
  tooManyConnections: '53300',
  diskFull: '53100',
  outOfMemory: '53200',
  programLimitExceeded: '54000',
  configFileError: 'F0000',
  // As PostgreSQL reports a relation file it cannot find or read (errcode_for_file_access).
  ioError: '58030',
  undefinedFile: '58P01',
  internalError: 'XX000',
  dataCorrupted: 'XX001',
} as const;

export type SqlStateCode = (typeof SqlState)[keyof typeof SqlState];

export interface PgErrorOptions {
  detail?: string;
  hint?: string;
  cause?: unknown;
  /** 1-based character position in the query text, as PostgreSQL reports it. */
  position?: number;
  severity?: 'ERROR' | 'FATAL';
}

export class PgError extends Error {
  readonly code: SqlStateCode;
  readonly detail: string | undefined;
  readonly hint: string | undefined;
  readonly position: number | undefined;
  readonly severity: 'ERROR' | 'FATAL';

  constructor(code: SqlStateCode, message: string, options: PgErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PgError';
    this.code = code;
    this.detail = options.detail;
    this.hint = options.hint;
    this.position = options.position;
    this.severity = options.severity ?? 'ERROR';
  }
}

/** Turns anything thrown into a PgError; unexpected errors become XX000 and keep their cause. */
export function toPgError(error: unknown): PgError {
  if (error instanceof PgError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new PgError(SqlState.internalError, message, { cause: error });
}

/** Message of any thrown value, for logs and catalog error fields. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
