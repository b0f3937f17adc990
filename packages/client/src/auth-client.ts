/**
 * A fetch-based client of the auth API: login, logout, /auth/me, refresh,
 * and `authorizedFetch`, which keeps the access token fresh (one refresh for
 * any number of callers, and for any number of tabs sharing a storage),
 * retries a 401 once with a new token, and reports the end of the session
 * instead of looping. A timer refreshes ahead of expiry, timed by the
 * server's clock rather than the device's.
 */
import { accountApi, type AccountApi } from './account.js';
import { ApiError, SessionEndedError, type SessionEndReason } from './errors.js';
import { clockOffset, plan, refreshAt, serverNow } from './schedule.js';
import { memoryStorage, type TokenStorage } from './storage.js';
import { sharedTabs, singleTab, type TabMessage, type Tabs } from './tabs.js';
import type { LoginCredentials, LogoutOptions, StoredSession, TokenResponse, User } from './types.js';

/** `globalThis.fetch` or anything that answers a `Request` the same way. */
export type FetchLike = (request: Request) => Promise<Response>;

export type SessionEndedListener = (error: SessionEndedError) => void;

/** What `onAuthStateChange` reports. Events of another tab sharing the storage are reported too. */
export type AuthEvent =
  | { readonly type: 'signed_in'; readonly session: StoredSession }
  | { readonly type: 'refreshed'; readonly session: StoredSession }
  | { readonly type: 'signed_out' }
  | { readonly type: 'session_ended'; readonly reason: SessionEndReason };

export type AuthEventListener = (event: AuthEvent) => void;

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
  /** The device's time in milliseconds since the epoch; only differences of it are trusted. @default Date.now */
  readonly now?: () => number;
  /** Refresh on a timer ahead of expiry, not only when a call needs it. @default true */
  readonly autoRefresh?: boolean;
  /**
   * Coordinate with other tabs sharing a named storage (`webStorage`): one
   * refresh at a time through Web Locks, news through BroadcastChannel.
   * @default true
   */
  readonly crossTab?: boolean;
  /** Called once each time the session ends other than by this client's `logout()`. */
  readonly onSessionEnded?: SessionEndedListener;
}

export interface AuthClient extends AccountApi {
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
  /** Adds a listener for sign-in, refresh, sign-out and the end of the session; returns its removal. */
  onAuthStateChange(listener: AuthEventListener): () => void;
  /** Stops the refresh timer and the tab channel (the session stays stored). */
  dispose(): void;
}

/**
 * One refresh at a time per storage: every caller of every client sharing a
 * storage object waits for the same one.
 */
const flights = new WeakMap<TokenStorage, Promise<StoredSession>>();

const JSON_HEADERS = { 'content-type': 'application/json' };
/** After a refresh that failed for a reason other than the session's end (the network, a 503). */
const RETRY_MS = 10_000;
/** How long a tab waits for another's announced refresh before it refreshes itself (the API's grace window covers the rest). */
const OTHER_TAB_WAIT_MS = 3_000;

export function createAuthClient(options: AuthClientOptions): AuthClient {
  const storage = options.storage ?? memoryStorage();
  // Unbound, a browser's fetch throws "Illegal invocation".
  const send: FetchLike = options.fetch ?? ((request) => globalThis.fetch(request));
  const buffer = options.refreshBufferSeconds ?? 300;
  const now = options.now ?? Date.now;
  const base = options.baseUrl.replace(/\/+$/, '');
  const endListeners = new Set<SessionEndedListener>(options.onSessionEnded ? [options.onSessionEnded] : []);
  const eventListeners = new Set<AuthEventListener>();
  const tabs: Tabs = storage.name !== undefined && options.crossTab !== false ? sharedTabs(storage.name, heard) : singleTab;
  /** This client holds a session it has not yet reported ended. */
  let live = false;
  /** How this client's last session ended, for the callers that come after. */
  let lastEnd: SessionEndedError | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** The newest session another tab announced; its write to the storage may not be visible here yet. */
  let fromTabs: StoredSession | null = null;
  /** A refresh another tab has started (the refresh token it spends) and is about to announce the end of. */
  let otherRefresh: { from: string; done: Promise<void> } | null = null;
  let settleOtherRefresh = () => {};

  const keep = (body: TokenResponse, receivedAt: number): StoredSession => ({
    access_token: body.access_token,
    expires_in: body.expires_in,
    expires_at: body.expires_at,
    refresh_token: body.refresh_token,
    refresh_expires_at: body.refresh_expires_at,
    user: body.user,
    clock_offset_ms: clockOffset(body, receivedAt),
  });
  const planOf = (session: StoredSession) => plan(session, serverNow(session, now()), buffer);

  function emit(event: AuthEvent): void {
    for (const listener of eventListeners) guard(() => listener(event));
  }

  function resolve(input: string | URL | Request): string | URL | Request {
    if (typeof input !== 'string' || /^[a-z][a-z\d+.-]*:/i.test(input)) return input;
    return `${base}/${input.replace(/^\/+/, '')}`;
  }

  async function read(): Promise<StoredSession | null> {
    const session = await storage.get();
    if (session) live = true;
    return session;
  }

  function ended(error: SessionEndedError): void {
    live = false;
    lastEnd = error;
    stopTimer();
    for (const listener of endListeners) guard(() => listener(error));
    emit({ type: 'session_ended', reason: error.reason });
  }

  function report(error: unknown): never {
    if (error instanceof SessionEndedError && live) {
      ended(error);
      if (error.reason !== 'cleared') tabs.announce({ type: 'session_ended', reason: error.reason });
    }
    throw error;
  }

  /** What another tab sharing the storage did. */
  function heard(message: TabMessage): void {
    if (message.type === 'refreshing') {
      otherRefresh = { from: message.from, done: new Promise((resolve) => (settleOtherRefresh = resolve)) };
      return;
    }
    settleOtherRefresh();
    otherRefresh = null;
    if (message.type === 'signed_in' || message.type === 'refreshed') {
      fromTabs = message.session;
      live = true;
      lastEnd = null;
      schedule(message.session);
      emit({ type: message.type, session: message.session });
    } else if (live) {
      fromTabs = null;
      if (message.type === 'session_ended') {
        ended(new SessionEndedError(message.reason as SessionEndReason));
        return;
      }
      live = false;
      stopTimer();
      emit({ type: 'signed_out' });
    }
  }

  function stopTimer(): void {
    clearTimeout(timer);
    timer = undefined;
  }

  /** Arms the timer for `session`'s refresh (or its end at midnight), measured on the server's clock. */
  function schedule(session: StoredSession, delayMs?: number): void {
    stopTimer();
    if (options.autoRefresh === false) return;
    const wait = delayMs ?? Math.max(0, refreshAt(session, buffer) - serverNow(session, now()));
    // setTimeout holds at most 2^31 - 1 ms; a longer wait is re-armed when it runs out.
    timer = setTimeout(() => void tick(), Math.min(wait, 2 ** 31 - 1));
    (timer as { unref?: () => void }).unref?.();
  }

  async function tick(): Promise<void> {
    timer = undefined;
    try {
      const session = await read();
      if (!session) return;
      if (planOf(session) === 'use') return schedule(session);
      schedule(await renew(session));
    } catch (error) {
      if (error instanceof SessionEndedError) {
        if (live) {
          ended(error);
          if (error.reason !== 'cleared') tabs.announce({ type: 'session_ended', reason: error.reason });
        }
        return;
      }
      const session = await storage.get();
      if (session) schedule(session, RETRY_MS);
    }
  }

  async function postJson(path: string, body: unknown): Promise<Response> {
    return send(new Request(resolve(path), { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) }));
  }

  /** The refresh grant itself; runs only inside a flight. */
  async function rotate(): Promise<StoredSession> {
    const current = await storage.get();
    if (!current) throw new SessionEndedError(lastEnd?.reason ?? 'cleared');
    if (planOf(current) === 'ended') {
      await storage.clear();
      throw new SessionEndedError('midnight');
    }
    tabs.announce({ type: 'refreshing', from: current.refresh_token });
    const response = await postJson('/auth/refresh', { refresh_token: current.refresh_token });
    if (response.ok) {
      const session = keep((await response.json()) as TokenResponse, now());
      await storage.set(session);
      schedule(session);
      emit({ type: 'refreshed', session });
      tabs.announce({ type: 'refreshed', session });
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
   * A session newer than `stale`: the one another caller (or tab) just
   * stored, or a refreshed one. Without `stale`, always a refresh.
   */
  function renew(stale: StoredSession | null): Promise<StoredSession> {
    const running = flights.get(storage);
    if (running) return running;
    const flight = tabs.exclusive(async () => {
      if (stale) {
        const current = await storage.get();
        if (!current) throw new SessionEndedError(lastEnd?.reason ?? 'cleared');
        const newer = (stored: StoredSession | null) =>
          [stored, fromTabs].find((s): s is StoredSession => !!s && s.access_token !== stale.access_token && planOf(s) === 'use');
        const found = newer(current);
        if (found) return found;
        // The tab that held the lock before may have announced its result a moment after releasing it.
        const running = otherRefresh;
        if (running && running.from === stale.refresh_token) {
          await Promise.race([running.done, new Promise((resolve) => setTimeout(resolve, OTHER_TAB_WAIT_MS))]);
          const announced = newer(await storage.get());
          if (announced) return announced;
        }
      }
      return rotate();
    });
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
    if (planOf(session) !== 'use') session = await renew(session);
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
    const session = keep(body, now());
    await storage.set(session);
    live = true;
    lastEnd = null;
    fromTabs = null;
    schedule(session);
    emit({ type: 'signed_in', session });
    tabs.announce({ type: 'signed_in', session });
    return body;
  }

  async function logout(logoutOptions: LogoutOptions = {}): Promise<void> {
    const wasLive = live || (await storage.get()) !== null;
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
      fromTabs = null;
      stopTimer();
      await storage.clear();
      if (wasLive) {
        emit({ type: 'signed_out' });
        tabs.announce({ type: 'signed_out' });
      }
    }
  }

  async function refresh(): Promise<StoredSession> {
    try {
      if (!(await read())) throw new SessionEndedError(lastEnd?.reason ?? 'no_session');
      return await renew(null);
    } catch (error) {
      return report(error);
    }
  }

  const account = accountApi(authorizedFetch, postJson, async (user) => {
    // The stored user follows a profile change, so that `session().user` stays true.
    const session = await storage.get();
    if (session && session.user.id === user.id) await storage.set({ ...session, user });
  });

  // A session stored by an earlier page or another tab gets its timer now.
  void Promise.resolve(storage.get()).then((session) => {
    if (session && timer === undefined) schedule(session);
  });

  return {
    ...account,
    login,
    logout,
    me: account.me,
    refresh,
    authorizedFetch,
    session: async () => storage.get(),
    onSessionEnded(listener) {
      endListeners.add(listener);
      return () => endListeners.delete(listener);
    },
    onAuthStateChange(listener) {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
    dispose() {
      stopTimer();
      tabs.close();
    },
  };
}

/** A listener's fault is not the caller's: surface it on its own. */
function guard(call: () => void): void {
  try {
    call();
  } catch (fault) {
    queueMicrotask(() => {
      throw fault;
    });
  }
}
