/**
 * What each operation takes and gives, by `operationId`: its body and query
 * schemas, its success answer and the errors beyond those of its kind. The
 * handlers validate with it (route.ts takes the schemas from here by the
 * operation's id), the OpenAPI document is generated from it (openapi.ts),
 * and the fuzz tests send what it declares.
 */
import * as z from 'zod';
import type { ErrorCode } from './api-error.ts';
import * as s from './schemas.ts';

export interface Contract {
  readonly body?: z.ZodType;
  /** @default true when `body` is set */
  readonly bodyRequired?: boolean;
  readonly query?: z.ZodObject;
  readonly ok: {
    readonly status: number;
    readonly description: string;
    readonly schema?: z.ZodType;
    /** Media types of a body that is not JSON (text, described as a string). */
    readonly content?: readonly string[];
    readonly tokenHeaders?: boolean;
    readonly cache?: string;
  };
  /** Errors beyond those every route of its kind can give. */
  readonly errors?: readonly ErrorCode[];
  readonly example?: unknown;
}

const noContent = (description: string) => ({ status: 204, description });

/** What each operation takes and gives, by `operationId`. */
export const contracts = {
  login: {
    body: s.loginBody,
    ok: { status: 200, description: 'Logged in', schema: s.tokenResponse, tokenHeaders: true },
    errors: ['invalid_credentials', 'account_disabled', 'rate_limit_exceeded', 'account_locked'],
    example: { email: 'manager@example.com', password: 'LocalDemo#2026' },
  },
  refresh: {
    body: s.refreshBody,
    bodyRequired: false,
    ok: { status: 200, description: 'A new access token and the successor refresh token', schema: s.tokenResponse, tokenHeaders: true },
    errors: ['invalid_grant'],
    example: { refresh_token: '…' },
  },
  logout: { body: s.logoutBody, bodyRequired: false, ok: noContent('Logged out'), example: { all: true } },
  getMe: { ok: { status: 200, description: "The caller's user object", schema: s.userObject } },
  updateMe: {
    body: s.updateMeBody,
    ok: { status: 200, description: 'The updated user object', schema: s.userObject },
    example: { first_name: 'Ada' },
  },
  forgotPassword: {
    body: s.forgotBody,
    ok: { status: 202, description: 'Accepted, whether or not the account exists', schema: s.statusMessage },
    errors: ['rate_limit_exceeded'],
    example: { email: 'customer@example.com' },
  },
  resetPassword: {
    body: s.resetBody,
    ok: { status: 200, description: 'Password reset; every session revoked', schema: s.statusMessage },
    errors: ['weak_password', 'invalid_code', 'rate_limit_exceeded'],
    example: { email: 'customer@example.com', code: '123456', password: 'correct horse battery staple' },
  },
  changePassword: {
    body: s.changePasswordBody,
    ok: { status: 200, description: 'Password changed; every other session revoked', schema: s.statusMessage },
    errors: ['invalid_credentials', 'weak_password', 'account_locked'],
    example: { currentPassword: 'LocalDemo#2026', newPassword: 'a much longer passphrase' },
  },
  listSessions: { ok: { status: 200, description: "The caller's live sessions", schema: s.sessionList } },
  revokeSession: { ok: noContent('Session revoked'), errors: ['not_found'] },
  createApiToken: {
    body: s.createApiTokenBody,
    ok: { status: 201, description: 'The token; its text is shown only here and on rotation', schema: s.apiTokenWithText },
    example: { name: 'nightly report', expires_in: '3mo' },
  },
  listApiTokens: { ok: { status: 200, description: "The caller's tokens, without their text", schema: s.apiTokenList } },
  rotateApiToken: { ok: { status: 200, description: 'The token with a new text', schema: s.apiTokenWithText }, errors: ['not_found'] },
  deleteApiToken: { ok: noContent('Token deleted'), errors: ['not_found'] },
  createUser: {
    body: s.createUserBody,
    ok: { status: 201, description: 'The new user (invited by email when no password was given)', schema: s.userObject },
    errors: ['weak_password', 'conflict'],
    example: { email: 'till2@example.com', username: 'pos-002', role: 'CASHIER', password: 'second till by the door' },
  },
  listUsers: { query: s.listUsersQuery, ok: { status: 200, description: 'The users the caller may manage', schema: s.userList } },
  getUser: { ok: { status: 200, description: 'The user', schema: s.userObject }, errors: ['not_found'] },
  updateUser: {
    body: s.updateUserBody,
    ok: { status: 200, description: 'The updated user', schema: s.userObject },
    errors: ['not_found'],
    example: { role: 'AGENT' },
  },
  disableUser: { ok: noContent('User disabled'), errors: ['not_found'] },
  unlockUser: { ok: noContent('Lockout cleared'), errors: ['not_found'] },
  listAuditEvents: {
    query: s.auditQuery,
    ok: { status: 200, description: "The tenant's audit events, newest first", schema: s.auditEventList },
  },
  jwks: { ok: { status: 200, description: 'Public signing keys', schema: s.jwksDocument, cache: 'public, max-age=300' } },
  openidConfiguration: {
    ok: { status: 200, description: 'Discovery document', schema: s.discoveryDocument, cache: 'public, max-age=300' },
  },
  openApiDocument: {
    ok: {
      status: 200,
      description: 'This document',
      schema: z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.looseObject({}) }),
    },
  },
  docsPage: { ok: { status: 200, description: 'Swagger UI showing this document', content: ['text/html'] } },
  docsAsset: {
    ok: {
      status: 200,
      description: 'swagger-ui-bundle.js or swagger-ui.css',
      content: ['text/javascript', 'text/css'],
      cache: 'public, max-age=300',
    },
    errors: ['not_found'],
  },
} as const satisfies Readonly<Record<string, Contract>>;

export type OperationId = keyof typeof contracts;

/** The contract of an operation named by a plain string (the operation table's `operationId`). */
export const contractOf = (operationId: string): Contract | undefined => (contracts as Readonly<Record<string, Contract>>)[operationId];
