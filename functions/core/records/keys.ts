/**
 * The one place that composes DynamoDB key values. Nobody else concatenates
 * `"USER#" + id`.
 */
export const userKey = (userId: string) => ({ pk: `USER#${userId}` });
export const emailKey = (normalizedEmail: string) => ({ pk: `EMAIL#${normalizedEmail}` });
export const usernameKey = (normalizedUsername: string) => ({ pk: `USERNAME#${normalizedUsername}` });

export const SESSION_PREFIX = 'SESSION#';
export const sessionsOfUser = (userId: string) => ({ pk: `USER#${userId}` });
export const sessionKey = (userId: string, sessionId: string) => ({
  ...sessionsOfUser(userId),
  sk: `${SESSION_PREFIX}${sessionId}`,
});

/** A counter of failed logins for an account, or for an identifier that names none. */
export const failedLoginsKey = (subject: { userId: string } | { identifier: string }) => ({
  pk: 'userId' in subject ? `FAILED#USER#${subject.userId}` : `FAILED#ID#${subject.identifier}`,
});
/** A fixed-window counter of attempts of one kind from one source. */
export const windowCounterKey = (kind: string, source: string, windowStart: number) => ({
  pk: `WINDOW#${kind}#${source}#${windowStart}`,
});

/** Audit events: by tenant (events of unknown identifiers belong to none), newest first by `sk`. */
export const auditTenantPk = (tenantId: string | null) => (tenantId === null ? 'AUDIT#UNATTRIBUTED' : `AUDIT#TENANT#${tenantId}`);
export const auditUserPk = (userId: string) => `AUDIT#USER#${userId}`;
/** ISO time first, so the sort key orders by time; the id keeps two events of one millisecond apart. */
export const auditSk = (time: string, eventId: string) => `${time}#${eventId}`;

/** A user's pending reset (or invite) code; a newer one replaces it. */
export const resetCodeKey = (userId: string) => ({ pk: `RESET#${userId}` });

/** An API token, by the id part of its text. */
export const apiTokenKey = (tokenId: string) => ({ pk: `TOKEN#${tokenId}` });
