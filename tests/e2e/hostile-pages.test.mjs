// Issue 10 — hostile pages: a script on a CRM page attacks CRM Guard through what our content
// scripts see (synthetic events, scripted submits, its own URL). Each test performs the attack in
// Chromium and names the defence it proves.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { extensionUi, poll, setOptions, useBrowser } from './harness.mjs';

const SF = 'https://acme.my.salesforce.com';
const WEAK = 'password123';
const STRONG = 'vq7 Tundra-mosaic glacier ferment 83 Quokka!';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Counts, in the worker, the messages our content scripts send (by type) and the PBKDF2
 * derivations WebCrypto runs. A second onMessage listener that never replies, and a wrapper of
 * crypto.subtle.deriveBits (the binding looks it up at each call). Reset on every call.
 */
async function countInWorker(b) {
  await b.evalSw(() => {
    if (!self.__hostile) {
      self.__hostile = { messages: {}, derivations: 0 };
      chrome.runtime.onMessage.addListener((m) => {
        if (m && typeof m.type === 'string') self.__hostile.messages[m.type] = (self.__hostile.messages[m.type] ?? 0) + 1;
        return false;
      });
      const derive = crypto.subtle.deriveBits.bind(crypto.subtle);
      crypto.subtle.deriveBits = (...args) => {
        self.__hostile.derivations += 1;
        return derive(...args);
      };
    }
    self.__hostile.messages = {};
    self.__hostile.derivations = 0;
  });
  return {
    read: () => b.evalSw(() => ({ messages: { ...self.__hostile.messages }, derivations: self.__hostile.derivations })),
  };
}

/** The text of the meter right after the field `#id` (a closed shadow root: read through CDP). */
async function meterText(page, id) {
  return (await extensionUi(page)).find((m) => m.prevId === id)?.text ?? null;
}

describe('hostile CRM pages', () => {
  let testbed, b;
  useBrowser((env) => ({ testbed, b } = env));

  test('item 3: synthetic input events from page script send no score requests (a flood cannot hold the worker from the idle logout); the user\'s keys still do, one in flight per field', async () => {
    const counter = await countInWorker(b);
    const { page } = await b.openTab(`${SF}/signup`);
    await poll(async () => (await counter.read()).messages.pwPage >= 1, 'fields classified');
    const t0 = Date.now();
    await page.evaluate(() => {
      const f = document.getElementById('password');
      for (let i = 0; i < 5000; i++) {
        f.value = `pw-${i}`;
        f.dispatchEvent(new Event('input', { bubbles: true }));
        f.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertText', data: 'x' }));
      }
    });
    // One real key after the flood: the content script's messages arrive in order, so when its
    // request is counted, any request the flood had sent is counted too.
    await page.locator('#password').press('End');
    await page.keyboard.type('z');
    const flooded = await poll(async () => (await counter.read()).messages.pwScore >= 1 && counter.read(), 'the real key\'s request');
    assert.equal(flooded.messages.pwScore, 1, `10,000 synthetic input events sent ${flooded.messages.pwScore - 1} score requests`);
    assert.ok(Date.now() - t0 < 10_000);

    // The user's own keys are scored, and the meter ends on the latest value however fast they come.
    await page.locator('#password').fill('');
    await page.locator('#password').pressSequentially(STRONG, { delay: 0 });
    await poll(async () => /strength: strong/.test(await meterText(page, 'password') ?? ''), 'strong meter after typing');
    const typed = (await counter.read()).messages.pwScore ?? 0;
    assert.ok(typed >= 2 && typed <= STRONG.length + 3, `${typed} score requests for ${STRONG.length} keys (and the earlier key and the clearing)`);
    await page.close();
  });

  test('item 2: 20 scripted requestSubmit() calls of a login form run at most 3 PBKDF2 derivations in the worker', async () => {
    const counter = await countInWorker(b);
    const { page } = await b.openTab(`${SF}/login`);
    await poll(async () => (await counter.read()).messages.pwPage >= 1, 'login field classified');
    // A value the user typed (one set by page script is never reported: hostile-forms.test.mjs).
    await page.locator('#password').pressSequentially('typed-by-the-user', { delay: 0 });
    await page.evaluate(() => {
      const form = document.getElementById('login');
      form.addEventListener('submit', (e) => e.preventDefault()); // stay on the page
      for (let i = 0; i < 20; i++) form.requestSubmit();
    });
    await poll(async () => (await counter.read()).messages.pwLogin === 20, 'the 20 login messages reached the worker');
    await sleep(4000); // 600,000 iterations each: let any derivation the worker started finish
    const { derivations } = await counter.read();
    assert.ok(derivations >= 1 && derivations <= 3, `${derivations} PBKDF2 derivations for 20 scripted submits`);
    await page.close();
  });

  test('item 6: a Salesforce tab at a URL with a 40 KB fragment keeps its badge, meter and block mode (fail closed)', async () => {
    const pad = 'x'.repeat(40 * 1024);
    const { page, tabId } = await b.openTab(`${SF}/signup`);
    const badge = await b.waitForBadge(tabId, (x) => x.text !== '');
    // Same document, fragment made long by page script, then a path too long to read whole: the
    // tab's events are handled in order, so once the record holds the second URL (cut to what is
    // kept of a URL) the first was judged too.
    await page.evaluate((h) => { location.hash = h; }, pad);
    await page.evaluate((p) => history.pushState(null, '', `/signup/${p}`), pad);
    const kept = await poll(async () => (await b.storage('session'))[`tab:${tabId}`]?.url?.startsWith(`${SF}/signup/xx`)
      && (await b.storage('session'))[`tab:${tabId}`].url, 'the tab\'s record at the long path');
    assert.equal(kept.length, 32 * 1024 + 1, 'what is kept of a URL is bounded (read by scheme and host)');
    assert.deepEqual(await b.badge(tabId), badge, 'the badge stays after a 40 KB fragment and a 40 KB path');
    assert.equal((await b.evalSw((id) => self.crmGuard.verdict(id), tabId))?.crmId, 'salesforce');

    // A new document at the long URL: badge, meter and block mode all there.
    await setOptions(b, { passwordMode: 'block' });
    try {
      testbed.clear();
      await page.goto(`${SF}/signup?new=1#${pad}`);
      assert.ok(page.url().length > 40 * 1024);
      // Kept without its 40 KB fragment (it cannot change which CRM the page is).
      await poll(async () => (await b.storage('session'))[`tab:${tabId}`]?.url === `${SF}/signup?new=1`, 'the new document\'s record');
      // The record is written before the badge is painted (three calls, text last), and Chromium
      // clears a tab's badge text when a new document commits: wait for the whole badge.
      await b.waitForBadge(tabId, (x) => isDeepStrictEqual(x, badge));
      await page.locator('#password').pressSequentially(WEAK);
      await page.locator('#confirm').fill(WEAK);
      await poll(async () => /strength: (very )?weak/.test(await meterText(page, 'password') ?? ''), 'weak meter at the long URL');
      await page.locator('button[type=submit]').click();
      // The block is the submit handler's own preventDefault: once its message shows, no POST follows.
      await poll(async () => /blocked this form/.test(await meterText(page, 'password') ?? ''), 'block message at the long URL');
      assert.equal(testbed.count({ method: 'POST', pathPrefix: '/signup' }), 0, 'the weak password was not posted');
    } finally {
      await setOptions(b, { passwordMode: 'warn' });
    }
    await page.close();
  });
});
