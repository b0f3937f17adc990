/** Response builders: every handler answers through these. */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export type HttpResponse = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers: Record<string, string | number | boolean>;
};

export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse => ({
  statusCode,
  headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(body),
});

/** A body that is not JSON (a page, a script, a style sheet), as text of `contentType`. */
export const text = (statusCode: number, body: string, contentType: string, headers: Record<string, string> = {}): HttpResponse => ({
  statusCode,
  headers: { 'Content-Type': contentType, ...headers },
  body,
});

export const noContent = (): HttpResponse => ({ statusCode: 204, headers: {}, body: '' });
