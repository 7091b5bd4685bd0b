// CRM Guard service worker: a thin shell. The modules below register their listeners when they
// are evaluated (synchronously, at the top level) and forward every event to the engine in WASM.
import './worker/events.js';
import './worker/messages.js';
import './worker/downloads.js';
import './worker/diagnostics.js';
