/**
 * What a login body means: exactly one identifier (`email`, or `username` /
 * its alias `posId`) and one password (`password` / its alias
 * `currentPassword`). Clients that send base64 credentials put both the email
 * and the password in base64.
 */
import { emailField } from './email-input.ts';
import { invalidRequest } from './api-error.ts';
import { type Identifier, isEmail, MAX_USERNAME_LENGTH, normalizeIdentifier } from '../infra/identifiers.ts';

export interface LoginBody {
  readonly email?: string | undefined;
  readonly username?: string | undefined;
  readonly posId?: string | undefined;
  readonly password?: string | undefined;
  readonly currentPassword?: string | undefined;
}

/** One of two alias fields; both or neither is a 400 that names them. */
function oneOf(body: LoginBody, a: keyof LoginBody, b: keyof LoginBody): [keyof LoginBody, string] | null {
  const first = body[a];
  const second = body[b];
  if (first !== undefined && second !== undefined) {
    throw invalidRequest([{ path: b, message: `Send ${a} or ${b}, not both` }]);
  }
  if (first !== undefined) return [a, first];
  if (second !== undefined) return [b, second];
  return null;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Strict base64 to UTF-8 text, or `null`. */
function fromBase64(value: string): string | null {
  if (value.length % 4 !== 0 || !BASE64.test(value)) return null;
  try {
    return strictUtf8.decode(Buffer.from(value, 'base64'));
  } catch {
    return null;
  }
}

export function loginCredentials(body: LoginBody): { identifier: Identifier; password: string } {
  const name = oneOf(body, 'username', 'posId');
  const email = body.email;
  if (email !== undefined && name) {
    throw invalidRequest([{ path: name[0], message: 'Send one identifier: email, username or posId' }]);
  }
  if (email === undefined && !name) {
    throw invalidRequest([{ path: 'email', message: 'email, username or posId is required' }]);
  }
  const secret = oneOf(body, 'password', 'currentPassword');
  if (!secret || secret[1] === '') throw invalidRequest([{ path: 'password', message: 'password is required' }]);

  if (name) {
    const username = normalizeIdentifier(name[1]);
    if (!username) throw invalidRequest([{ path: name[0], message: 'must not be empty' }]);
    // NFKC can make one character eighteen: a name longer than any username could be never reaches a key.
    if (username.length > MAX_USERNAME_LENGTH) {
      throw invalidRequest([{ path: name[0], message: `at most ${MAX_USERNAME_LENGTH} characters` }]);
    }
    return { identifier: { kind: 'username', value: username }, password: secret[1] };
  }

  let address = email as string;
  let password = secret[1];
  if (!address.includes('@')) {
    const decoded = fromBase64(address.trim());
    const decodedPassword = fromBase64(password);
    if (decoded !== null && isEmail(normalizeIdentifier(decoded))) {
      if (decodedPassword === null || decodedPassword === '') {
        throw invalidRequest([{ path: secret[0], message: 'With a base64 email, the password must be base64 too' }]);
      }
      address = decoded;
      password = decodedPassword;
    }
  }
  return { identifier: { kind: 'email', value: emailField(address) }, password };
}
