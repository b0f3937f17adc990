/**
 * The one renderer of errors. An `ApiError` shows its public body; a failing
 * dependency becomes a 503; anything else is a 500 whose detail goes only to
 * the log.
 */
import type { MiddlewareObj } from '@middy/core';
import { ApiError } from './api-error.ts';
import { logger } from '../infra/logger.ts';
import { isTransient } from '../infra/transient.ts';
import { json } from './response.ts';

/** The public error a thrown value stands for. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  // Middy's own HTTP errors (its JSON body parser) keep their meaning, in our shape.
  const status = (error as { statusCode?: number; expose?: boolean })?.statusCode;
  if (status === 415) return new ApiError('unsupported_media_type', { cause: error });
  // Middy's parser refuses a body with a key that could reach a prototype, before any field is judged.
  if (status === 422 && (error as Error).message === 'Forbidden key in JSON body') {
    return new ApiError('invalid_request', {
      message: 'The request body holds a key that is not allowed (__proto__, or constructor with a prototype)',
      cause: error,
    });
  }
  if (status === 422 || status === 400) {
    return new ApiError('invalid_request', { message: 'The request body must be a JSON object', cause: error });
  }
  if (status === 413) return new ApiError('payload_too_large', { cause: error });
  if (isTransient(error)) return new ApiError('service_unavailable', { cause: error });
  return new ApiError('internal_server_error', { cause: error });
}

export function renderError(error: ApiError) {
  return json(error.status, error.toBody(), { ...error.headers });
}

export const errorRenderer = (): MiddlewareObj => ({
  onError: (request) => {
    const error = toApiError(request.error);
    if (error.status >= 500) {
      const cause = error.cause instanceof Error ? error.cause : request.error;
      logger.error('request failed', {
        error: error.code,
        cause: cause instanceof Error ? { name: cause.name, message: cause.message, stack: cause.stack } : String(cause),
      });
    }
    request.response = renderError(error);
  },
});
