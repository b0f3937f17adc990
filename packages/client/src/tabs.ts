/**
 * Coordination between tabs (or workers) that share one stored session: a
 * Web Lock so that only one of them refreshes at a time (the others find the
 * new token in the storage), and a BroadcastChannel so that each learns of a
 * sign-in, refresh or sign-out done by another. Where a browser has neither,
 * the API's grace window still gives racing refreshes one successor.
 */

/**
 * A sign-in or refresh carries its session: a tab may hear of it before the
 * other tab's write to a shared `localStorage` has reached it.
 */ import type { StoredSession } from './types.js';

export type TabMessage =
  | { readonly type: 'signed_in' | 'refreshed'; readonly session: StoredSession }
  /** Sent before the refresh request, so that a tab next in line for the lock waits for its outcome. */
  | { readonly type: 'refreshing'; readonly from: string }
  | { readonly type: 'signed_out' }
  | { readonly type: 'session_ended'; readonly reason: string };

export interface Tabs {
  /** Runs `task` while no other tab runs one under the same name. */
  exclusive<T>(task: () => Promise<T>): Promise<T>;
  announce(message: TabMessage): void;
  close(): void;
}

interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

interface ChannelLike {
  postMessage(message: unknown): void;
  close(): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  unref?: () => void;
}

type ChannelConstructor = new (name: string) => ChannelLike;

/** No other tab can share the storage: the in-memory flight is enough. */
export const singleTab: Tabs = { exclusive: (task) => task(), announce() {}, close() {} };

/** Tabs sharing the storage named `name`; `onMessage` hears the others (never itself). */
export function sharedTabs(name: string, onMessage: (message: TabMessage) => void): Tabs {
  const scope = globalThis as { navigator?: { locks?: LockManagerLike }; BroadcastChannel?: ChannelConstructor };
  const locks = scope.navigator?.locks;
  let channel: ChannelLike | null = null;
  if (typeof scope.BroadcastChannel === 'function') {
    channel = new scope.BroadcastChannel(`serverless-auth:${name}`);
    channel.onmessage = (event) => onMessage(event.data as TabMessage);
    // In Node, an open channel would keep the process alive.
    channel.unref?.();
  }
  return {
    exclusive: (task) => (locks ? locks.request(`serverless-auth:refresh:${name}`, task) : task()),
    announce: (message) => channel?.postMessage(message),
    close: () => channel?.close(),
  };
}
