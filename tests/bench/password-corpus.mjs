// Generates tests/bench/password-corpus.json: a fixed corpus of 3,200 passwords of 1–64 characters for
// the password benchmark, deterministic (seeded PRNG, no download). Re-run to check it is unchanged:
//   node tests/bench/password-corpus.mjs && git diff --exit-code tests/bench/password-corpus.json
// Mix: common-password shapes (word + digits/year/symbol, leet), keyboard walks, dates, repeats and
// sequences, random ASCII of every length, passphrases, and non-ASCII (accents, CJK, emoji, RTL).
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const OUT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'password-corpus.json');
export const SEED = 0x6c0ffee;
export const SIZE = 3200;

function mulberry32(a) {
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ('password welcome dragon monkey sunshine princess football baseball master shadow letmein trustno1 ' +
  'qwerty iloveyou starwars summer winter autumn spring salesforce hubspot dynamics acme contoso customer ' +
  'pipeline revenue orbit lantern seaweed tangle glacier mosaic tundra quokka violet harbor copper falcon ' +
  'marble pepper walnut cobalt meadow canyon ember juniper nectar pixel riddle saffron timber velvet zephyr ' +
  'soleil bonjour motdepasse fromage chocolat chateau jardin').split(' ');
const WALKS = ['qwerty', 'asdfgh', 'zxcvbn', '1qaz2wsx', 'qazwsx', '123qwe', 'azerty', 'poiuytreza', '!QAZ2wsx', 'mnbvcxz'];
const SYMBOLS = '!@#$%^&*?-_.+=';
const ASCII = Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)).join('');
const UNICODE = ['é', 'è', 'ç', 'à', 'ü', 'ß', 'ñ', '密', '码', '안', '녕', 'п', 'а', 'р', 'ол', 'ب', 'ك', 'ل', 'ة', '😀', '🔒', '🚀', '𝔭', '\u202e'];

export function generate() {
  const r = mulberry32(SEED);
  const int = (n) => Math.floor(r() * n);
  const pick = (xs) => xs[int(xs.length)];
  const cap = (w) => w[0].toUpperCase() + w.slice(1);
  const leet = (w) => w.replace(/a/g, '@').replace(/o/g, '0').replace(/e/g, '3').replace(/i/g, '1').replace(/s/g, '$');
  const kinds = [
    () => pick(WORDS) + int(1000),
    () => cap(pick(WORDS)) + (1950 + int(80)) + pick(SYMBOLS),
    () => leet(pick(WORDS)) + int(100),
    () => pick(WALKS) + (r() < 0.5 ? int(100) : ''),
    () => `${String(1 + int(28)).padStart(2, '0')}${String(1 + int(12)).padStart(2, '0')}${1950 + int(75)}`,
    () => pick(['a', 'x', '1', 'ab', 'abc', '123']).repeat(1 + int(20)),
    () => pick(['abcdef', '123456789', 'zyxwvu', '13579', 'aceg']).slice(0, 2 + int(8)),
    () => Array.from({ length: 1 + int(64) }, () => ASCII[int(ASCII.length)]).join(''),
    () => Array.from({ length: 3 + int(4) }, () => pick(WORDS)).join(pick([' ', '-', '', '.', '_'])),
    () => cap(pick(WORDS)) + pick(UNICODE) + pick(WORDS) + pick(UNICODE) + int(100),
    () => Array.from({ length: 1 + int(20) }, () => pick(UNICODE)).join(''),
    () => pick(WORDS),
  ];
  const out = [];
  while (out.length < SIZE) {
    let pw = pick(kinds)();
    pw = [...pw].slice(0, 64).join(''); // 1–64 characters (Unicode scalar values)
    if (pw.length > 0) out.push(pw);
  }
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const corpus = generate();
  await fs.writeFile(OUT, `${JSON.stringify(corpus, null, 0).replace(/","/g, '",\n"')}\n`);
  const lengths = corpus.map((p) => [...p].length);
  console.log(`wrote ${corpus.length} passwords (${Math.min(...lengths)}–${Math.max(...lengths)} chars) to ${OUT}`);
}
