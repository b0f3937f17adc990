/**
 * DynamoDB table definitions as plain data. The CDK stack and the local
 * bootstrap both read this file, so the two can never disagree about keys.
 * Attribute names are generic (`pk`, `sk`); `functions/core/records/keys.ts` is the
 * one place that composes their values.
 */
export interface IndexDefinition {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
}

export interface TableDefinition {
  /** Construct id in the stack and name suffix locally. */
  readonly id: string;
  /** Environment variable through which handlers learn the table name. */
  readonly envVar: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
  /** Epoch-seconds attribute that DynamoDB's TTL deletes on. */
  readonly ttlAttribute?: string;
  readonly indexes?: readonly IndexDefinition[];
  /** Keep the table when the stack is deleted. */
  readonly retain: boolean;
}

export const tables = {
  /** Users (`USER#id`) and the unique pointers `EMAIL#…` / `USERNAME#…` that name them. */
  users: {
    id: 'Users',
    envVar: 'USERS_TABLE',
    partitionKey: 'pk',
    indexes: [{ name: 'byTenant', partitionKey: 'tenantId', sortKey: 'createdAt' }],
    retain: true,
  },
  /** One item per session (login), under its user so that "every session of a user" is one consistent query. */
  sessions: {
    id: 'Sessions',
    envVar: 'SESSIONS_TABLE',
    partitionKey: 'pk',
    sortKey: 'sk',
    ttlAttribute: 'expiresAt',
    retain: false,
  },
  /** Counters with a TTL: failed logins, attempts per IP per window, reset requests. */
  lockouts: {
    id: 'Lockouts',
    envVar: 'LOCKOUTS_TABLE',
    partitionKey: 'pk',
    ttlAttribute: 'expiresAt',
    retain: false,
  },
  /** API tokens: one item per token (a keyed hash, never the token), listed by user on `byUser`. */
  apiTokens: {
    id: 'ApiTokens',
    envVar: 'API_TOKENS_TABLE',
    partitionKey: 'pk',
    ttlAttribute: 'expiresAt',
    indexes: [{ name: 'byUser', partitionKey: 'userId', sortKey: 'createdAt' }],
    retain: false,
  },
  /**
   * Audit events, kept `AUDIT_RETENTION_DAYS`: a tenant's events newest first
   * are one query on the table, a user's events one query on `byUser`.
   */
  audit: {
    id: 'AuditEvents',
    envVar: 'AUDIT_TABLE',
    partitionKey: 'pk',
    sortKey: 'sk',
    ttlAttribute: 'expiresAt',
    indexes: [{ name: 'byUser', partitionKey: 'userPk', sortKey: 'sk' }],
    retain: true,
  },
} as const satisfies Record<string, TableDefinition>;

export type TableName = keyof typeof tables;
export const tableList: readonly TableDefinition[] = Object.values(tables);
