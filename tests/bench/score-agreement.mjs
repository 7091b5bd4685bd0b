// Agreement of our 0–4 password score with zxcvbn@4.4.2 (the JS version users know) and
// @zxcvbn-ts/core@4.2.0 on the corpus (issue 13), with the confusion counts. Ours comes from the
// native CLI (`crm-guard score --each-line`: the same crate, `crm-guard-score`, as the WASM
// scorer, whose identity with the native one tests/golden/corpus-1000.tsv checks in both), the
// peers run in Node. No browser: `node tests/bench/score-agreement.mjs` prints the section alone.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as en from '@zxcvbn-ts/language-en';
import { table } from './stats.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const require = createRequire(import.meta.url);

/** Our scores: `$CRM_GUARD_CLI`, else `cargo run -p crm-guard-cli` (as tests/e2e/gecko.mjs). */
export function ourScores(passwords) {
  const args = ['score', '--each-line'];
  const input = passwords.join('\n') + '\n';
  const out = process.env.CRM_GUARD_CLI
    ? execFileSync(process.env.CRM_GUARD_CLI, args, { input, encoding: 'utf8', maxBuffer: 1 << 28 })
    : execFileSync('cargo', ['run', '-q', '-p', 'crm-guard-cli', '--', ...args], { cwd: REPO, input, encoding: 'utf8', maxBuffer: 1 << 28 });
  const scores = out.trim().split('\n').map((l) => JSON.parse(l).score);
  if (scores.length !== passwords.length) throw new Error(`crm-guard score --each-line: ${scores.length} answers for ${passwords.length} passwords`);
  return scores;
}

export function peerScores(passwords) {
  const zxcvbn = require('zxcvbn');
  const ts = new ZxcvbnFactory({ dictionary: { ...common.dictionary, ...en.dictionary }, graphs: common.adjacencyGraphs, translations: en.translations });
  return {
    'zxcvbn@4.4.2': passwords.map((pw) => zxcvbn(pw).score),
    '@zxcvbn-ts/core@4.2.0': passwords.map((pw) => ts.check(pw).score),
  };
}

/** Prints the agreement line and, per peer, the 5×5 confusion counts (rows ours, columns theirs). */
export function reportAgreement(passwords) {
  const ours = ourScores(passwords);
  const peers = peerScores(passwords);
  const pct = (n) => `${((100 * n) / passwords.length).toFixed(1)} %`;
  const summary = Object.entries(peers).map(([name, theirs]) => {
    const same = theirs.filter((s, i) => s === ours[i]).length;
    const lower = theirs.filter((s, i) => ours[i] < s).length;
    return { name, theirs, same, lower, higher: passwords.length - same - lower };
  });
  console.log(`\nSame 0–4 score as ours on the corpus (${passwords.length} passwords): ${summary.map((s) => `${s.name} ${pct(s.same)} (${s.same})`).join(', ')}.\n`);
  table(['peer', 'same score', 'ours lower', 'ours higher'], summary.map((s) => [s.name, `${s.same} (${pct(s.same)})`, `${s.lower}`, `${s.higher}`]));
  for (const s of summary) {
    const counts = Array.from({ length: 5 }, () => Array(5).fill(0));
    s.theirs.forEach((t, i) => { counts[ours[i]][t] += 1; });
    console.log(`\nConfusion counts, ours (rows) vs ${s.name} (columns):\n`);
    table(['ours \\ theirs', '0', '1', '2', '3', '4'], counts.map((row, o) => [`${o}`, ...row.map(String)]));
  }
  return summary.map(({ name, same, lower, higher }) => ({ name, same, lower, higher }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const corpus = JSON.parse(await fs.readFile(path.join(HERE, 'password-corpus.json'), 'utf8'));
  console.log(`## Score agreement (corpus ${corpus.length} passwords, tests/bench/password-corpus.json)`);
  reportAgreement(corpus);
}
