// A k-anonymity password range service, as https://api.pwnedpasswords.com/range/{5 hex} answers,
// generated from a list of breached passwords: SHA-1 (upper-case hex) of each, grouped by its first
// 5 digits; a range is `SUFFIX:COUNT` lines (CRLF). With `Add-Padding: true` the answer is padded to
// 800–1,000 lines with random suffixes of count 0, as the public service does. CORS as the public
// service: `Access-Control-Allow-Origin: *`, and the preflight that the Add-Padding header causes.
//
// Served on https://breach.acme.test (server.mjs routes the host here; every request is recorded
// there with its path, headers and body):
//   /range/{PREFIX}        the range (any prefix: an unknown one answers padding only, or an empty 200)
//   /reset/range/{PREFIX}  resets the connection (an outage)
//   /hang/range/{PREFIX}   never answers (past any timeout)
import crypto from 'node:crypto';

/** The served list: password → times seen. Strong-looking to zxcvbn, yet breached. */
export const BREACHED = {
  'CorrectHorseBattery!2024': 42,
  'Tr0ub4dor&3-Salesforce': 7,
  'Welcome2Acme!Summer#99': 123456,
};

export const sha1 = (s) => crypto.createHash('sha1').update(s, 'utf8').digest('hex').toUpperCase();

/** prefix → [[suffix, count]] for `list`. */
export function ranges(list = BREACHED) {
  const out = new Map();
  for (const [password, count] of Object.entries(list)) {
    const h = sha1(password);
    if (!out.has(h.slice(0, 5))) out.set(h.slice(0, 5), []);
    out.get(h.slice(0, 5)).push([h.slice(5), count]);
  }
  return out;
}

/** The range service over `list`: `handle({req, res, path})` for the routed host. */
export function rangeService(list = BREACHED) {
  const byPrefix = ranges(list);
  const hung = new Set();
  return {
    handle({ req, res, path }) {
      const m = /^\/(?:(reset|hang)\/)?range\/([0-9A-Fa-f]{5})$/.exec(path);
      const cors = { 'Access-Control-Allow-Origin': '*' };
      if (!m) return end(res, 404, cors, 'not found');
      if (m[1] === 'reset') return res.socket?.destroy();
      if (m[1] === 'hang') {
        hung.add(res);
        return undefined;
      }
      if (req.method === 'OPTIONS') {
        return end(res, 204, { ...cors, 'Access-Control-Allow-Methods': 'GET', 'Access-Control-Allow-Headers': 'Add-Padding', 'Access-Control-Max-Age': '600' });
      }
      if (req.method !== 'GET') return end(res, 405, cors, 'GET only');
      const lines = (byPrefix.get(m[2].toUpperCase()) ?? []).map(([s, c]) => `${s}:${c}`);
      if (req.headers['add-padding'] === 'true') {
        const total = 800 + crypto.randomInt(201);
        while (lines.length < total) lines.push(`${crypto.randomBytes(18).toString('hex').slice(0, 35).toUpperCase()}:0`);
        lines.sort();
      }
      return end(res, 200, { ...cors, 'Content-Type': 'text/plain', 'Cache-Control': 'public, max-age=2678400' }, lines.join('\r\n'));
    },
    /** Ends the responses held by /hang/ (the testbed's close() destroys their sockets anyway). */
    release() {
      for (const res of hung) res.destroy();
      hung.clear();
    },
  };
}

function end(res, status, headers, body = '') {
  res.writeHead(status, headers);
  res.end(body);
}
