// Issue 13 — breached passwords: the k-anonymity range check against the testbed's range service
// (tests/testbed/breach.mjs: generated from a list, over HTTPS, every request recorded), in Debian's
// Chromium. Only the 5-hex-digit SHA-1 prefix of a committed value leaves the browser; a breached
// password is "very weak" and refused in block mode; an outage says "could not check" and never blocks.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { extensionUi, poll, setOptions, useBrowser } from './harness.mjs';
import { BREACHED, sha1 } from '../testbed/breach.mjs';

const SF = 'https://acme.my.salesforce.com';
const HOST = 'breach.acme.test';
const RANGE = `https://${HOST}/range/`;
const [PW_TYPED, PW_ENTER] = ['CorrectHorseBattery!2024', 'Tr0ub4dor&3-Salesforce'];
const CLEAN = 'vq7 Tundra-mosaic glacier ferment 83 Quokka!';

const waitMeter = (page, predicate, what) => poll(async () => (await extensionUi(page)).find(predicate), what);
const onField = (m) => m.prevId === 'password';

/**
 * Every request the range service received carried a 5-hex-digit prefix of one of `passwords`, and
 * nothing else of any of them: not the password (raw or URL-encoded), not its full SHA-1, not the
 * 35-digit suffix, not a sixth digit — in the path, the headers or the body.
 */
function assertOnlyPrefixes(reqs, passwords) {
  const prefixes = passwords.map((p) => sha1(p).slice(0, 5));
  for (const r of reqs) {
    const m = /^\/(?:hang\/|reset\/)?range\/([0-9A-F]{5})$/.exec(r.path);
    assert.ok(m && prefixes.includes(m[1]), `path ${r.path}`);
    assert.ok(!r.body, `a body was sent: ${r.body}`);
    const sent = `${r.path}\n${JSON.stringify(r.headers)}\n${r.body ?? ''}`.toUpperCase();
    for (const p of passwords) {
      const h = sha1(p);
      for (const secret of [p, encodeURIComponent(p), h, h.slice(5), h.slice(0, 6)]) {
        assert.ok(!sent.includes(secret.toUpperCase()), `${JSON.stringify(secret)} left the browser: ${sent}`);
      }
    }
  }
}

describe('breached passwords (k-anonymity ranges)', () => {
  let testbed, b;
  useBrowser((env) => ({ testbed, b } = env));
  const rangeGets = () => testbed.find({ host: HOST, method: 'GET' });

  test('typed char by char nothing is sent; once committed only the prefix leaves; breached → very weak and blocked', async () => {
    await setOptions(b, { breachCheckUrl: RANGE, passwordMode: 'block' });
    try {
      testbed.clear();
      const { page } = await b.openTab(`${SF}/signup`);
      await page.locator('#email').fill('jane.doe@acme.com');
      await page.locator('#password').pressSequentially(PW_TYPED);
      await waitMeter(page, (m) => onField(m) && m.bar?.['aria-valuetext'] === 'strong', 'scored strong while typing');
      // Committed (the field loses focus: `change`): one check.
      await page.locator('#password').press('Tab');
      const m = await waitMeter(page, (x) => onField(x) && /found 42 times in known breaches/.test(x.text), 'breached');
      assert.equal(m.bar['aria-valuetext'], 'very weak', 'at most very weak whatever zxcvbn says');
      assert.match(m.text, /choose another/);
      const gets = rangeGets();
      // Every keystroke was scored before the commit; none was checked: one GET, the full value's prefix.
      assert.deepEqual(gets.map((r) => r.path), [`/range/${sha1(PW_TYPED).slice(0, 5)}`]);
      assert.equal(gets[0].headers['add-padding'], 'true');
      assert.equal(gets[0].headers.cookie, undefined, 'no cookies');
      assertOnlyPrefixes(testbed.find({ host: HOST }), [PW_TYPED]);

      // Block mode refuses it.
      await page.locator('#confirm').fill(PW_TYPED);
      await page.locator('button[type=submit]').click();
      const blocked = await waitMeter(page, (x) => onField(x) && /blocked this form/.test(x.text), 'block message');
      assert.match(blocked.text, /appears in known data breaches/);
      assert.equal(testbed.count({ method: 'POST', pathPrefix: '/signup' }), 0, 'the breached password never reached the server');
      await poll(async () => ((await b.storage('local')).eventLog?.events ?? []).some((e) => e.kind === 'weakPasswordBlocked'), 'blocked event');
      assertOnlyPrefixes(testbed.find({ host: HOST }), [PW_TYPED]);
      await page.close();
    } finally {
      await setOptions(b, { breachCheckUrl: null, passwordMode: 'warn' });
    }
  });

  test('a submit with Enter before any commit is held for the check, then refused', async () => {
    await setOptions(b, { breachCheckUrl: RANGE, passwordMode: 'block' });
    try {
      testbed.clear();
      const { page } = await b.openTab(`${SF}/signup`);
      await page.locator('#password').pressSequentially(PW_ENTER);
      await waitMeter(page, (m) => onField(m) && m.bar?.['aria-valuetext'] === 'strong', 'strong while typing');
      await page.locator('#password').press('Enter');
      const m = await waitMeter(page, (x) => onField(x) && /blocked this form/.test(x.text), 'blocked after the check');
      assert.match(m.text, new RegExp(`found ${BREACHED[PW_ENTER]} times`));
      assert.equal(testbed.count({ method: 'POST', pathPrefix: '/signup' }), 0);
      assert.deepEqual(rangeGets().map((r) => r.path), [`/range/${sha1(PW_ENTER).slice(0, 5)}`]);
      assertOnlyPrefixes(testbed.find({ host: HOST }), [PW_ENTER]);
      await page.close();
    } finally {
      await setOptions(b, { breachCheckUrl: null, passwordMode: 'warn' });
    }
  });

  test('a password not in the range keeps its score and the form submits', async () => {
    await setOptions(b, { breachCheckUrl: RANGE, passwordMode: 'block' });
    try {
      testbed.clear();
      const { page } = await b.openTab(`${SF}/signup`);
      await page.locator('#password').pressSequentially(CLEAN, { delay: 0 });
      await page.locator('#password').press('Tab');
      const m = await waitMeter(page, (x) => onField(x) && /Not found in known breaches/.test(x.text), 'clean');
      assert.equal(m.bar['aria-valuetext'], 'strong');
      await page.locator('#confirm').fill(CLEAN);
      await Promise.all([page.waitForNavigation(), page.locator('button[type=submit]').click()]);
      const posts = testbed.find({ method: 'POST', pathPrefix: '/signup' });
      assert.equal(posts.length, 1);
      assert.equal(new URLSearchParams(posts[0].body).get('password'), CLEAN);
      assertOnlyPrefixes(testbed.find({ host: HOST }), [CLEAN]);
      await page.close();
    } finally {
      await setOptions(b, { breachCheckUrl: null, passwordMode: 'warn' });
    }
  });

  for (const [down, how] of [['hang', 'never answers'], ['reset', 'resets the connection']]) {
    test(`the service ${how}: "could not check", and the outage blocks nothing`, async () => {
      await setOptions(b, { breachCheckUrl: `https://${HOST}/${down}/range/`, breachCheckTimeoutMs: 800, passwordMode: 'block' });
      try {
        testbed.clear();
        const { page } = await b.openTab(`${SF}/signup`);
        // A breached password, but the service is down: judged on strength alone.
        await page.locator('#password').pressSequentially(PW_TYPED, { delay: 0 });
        await page.locator('#password').press('Tab');
        const m = await waitMeter(page, (x) => onField(x) && /Could not check against breaches/.test(x.text), 'could not check');
        assert.equal(m.bar['aria-valuetext'], 'strong');
        await page.locator('#confirm').fill(PW_TYPED);
        await Promise.all([page.waitForNavigation(), page.locator('button[type=submit]').click()]);
        const posts = testbed.find({ method: 'POST', pathPrefix: '/signup' });
        assert.equal(posts.length, 1, 'the form submitted');
        assert.ok(testbed.find({ host: HOST, pathPrefix: `/${down}/range/` }).length >= 1, 'the check was tried');
        assertOnlyPrefixes(testbed.find({ host: HOST }), [PW_TYPED]);
        await page.close();
      } finally {
        await setOptions(b, { breachCheckUrl: null, breachCheckTimeoutMs: 3000, passwordMode: 'warn' });
      }
    });
  }

  test('an http URL is a policy error and nothing is sent anywhere', async () => {
    await b.evalSw((o) => chrome.storage.local.set({ options: o }), { breachCheckUrl: `http://${HOST}/range/`, passwordMode: 'block' });
    try {
      const s = await poll(async () => {
        const s = await b.evalSw(() => self.crmGuard.settings());
        return s.errors?.some((e) => e.key === 'breachCheckUrl') && s;
      }, 'the policy error');
      assert.equal(s.settings.breachCheckUrl, null, 'the check is off');
      testbed.clear();
      const { page } = await b.openTab(`${SF}/signup`);
      await page.locator('#password').pressSequentially(PW_TYPED, { delay: 0 });
      await page.locator('#password').press('Tab');
      await page.locator('#confirm').fill(PW_TYPED);
      await Promise.all([page.waitForNavigation(), page.locator('button[type=submit]').click()]);
      assert.equal(testbed.find({ method: 'POST', pathPrefix: '/signup' }).length, 1, 'judged on strength: submitted');
      assert.deepEqual(testbed.find({ host: HOST }), [], 'no request to the range service, on http or https');
      await page.close();
    } finally {
      await setOptions(b, { breachCheckUrl: null, passwordMode: 'warn' });
    }
  });
});
