import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testEnv } from '@llmq/testing';
import { type BrowserContext, chromium } from 'playwright-core';
import { adminKey, createApiHarness, tenantAKey } from './api-harness';

/**
 * Opens Bull Board in Debian's headless Chromium, driven by playwright-core. `.ci/run` installs
 * chromium; the test is skipped only where /usr/bin/chromium does not exist.
 */
const chromiumPath = '/usr/bin/chromium';
const describeWithChromium = existsSync(chromiumPath) ? describe : describe.skip;

type Harness = Awaited<ReturnType<typeof createApiHarness>>;
let harness: Harness;
let server: Server;
let baseUrl: string;
let context: BrowserContext;
let profile: string;

describeWithChromium('Bull Board in a browser', () => {
  beforeAll(async () => {
    harness = await createApiHarness();
    server = harness.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    profile = mkdtempSync(join(tmpdir(), 'llmq-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
    await new Promise((resolve) => server.close(resolve));
    await harness.close();
  });

  it('refuses the board without admin credentials and lists the queues with them', async () => {
    const page = await context.newPage();
    // No credentials: sent to the sign-in page, no queue in sight.
    await page.goto(`${baseUrl}/admin/queues`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    expect(await page.content()).not.toContain('prompts-standard');

    // A tenant key is not an admin key.
    await page.fill('#api_key', tenantAKey);
    await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
    expect(await page.textContent('#error')).toContain('not an admin key');
    // Nor does asking the board's JSON API directly help.
    await page.goto(`${baseUrl}/admin/queues/api/queues`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    const fetched = await page.evaluate(async () => {
      const response = await fetch('/admin/queues/api/queues', {
        headers: { Accept: 'application/json' },
      });
      return { status: response.status, body: await response.text() };
    });
    expect(fetched.status).toBe(401);
    expect(fetched.body).not.toContain('prompts-standard');

    // The admin key opens the board, which lists every llmq queue.
    await page.goto(`${baseUrl}/admin/login`);
    await page.fill('#api_key', adminKey);
    await Promise.all([
      page.waitForURL(`${baseUrl}/admin/queues`),
      page.click('button[type=submit]'),
    ]);
    await page.getByText('prompts-standard').first().waitFor({ timeout: 20_000 });
    const cookies = await context.cookies(`${baseUrl}/admin/queues`);
    expect(cookies).toEqual([
      expect.objectContaining({
        name: 'llmq_admin',
        httpOnly: true,
        sameSite: 'Strict',
        path: '/admin',
      }),
    ]);
    const { LLMQ_SCREENSHOT } = testEnv();
    if (LLMQ_SCREENSHOT) await page.screenshot({ path: LLMQ_SCREENSHOT });
    await page.close();
  }, 60_000);

  it('shows the API reference at /docs after an admin signs in, with nothing blocked', async () => {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error')
        problems.push(`${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error) => problems.push(error.message));
    // Requests to other hosts that got an answer, and those the browser stopped (and why).
    const offsite: string[] = [];
    const stopped: string[] = [];
    const isOffsite = (url: string) => !url.startsWith(baseUrl) && !/^(data|blob):/.test(url);
    page.on('requestfinished', (sent) => {
      if (isOffsite(sent.url())) offsite.push(sent.url());
    });
    page.on('requestfailed', (sent) => {
      if (isOffsite(sent.url())) stopped.push(`${sent.url()} ${sent.failure()?.errorText}`);
    });
    // Production mode (the harness's default): no session, so the sign-in, which comes back.
    await context.clearCookies();
    await page.goto(`${baseUrl}/docs`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    await page.fill('#api_key', adminKey);
    await Promise.all([page.waitForURL(`${baseUrl}/docs`), page.click('button[type=submit]')]);
    // Redoc has rendered the operations of the OpenAPI document.
    await page
      .getByRole('heading', { name: 'Submit a prompt job; answers 202 with its id at once' })
      .waitFor({ timeout: 30_000 });
    expect(await page.title()).toBe('llmq API reference');
    const body = (await page.textContent('body')) ?? '';
    expect(body).toContain('/v1/jobs/{id}');
    expect(body).toContain('/v1/chat/completions');
    // Search runs in a blob: worker, which the CSP allows.
    await page.getByPlaceholder('Search...').fill('cancel');
    await page.locator('[data-role="search:results"]').getByText('Cancel').first().waitFor();
    const { LLMQ_DOCS_SCREENSHOT } = testEnv();
    if (LLMQ_DOCS_SCREENSHOT)
      await page.screenshot({ path: LLMQ_DOCS_SCREENSHOT, fullPage: false });
    // Nothing failing in the page and nothing asked of another host. The one refusal is by
    // design: Redoc's "API docs by Redocly" badge hotlinks its logo from Redocly's CDN, the CSP
    // blocks it and Redoc hides the image. (The sign-in page names no icon, so the browser
    // asks for /favicon.ico, which answers 401: not the reference's doing.)
    expect(problems.filter((problem) => !problem.endsWith('/favicon.ico)')).sort()).toEqual([
      expect.stringMatching(
        /^Loading the image 'https:\/\/cdn\.redoc\.ly\/redoc\/logo-mini\.svg' violates .*img-src/,
      ),
    ]);
    expect(offsite).toEqual([]);
    expect(stopped).toEqual([expect.stringMatching(/^https:\/\/cdn\.redoc\.ly\/\S+ csp$/i)]);
    await page.close();
  }, 90_000);
});
