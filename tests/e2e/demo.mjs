// Demo: the real extension (dist/extension) against the local testbed.
//
//   node tests/e2e/demo.mjs [--extension DIR] [--headless] [--out DIR]
//
// Headed when $DISPLAY is set (then it keeps running until the browser window is closed), else headless.
// Opens the demo tabs, waits for their badges, prints URL | CRM | level | findings (verdicts come from
// `chrome.runtime.sendMessage({type: 'verdict', tabId})` sent from an extension page) and saves popup
// screenshots as <out>/popup-<name>.png (default out: dist/demo), and the README's pictures:
// badges.png (each demo tab's badge as the extension set it: text, colour and tooltip read from
// chrome.action, drawn beside the icon — a headless browser has no toolbar to photograph),
// meter.png (the password meter under a new-password field) and idle-warning.png (the in-page
// warning at the start of a countdown, shown by the worker's own idleWarning message).

import fs from 'node:fs/promises';
import path from 'node:path';
import { DIST, launch } from './harness.mjs';
import { HTTP_CRM_HOST, startTestbed } from '../testbed/server.mjs';

const TABS = [
  { name: 'salesforce', url: 'https://acme.my.salesforce.com/', shot: true },
  { name: 'hubspot', url: 'https://app.hubspot.com/' },
  // Typed as http: CRM Guard upgrades it to https before a byte leaves the browser.
  { name: 'http-crm', url: `http://${HTTP_CRM_HOST}/` },
  { name: 'mixed-content', url: 'https://acme.my.salesforce.com/mixed-active', shot: true },
  { name: 'no-hsts', url: 'https://acme.my.salesforce.com/no-hsts' },
  { name: 'marketing', url: 'https://www.salesforce.com/' },
  { name: 'example', url: 'https://example.test/' },
  { name: 'lookalike', url: 'https://acme.salesforce-login.com/', shot: true },
];

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
}

function describeFinding(f) {
  if (f == null) return '';
  if (typeof f === 'string') return f;
  const kind = typeof f.kind === 'string' ? f.kind : JSON.stringify(f.kind);
  return f.detail ? `${kind}(${f.detail})` : kind;
}

function table(rows) {
  const head = ['URL', 'CRM', 'level', 'findings'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}

async function main() {
  const extensionDir = path.resolve(option('--extension', path.join(DIST, 'extension-diagnostics')));
  const outDir = path.resolve(option('--out', path.join(DIST, 'demo')));
  const headless = process.argv.includes('--headless') || !process.env.DISPLAY;

  const testbed = await startTestbed();
  let b;
  const cleanup = async () => {
    await b?.close().catch(() => {});
    await testbed.close().catch(() => {});
  };
  process.once('SIGINT', () => cleanup().then(() => process.exit(130)));

  try {
    b = await launch({ extensionDir, headless, testbed });
    console.log(`extension ${b.extensionId} (${headless ? 'headless' : 'headed'}), testbed https:${testbed.httpsPort} http:${testbed.httpPort}`);

    const opened = [];
    for (const t of TABS) {
      const tab = await b.openTab(t.url, { allowError: true });
      if (tab.error) console.log(`  ${t.url}: ${tab.error}`);
      opened.push({ ...t, ...tab });
    }
    // CRM tabs get a badge; others may have none: wait a little for each, without failing.
    for (const t of opened) {
      t.badge = await b.waitForBadge(t.tabId, (x) => x.text !== '', 3000).catch(() => null);
    }

    const rows = [];
    for (const t of opened) {
      let v;
      try {
        const reply = await b.message({ type: 'verdict', tabId: t.tabId });
        v = reply && typeof reply === 'object' && 'verdict' in reply ? reply.verdict : reply;
      } catch (err) {
        v = { error: String(err?.message ?? err) };
      }
      t.verdict = v;
      const landed = t.page?.url?.() ?? t.url;
      rows.push([
        landed === t.url ? t.url : `${t.url} → ${landed}`,
        v?.error ? `error: ${v.error}` : v ? `${v.crmName ?? v.crmId ?? '?'}${v.lookalike ? ' (lookalike)' : ''}` : '-',
        v?.level ?? (t.badge ? `badge ${t.badge.text}` : '-'),
        (v?.findings ?? []).map(describeFinding).join(', '),
      ]);
    }
    console.log('\n' + table(rows) + '\n');

    await fs.mkdir(outDir, { recursive: true });
    for (const t of opened.filter((x) => x.shot)) {
      const popup = await b.popup(t.tabId);
      await popup.waitForLoadState('load');
      await popup.waitForSelector('body[data-ready="true"]');
      const file = path.join(outDir, `popup-${t.name}.png`);
      await popup.locator('body').screenshot({ path: file });
      console.log(`saved ${path.relative(process.cwd(), file)}`);
      if (headless) await popup.close();
    }

    await pictures(b, opened, outDir);

    if (!headless) {
      console.log('\nThe browser stays open; close its window (or Ctrl-C) to stop.');
      await new Promise((resolve) => b.context.once('close', resolve));
    }
  } finally {
    await cleanup();
  }
}

/** The README's pictures (see the header). */
async function pictures(b, opened, outDir) {
  const save = async (page, name, opts = {}) => {
    const file = path.join(outDir, name);
    await page.screenshot({ path: file, ...opts });
    console.log(`saved ${path.relative(process.cwd(), file)}`);
  };
  // Badges: one row per distinct state, as chrome.action holds it for a real tab.
  const seen = new Map();
  for (const t of opened) {
    // Read again now: the first tab's badge may have come after the table's short wait.
    const badge = await b.waitForBadge(t.tabId, (x) => x.text !== '', 5000).catch(() => null);
    if (!badge || seen.has(badge.text)) continue;
    seen.set(badge.text, { text: badge.text, title: badge.title, color: `rgb(${badge.color.slice(0, 3).join(',')})`, url: t.url });
  }
  const strip = await b.extensionPage('popup.html?tabId=-1');
  await strip.waitForSelector('body[data-ready="true"]');
  await strip.setViewportSize({ width: 620, height: 60 + 46 * seen.size });
  await strip.evaluate((rows) => {
    document.body.replaceChildren();
    document.body.style.cssText = 'width:auto;padding:12px;font:14px system-ui,sans-serif';
    for (const r of rows) {
      const row = document.createElement('div');
      row.style.cssText = 'display:flex;align-items:center;gap:12px;margin:6px 0';
      const icon = document.createElement('span');
      icon.style.cssText = 'position:relative;width:32px;height:32px;flex:none';
      const img = Object.assign(document.createElement('img'), { src: 'icons/icon-32.png', width: 32, height: 32, alt: '' });
      const badge = document.createElement('span');
      badge.textContent = r.text;
      badge.style.cssText = `position:absolute;right:-10px;bottom:-4px;background:${r.color};color:#fff;font:700 10px system-ui;padding:1px 4px;border-radius:6px`;
      icon.append(img, badge);
      const label = document.createElement('span');
      label.textContent = `${r.title}   (${r.url})`;
      row.append(icon, label);
      document.body.append(row);
    }
  }, [...seen.values()]);
  await save(strip, 'badges.png', { fullPage: true });
  await strip.close();

  // The password meter under a new-password field.
  const signup = await b.openTab('https://acme.my.salesforce.com/signup');
  await signup.page.setViewportSize({ width: 520, height: 400 });
  await signup.page.click('#password');
  await signup.page.keyboard.type('Summer2024!');
  await signup.page.waitForFunction(() => document.querySelector('#password')?.nextElementSibling?.dataset.crmGuard === 'meter');
  await signup.page.waitForTimeout(400);
  const box = await signup.page.evaluate(() => {
    const r = document.querySelector('#password').nextElementSibling.getBoundingClientRect();
    return { bottom: r.bottom };
  });
  await save(signup.page, 'meter.png', { clip: { x: 0, y: 0, width: 520, height: Math.min(400, Math.ceil(box.bottom) + 12) } });
  await signup.page.close();

  // The idle warning, as every CRM tab shows it when the countdown starts.
  const sf = opened.find((t) => t.name === 'salesforce');
  await sf.page.bringToFront();
  await sf.page.setViewportSize({ width: 720, height: 420 });
  await b.evalSw((id) => chrome.tabs.sendMessage(id, { type: 'idleWarning', deadlineMs: Date.now() + 58_500, crmName: 'Salesforce' }), sf.tabId);
  await sf.page.waitForTimeout(600);
  await save(sf.page, 'idle-warning.png');
  await b.evalSw((id) => chrome.tabs.sendMessage(id, { type: 'idleCancel' }), sf.tabId);
}

main().catch((err) => {
  console.error(err?.stack ?? err);
  process.exitCode = 1;
});
