/** The demo users of API.md, all with `DEMO_PASSWORD`. Seeding twice changes nothing. */
import type { Deps } from '../functions/core/deps.ts';
import { passwordProblems } from '../functions/core/flows/password-policy.ts';
import { hashPassword } from '../functions/core/crypto/passwords.ts';
import type { Role } from '../functions/core/infra/permissions.ts';
import { createUser, findUserByIdentifier } from '../functions/core/records/users.ts';

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
  for (const demo of demoUsers) {
    const problems = passwordProblems(password, { minLength: d.settings.passwordMinLength, email: demo.email, username: demo.username ?? null });
    if (problems.length > 0) {
      throw new Error(`DEMO_PASSWORD breaks the password policy for ${demo.email}: ${problems.map((p) => p.message).join('; ')}`);
    }
  }
  const passwordHash = await hashPassword(password);
  const ids = new Map<string, string>();
  for (const demo of demoUsers) {
    const existing = await findUserByIdentifier(d, { kind: 'email', value: demo.email });
    if (existing) {
      ids.set(demo.email, existing.id);
      continue;
    }
    const result = await createUser(d, {
      tenantId: demo.tenantId,
      role: demo.role,
      email: demo.email,
      username: demo.username ?? null,
      passwordHash,
      createdBy: demo.createdBy ? (ids.get(demo.createdBy) ?? null) : null,
    });
    if (result.kind !== 'created') throw new Error(`Demo user ${demo.email}: ${result.field} already taken`);
    ids.set(demo.email, result.user.id);
  }
}
