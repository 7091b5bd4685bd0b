// Localises the static text of an extension page: elements with data-i18n get their text
// from _locales (textContent only, never HTML).
//
// Chromium once gave a page of ours no messages at all (getMessage('…') === '' for keys every
// locale has; seen in one e2e run out of many, on the signed-out page opened by a forced logout):
// the renderer's message bundle came back empty. A person must never read a raw key, so when the
// browser's bundle is empty this module reads the packaged one (UI language, then English) before
// any page script runs (top-level await: modules importing this one wait for it).
const fromBundle = chrome.i18n.getMessage('extName') === '' ? await packagedMessages() : null;

async function packagedMessages() {
  const ui = chrome.i18n.getUILanguage().replace('-', '_');
  console.warn('chrome.i18n returned no messages; using the packaged locale files');
  for (const lang of [ui, ui.split('_')[0], 'en']) {
    try {
      const res = await fetch(chrome.runtime.getURL(`_locales/${lang}/messages.json`));
      if (res.ok) return await res.json();
    } catch {}
  }
  return {};
}

// Chrome's substitution rules for what our locales use: `$1`…`$9` in the message and named
// `$NAME$` placeholders whose content is `$1`…`$9`.
function substitute(entry, subs) {
  const args = subs === undefined ? [] : [subs].flat().map(String);
  const arg = (ref) => args[Number(ref.slice(1)) - 1] ?? '';
  return entry.message.replace(/\$\$|\$(\d)|\$([A-Za-z0-9_]+)\$/g, (all, n, name) => {
    if (all === '$$') return '$';
    if (n) return arg(`$${n}`);
    return (entry.placeholders?.[name.toLowerCase()]?.content ?? '').replace(/\$\d/g, arg);
  });
}

/** The message `key` with its substitutions, or '' when no locale has it (as chrome.i18n does). */
export function message(key, subs) {
  if (!fromBundle) return chrome.i18n.getMessage(key, subs);
  const entry = fromBundle[key];
  return entry ? substitute(entry, subs) : '';
}

export function localise(root = document) {
  document.documentElement.lang = chrome.i18n.getUILanguage();
  for (const el of root.querySelectorAll('[data-i18n]')) {
    el.textContent = message(el.dataset.i18n);
  }
}

export const t = (key, subs) => message(key, subs) || key;
