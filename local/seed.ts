/** The demo users of API.md, all with `DEMO_PASSWORD`. Seeding twice changes nothing. */
import type { Deps } from '../functions/core/deps.ts';
import { createAccount } from '../functions/core/flows/user-creation.ts';
import type { Role } from '../functions/core/infra/permissions.ts';
import { findUserByIdentifier } from '../functions/core/records/users.ts';

export interface DemoUser {
  readonly email: string;
  readonly role: Role;
  readonly tenantId: string;
  readonly username?: string;
  /** Email of the demo user who created this one, for "who may manage whom". */
  readonly createdBy?: string;
}

export const demoUsers: readonly DemoUser[] = [
  { email: 'manager@example.com', role: 'MANAGER', tenantId: 'demo' },
  { email: 'agent@example.com', role: 'AGENT', tenantId: 'demo', createdBy: 'manager@example.com' },
  { email: 'cashier@example.com', role: 'CASHIER', tenantId: 'demo', username: 'pos-001', createdBy: 'agent@example.com' },
  { email: 'customer@example.com', role: 'CUSTOMER', tenantId: 'demo', createdBy: 'cashier@example.com' },
  { email: 'manager2@example.com', role: 'MANAGER', tenantId: 'demo-2' },
];

export async function seedDemoUsers(d: Deps, password: string): Promise<void> {
  const origin = { ip: null, userAgent: 'demo seed', requestId: null };
  const ids = new Map<string, string>();
  for (const demo of demoUsers) {
    const existing = await findUserByIdentifier(d, { kind: 'email', value: demo.email });
    if (existing) {
      ids.set(demo.email, existing.id);
      continue;
    }
    const outcome = await createAccount(
      d,
      {
        tenantId: demo.tenantId,
        role: demo.role,
        email: demo.email,
        username: demo.username ?? null,
        password,
        firstName: null,
        lastName: null,
        phone: null,
        createdBy: demo.createdBy ? (ids.get(demo.createdBy) ?? null) : null,
      },
      origin,
      'demo_seed',
    );
    if (outcome.kind === 'weak_password') {
      throw new Error(`DEMO_PASSWORD breaks the password policy for ${demo.email}: ${outcome.problems.map((p) => p.message).join('; ')}`);
    }
    if (outcome.kind === 'conflict') throw new Error(`Demo user ${demo.email}: ${outcome.field} already taken`);
    // Demo users have a password: nothing is mailed, so nothing else can refuse them.
    if (outcome.kind !== 'created') throw new Error(`Demo user ${demo.email}: ${outcome.kind}`);
    ids.set(demo.email, outcome.user.id);
  }
}
