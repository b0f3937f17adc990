/**
 * The permission matrix of API.md as data: each role's permission strings,
 * exactly. Adding a role or a permission is a one-line change here.
 */
export const roles = ['MANAGER', 'AGENT', 'CASHIER', 'CUSTOMER'] as const;
export type Role = (typeof roles)[number];

const everyone = ['profile:read', 'profile:update'];

export const permissionsByRole: Readonly<Record<Role, readonly string[]>> = {
  MANAGER: [
    'transactions:read',
    'transactions:update',
    'users:read',
    'users:write',
    'kyc:configure',
    'settings:write',
    'refunds:process',
    'reports:read',
    'beneficiaries:manage',
    'plugins:manage',
    'agents:configure',
    'customers:read',
    ...everyone,
    'webhooks:manage',
    'crossborder:manage',
    'api_tokens:manage',
  ],
  AGENT: [
    'transactions:read',
    'transactions:update',
    'users:read:own',
    'users:write:own',
    'reports:read:limited',
    'rates:markup',
    'customers:read',
    'corridors:manage',
    'callover:read',
    ...everyone,
    'api_tokens:manage',
  ],
  CASHIER: [
    'transactions:create',
    'transactions:read:own',
    'transactions:update',
    'users:read:own',
    'users:write:own',
    'quotes:request',
    'payments:process',
    'cash:handle',
    'receipts:print',
    ...everyone,
  ],
  CUSTOMER: ['transactions:create:own', 'transactions:read:own', 'kyc:verify', 'beneficiaries:manage:own', 'quotes:request', ...everyone],
};

export const isRole = (value: unknown): value is Role => roles.includes(value as Role);

export const permissionsOf = (role: Role): readonly string[] => permissionsByRole[role];
