// The MFA check in Chromium (issue 12): a sign-in through Salesforce's login host with a password
// only gives the informational finding (popup text with Salesforce's steps) and one event; one
// with a one-time-code step gives nothing. State is read from the worker (the tab's record, the
// verdict, the event log).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { poll, useBrowser } from './harness.mjs';

const LOGIN = 'https://login.salesforce.com/';
const APP = /acme\.lightning\.force\.com\/lightning\/o\/Account\/home/;

describe('MFA check', () => {
  let b;
  useBrowser((env) => ({ b } = env));

  const record = async (tabId) => (await b.storage('session'))[`tab:${tabId}`] ?? null;
  const verdict = (tabId) => b.message({ type: 'verdict', tabId });
  const mfaEvents = async () => ((await b.storage('local')).eventLog?.events ?? []).filter((e) => e.kind === 'signInWithoutMfa');

  async function logIn(user) {
    const { page, tabId } = await b.openTab(LOGIN);
    await page.fill('#username', user);
    await page.fill('#password', 'correct horse battery staple');
    await page.click('button[type="submit"]');
    return { page, tabId };
  }

  test('a password-only sign-in gives the finding, the popup text and one event', async () => {
    const { page, tabId } = await logIn('alice');
    await page.waitForURL(APP);
    const v = await poll(async () => {
      const v = await verdict(tabId);
      return v?.findings?.some((f) => f.kind === 'passwordOnlySignIn') && v;
    }, 'the password-only finding');
    assert.equal(v.level, 'secure', 'informational: the tab is not worse for it');
    assert.deepEqual(v.findings.find((f) => f.kind === 'passwordOnlySignIn').detail, 'Salesforce');
    const events = await mfaEvents();
    assert.equal(events.length, 1);
    assert.equal(events[0].detail, 'sign-in salesforce.login without a second factor seen');
    assert.ok(!JSON.stringify(events).includes('correct horse'), 'no password in an event');
    const popup = await b.popup(tabId);
    await popup.waitForSelector('[data-kind="passwordOnlySignIn"]');
    const text = await popup.textContent('[data-kind="passwordOnlySignIn"]');
    assert.match(text, /This sign-in to Salesforce used only a password/);
    assert.match(text, /Turn on two-factor authentication.*Identity Verification/);
    await popup.close();
    await page.close();
  });

  test('a sign-in with a one-time-code step gives nothing', async () => {
    const before = (await mfaEvents()).length;
    const { page, tabId } = await logIn('otp');
    await page.waitForSelector('#code');
    await poll(async () => (await record(tabId))?.signin?.factor === 'codeField', 'the code field seen');
    await page.fill('#code', '123456');
    await page.click('button[type="submit"]');
    await page.waitForURL(APP);
    // The landing page is handled: the sign-in is over (no state left), the record is the app's.
    await poll(async () => {
      const r = await record(tabId);
      return r && APP.test(r.url) && !r.signin;
    }, 'the landing handled');
    const v = await verdict(tabId);
    assert.ok(!v.findings.some((f) => f.kind === 'passwordOnlySignIn'), JSON.stringify(v.findings));
    assert.equal((await mfaEvents()).length, before);
    await page.close();
  });
});
