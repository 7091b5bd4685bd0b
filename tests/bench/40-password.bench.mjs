// Password strength (issue 6), one Chromium run with the extension loaded:
// 1. the fixed corpus (password-corpus.json, 3,200 passwords of 1–64 chars) scored by our WASM scorer in the
//    service worker, and by zxcvbn@4.4.2 and @zxcvbn-ts/core@4.2.0 (+ language-common/en) in a page, side by
//    side with ratios; each scorer's first call (dictionary build) reported apart;
// 2. worst cases at 256, 1,000 and 10,000 characters;
// 3. keystroke → meter update on a CRM page (scripted typing), and the page main-thread time the extension
//    spends per keystroke (vs the peers, which score on the main thread);
// 4. cold start: worker stopped → field focused → first meter update, beside an empty extension worker
//    (noop-extension/: the browser's own floor);
// 5. agreement of the 0–4 scores with the peers on the corpus, with confusion counts (score-agreement.mjs).
import fs from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { launch } from '../e2e/harness.mjs';
import { startTestbed } from '../testbed/server.mjs';
import { percentile, table } from './stats.mjs';
import { reportAgreement } from './score-agreement.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const SF = 'https://acme.my.salesforce.com';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const LONG_LIMIT_MS = 20_000;

const f2 = (x) => (Number.isFinite(x) ? x.toFixed(x < 10 ? 2 : 1) : '–');
const dist = (xs) => [50, 90, 99].map((p) => percentile(xs, p)).concat(Math.max(...xs));

async function peerPage(b) {
  const page = await b.context.newPage();
  page.on('crash', () => console.error('peer page crashed'));
  await page.goto('https://example.test/');
  const libs = [];
  for (const file of ['zxcvbn/dist/zxcvbn.js', '@zxcvbn-ts/core/dist/zxcvbn-ts.js',
    '@zxcvbn-ts/language-common/dist/zxcvbn-ts.js', '@zxcvbn-ts/language-en/dist/zxcvbn-ts.js']) {
    const src = await fs.readFile(require.resolve(file), 'utf8');
    libs.push(src);
    await page.addScriptTag({ content: src });
  }
  await page.evaluate((libs) => {
    // The same libraries in a Web Worker, for inputs that may run for long (terminated at the limit).
    const setup = `self.window = self;
      const { ZxcvbnFactory } = self.zxcvbnts.core;
      const ts = new ZxcvbnFactory({ dictionary: { ...self.zxcvbnts['language-common'].dictionary, ...self.zxcvbnts['language-en'].dictionary },
        graphs: self.zxcvbnts['language-common'].adjacencyGraphs, translations: self.zxcvbnts['language-en'].translations });
      const peers = { 'zxcvbn@4.4.2': (pw) => self.zxcvbn(pw).score, '@zxcvbn-ts/core@4.2.0': (pw) => ts.check(pw).score };
      onmessage = (e) => { const f = peers[e.data.name]; f('warm-up'); const t = performance.now(); f(e.data.pw); postMessage(performance.now() - t); };`;
    const url = URL.createObjectURL(new Blob([libs.map((l) => `(function(){${l}}).call(self);`).join('\n'), setup], { type: 'text/javascript' }));
    window.timeInWorker = (name, pw, limit) => new Promise((resolve) => {
      const w = new Worker(url);
      const timer = setTimeout(() => { w.terminate(); resolve(null); }, limit);
      w.onmessage = (e) => { clearTimeout(timer); w.terminate(); resolve(e.data); };
      w.postMessage({ name, pw });
    });
  }, libs);
  await page.evaluate(() => {
    const { ZxcvbnFactory } = window.zxcvbnts.core;
    const common = window.zxcvbnts['language-common'];
    const en = window.zxcvbnts['language-en'];
    const ts = new ZxcvbnFactory({
      dictionary: { ...common.dictionary, ...en.dictionary },
      graphs: common.adjacencyGraphs,
      translations: en.translations,
    });
    window.peers = { 'zxcvbn@4.4.2': (pw) => window.zxcvbn(pw).score, '@zxcvbn-ts/core@4.2.0': (pw) => ts.check(pw).score };
    window.timePeer = (name, list) => {
      const f = window.peers[name];
      const t0 = performance.now();
      f(list[0]);
      const first = performance.now() - t0;
      const times = [];
      for (const pw of list) {
        const t = performance.now();
        f(pw);
        times.push(performance.now() - t);
      }
      return { first, times };
    };
  });
  return page;
}

/** The isolated world of an extension's content script in `page` (CDP; named after the extension), to read its keystroke timings. */
async function contentWorld(page, world = 'CRM Guard') {
  const cdp = await page.context().newCDPSession(page);
  const contexts = [];
  cdp.on('Runtime.executionContextCreated', (e) => contexts.push(e.context));
  await cdp.send('Runtime.enable');
  const read = async (expr) => {
    for (const c of contexts.filter((c) => c.auxData?.type === 'isolated' && c.auxData?.frameId && c.name === world)) {
      const r = await cdp.send('Runtime.evaluate', { expression: expr, contextId: c.id, returnByValue: true }).catch(() => null);
      if (r?.result?.value !== undefined) return r.result.value;
    }
    return undefined;
  };
  return { cdp, read };
}

export default async function () {
  const corpus = JSON.parse(await fs.readFile(path.join(HERE, 'password-corpus.json'), 'utf8'));
  const testbed = await startTestbed();
  const b = await launch({ testbed });
  const rows = [];
  const worst = [];
  let typing, cold;
  try {
    // 1. Corpus. Ours: first call (cold dictionaries) apart, then the whole corpus, timed inside WASM.
    const ours = await b.evalSw(async (list) => {
      const firstCall = (await self.crmGuardPassword.benchScore([list[0]]))[0];
      const t0 = performance.now();
      const times = await self.crmGuardPassword.benchScore(list);
      // The machine's floor for one pass's max: an empty loop in the same worker for as long as
      // the pass took, reading the clock; its longest gap is time the worker did not run.
      const passMs = performance.now() - t0;
      let last = performance.now();
      const stop = last + passMs;
      let pause = 0;
      while (last < stop) {
        const now = performance.now();
        pause = Math.max(pause, now - last);
        last = now;
      }
      // Two more passes: a password's best of the three drops what the machine took from the
      // worker in one pass (another process's time slice: 10–50 ms on a busy 2-core machine).
      const again = [await self.crmGuardPassword.benchScore(list), await self.crmGuardPassword.benchScore(list)];
      const best = times.map((t, i) => Math.min(t, ...again.map((a) => a[i])));
      // The path's first call waits for the first settings read of a fresh profile (Chromium's
      // first `storage.managed` read: 2–6 s): reported apart, as the scorer's first call is.
      const path = await self.crmGuardPassword.benchScorePath('https://acme.my.salesforce.com/signup', list.slice(0, 1001));
      return { firstCall, times, best, path, pause };
    }, corpus);
    const page = await peerPage(b);
    const peers = {};
    for (const name of ['zxcvbn@4.4.2', '@zxcvbn-ts/core@4.2.0']) {
      // In chunks: each CDP call stays short.
      const r = { first: await page.evaluate(([n, pw]) => window.timePeer(n, [pw]).first, [name, corpus[0]]), times: [] };
      for (let i = 0; i < corpus.length; i += 200) {
        r.times.push(...(await page.evaluate(([n, l]) => window.timePeer(n, l).times, [name, corpus.slice(i, i + 200)])));
        process.stderr.write(`\r${name}: ${r.times.length}/${corpus.length}`);
      }
      process.stderr.write('\n');
      peers[name] = r;
    }
    const base = dist(ours.times);
    rows.push(['CRM Guard (Rust zxcvbn → WASM, worker)', ...base.map(f2), f2(ours.firstCall), '1.00']);
    rows.push(["  same, each password's best of 3 passes", ...dist(ours.best).map(f2), '', '']);
    rows.push(['  machine floor: longest pause of an empty loop in the same worker, one pass long', '', '', '', f2(ours.pause), '', '']);
    rows.push(['  same, full pwScore path (settings + judge + serde; 1,000 pw)', ...dist(ours.path.slice(1)).map(f2), f2(ours.path[0]), '']);
    for (const [name, r] of Object.entries(peers)) {
      const d = dist(r.times);
      rows.push([`${name} (page main thread)`, ...d.map(f2), f2(r.first), (d[2] / base[2]).toFixed(2)]);
    }

    // 2. Worst cases at 256, 1,000 and 10,000 characters (random, repeats, emoji, keyboard walks, l33t words).
    const long = (n) => ({
      [`'a' × ${n}`]: 'a'.repeat(n),
      [`random ASCII × ${n}`]: Array.from({ length: n }, (_, i) => String.fromCharCode(33 + ((i * 7919 + 13) % 94))).join(''),
      [`'password1' × ${n / 10}`]: 'password1'.padEnd(10, '!').repeat(n / 10),
      [`emoji × ${n}`]: '😀'.repeat(n),
      [`keyboard walks × ${n}`]: 'qwertyuiop[]asdfghjkl;zxcvbnm,./1qaz2wsx3edc'.repeat(Math.ceil(n / 44)).slice(0, n),
      [`l33t words × ${n}`]: 'p@$$w0rd!5up3rm4n#1l0v3y0u$0cc3r%'.repeat(Math.ceil(n / 33)).slice(0, n),
    });
    for (const n of [256, 1000, 10000]) {
      const inputs = long(n);
      const ourT = await b.evalSw((l) => self.crmGuardPassword.benchScore(l), Object.values(inputs));
      const peerT = {};
      for (const name of Object.keys(peers)) {
        peerT[name] = [];
        for (const pw of Object.values(inputs)) {
          // In a Web Worker of the page, stopped after LONG_LIMIT_MS (the peers have no length cap).
          peerT[name].push(await page.evaluate(([nm, p, limit]) => window.timeInWorker(nm, p, limit), [name, pw, LONG_LIMIT_MS]));
          process.stderr.write(`\r${name} ${n} chars: ${peerT[name].length}/${Object.keys(inputs).length}`);
        }
      }
      process.stderr.write('\n');
      Object.keys(inputs).forEach((k, i) => worst.push([k, f2(ourT[i]), ...Object.keys(peers).map((nm) => (peerT[nm][i] === null ? `> ${LONG_LIMIT_MS}` : f2(peerT[nm][i])))]));
    }

    // 3. Keystroke → meter update, and page main-thread time per keystroke.
    const text = 'Correct-Horse-Battery-Staple-2026-violet';
    const typingPage = await b.context.newPage();
    await typingPage.goto(`${SF}/signup`);
    const world = await contentWorld(typingPage);
    await typingPage.locator('#password').click();
    await typingPage.keyboard.type(text, { delay: 30 });
    let keys = [];
    for (let i = 0; i < 100; i++) {
      keys = (await world.read('[...globalThis.__crmGuardPwTimings.keys.values()]')) ?? [];
      if (keys.filter((k) => k.renderedAt).length >= text.length * 0.9) break;
      await sleep(50);
    }
    const done = keys.filter((k) => k.renderedAt && k.inputAt);
    const peerMain = {};
    for (const name of Object.keys(peers)) {
      peerMain[name] = await page.evaluate(([nm, t]) => window.timePeer(nm, Array.from({ length: t.length }, (_, i) => t.slice(0, i + 1))).times, [name, text]);
    }
    typing = {
      n: done.length,
      typed: text.length,
      latency: done.map((k) => k.renderedAt - k.inputAt),
      main: done.map((k) => (k.handlerMs ?? 0) + (k.renderMs ?? 0)),
      peerMain,
    };
    await world.cdp.detach().catch(() => {});

    // 4. Cold start, CRM Guard and the peer (an empty extension worker, noop-extension/).
    cold = { ours: await coldStarts(b, 'CRM Guard') };
    await page.close();
  } finally {
    await b.close();
  }
  try {
    const peer = await launch({ testbed, extensionDir: path.join(HERE, 'noop-extension') });
    try {
      cold.peer = await coldStarts(peer, 'cold-start peer (bench only)');
    } finally {
      await peer.close();
    }
  } finally {
    await testbed.close();
  }

  console.log(`## Password strength (Chromium; corpus ${corpus.length} passwords, 1–64 chars, tests/bench/password-corpus.json)`);
  console.log('\nPer-password scoring time, ms (first call = dictionary build, excluded from the percentiles):\n');
  table(['scorer', 'p50', 'p90', 'p99', 'max', 'first call', 'p99 ratio to ours'], rows);
  // Issue 13: agreement of the 0–4 scores with the peers (ours from the native CLI, same crate; no browser).
  reportAgreement(corpus);
  console.log('\nWorst case, long inputs, ms (ours scores the first 100 characters: MAX_SCORED_CHARS):\n');
  table(['input', 'CRM Guard (WASM, worker)', 'zxcvbn@4.4.2 (Web Worker)', '@zxcvbn-ts/core@4.2.0 (Web Worker)'], worst);
  console.log(`\nTyping a ${typing.typed}-character passphrase (30 ms between keys) on ${SF}/signup; ${typing.n} meter updates (stale ones dropped):\n`);
  table(['measure', 'p50 ms', 'p99 ms', 'max ms'], [
    ['keystroke (input event) → meter updated (CRM Guard)', ...[50, 99].map((p) => f2(percentile(typing.latency, p))), f2(Math.max(...typing.latency))],
    ['page main thread per keystroke: CRM Guard content script', ...[50, 99].map((p) => f2(percentile(typing.main, p))), f2(Math.max(...typing.main))],
    ...Object.entries(typing.peerMain).map(([n, xs]) => [`page main thread per keystroke: ${n} scoring`, ...[50, 99].map((p) => f2(percentile(xs, p))), f2(Math.max(...xs))]),
  ]);
  console.log(`\nCold start: the worker stopped, then the first keystroke in a password field → first meter update (${COLD_RUNS} runs each). "Focused then typed": the focus (which warms the worker) and the key 1 frame apart; "typed into a focused field": the worker stopped while the field kept the focus (idle > 30 s), the key alone wakes it. Peer: an empty extension worker answering the same content-script message at once (the browser's own floor):\n`);
  const row = (what, xs) => [what, ...['median', 'min', 'max'].map((k) => f2(agg(xs, k)))];
  table(['measure', 'median ms', 'min ms', 'max ms'], [
    row('CRM Guard: focused then typed, focus → meter', cold.ours.focused.map((c) => c.focusToMeter)),
    row('CRM Guard: focused then typed, key → meter', cold.ours.focused.map((c) => c.keyToMeter)),
    row('CRM Guard: typed into a focused field, key → meter', cold.ours.typed.map((c) => c.keyToMeter)),
    row('peer (empty worker): focused then typed, key → reply', cold.peer.focused.map((c) => c.keyToMeter)),
    row('peer (empty worker): typed into a focused field, key → reply', cold.peer.typed.map((c) => c.keyToMeter)),
  ]);
}

const COLD_RUNS = 7;

/**
 * Cold starts of `b`'s worker on the testbed's signup page, whose content script (isolated world
 * `world`) records __crmGuardPwTimings: `focused` — blur, stop the worker, focus and type one key;
 * `typed` — the field keeps the focus while the worker stops, then one key.
 */
export async function coldStarts(b, world) {
  const out = { focused: [], typed: [] };
  for (const mode of ['focused', 'typed']) {
    for (let i = 0; i < COLD_RUNS; i++) {
      const p = await b.context.newPage();
      await p.goto(`${SF}/signup?cold=${mode}-${i}`);
      const w = await contentWorld(p, world);
      const field = p.locator('#password');
      // Warm: the first reply proves the content script and the worker are both up.
      await field.fill('x');
      for (let j = 0; j < 200 && !(await w.read('[...globalThis.__crmGuardPwTimings.keys.values()].some((k) => k.renderedAt)')); j++) await sleep(25);
      await field.fill('');
      if (mode === 'focused') await field.evaluate((e) => e.blur());
      await b.killServiceWorker();
      const before = await w.read('globalThis.__crmGuardPwTimings.keys.size');
      if (mode === 'focused') await field.focus();
      await p.keyboard.type('k');
      let t;
      for (let j = 0; j < 400; j++) {
        t = await w.read('({focus: globalThis.__crmGuardPwTimings.lastFocusAt, keys: [...globalThis.__crmGuardPwTimings.keys.values()]})');
        const last = t?.keys.at(-1);
        if (t?.keys.length > before && last?.renderedAt) break;
        await sleep(10);
      }
      const last = t.keys.at(-1);
      if (!last?.renderedAt) throw new Error(`${world}: no meter update after a cold start (${mode})`);
      out[mode].push({ focusToMeter: last.renderedAt - t.focus, keyToMeter: last.renderedAt - last.inputAt });
      await w.cdp.detach().catch(() => {});
      await p.close();
    }
  }
  return out;
}

function agg(xs, k) {
  return k === 'median' ? percentile(xs, 50) : k === 'min' ? Math.min(...xs) : Math.max(...xs);
}
