// Issue 10, item 4 — bounded evidence: a CRM page that requests 200 images from 200 page-chosen
// `http:` hosts, reloaded again and again (each load with new hosts), used to put 200 events per
// load in the security log and the report queue: five loads evicted a 1,000-event log. Now the
// tab shows one aggregated finding (the first hosts and a count), and the log gives the page's
// host a window of events, then one "capped" event, then nothing — what was there before stays.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { poll, setOptions, useBrowser } from './harness.mjs';

const SF = 'https://acme.my.salesforce.com';
const HOST = 'acme.my.salesforce.com';
const LOADS = 6;
const HOSTS = 200;

describe('hostile CRM pages: bounded evidence', () => {
  let b;
  useBrowser((env) => ({ b } = env));

  test('item 4: six loads of a page with 200 http: image hosts each leave one aggregated finding, 20 events and one "capped" event; the log keeps its older events', async () => {
    // The smallest log policy allows, and an event IT cares about logged before the attack.
    await setOptions(b, { eventLogSize: 100 });
    const sentinel = await b.evalSw(() => self.crmGuardEvents.log({ kind: 'lockLogout', crmId: 'hubspot', host: 'app.hubspot.com' }));
    assert.ok(sentinel?.id, 'the sentinel event was logged');

    const { page, tabId } = await b.openTab('about:blank');
    for (let load = 0; load < LOADS; load++) {
      await page.goto(`${SF}/flood?n=${HOSTS}&load=${load}`);
      // The content script's report of this document reached the tab's record: its own hosts,
      // aggregated (the first three listed, the rest counted).
      await poll(async () => {
        const rec = (await b.storage('session'))[`tab:${tabId}`];
        const f = rec?.findings?.find((x) => x.kind === 'mixedContentPassive');
        return f?.detail?.startsWith(`h0.l${load}.`) && f.more === HOSTS - 3 && f;
      }, `load ${load}: one aggregated finding`);
    }

    const rec = (await b.storage('session'))[`tab:${tabId}`];
    const mixed = rec.findings.filter((f) => f.kind === 'mixedContentPassive');
    assert.equal(mixed.length, 1, JSON.stringify(rec.findings));
    assert.equal(mixed[0].detail, `h0.l${LOADS - 1}.flood.test, h1.l${LOADS - 1}.flood.test, h2.l${LOADS - 1}.flood.test`);

    // The log: the last load's events are in once the host's window closed (the cap event).
    const events = await poll(async () => {
      const all = (await b.storage('local')).eventLog?.events ?? [];
      return all.some((e) => e.kind === 'evidenceCapped' && e.detail === 'host cap') && all;
    }, 'the host cap event');
    const fromPage = events.filter((e) => e.host === HOST);
    assert.equal(fromPage.length, 21, `${fromPage.length} events from the page's host for ${LOADS * HOSTS} hosts it reported`);
    assert.ok(fromPage.some((e) => e.kind === 'evidenceCapped' && e.detail === 'mixedContentPassive'),
      'the first overflow on a document is itself an event');
    assert.ok(events.some((e) => e.id === sentinel.id), 'the older event is still in the log');
    assert.ok(events.length <= 1 + 21 + 1, `${events.length} events in the log`);

    // The popup tells the user about the page's images once, with the count.
    const popup = await b.popup(tabId);
    try {
      await popup.waitForSelector('body[data-ready="true"]');
      const items = await popup.evaluate(() =>
        [...document.querySelectorAll('li[data-kind="mixedContentPassive"]')].map((li) => li.textContent));
      assert.equal(items.length, 1, JSON.stringify(items));
      assert.match(items[0], /h0\.l5\.flood\.test, h1\.l5\.flood\.test, h2\.l5\.flood\.test and 197 more/);
    } finally {
      await popup.close();
    }
    await page.close();
  });
});
