// Answers at once: what a cold worker costs before any work of its own.
chrome.runtime.onMessage.addListener((message, sender, reply) => {
  reply({ ok: true });
  return false;
});
