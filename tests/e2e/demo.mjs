// Demo: the real extension (dist/extension) against the local testbed.
//
//   node tests/e2e/demo.mjs [--extension DIR] [--headless] [--out DIR]
//
// Headed when $DISPLAY is set (then it keeps running until the browser window is closed), else headless.
// Opens the demo tabs, waits for their badges, prints URL | CRM | level | findings (verdicts come from
// `chrome.runtime.sendMessage({type: 'verdict', tabId})` sent from an extension page) and saves popup
// screenshots as <out>/popup-<name>.png (default out: dist/demo).

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
      await popup.waitForTimeout(500);
      const file = path.join(outDir, `popup-${t.name}.png`);
      await popup.screenshot({ path: file, fullPage: true });
      console.log(`saved ${path.relative(process.cwd(), file)}`);
      if (headless) await popup.close();
    }

    if (!headless) {
      console.log('\nThe browser stays open; close its window (or Ctrl-C) to stop.');
      await new Promise((resolve) => b.context.once('close', resolve));
    }
  } finally {
    await cleanup();
  }
}

main().catch((err) => {
  console.error(err?.stack ?? err);
  process.exitCode = 1;
});
