// Issue 13 — the password scorer is a WASM module of its own: a worker woken for anything but a
// password field never fetches it (every fetch of the worker is recorded from its start), the engine's
// module stays small in memory, and with the scorer's module broken the badge, HTTPS and the
// sign-out still work while the meter says "strength unavailable" (never strong).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { extensionUi, extensionVariant, launch, poll, setOptions, useBrowser } from './harness.mjs';
import { startTestbed } from '../testbed/server.mjs';

const SF = 'https://acme.my.salesforce.com';
const STRONG = 'vq7 Tundra-mosaic glacier ferment 83 Quokka!';
const MIB = 1024 * 1024;
const probe = (b) => b.evalSw(async () => ({
  state: self.crmGuardPassword.scorerState(),
  fetched: self.crmGuardPassword.scorerFetched(),
  memory: await self.crmGuardPassword.memory(),
}));
const waitMeter = (page, predicate, what) => poll(async () => (await extensionUi(page)).find(predicate), what);

describe('the scorer module, loaded only for password fields', () => {
  let b;
  useBrowser((env) => ({ b } = env));

  test('a worker woken without a password field never fetches the scorer; a password field loads it', async () => {
    await b.sw(); // the installed worker, known to the harness, then stopped
    await b.killServiceWorker();
    const { page: home, tabId } = await b.openTab(`${SF}/lightning/page/home`);
    await b.waitForBadge(tabId, (x) => x.text === 'OK');
    await b.evalSw(() => self.crmGuardEvents.flush()); // an alarm's work too
    const cold = await probe(b);
    assert.equal(cold.state, 'absent');
    assert.equal(cold.fetched, false, 'the scorer module was not fetched');
    assert.equal(cold.memory.scorer, null);
    assert.ok(cold.memory.engine <= 3 * MIB, `engine WASM memory ${cold.memory.engine} bytes`);
    console.log(`# worker woken without a password field: engine WASM memory ${(cold.memory.engine / MIB).toFixed(2)} MiB, scorer not fetched`);

    const { page } = await b.openTab(`${SF}/signup`);
    await poll(async () => (await probe(b)).state === 'ready', 'the scorer loaded for the password field');
    const warm = await probe(b);
    assert.equal(warm.fetched, true, 'the fetch record sees the scorer fetch (the probe above could fail)');
    console.log(`# after a password field: engine ${(warm.memory.engine / MIB).toFixed(2)} MiB, scorer ${(warm.memory.scorer / MIB).toFixed(2)} MiB`);
    await page.locator('#password').pressSequentially(STRONG, { delay: 0 });
    await waitMeter(page, (m) => m.bar?.['aria-valuetext'] === 'strong', 'strong meter');
    await Promise.all([page.close(), home.close()]);
  });
});

describe('with the scorer module broken', () => {
  let testbed, b, dir;
  before(async () => {
    testbed = await startTestbed();
    dir = await extensionVariant(() => {});
    // Not a WASM module: fetching works, compiling fails.
    await fs.writeFile(path.join(dir, 'wasm/crm_guard_score_bg.wasm'), 'not wasm');
    b = await launch({ testbed, extensionDir: dir });
  });
  after(async () => {
    await b?.close();
    await testbed?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  test('badge, HTTPS upgrade and sign-out work; the meter says unavailable and block mode blocks', async () => {
    // HTTPS: the http URL is upgraded, the badge computed.
    const { page: home, tabId } = await b.openTab(`http://acme.my.salesforce.com/lightning/page/home`);
    assert.match(home.url(), /^https:\/\/acme\.my\.salesforce\.com\//);
    await b.waitForBadge(tabId, (x) => x.text === 'OK');

    await setOptions(b, { passwordMode: 'block' });
    const { page } = await b.openTab(`${SF}/signup`);
    await page.locator('#password').pressSequentially(STRONG, { delay: 0 });
    await page.locator('#confirm').fill(STRONG);
    const m = await waitMeter(page, (x) => x.bar?.['aria-valuetext'] === 'strength unavailable', 'unavailable meter');
    assert.equal(m.bar['aria-valuenow'], '0');
    const broken = await probe(b);
    assert.notEqual(broken.state, 'ready', 'the module never instantiated');
    assert.equal(broken.fetched, true, 'it was fetched (and failed to compile)');
    await page.locator('button[type=submit]').click();
    await waitMeter(page, (x) => /blocked this form/.test(x.text ?? ''), 'blocked: the strength could not be checked');
    assert.equal(testbed.count({ method: 'POST', pathPrefix: '/signup' }), 0, 'no POST');

    // The sign-out (the idle logout's path) still runs.
    await b.message({ type: 'signOutAll' });
    await poll(() => home.url().includes('signed-out.html'), 'the CRM tab signed out');
  });
});
