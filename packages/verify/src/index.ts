/** Verifies the auth service's access tokens in other services, with guards for Express, Fastify, Hono and middy. */
export { createVerifier, type Principal, type RefusalReason, type Verifier, type VerifierOptions, type VerifyResult } from './verifier.js';
export { isLiveSession, sessionKey, type DocumentClientLike, type SessionsTable } from './sessions.js';
export { accessTokenOf, decide, type Decision, type HeaderReader, type Refusal } from './http.js';
export {
  express,
  fastify,
  hono,
  middy,
  type ExpressMiddleware,
  type ExpressRequestLike,
  type ExpressResponseLike,
  type FastifyReplyLike,
  type FastifyRequestLike,
  type HonoContextLike,
  type MiddyRequestLike,
  type MiddyResponse,
} from './adapters.js';
