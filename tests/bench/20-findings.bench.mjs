// Issue 4: the findings pipeline per navigation (classification, URL findings, main-document header
// checks; core in WASM, called in the service worker as on a navigation) and the lookalike check per
// host, measured inside Chromium's service worker. No extension code runs on the request path itself:
// declarativeNetRequest does the upgrade.
import { launch } from '../e2e/harness.mjs';
import { startTestbed } from '../testbed/server.mjs';
import { median, percentile, table } from './stats.mjs';

const HEADERS = [
  { name: 'Content-Type', value: 'text/html; charset=utf-8' },
  { name: 'Strict-Transport-Security', value: 'max-age=31536000; includeSubDomains' },
  { name: 'Set-Cookie', value: 'sid=00D1!AQ0AQ; Path=/; HttpOnly' },
  { name: 'Set-Cookie', value: 'BrowserId=abc; Path=/; Secure; SameSite=None' },
  { name: 'Content-Security-Policy', value: "default-src 'self'" },
  { name: 'Cache-Control', value: 'no-store' },
];
const NAVIGATIONS = [
  'https://acme.my.salesforce.com/lightning/page/home',
  'https://acme.crm4.dynamics.com/main.aspx?appid=1',
  'http://acme.odoo.com/web',
  'https://app.hubspot.com/contacts/123',
  'https://www.example.com/',
];
const LOOKALIKES = [
  'https://acme.salesforce-login.com/', 'https://hubsopt.com/', 'https://xn--slesforce-51a.com/',
  'https://app.hubspot.com.evil.io/', 'https://salesf0rce.com/',
];
const BENIGN = ['https://www.example.com/', 'https://mondaymorning.com/', 'https://news.ycombinator.com/',
  'https://forcepoint.com/', 'https://github.com/'];

export default async function () {
  const testbed = await startTestbed();
  const b = await launch({ testbed });
  let r;
  try {
    r = await b.evalSw(async ({ HEADERS, NAVIGATIONS, LOOKALIKES, BENIGN }) => {
      await self.crmGuard.ready;
      const net = self.crmGuardNetwork;
      const time = (fn, inputs, rounds) => {
        for (let i = 0; i < 200; i++) fn(inputs[i % inputs.length]); // warm-up
        const samples = [];
        for (let round = 0; round < rounds; round++) {
          const t = performance.now();
          for (let i = 0; i < 500; i++) fn(inputs[i % inputs.length]);
          samples.push(((performance.now() - t) / 500) * 1000); // µs per call
        }
        return samples;
      };
      return {
        pipeline: time((u) => net.benchFindingsPipeline(u, 200, HEADERS), NAVIGATIONS, 15),
        lookalike: time((u) => net.benchLookalike(u), LOOKALIKES, 15),
        benign: time((u) => net.benchLookalike(u), BENIGN, 15),
        check: {
          levels: NAVIGATIONS.map((u) => net.benchFindingsPipeline(u, 200, HEADERS)),
          lookalikes: LOOKALIKES.map((u) => net.benchLookalike(u)),
          benign: BENIGN.map((u) => net.benchLookalike(u)),
        },
      };
    }, { HEADERS, NAVIGATIONS, LOOKALIKES, BENIGN });
  } finally {
    await b.close();
    await testbed.close();
  }
  console.log('## Findings pipeline and lookalike check (WASM core in the Chromium service worker)');
  console.log(`Sanity: levels ${JSON.stringify(r.check.levels)}, lookalikes ${JSON.stringify(r.check.lookalikes)}, ` +
    `benign ${JSON.stringify(r.check.benign)}`);
  const row = (name, xs) => [name, median(xs).toFixed(1), percentile(xs, 90).toFixed(1), Math.min(...xs).toFixed(1)];
  table(['per call (15 rounds × 500 calls)', 'median µs', 'p90 µs', 'min µs'], [
    row('findings pipeline per navigation (classify + URL + 6 headers, JS→WASM→JS)', r.pipeline),
    row('lookalike check per host, imitations', r.lookalike),
    row('lookalike check per host, unrelated hosts', r.benign),
  ]);
}
