// The console driven in a real browser against a real node: sign in, create a database, a
// collection and documents, edit one (and meet a version conflict), query with JQL and SQL,
// explain, watch a live query and a change stream as another client writes, switch theme, and
// check every main view with axe-core in both themes. Screenshots go to LUMADB_CONSOLE_SCREENSHOTS.
import { test, expect, type Page, type ConsoleMessage } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const url = required('LUMADB_URL');
const user = required('LUMADB_USER');
const password = required('LUMADB_PASSWORD');
const apiKey = process.env.LUMADB_API_KEY;
const shots = process.env.LUMADB_CONSOLE_SCREENSHOTS ?? 'test-results/screenshots';
mkdirSync(shots, { recursive: true });

const db = `web${Date.now().toString(36)}`;
const collection = 'orders';

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the suite through ConsoleIT, or set it to a node's`);
  return v;
}

/** Another client: the HTTP API with the suite's API key (or the admin's password). */
async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const auth = apiKey ? `Bearer ${apiKey}` : 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
  const response = await fetch(url + path, {
    method,
    headers: { Authorization: auth, 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

test.describe.configure({ mode: 'serial' });

let page: Page;
const problems: string[] = [];

test.beforeAll(async ({ browser }) => {
  const context = await browser.newContext({ colorScheme: 'light' });
  page = await context.newPage();
  // A CSP violation or an uncaught error in the page fails the suite at the end.
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error' && /Content Security Policy|Uncaught/i.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
});

test.afterAll(async () => {
  await page?.context().close();
  await fetch(`${url}/api/v1/${db}`, {
    method: 'DELETE',
    headers: { Authorization: apiKey ? `Bearer ${apiKey}` : 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64') },
  }).catch(() => undefined);
});

function nav(name: string) {
  return page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
}

async function theme(): Promise<string> {
  return (await page.locator('html').getAttribute('data-theme')) ?? '';
}

/** axe-core finds no serious or critical violation in the view, in both themes; one screenshot per theme. */
async function checkView(name: string) {
  for (let i = 0; i < 2; i++) {
    const current = await theme();
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const serious = results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
    expect(serious, `axe on ${name} in the ${current} theme`).toEqual([]);
    await page.screenshot({ path: join(shots, `${name}-${current}.png`), fullPage: false });
    await page.getByRole('button', { name: /Switch to (dark|light) theme/ }).click();
    await expect.poll(theme).not.toBe(current);
  }
}

async function setEditor(selector: string, text: string) {
  const content = page.locator(`${selector} .cm-content`);
  await content.click();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}

test('the sign-in page, then signing in', async () => {
  // The node serves /console; a vite preview (while developing) only /console/.
  await page.goto(process.env.LUMADB_CONSOLE_BASE ? '/console/' : '/console');
  await expect(page.getByRole('heading', { name: 'Sign in to LumaDB' })).toBeVisible();
  expect(await theme()).toBe('light'); // follows the system setting (prefers-color-scheme: light)
  // The node's Content-Security-Policy allows styles only from itself or with this page's nonce.
  const csp = (await page.request.get(process.env.LUMADB_CONSOLE_BASE ? '/console/' : '/console')).headers()['content-security-policy'];
  if (!process.env.LUMADB_CONSOLE_BASE) expect(csp).toMatch(/script-src 'self';/);
  await checkView('sign-in');
  await page.getByLabel('User').fill(user);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('invalid-grant');
  await page.getByLabel('Password').fill(password);
  await page.keyboard.press('Enter');
  await expect(page.locator('#signed-in-user')).toHaveText(user);
});

test('creates a database, a collection and documents', async () => {
  await nav('Data').click();
  await page.getByLabel('New database').fill(db);
  await page.getByRole('button', { name: 'Create database' }).click();
  await page.getByRole('link', { name: db, exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/console/data/${db}$`));
  await page.getByLabel('New collection').fill(collection);
  await page.getByLabel('Shards').fill('2');
  await page.getByRole('button', { name: 'Create collection' }).click();
  await page.getByRole('link', { name: collection, exact: true }).click();
  await expect(page.getByRole('heading', { name: `Documents of ${db}/${collection}` })).toBeVisible();

  const docs: [string, string][] = [
    ['o1', '{"total": 120, "status": "new", "customer": {"name": "Ada"}}'],
    ['o2', '{"total": 80, "status": "paid"}'],
    ['o3', '{"total": 300, "status": "new"}'],
  ];
  for (const [id, json] of docs) {
    await page.getByRole('button', { name: 'New document' }).click();
    await page.locator('#document-id').fill(id);
    if (id === 'o1') {
      // Invalid JSON is shown and cannot be saved.
      await setEditor('#document-editor', '{"total": }');
      await expect(page.locator('#document-validation')).toContainText('Not valid JSON');
      await expect(page.getByRole('button', { name: 'Create document' })).toBeDisabled();
    }
    await setEditor('#document-editor', json);
    await expect(page.locator('#document-validation')).toContainText('Valid JSON');
    await page.getByRole('button', { name: 'Create document' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Saved: version' })).toBeVisible();
    await page.getByRole('button', { name: 'Close editor' }).click();
  }
  for (const [id] of docs) await expect(page.getByRole('rowheader', { name: id, exact: true })).toBeVisible();
  expect((await api('GET', `/api/v1/${db}/${collection}/o1`)).customer.name).toBe('Ada');
  await checkView('documents');
});

test('a version-conditional save shows a conflict clearly', async () => {
  await page.getByRole('button', { name: 'Edit document o2' }).click();
  await expect(page.getByText('Loaded version')).toBeVisible();
  // Another client changes o2 while it is open in the editor.
  await api('PATCH', `/api/v1/${db}/${collection}/o2`, { status: 'refunded' }, { 'Content-Type': 'application/merge-patch+json' });
  await setEditor('#document-editor', '{"total": 85, "status": "paid"}');
  await page.getByRole('button', { name: 'Save document' }).click();
  const conflict = page.getByRole('alert').filter({ hasText: 'Conflict' });
  await expect(conflict).toContainText('it is now at version');
  expect((await api('GET', `/api/v1/${db}/${collection}/o2`)).status).toBe('refunded');
  await page.screenshot({ path: join(shots, 'conflict.png') });
  await page.getByRole('button', { name: 'Reload the current version' }).click();
  await expect(conflict).toBeHidden();
  await expect(page.locator('#document-editor .cm-content')).toContainText('refunded');
  await page.getByRole('button', { name: 'Close editor' }).click();
});

test('runs a JQL query with completion, shows its explain, and runs SQL', async () => {
  await nav('Query').click();
  await page.locator('#query-db').selectOption(db);
  await page.locator('#query-collection').selectOption(collection);
  // Completion offers the collection's fields (sampled) and JQL's operators.
  await setEditor('#query-editor', '{"filter": {"tot');
  await page.keyboard.press('Control+Space');
  await expect(page.getByRole('option', { name: /"total"/ })).toBeVisible();
  await page.keyboard.press('Escape');
  await setEditor('#query-editor', '{"filter": {"total": {"$g');
  await page.keyboard.press('Control+Space');
  await expect(page.getByRole('option', { name: /"\$gte"/ })).toBeVisible();
  await page.keyboard.press('Escape');

  await setEditor('#query-editor', '{"filter": {"total": {"$gte": 100}}, "sort": ["-total"]}');
  await page.getByRole('button', { name: 'Run query' }).click();
  const results = page.getByRole('region', { name: 'Results table' });
  await expect(results.getByRole('row')).toHaveCount(3); // header + o3 + o1
  await expect(results.getByRole('row').nth(1)).toContainText('o3');
  await expect(results.getByRole('row').nth(2)).toContainText('o1');

  await page.getByRole('button', { name: 'Explain' }).click();
  await expect(page.locator('.shard-plan')).toHaveCount(2);
  await expect(page.getByRole('listitem', { name: 'Shard 0' })).toContainText('documents examined');
  await expect(page.getByRole('heading', { name: 'Plan' })).toBeVisible();
  await page.getByRole('radio', { name: 'JSON' }).check();
  await expect(page.getByLabel('Results as JSON')).toContainText('"shardsTouched": 2');
  await page.getByRole('radio', { name: 'Table' }).check();
  await checkView('query');

  await page.getByRole('radio', { name: 'SQL' }).check();
  await expect(page.locator('#query-editor .cm-content')).toContainText('SELECT');
  await setEditor('#query-editor', `SELECT _id, total FROM ${collection} WHERE total >= 100 ORDER BY _id`);
  await page.getByRole('button', { name: 'Run query' }).click();
  await expect(page.getByRole('status').filter({ hasText: '2 rows' })).toBeVisible();
  await expect(results.getByRole('row').nth(1)).toContainText('o1');
  // History: the SQL statement, then the JQL query (run and explained: one entry), newest first.
  const history = page.locator('.history li');
  await expect(history).toHaveCount(2);
  await expect(history.nth(0)).toContainText('SELECT _id, total');
  await expect(history.nth(1)).toContainText('"$gte": 100');
  const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('lumadb.console.queryHistory') ?? '[]').length);
  expect(stored).toBe(2);
});

test('a live query shows the row another client writes, and a change stream its token', async () => {
  await nav('Live').click();
  await page.locator('#live-db').selectOption(db);
  await page.locator('#live-collection').selectOption(collection);
  await setEditor('#live-filter', '{"total": {"$gte": 100}}');
  await page.getByRole('button', { name: 'Start live query' }).click();
  await expect(page.locator('#live-state')).toHaveText('open');
  const rows = page.locator('#live-rows tbody tr');
  await expect(rows).toHaveCount(2); // o1 and o3
  await expect(page.locator('#live-token')).not.toHaveText('—');

  await page.getByRole('button', { name: 'Start tail' }).click();
  await expect(page.locator('#tail-token')).not.toHaveText('—');

  await api('PUT', `/api/v1/${db}/${collection}/o9`, { total: 999, status: 'new' });
  const o9 = page.locator('#live-rows tbody tr', { hasText: 'o9' });
  await expect(o9).toBeVisible();
  await expect(o9).toHaveAttribute('data-state', 'added');
  await expect(page.locator('#tail-changes tbody tr', { hasText: 'o9' })).toContainText('create');
  const token = await page.locator('#tail-token').textContent();
  expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
  await page.screenshot({ path: join(shots, 'live-added.png') });

  // A change that leaves the filter removes the row.
  await api('PATCH', `/api/v1/${db}/${collection}/o1`, { total: 10 }, { 'Content-Type': 'application/merge-patch+json' });
  await expect(page.locator('#live-rows tbody tr', { hasText: 'o1' })).toHaveCount(0);
  await expect(page.locator('#tail-changes tbody tr').first()).toContainText('update');
  await checkView('live');
  await page.getByRole('button', { name: 'Stop live query' }).click();
  await page.getByRole('button', { name: 'Stop tail' }).click();
});

test('indexes, cluster, metrics and security views', async () => {
  await nav('Indexes').click();
  await page.locator('#indexes-db').selectOption(db);
  await page.locator('#indexes-collection').selectOption(collection);
  await page.getByLabel('Index name').fill('by_total');
  await page.getByLabel(/^Fields/).fill('-total');
  await page.getByRole('button', { name: 'Create index' }).click();
  await expect(page.getByRole('row', { name: /by_total/ })).toContainText('ready', { timeout: 20_000 });
  await checkView('indexes');

  await nav('Cluster').click();
  await expect(page.getByRole('list', { name: /^Shards on/ }).first()).toContainText(`${db}/${collection}`);
  await checkView('cluster');

  await nav('Metrics').click();
  await expect(page.getByRole('img', { name: /HTTP requests per second, latest \d/ })).toBeVisible({ timeout: 10_000 });
  await checkView('metrics');

  await nav('Security').click();
  await expect(page.getByRole('table', { name: 'Users' }).getByRole('rowheader', { name: user, exact: true })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Roles' }).getByRole('rowheader', { name: 'readWrite', exact: true })).toBeVisible();
  if (apiKey) await expect(page.getByRole('table', { name: 'API keys' }).getByRole('row')).not.toHaveCount(1);
  await checkView('security');
});

test('the keyboard moves out of an editor and runs the query', async () => {
  await nav('Query').focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Query', exact: true })).toBeVisible();
  await page.locator('#query-editor .cm-content').focus();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Run query' })).toBeFocused();
  await page.keyboard.press('Enter');
  // The default query ({"filter": {}}): o1, o2, o3 and the live test's o9.
  await expect(page.getByRole('status').filter({ hasText: '4 documents' })).toBeVisible();
});

test('switches theme and keeps the choice', async () => {
  const before = await theme();
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const bgBefore = await background();
  await page.getByRole('button', { name: /Switch to (dark|light) theme/ }).focus();
  await page.keyboard.press('Enter'); // the keyboard reaches it
  await expect.poll(theme).not.toBe(before);
  expect(await background()).not.toBe(bgBefore);
  const after = await theme();
  await page.reload();
  await expect.poll(theme).toBe(after);
});

test('drops a collection and a database after confirmation, then signs out', async () => {
  await page.goto(`/console/data/${db}`);
  await page.getByRole('button', { name: `Drop collection ${collection}` }).click();
  const dialog = page.getByRole('dialog', { name: `Drop collection ${collection}?` });
  await expect(dialog).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('link', { name: collection, exact: true })).toBeVisible();
  await page.getByRole('button', { name: `Drop collection ${collection}` }).click();
  await dialog.getByRole('button', { name: 'Drop collection' }).click();
  await expect(page.getByRole('link', { name: collection, exact: true })).toHaveCount(0);

  await page.getByRole('link', { name: 'Databases' }).click();
  await page.getByRole('button', { name: `Drop database ${db}` }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Drop database' }).click();
  await expect(page.getByRole('link', { name: db, exact: true })).toHaveCount(0);
  const list = await api('GET', '/api/v1');
  expect(list.databases.map((d: { name: string }) => d.name)).not.toContain(db);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in to LumaDB' })).toBeVisible();
  expect(problems, 'CSP violations or page errors').toEqual([]);
});
