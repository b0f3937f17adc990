/**
 * The docs page in a real browser: Debian's Chromium, driven by Playwright,
 * opens /docs on a local server, and Swagger UI must list every operation of
 * the operation table from this API's own files, with nothing fetched from
 * anywhere else. The screenshot lands in test-output/docs.png.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operations } from '../../functions/routes.ts';
import type { LocalEnvironment } from '../../local/environment.ts';
import { CHROMIUM, launchChromium } from '../fixtures/chromium.ts';
import { demoPassword, startTestServer } from '../fixtures/local.ts';

const screenshot = join(import.meta.dirname, '../../test-output/docs.png');

const missingChromium = existsSync(CHROMIUM)
  ? undefined
  : `Chromium is not installed at ${CHROMIUM}: run \`apt-get install -y --no-install-recommends chromium\` (.ci/run does this before npm test)`;

/** Fails the calling test, loudly, on a machine without Chromium: never a silent skip. */
function requireChromium(): void {
  if (missingChromium) throw new Error(missingChromium);
}

interface Listed {
  readonly method: string;
  readonly path: string;
  readonly operationId: string;
}

describe('GET /docs in Chromium', () => {
  let server: LocalEnvironment;
  let browser: Browser;
  let page: Page;
  const listed: Listed[] = [];
  const requested: string[] = [];
  const blocked: string[] = [];
  const failed: string[] = [];
  const problems: string[] = [];
  let title = '';

  beforeAll(async () => {
    if (missingChromium) return; // each test fails with the reason
    server = await startTestServer();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const origin = new URL(server.url).origin;
    // Anything not served by this API is refused and recorded: the page must render offline.
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (new URL(url).origin === origin) return route.continue();
      blocked.push(url);
      return route.abort();
    });
    page.on('request', (request) => requested.push(new URL(request.url()).pathname));
    page.on('requestfailed', (request) => failed.push(`${request.url()} ${request.failure()?.errorText ?? ''}`));
    page.on('response', (response) => {
      if (response.status() >= 400) failed.push(`${response.url()} ${response.status()}`);
    });
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));

    await page.goto(`${server.url}/docs`, { waitUntil: 'load' });
    // Swagger UI renders after fetching /openapi.json: wait for as many operation blocks as the table has.
    await page
      .locator('.opblock')
      .nth(operations.length - 1)
      .waitFor({ timeout: 15_000 });
    title = await page.title();
    listed.push(
      ...(await page.$$eval('.opblock', (blocks) =>
        blocks.map((block) => ({
          method: block.querySelector('.opblock-summary-method')?.textContent?.trim() ?? '',
          path: block.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? '',
          operationId: block.querySelector('.opblock-summary-operation-id')?.textContent?.trim() ?? '',
        })),
      )),
    );
    await mkdir(join(screenshot, '..'), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
  }, 45_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('lists every operation of the operation table, by method, path and operationId, and nothing else', () => {
    requireChromium();
    const expected = operations.map(({ method, path, operationId }) => ({ method, path, operationId }));
    const byKey = (a: Listed, b: Listed) => `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`);
    expect([...listed].sort(byKey)).toEqual([...expected].sort(byKey));
    expect(title).toBe('Serverless Auth API');
  });

  it('loads Swagger UI and the document from this API only, without a failed request or a script error', () => {
    requireChromium();
    expect(requested).toEqual(expect.arrayContaining(['/docs', '/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css', '/openapi.json']));
    expect(blocked).toEqual([]);
    expect(failed).toEqual([]);
    // A Content-Security-Policy violation is reported on the console as an error.
    expect(problems).toEqual([]);
  });

  it('saves a screenshot', () => {
    requireChromium();
    expect(existsSync(screenshot)).toBe(true);
  });

  /** A manager's access token, or an API token for X-Auth-Token. */
  async function credentialFor(scheme: 'bearer' | 'accessToken' | 'authToken'): Promise<string> {
    const login = await fetch(`${server.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'manager@example.com', password: demoPassword }),
    });
    const { access_token } = (await login.json()) as { access_token: string };
    if (scheme !== 'authToken') return access_token;
    const created = await fetch(`${server.url}/auth/api-tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${access_token}` },
      body: JSON.stringify({ name: 'docs page', expires_in: '24h' }),
    });
    return ((await created.json()) as { token: string }).token;
  }

  it.each(['bearer', 'accessToken', 'authToken'] as const)(
    'authorizes with %s in the Authorize dialog and gets 200 from GET /auth/me through "Try it out"',
    async (scheme) => {
      requireChromium();
      // Prepare: a page of its own, so that no other scheme's credential is set.
      const own = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      try {
        await own.goto(`${server.url}/docs`, { waitUntil: 'load' });
        const credential = await credentialFor(scheme);

        // Act: fill this scheme alone in the dialog, then call GET /auth/me.
        await own.locator('button.authorize').first().click();
        const container = own.locator('.auth-container').filter({ hasText: scheme });
        await container.locator('input').first().fill(credential);
        await container.locator('button[type=submit]').click();
        await own.locator('.modal-ux button.btn-done, .modal-ux button.close-modal').first().click();
        const me = own.locator('[id$="-getMe"]');
        await me.locator('.opblock-summary-control').click();
        await me.locator('button.try-out__btn').click();
        await me.locator('button.execute').click();

        // Assess
        await expect
          .poll(() => me.locator('.live-responses-table tbody .response-col_status').first().textContent(), { timeout: 10_000 })
          .toBe('200');
      } finally {
        await own.close();
      }
    },
  );

  it('calls the API from the page with "Try it out" (the page policy lets it fetch its own origin)', async () => {
    requireChromium();
    const jwks = page.locator('#operations-Discovery-jwks');
    await jwks.locator('.opblock-summary-control').click();
    await jwks.locator('button.try-out__btn').click();
    await jwks.locator('button.execute').click();
    await expect.poll(() => jwks.locator('.live-responses-table tbody .response-col_status').first().textContent()).toBe('200');
    expect(failed).toEqual([]);
    expect(problems).toEqual([]);
  });
});
