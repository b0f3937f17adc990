/**
 * Request bodies: at most 16 KiB, `application/json`, a JSON object, and
 * exactly the fields the route's zod schema allows. Middy's parser does the
 * media-type check and the prototype-safe parse; this adds what API.md asks
 * around it.
 */
import type { MiddlewareObj, Request } from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { z } from 'zod';
import { ApiError, invalidRequest } from './api-error.ts';

export const MAX_BODY_BYTES = 16 * 1024;
const JSON_MEDIA_TYPE = /^\s*application\/json\s*(;|$)/i;

export interface JsonBodyOptions {
  /** The body's schema; a strict object, so unknown fields are rejected. */
  readonly schema: z.ZodType;
  /**
   * Whether an empty body is an error. When it is not, an empty body is
   * validated as `{}`.
   * @default true
   */
  readonly required?: boolean;
}

const bodyBytes = (event: APIGatewayProxyEventV2): number => Buffer.byteLength(event.body!, event.isBase64Encoded ? 'base64' : 'utf8');

export function toDetails(error: z.ZodError) {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: path ? `${path}.${key}` : key, message: 'Unknown field' }));
    }
    return [{ path, message: issue.message }];
  });
}

const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The fields whose text holds a lone surrogate (`"\ud800"` is valid JSON).
 * No UTF-8 can say it, so DynamoDB and SES would refuse it with a 500; a
 * caller hears which field is wrong instead.
 */
function illFormedPaths(value: unknown, path = ''): string[] {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? [path] : [];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) => illFormedPaths(inner, path ? `${path}.${key}` : key));
}

export const jsonBody = (options: JsonBodyOptions): MiddlewareObj<APIGatewayProxyEventV2> => {
  const { schema, required = true } = { ...options };
  const parser = httpJsonBodyParser();

  const jsonBodyBefore = async (request: Request<APIGatewayProxyEventV2>) => {
    const event = request.event;
    const empty = event.body === undefined || event.body === null || event.body === '';
    let value: unknown = {};
    if (empty) {
      if (required) throw new ApiError('invalid_request', { message: 'A JSON request body is required' });
    } else {
      if (bodyBytes(event) > MAX_BODY_BYTES) throw new ApiError('payload_too_large');
      // API.md accepts `application/json` (with parameters) only; middy would also take any `+json` type.
      if (!JSON_MEDIA_TYPE.test(event.headers?.['content-type'] ?? '')) throw new ApiError('unsupported_media_type');
      await parser.before!(request as never);
      value = event.body;
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new ApiError('invalid_request', { message: 'The request body must be a JSON object' });
      }
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw invalidRequest(toDetails(parsed.error));
    const illFormed = illFormedPaths(parsed.data);
    if (illFormed.length > 0)
      throw invalidRequest(illFormed.map((path) => ({ path, message: 'must be well-formed Unicode (no lone surrogate)' })));
    (event as { body: unknown }).body = parsed.data;
  };

  return { before: jsonBodyBefore };
};
