// CRM Guard content script (CRM pages only): reports what only the page can see.
// It never reads form values and never talks to the page's own scripts.
chrome.runtime.sendMessage({ type: 'page', report: { secureContext: self.isSecureContext } }).catch(() => {});
