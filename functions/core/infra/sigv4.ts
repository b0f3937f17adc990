/**
 * AWS Signature Version 4 for a JSON POST to the root path, the only request
 * our DynamoDB client makes. The signing key changes once a day and is kept
 * as a `KeyObject`: Node.js turns a Buffer key into one on every HMAC, at
 * several times the cost of the HMAC itself.
 */
import { createHash, createHmac, createSecretKey, type KeyObject } from 'node:crypto';

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface SignedRequest {
  readonly host: string;
  readonly region: string;
  readonly service: string;
  /** Lower-case names; each is signed. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly credentials: Credentials;
  readonly now: Date;
}

const hmac = (key: KeyObject | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();
const sha256Hex = (data: string): string => createHash('sha256').update(data).digest('hex');

/** Per credential set, its one signing key of the day (the date, region and service are in the scope). */
const signingKeys = new Map<string, { readonly scope: string; readonly key: KeyObject }>();
const MAX_SIGNING_KEYS = 16;

function signingKey(secretAccessKey: string, scope: string, date: string, region: string, service: string): KeyObject {
  const cached = signingKeys.get(secretAccessKey);
  if (cached?.scope === scope) return cached.key;
  const key = createSecretKey(
    hmac(
      createSecretKey(hmac(createSecretKey(hmac(createSecretKey(hmac(`AWS4${secretAccessKey}`, date)), region)), service)),
      'aws4_request',
    ),
  );
  if (signingKeys.size >= MAX_SIGNING_KEYS) signingKeys.clear();
  signingKeys.set(secretAccessKey, { scope, key });
  return key;
}

/** The request's headers with `host`, `x-amz-date`, the session token and `authorization` added. */
export function signRequest(request: SignedRequest): Record<string, string> {
  const { credentials, region, service } = request;
  const amzDate = request.now.toISOString().replace(/[-:]|\.\d{3}/g, '');
  const date = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    ...request.headers,
    host: request.host,
    'x-amz-date': amzDate,
    ...(credentials.sessionToken ? { 'x-amz-security-token': credentials.sessionToken } : {}),
  };
  const names = Object.keys(headers).sort();
  const signedHeaders = names.join(';');
  let canonicalHeaders = '';
  for (const name of names) canonicalHeaders += `${name}:${headers[name]!.trim().replace(/\s+/g, ' ')}\n`;
  const canonicalRequest = `POST\n/\n\n${canonicalHeaders}\n${signedHeaders}\n${sha256Hex(request.body)}`;
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
  const signature = createHmac('sha256', signingKey(credentials.secretAccessKey, scope, date, region, service))
    .update(stringToSign)
    .digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}
