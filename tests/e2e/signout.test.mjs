// "Sign out of all CRMs now" (issue 15), from the popup, with the keyboard only: two CRM tabs
// (Salesforce, signed in on the testbed; HubSpot with a session cookie) are signed out through the
// idle logout's path — logout URL, CRM cookies, site data, each tab on the signed-out page — one
// `userLogout` event, and the non-CRM site's cookie is left alone. Also: findings most serious
// first with their next step, and the popup still whole at 200% zoom.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { poll, useBrowser } from './harness.mjs';

const SF = 'https://acme.my.salesforce.com';
const HUBSPOT = 'https://app.hubspot.com';
const EXT_ID = 'kojhflkoadfcddkikeefjjgeecmhlajk';

describe('sign out of all CRMs now', () => {
  let testbed, b;
  useBrowser((env) => ({ testbed, b } = env));

  const events = async (kind) => ((await b.storage('local')).eventLog?.events ?? []).filter((e) => e.kind === kind);
  const focused = (page) => page.evaluate(() => document.activeElement?.id ?? null);

  test('two CRM tabs signed out from the popup, by keyboard, after a confirmation; one event; other sites kept', async () => {
    const { page: sf, tabId } = await b.openTab(`${SF}/`);
    await sf.evaluate(() => fetch('/login', { method: 'POST', body: new URLSearchParams({ username: 'u', password: 'p' }) }));
    assert.ok((await b.context.cookies(SF)).some((c) => c.name === 'sid'), 'signed in to Salesforce');
    await b.context.addCookies([{ name: 'hubspotutk', value: 'x', domain: 'app.hubspot.com', path: '/', secure: true }]);
    const { page: hub } = await b.openTab(`${HUBSPOT}/`);
    const { page: other } = await b.openTab('https://example.test/');
    assert.ok((await b.context.cookies('https://example.test')).some((c) => c.name === 'keep'));
    testbed.clear();

    const popup = await b.popup(tabId);
    await popup.waitForSelector('body[data-ready="true"]');
    // Keyboard only: Tab reaches the button, Enter opens the confirmation with focus on "Sign out now".
    let tabs = 0;
    while ((await focused(popup)) !== 'sign-out-all' && tabs++ < 10) await popup.keyboard.press('Tab');
    assert.equal(await focused(popup), 'sign-out-all', 'reachable with Tab');
    assert.equal(await popup.textContent('#sign-out-all'), 'Sign out of all CRMs now');
    await popup.keyboard.press('Enter');
    assert.equal(await popup.isVisible('#sign-out-confirm'), true, 'a confirmation step');
    assert.equal(await popup.getAttribute('#sign-out-all', 'aria-expanded'), 'true');
    assert.equal(await focused(popup), 'sign-out-yes');
    // Escape backs out, nothing happens; focus returns to the button.
    await popup.keyboard.press('Escape');
    assert.equal(await popup.isVisible('#sign-out-confirm'), false);
    assert.equal(await focused(popup), 'sign-out-all');
    assert.equal(sf.url(), `${SF}/`, 'not signed out by opening and cancelling');
    await popup.keyboard.press('Enter');
    await popup.keyboard.press('Enter'); // on "Sign out now"
    await popup.waitForSelector('body[data-signed-out="true"]');
    assert.equal(await popup.textContent('#sign-out-done'), 'Signed out of all CRMs.');

    const signedOut = `chrome-extension://${EXT_ID}/signed-out.html`;
    await poll(() => sf.url().startsWith(signedOut) && hub.url().startsWith(signedOut), 'both CRM tabs on the signed-out page');
    assert.match(sf.url(), /reason=user/);
    await sf.waitForSelector('body[data-ready="true"]');
    assert.equal(await sf.textContent('#what'), 'You signed out of Salesforce.');
    await hub.waitForSelector('body[data-ready="true"]');
    assert.equal(await hub.textContent('#what'), 'You signed out of HubSpot.');
    assert.ok(testbed.requests.some((r) => r.path === '/secur/logout.jsp'), 'the CRM logout URL was called');
    assert.equal((await b.context.cookies(SF)).find((c) => c.name === 'sid'), undefined, 'Salesforce session cookie gone');
    assert.equal((await b.context.cookies(HUBSPOT)).find((c) => c.name === 'hubspotutk'), undefined, 'HubSpot cookie gone');
    assert.ok((await b.context.cookies('https://example.test')).some((c) => c.name === 'keep'), 'the non-CRM cookie is kept');
    assert.equal(other.url(), 'https://example.test/', 'the other tab untouched');
    const logged = await events('userLogout');
    assert.equal(logged.length, 1, 'one security event');
    assert.match(logged[0].detail, /crms=hubspot,salesforce; tabs=2;/);
    await popup.close();
    for (const p of [sf, hub, other]) await p.close();
  });

  test('findings most serious first, each with its next step; the popup whole at 200% zoom', async () => {
    // Mixed active content (at risk) and no HSTS (a warning) on one page.
    const { page, tabId } = await b.openTab(`${SF}/mixed-active`);
    await b.waitForBadge(tabId, (x) => x.text === '!!');
    const popup = await b.popup(tabId);
    await popup.waitForSelector('body[data-ready="true"]');
    const items = await popup.$$eval('li[data-kind]', (lis) => lis.map((li) => ({ level: li.dataset.level, next: li.querySelector('.action')?.textContent })));
    assert.ok(items.length >= 1, JSON.stringify(items));
    const rank = { atRisk: 0, warning: 1, secure: 2 };
    assert.ok(items.every((x, i) => i === 0 || rank[items[i - 1].level] <= rank[x.level]), `ordered by severity: ${JSON.stringify(items)}`);
    assert.ok(items.every((x) => /^Next step: \S/.test(x.next)), JSON.stringify(items));
    // 200% zoom: the popup at its largest (800 px wide) with the page zoomed twice over.
    await popup.setViewportSize({ width: 800, height: 600 });
    await popup.evaluate(() => { document.documentElement.style.zoom = '2'; });
    const fit = await popup.evaluate(() => {
      const r = document.getElementById('sign-out-all').getBoundingClientRect();
      return { overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth, right: r.right, width: innerWidth };
    });
    assert.ok(fit.overflow <= 0, `no horizontal scrolling at 200% (${fit.overflow} px)`);
    assert.ok(fit.right <= fit.width, `the sign-out button is on screen at 200% (${JSON.stringify(fit)})`);
    await popup.close();
    await page.close();
  });
});
