/**
 * The built client in Chromium, in two tabs of one browser profile that share
 * the session through localStorage: when the access token is due, the tabs
 * send one refresh between them (Web Locks), and both carry on with its
 * result (BroadcastChannel and the shared storage). The pages are served
 * from the API's own origin, as an app on the same site would be.
 */
import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../local/environment.ts';
import { launchChromium } from '../fixtures/chromium.ts';
import { startSessionServer } from '../fixtures/e2e.ts';
import { demoPassword } from '../fixtures/local.ts';
import { builtEntry } from '../fixtures/packages.ts';

let server: LocalEnvironment;
let browser: Browser;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The app: a client on localStorage (options from the query string) as `window.client`, its auth events in `window.events`. */
const APP_PAGE = `<!doctype html><title>app</title><script type="module">
  import { createAuthClient, webStorage } from '/__app/client.js';
  const options = JSON.parse(new URLSearchParams(location.search).get('options') ?? '{}');
  const client = createAuthClient({ baseUrl: location.origin, storage: webStorage(localStorage), ...options });
  const events = [];
  client.onAuthStateChange((event) => events.push(event.type));
  Object.assign(window, { client, events });
</script>`;

interface Tabs {
  readonly context: BrowserContext;
  readonly pages: [Page, Page];
  /** Every POST /auth/refresh either tab sent. */
  readonly refreshes: string[];
}

/** Two tabs of one profile, each with a client on `localStorage` (as `window.client`) recording its auth events. */
async function openTabs(clientOptions: Record<string, unknown>): Promise<Tabs> {
  const context = await browser.newContext();
  const code = await readFile(builtEntry('client'), 'utf8');
  await context.route('**/__app/**', (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/__app/client.js') return route.fulfill({ contentType: 'text/javascript', body: code });
    return route.fulfill({ contentType: 'text/html', body: APP_PAGE });
  });
  const refreshes: string[] = [];
  context.on('request', (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname === '/auth/refresh') refreshes.push(request.url());
  });
  const pages = [await context.newPage(), await context.newPage()] as [Page, Page];
  for (const page of pages) {
    await page.goto(`${server.url}/__app/index.html?options=${encodeURIComponent(JSON.stringify(clientOptions))}`);
    await page.waitForFunction(() => 'client' in globalThis);
  }
  return { context, pages, refreshes };
}

const login = (page: Page) =>
  page.evaluate(
    (password) => (globalThis as any).client.login({ email: 'agent@example.com', password }).then(() => undefined),
    demoPassword,
  );
const storedSession = (page: Page) => page.evaluate(() => JSON.parse(localStorage.getItem('serverless-auth.session') ?? 'null'));
const eventsOf = (page: Page) => page.evaluate(() => (globalThis as any).events as string[]);

describe('client in two Chromium tabs', () => {
  beforeAll(async () => {
    // 6 s tokens: the refresh falls due 3 s after login, within the test.
    server = await startSessionServer({ env: { ACCESS_TOKEN_TTL: '6' } });
    browser = await launchChromium();
  }, 45_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('has the Web Locks and BroadcastChannel APIs the coordination relies on', async () => {
    const { context, pages } = await openTabs({ autoRefresh: false });
    const apis = await pages[0].evaluate(() => ({ locks: typeof navigator.locks?.request, channel: typeof BroadcastChannel }));
    await context.close();
    expect(apis).toEqual({ locks: 'function', channel: 'function' });
  });

  it('sends one refresh for both tabs when their timers fall due together, and both hear of it', async () => {
    // Prepare
    const { context, pages, refreshes } = await openTabs({});
    await login(pages[0]);
    const first = await storedSession(pages[0]);

    // Act: the refresh is due 3 s after login (up to a second later on the server's second-granular clock); the next one at 6 s.
    await sleep(4_800);

    // Assess
    const [a, b] = [await storedSession(pages[0]), await storedSession(pages[1])];
    const events = [await eventsOf(pages[0]), await eventsOf(pages[1])];
    const me = await pages[1].evaluate(() => (globalThis as any).client.me().then((user: { email: string }) => user.email));
    await context.close();
    expect(refreshes).toHaveLength(1);
    expect(a.access_token).not.toBe(first.access_token);
    expect(b).toEqual(a);
    expect(events).toEqual([
      ['signed_in', 'refreshed'],
      ['signed_in', 'refreshed'],
    ]);
    expect(me).toBe('agent@example.com');
  });

  it('sends one refresh for calls that start in both tabs at the same moment with a token due', async () => {
    // Prepare: no timers; each tab waits for one "go" on a channel, so that both start together.
    const { context, pages, refreshes } = await openTabs({ autoRefresh: false });
    await login(pages[0]);
    await sleep(3_300);
    const started = pages.map((page) =>
      page.evaluate(
        () =>
          new Promise<number>((resolve, reject) => {
            const go = new BroadcastChannel('test-go');
            go.onmessage = () =>
              (globalThis as any).client.authorizedFetch('/auth/me').then((response: Response) => resolve(response.status), reject);
          }),
      ),
    );
    await sleep(200);

    // Act
    await pages[0].evaluate(() => new BroadcastChannel('test-go').postMessage('go'));
    const statuses = await Promise.all(started);

    // Assess
    await context.close();
    expect(statuses).toEqual([200, 200]);
    expect(refreshes).toHaveLength(1);
  });
});
