// Localises the static text of an extension page: elements with data-i18n get their text
// from _locales (textContent only, never HTML).
export function localise(root = document) {
  document.documentElement.lang = chrome.i18n.getUILanguage();
  for (const el of root.querySelectorAll('[data-i18n]')) {
    el.textContent = chrome.i18n.getMessage(el.dataset.i18n);
  }
}

export const t = (key, subs) => chrome.i18n.getMessage(key, subs) || key;
