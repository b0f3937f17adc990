/**
 * The request and response schemas of every route: the handlers validate
 * with them, the OpenAPI document is generated from them, and the client's
 * types come from them. One schema, three uses.
 */
import * as z from 'zod';
import { auditTypes } from '../records/audit.ts';
import { decodeAuditCursor, decodeUserCursor } from './cursors.ts';
import { roles } from '../infra/permissions.ts';
import { expiryChoices } from '../crypto/token-expiry.ts';

const text = (max: number) => z.string().max(max);
const password = z.string().min(1).max(1024);
const limit = z.coerce.number().int().min(1).max(100).default(50);

// Fields shared by several bodies.
const name = z.string().trim().min(1).max(100).nullable();
export const profileFields = {
  first_name: name.optional(),
  last_name: name.optional(),
  phone: z
    .string()
    .regex(/^\+?[0-9][0-9 ().-]{2,31}$/, 'Must be a phone number: digits, spaces, ( ) . - and an optional leading +')
    .nullable()
    .optional(),
};
export const roleField = z.enum(roles);
export const statusField = z.enum(['active', 'disabled']);
const resetCode = z.string().regex(/^\d{1,20}$/, 'Must be the numeric code from the email');

// Request bodies and query strings.
export const loginBody = z.strictObject({
  email: text(1024).optional(),
  username: text(256).optional(),
  posId: text(256).optional(),
  password: text(1024).optional(),
  currentPassword: text(1024).optional(),
});
export const refreshBody = z.strictObject({ refresh_token: z.string().min(1).max(8192).optional() });
export const logoutBody = z.strictObject({ all: z.boolean().optional() });
export const forgotBody = z.strictObject({ email: text(1024) });
export const resetBody = z.strictObject({
  email: text(1024),
  code: resetCode.optional(),
  resetCode: resetCode.optional(),
  password,
});
export const changePasswordBody = z.strictObject({ currentPassword: password, newPassword: password });
export const updateMeBody = z.strictObject(profileFields);
export const createUserBody = z.strictObject({
  email: text(1024),
  username: text(256).nullable().optional(),
  password: password.optional(),
  role: roleField,
  ...profileFields,
});
export const updateUserBody = z.strictObject({
  role: roleField.optional(),
  status: statusField.optional(),
  ...profileFields,
});
export const createApiTokenBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  expires_in: z.enum(expiryChoices),
});
export const listUsersQuery = z.strictObject({
  role: roleField.optional(),
  status: statusField.optional(),
  limit,
  cursor: z
    .string()
    .max(500)
    .refine((c) => decodeUserCursor(c) !== null, 'Invalid cursor')
    .optional(),
});
export const auditQuery = z.strictObject({
  user_id: z.string().min(1).max(64).optional(),
  type: z.enum(auditTypes).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  limit,
  cursor: z
    .string()
    .max(200)
    .refine((c) => decodeAuditCursor(c) !== null, 'Invalid cursor')
    .optional(),
});

// Responses.
const timestamp = z.iso.datetime();
export const userObject = z.object({
  id: z.string(),
  email: z.string(),
  username: z.string().nullable(),
  role: roleField,
  tenant_id: z.string(),
  customer_id: z.string().nullable(),
  first_name: z.string().nullable(),
  last_name: z.string().nullable(),
  phone: z.string().nullable(),
  status: statusField,
  created_at: timestamp,
  created_by: z.string().nullable(),
  last_login_at: timestamp.nullable(),
  // Set from SES's bounces and complaints: no mail goes to the address until an administrator clears it.
  email_status: z
    .enum(['bounced', 'complained'])
    .nullable()
    .meta({ description: 'null while mail goes to the address; bounced or complained once SES reported it undeliverable' }),
  permissions: z.array(z.string()),
});
export const tokenResponse = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int(),
  expires_at: timestamp,
  refresh_token: z.string(),
  refresh_expires_at: timestamp,
  user: userObject,
});
export const statusMessage = z.object({ status: z.literal(true), message: z.string() });
export const errorBody = z.object({
  error: z.string(),
  message: z.string(),
  details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  role: roleField.optional(),
});
export const session = z.object({
  id: z.string(),
  created_at: timestamp,
  last_used_at: timestamp,
  ip: z.string().nullable(),
  user_agent: z.string().nullable(),
  current: z.boolean(),
});
export const sessionList = z.object({ items: z.array(session) });
const apiTokenFields = {
  id: z.string(),
  name: z.string(),
  created_at: timestamp,
  expires_at: timestamp,
  last_used_at: timestamp.nullable(),
};
export const apiToken = z.object(apiTokenFields);
export const apiTokenWithText = z.object({ ...apiTokenFields, token: z.string() });
export const apiTokenList = z.object({ items: z.array(apiToken) });
export const userList = z.object({ items: z.array(userObject), cursor: z.string().nullable() });
export const auditEvent = z.object({
  id: z.string(),
  time: timestamp,
  type: z.enum(auditTypes),
  outcome: z.enum(['success', 'failure']),
  reason: z.string().nullable(),
  user_id: z.string().nullable(),
  actor_id: z.string().nullable(),
  ip: z.string().nullable(),
  user_agent: z.string().nullable(),
  request_id: z.string().nullable(),
});
export const auditEventList = z.object({ items: z.array(auditEvent), cursor: z.string().nullable() });
export const jwksDocument = z.object({
  keys: z.array(
    z.object({ kty: z.literal('RSA'), n: z.string(), e: z.string(), kid: z.string(), alg: z.literal('RS256'), use: z.literal('sig') }),
  ),
});
export const discoveryDocument = z.looseObject({ issuer: z.string(), jwks_uri: z.string() });
