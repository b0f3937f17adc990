/**
 * `requirePermission` (and `authenticate`, any valid token) for Express,
 * Fastify, Hono and middy. Each takes only the shapes it uses from its
 * framework, so none of them is a dependency. The principal lands where each
 * framework keeps request state: `req.auth`, `request.auth`, `c.get('auth')`,
 * `request.context.auth` / `event.auth` for middy.
 */
import { decide, type Refusal } from './http.js';
import type { Principal, Verifier } from './verifier.js';

type HeaderBag = Record<string, string | string[] | undefined>;
const reader = (headers: HeaderBag | undefined) => (name: string) => {
  const value = headers?.[name] ?? Object.entries(headers ?? {}).find(([key]) => key.toLowerCase() === name)?.[1];
  return Array.isArray(value) ? value[0] : value;
};

export interface ExpressRequestLike {
  headers: HeaderBag;
  auth?: Principal;
}
export interface ExpressResponseLike {
  status(code: number): ExpressResponseLike;
  set(headers: Record<string, string>): ExpressResponseLike;
  json(body: unknown): unknown;
}
export type ExpressMiddleware = (req: ExpressRequestLike, res: ExpressResponseLike, next: (error?: unknown) => void) => Promise<void>;

export function express(verifier: Verifier) {
  const guard =
    (permission?: string): ExpressMiddleware =>
    async (req, res, next) => {
      try {
        const decision = await decide(verifier, reader(req.headers), permission);
        if (!decision.allowed)
          return void res
            .status(decision.refusal.status)
            .set({ ...decision.refusal.headers })
            .json(decision.refusal.body);
        req.auth = decision.principal;
        next();
      } catch (error) {
        next(error);
      }
    };
  return { authenticate: () => guard(), requirePermission: (permission: string) => guard(permission) };
}

export interface FastifyRequestLike {
  headers: HeaderBag;
  auth?: Principal;
}
export interface FastifyReplyLike {
  code(status: number): FastifyReplyLike;
  headers(values: Record<string, string>): FastifyReplyLike;
  send(body: unknown): unknown;
}

/** For `preHandler` (or `onRequest`): `{ preHandler: fastify(verifier).requirePermission('refunds:process') }`. */
export function fastify(verifier: Verifier) {
  const guard = (permission?: string) => async (request: FastifyRequestLike, reply: FastifyReplyLike) => {
    const decision = await decide(verifier, reader(request.headers), permission);
    if (!decision.allowed)
      return reply
        .code(decision.refusal.status)
        .headers({ ...decision.refusal.headers })
        .send(decision.refusal.body);
    request.auth = decision.principal;
    return undefined;
  };
  return { authenticate: () => guard(), requirePermission: (permission: string) => guard(permission) };
}

export interface HonoContextLike {
  req: { header(name: string): string | undefined };
  set(key: 'auth', value: Principal): void;
  json(body: unknown, status: number, headers: Record<string, string>): Response;
}

export function hono(verifier: Verifier) {
  const guard = (permission?: string) => async (c: HonoContextLike, next: () => Promise<void>) => {
    const decision = await decide(verifier, (name) => c.req.header(name), permission);
    if (!decision.allowed) return c.json(decision.refusal.body, decision.refusal.status, { ...decision.refusal.headers });
    c.set('auth', decision.principal);
    await next();
    return undefined;
  };
  return { authenticate: () => guard(), requirePermission: (permission: string) => guard(permission) };
}

export interface MiddyRequestLike {
  event: { headers?: HeaderBag | null; auth?: Principal };
  context: { auth?: Principal } & object;
}
/** An API Gateway proxy result. */
export interface MiddyResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const proxyResult = (refusal: Refusal): MiddyResponse => ({
  statusCode: refusal.status,
  headers: { ...refusal.headers },
  body: JSON.stringify(refusal.body),
});

/** A middy middleware: `.use(middy(verifier).requirePermission('refunds:process'))`; a refusal ends the request early. */
export function middy(verifier: Verifier) {
  const guard = (permission?: string) => ({
    async before(request: MiddyRequestLike): Promise<MiddyResponse | undefined> {
      const decision = await decide(verifier, reader(request.event.headers ?? undefined), permission);
      if (!decision.allowed) return proxyResult(decision.refusal);
      request.event.auth = decision.principal;
      request.context.auth = decision.principal;
      return undefined;
    },
  });
  return { authenticate: () => guard(), requirePermission: (permission: string) => guard(permission) };
}
