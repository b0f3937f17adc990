/** User fields of a request body, renamed for the domain. */

/** Profile fields of a body as the domain names them; absent fields stay absent, `null` clears one. */
export const profileChanges = (body: {
  first_name?: string | null | undefined;
  last_name?: string | null | undefined;
  phone?: string | null | undefined;
}) => ({
  ...(body.first_name !== undefined ? { firstName: body.first_name } : {}),
  ...(body.last_name !== undefined ? { lastName: body.last_name } : {}),
  ...(body.phone !== undefined ? { phone: body.phone } : {}),
});
