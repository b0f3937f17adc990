/**
 * An owner's API tokens: created, rotated and deleted, each with its audit
 * event. (Using one is the authorizer's: flows/authorize.ts.)
 */
import type { Deps } from '../deps.ts';
import type { ExpiryChoice } from '../crypto/token-expiry.ts';
import { createApiToken, deleteApiToken, rotateApiToken, type ApiTokenRecord } from '../records/api-tokens.ts';
import { audit, type AuditOrigin } from '../records/audit.ts';
import type { Principal } from './authorize.ts';
import { refused, type Refusal } from './outcomes.ts';

type Issued = { readonly record: ApiTokenRecord; readonly token: string };

const tokenEvent = (owner: Principal, type: 'api_token.created' | 'api_token.rotated' | 'api_token.deleted', tokenId: string) =>
  ({ type, outcome: 'success', reason: tokenId, userId: owner.userId, tenantId: owner.tenantId }) as const;

export async function createOwnApiToken(
  d: Deps,
  owner: Principal,
  name: string,
  expiresIn: ExpiryChoice,
  origin: AuditOrigin,
): Promise<({ readonly kind: 'created' } & Issued) | Extract<Refusal, { kind: 'unauthorized' }>> {
  const issued = await createApiToken(d, owner, name, expiresIn);
  // The owner was disabled while the request was under way: its session is gone, and the token with it.
  if (!issued) return refused.unauthorized;
  await audit(d, origin, tokenEvent(owner, 'api_token.created', issued.record.tokenId));
  return { kind: 'created', ...issued };
}

export async function rotateOwnApiToken(
  d: Deps,
  owner: Principal,
  tokenId: string,
  origin: AuditOrigin,
): Promise<({ readonly kind: 'rotated' } & Issued) | Extract<Refusal, { kind: 'not_found' }>> {
  const rotated = await rotateApiToken(d, owner.userId, tokenId);
  if (!rotated) return refused.notFound;
  await audit(d, origin, tokenEvent(owner, 'api_token.rotated', rotated.record.tokenId));
  return { kind: 'rotated', ...rotated };
}

export async function deleteOwnApiToken(
  d: Deps,
  owner: Principal,
  tokenId: string,
  origin: AuditOrigin,
): Promise<{ readonly kind: 'deleted' } | Extract<Refusal, { kind: 'not_found' }>> {
  if (!(await deleteApiToken(d, owner.userId, tokenId))) return refused.notFound;
  await audit(d, origin, tokenEvent(owner, 'api_token.deleted', tokenId));
  return { kind: 'deleted' };
}
