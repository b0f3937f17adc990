/**
 * A fetch-based client of the auth API: login, logout, /auth/me, refresh,
 * and `authorizedFetch`, which keeps the access token fresh (one refresh for
 * any number of callers), retries a 401 once with a new token, and reports
 * the end of the session instead of looping.
 */
import { ApiError, SessionEndedError } from './errors.ts';
import { plan } from './schedule.ts';
import { memoryStorage, type TokenStorage } from './storage.ts';
import type { LoginCredentials, LogoutOptions, StoredSession, TokenResponse, User } from './types.ts';

/** `globalThis.fetch` or anything that answers a `Request` the same way. */
export type FetchLike = (request: Request) => Promise<Response>;

export type SessionEndedListener = (error: SessionEndedError) => void;

export interface AuthClientOptions {
  /** The API's base URL, stage path included (`https://….execute-api.….amazonaws.com/prod`). */
  readonly baseUrl: string;
  /** @default memoryStorage() */
  readonly storage?: TokenStorage;
  /** @default globalThis.fetch */
  readonly fetch?: FetchLike;
  /**
   * Refresh this many seconds before the access token expires (at most half
   * its lifetime; never for a token that already runs to the session's midnight).
   * @default 300
   */
  readonly refreshBufferSeconds?: number;
  /** The time in milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
  /** Called once each time the session ends other than by this client's `logout()`. */
  readonly onSessionEnded?: SessionEndedListener;
}

export interface AuthClient {
  /** Logs in and keeps the tokens. Throws `ApiError` (`invalid_credentials`, `account_locked`, …). */
  login(credentials: LoginCredentials): Promise<TokenResponse>;
  /** Revokes the session on the API (`{ all: true }`: every session of the user) and forgets the tokens, whatever the API says. */
  logout(options?: LogoutOptions): Promise<void>;
  /** The caller's user object. Throws `ApiError` or `SessionEndedError`. */
  me(): Promise<User>;
  /** Rotates the refresh token now (joining a refresh already under way). Throws `SessionEndedError` past midnight or on `invalid_grant`. */
  refresh(): Promise<StoredSession>;
  /**
   * `fetch` with `Authorization: Bearer <access token>`. A relative path is
   * resolved against `baseUrl`. Refreshes first when the token is about to
   * expire; on a `401`, refreshes once and retries once (a second `401` is
   * returned). Throws `SessionEndedError` when the session is over.
   */
  authorizedFetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** The stored session, or `null`. */
  session(): Promise<StoredSession | null>;
  /** Adds a listener for the end of the session; returns its removal. */
  onSessionEnded(listener: SessionEndedListener): () => void;
}

/**
 * One refresh at a time per storage: every caller of every client sharing a
 * storage object waits for the same one.
 */
const flights = new WeakMap<TokenStorage, Promise<StoredSession>>();

const JSON_HEADERS = { 'content-type': 'application/json' };

const keep = (body: TokenResponse): StoredSession => ({
  access_token: body.access_token,
  expires_in: body.expires_in,
  expires_at: body.expires_at,
  refresh_token: body.refresh_token,
  refresh_expires_at: body.refresh_expires_at,
  user: body.user,
});

export function createAuthClient(options: AuthClientOptions): AuthClient {
  const storage = options.storage ?? memoryStorage();
  // Unbound, a browser's fetch throws "Illegal invocation".
  const send: FetchLike = options.fetch ?? ((request) => globalThis.fetch(request));
  const buffer = options.refreshBufferSeconds ?? 300;
  const now = options.now ?? Date.now;
  const base = options.baseUrl.replace(/\/+$/, '');
  const listeners = new Set<SessionEndedListener>(options.onSessionEnded ? [options.onSessionEnded] : []);
  /** This client holds a session it has not yet reported ended. */
  let live = false;
  /** How this client's last session ended, for the callers that come after. */
  let lastEnd: SessionEndedError | null = null;

  function resolve(input: string | URL | Request): string | URL | Request {
    if (typeof input !== 'string' || /^[a-z][a-z\d+.-]*:/i.test(input)) return input;
    return `${base}/${input.replace(/^\/+/, '')}`;
  }

  async function read(): Promise<StoredSession | null> {
    const session = await storage.get();
    if (session) live = true;
    return session;
  }

  function report(error: unknown): never {
    if (error instanceof SessionEndedError && live) {
      live = false;
      lastEnd = error;
      for (const listener of listeners) {
        try {
          listener(error);
        } catch (fault) {
          // A listener's fault is not the caller's: surface it on its own.
          queueMicrotask(() => {
            throw fault;
          });
        }
      }
    }
    throw error;
  }

  async function postJson(path: string, body: unknown): Promise<Response> {
    return send(new Request(resolve(path), { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) }));
  }

  /** The refresh grant itself; runs only inside a flight. */
  async function rotate(): Promise<StoredSession> {
    const current = await storage.get();
    if (!current) throw new SessionEndedError(lastEnd?.reason ?? 'cleared');
    if (plan(current, now(), buffer) === 'ended') {
      await storage.clear();
      throw new SessionEndedError('midnight');
    }
    const response = await postJson('/auth/refresh', { refresh_token: current.refresh_token });
    if (response.ok) {
      const session = keep((await response.json()) as TokenResponse);
      await storage.set(session);
      return session;
    }
    const error = await ApiError.from(response);
    if (error.status !== 401 || error.error !== 'invalid_grant') throw error;
    // Another tab sharing the storage may have rotated meanwhile; its token is the live one.
    const latest = await storage.get();
    if (latest && latest.refresh_token !== current.refresh_token) return latest;
    await storage.clear();
    throw new SessionEndedError('invalid_grant');
  }

  /**
   * A session newer than `stale`: the one another caller just stored, or a
   * refreshed one. Without `stale`, always a refresh.
   */
  function renew(stale: StoredSession | null): Promise<StoredSession> {
    const running = flights.get(storage);
    if (running) return running;
    const flight = (async () => {
      if (stale) {
        const current = await storage.get();
        if (!current) throw new SessionEndedError(lastEnd?.reason ?? 'cleared');
        if (current.access_token !== stale.access_token && plan(current, now(), buffer) === 'use') return current;
      }
      return rotate();
    })();
    flights.set(storage, flight);
    const land = () => {
      if (flights.get(storage) === flight) flights.delete(storage);
    };
    flight.then(land, land);
    return flight;
  }

  async function authorized(input: string | URL | Request, init: RequestInit | undefined): Promise<Response> {
    const request = new Request(resolve(input), init);
    const attempt = (session: StoredSession) => {
      const copy = request.clone();
      copy.headers.set('authorization', `Bearer ${session.access_token}`);
      return send(copy);
    };
    let session = await read();
    if (!session) throw new SessionEndedError(live ? 'cleared' : (lastEnd?.reason ?? 'no_session'));
    if (plan(session, now(), buffer) !== 'use') session = await renew(session);
    const first = await attempt(session);
    if (first.status !== 401) return first;
    const fresh = await renew(session);
    // A request sent as one user is never replayed as another who logged in meanwhile.
    if (fresh.user.id !== session.user.id) return first;
    await first.body?.cancel();
    return attempt(fresh);
  }

  async function authorizedFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    try {
      return await authorized(input, init);
    } catch (error) {
      return report(error);
    }
  }

  async function login(credentials: LoginCredentials): Promise<TokenResponse> {
    const response = await postJson('/auth/login', credentials);
    if (!response.ok) throw await ApiError.from(response);
    const body = (await response.json()) as TokenResponse;
    await storage.set(keep(body));
    live = true;
    lastEnd = null;
    return body;
  }

  async function logout(logoutOptions: LogoutOptions = {}): Promise<void> {
    try {
      if (!(await storage.get())) return;
      const response = await authorized('/auth/logout', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(logoutOptions) });
      // A 401 means the session was already revoked: the goal is reached.
      if (!response.ok && response.status !== 401) throw await ApiError.from(response);
    } catch (error) {
      if (!(error instanceof SessionEndedError)) throw error;
    } finally {
      live = false;
      lastEnd = null;
      await storage.clear();
    }
  }

  async function me(): Promise<User> {
    const response = await authorizedFetch('/auth/me');
    if (!response.ok) throw await ApiError.from(response);
    return (await response.json()) as User;
  }

  async function refresh(): Promise<StoredSession> {
    try {
      if (!(await read())) throw new SessionEndedError(lastEnd?.reason ?? 'no_session');
      return await renew(null);
    } catch (error) {
      return report(error);
    }
  }

  return {
    login,
    logout,
    me,
    refresh,
    authorizedFetch,
    session: async () => storage.get(),
    onSessionEnded(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
