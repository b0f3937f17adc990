import { describe, expect, it } from 'vitest';
import { ApiError } from '../../functions/core/http/api-error.ts';
import { loginCredentials } from '../../functions/core/http/login-input.ts';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const failure = (body: Record<string, string>) => {
  try {
    loginCredentials(body);
  } catch (error) {
    if (error instanceof ApiError) return { status: error.status, ...error.toBody() };
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('loginCredentials', () => {
  it('normalizes an email: trimmed, NFKC, lower-cased', () => {
    expect(loginCredentials({ email: '  Ｍanager@Example.COM ', password: 'pw' })).toEqual({
      identifier: { kind: 'email', value: 'manager@example.com' },
      password: 'pw',
    });
  });

  it('takes username and its alias posId, and currentPassword for password', () => {
    expect(loginCredentials({ username: 'POS-001', password: 'a' }).identifier).toEqual({ kind: 'username', value: 'pos-001' });
    expect(loginCredentials({ posId: 'pos-001', currentPassword: 'b' })).toEqual({
      identifier: { kind: 'username', value: 'pos-001' },
      password: 'b',
    });
  });

  it('decodes base64 credentials when the email holds no @ but decodes to an address', () => {
    expect(loginCredentials({ email: b64('cashier@example.com'), password: b64('Pässwort#1') })).toEqual({
      identifier: { kind: 'email', value: 'cashier@example.com' },
      password: 'Pässwort#1',
    });
  });

  it('refuses a base64 email with a password that is not base64', () => {
    expect(failure({ email: b64('cashier@example.com'), password: 'not base64!' })).toMatchObject({
      status: 400,
      error: 'invalid_request',
      details: [{ path: 'password' }],
    });
  });

  it('refuses an email that is neither an address nor base64 of one', () => {
    expect(failure({ email: 'nobody', password: 'x' })).toEqual({
      status: 400,
      error: 'invalid_request',
      message: 'email must be a valid email address',
      details: [{ path: 'email', message: 'Invalid email address' }],
    });
  });

  it.each([
    [{ email: 'a@example.com', username: 'bob', password: 'x' }, 'username'],
    [{ username: 'bob', posId: 'bob', password: 'x' }, 'posId'],
    [{ email: 'a@example.com', password: 'x', currentPassword: 'x' }, 'currentPassword'],
    [{ password: 'x' }, 'email'],
    [{ email: 'a@example.com' }, 'password'],
    [{ email: 'a@example.com', password: '' }, 'password'],
    [{ username: '   ', password: 'x' }, 'username'],
  ])('refuses %j naming %s', (body, path) => {
    expect(failure(body as Record<string, string>)).toMatchObject({ status: 400, error: 'invalid_request', details: [{ path }] });
  });
});
