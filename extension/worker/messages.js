// Messages from our content scripts and pages. The browser says who sent one (`sender`); the
// engine decides whether that sender may send that type (protocol::MESSAGES) and answers.
import { handle } from './core.js';

const EXTENSION_ORIGIN = chrome.runtime.getURL('');

// No externally_connectable: only this extension's pages and content scripts reach here.
chrome.runtime.onMessage.addListener((message, sender, reply) => {
  if (sender.id !== chrome.runtime.id || typeof message !== 'object' || message === null) return false;
  const from = {
    extensionPage: typeof sender.url === 'string' && sender.url.startsWith(EXTENSION_ORIGIN),
    tabId: sender.tab?.id,
    frameId: sender.frameId,
    url: sender.url,
    origin: sender.origin,
  };
  handle({ type: 'message', message, sender: from }).then(reply);
  return true;
});
