/** Where the client keeps its tokens: memory by default, any synchronous or asynchronous store otherwise. */
import type { StoredSession } from './types.js';

export interface TokenStorage {
  /**
   * Set when other tabs or workers can share this storage: they then refresh
   * one at a time and hear each other's sign-in, refresh and sign-out.
   */
  readonly name?: string;
  get(): StoredSession | null | Promise<StoredSession | null>;
  set(session: StoredSession): void | Promise<void>;
  clear(): void | Promise<void>;
}

/** Tokens in memory: gone with the page or the process. */
export function memoryStorage(): TokenStorage {
  let session: StoredSession | null = null;
  return {
    get: () => session,
    set: (next) => {
      session = next;
    },
    clear: () => {
      session = null;
    },
  };
}

/** The part of the Web Storage API the adapter uses (`localStorage`, `sessionStorage`). */
export interface WebStorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** `localStorage` where the runtime has one; reading it may throw (a sandboxed frame, say). */
function pageLocalStorage(): unknown {
  try {
    return (globalThis as { localStorage?: unknown }).localStorage;
  } catch {
    return undefined;
  }
}

/**
 * Tokens in `localStorage` or `sessionStorage`, as JSON under one key. Tabs
 * sharing `localStorage` share the session and coordinate (one refresh for
 * all, each hears of the others' sign-in, refresh and sign-out); set `shared`
 * for another store that tabs share, or `false` to opt out. Anything a script
 * on the page can read, it can steal: prefer memory where a reload may ask
 * for a login.
 */
export function webStorage(
  store: WebStorageLike,
  key = 'serverless-auth.session',
  options: { readonly shared?: boolean } = {},
): TokenStorage {
  const shared = options.shared ?? store === pageLocalStorage();
  return {
    ...(shared ? { name: key } : {}),
    get() {
      const text = store.getItem(key);
      if (text === null) return null;
      try {
        return JSON.parse(text) as StoredSession;
      } catch {
        // Something else wrote the key; it is no session of ours.
        return null;
      }
    },
    set: (session) => store.setItem(key, JSON.stringify(session)),
    clear: () => store.removeItem(key),
  };
}
