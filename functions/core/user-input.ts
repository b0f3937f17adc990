/** The user fields requests may carry, shared by the users routes and `PATCH /auth/me`. */
import { z } from 'zod';
import { roles } from './permissions.ts';

const name = z.string().trim().min(1).max(100).nullable();

/** Profile fields anyone may set on themselves; `null` clears one. */
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

/** Profile fields as the domain names them. */
export const profileChanges = (body: { first_name?: string | null; last_name?: string | null; phone?: string | null }) => ({
  ...(body.first_name !== undefined ? { firstName: body.first_name } : {}),
  ...(body.last_name !== undefined ? { lastName: body.last_name } : {}),
  ...(body.phone !== undefined ? { phone: body.phone } : {}),
});
