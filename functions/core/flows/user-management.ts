/**
 * Who may manage whom (API.md "Users"), as data and two questions:
 * which roles a caller may create, and whether it may manage a given user.
 */
import type { Principal } from './authorize.ts';
import type { Role } from '../infra/permissions.ts';
import type { UserRecord } from '../records/users.ts';

/** The roles each role may create, and so manage among the users it created. */
export const creatableRoles: Readonly<Record<Role, readonly Role[]>> = {
  MANAGER: ['MANAGER', 'AGENT', 'CASHIER', 'CUSTOMER'],
  AGENT: ['AGENT', 'CASHIER', 'CUSTOMER'],
  CASHIER: ['CUSTOMER'],
  CUSTOMER: [],
};

/** A manager manages its whole tenant; the others only the users they created, of the roles they may create. */
const managesTenant = (role: Role): boolean => role === 'MANAGER';

export const mayCreate = (caller: Pick<Principal, 'role'>, role: Role): boolean => creatableRoles[caller.role].includes(role);

export type Access = 'manage' | 'forbidden' | 'not_found';

/** `not_found` for another tenant's user (it does not exist for the caller), `forbidden` for one of its own it may not manage. */
export function accessTo(caller: Pick<Principal, 'userId' | 'role' | 'tenantId'>, target: UserRecord | null): Access {
  if (!target || target.tenantId !== caller.tenantId) return 'not_found';
  if (managesTenant(caller.role)) return 'manage';
  return target.createdBy === caller.userId && mayCreate(caller, target.role) ? 'manage' : 'forbidden';
}
