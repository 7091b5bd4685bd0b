// The password scorer's own WASM module (crates/crm-guard-score-wasm), reached by the engine as
// `self.crmGuardScorer` (its Scorer port). Fetched and instantiated the first time the engine asks
// (a page reported a password field), never on a wake for anything else. Its glue is imported
// statically (service workers have no dynamic `import()`); the bytes are fetched by `load()` only.
import initScorer, * as scorer from '../wasm/crm_guard_score.js';

export { scorer };

const url = new URL('../wasm/crm_guard_score_bg.wasm', import.meta.url);
let loading = null; // the promise of the ready module
let state = 'absent'; // 'absent' (never asked for), 'loading', 'ready', 'trapped'
let loadMs = null; // fetch + compile + instantiate + warm-up, for the benchmarks

self.crmGuardScorer = {
  get state() { return state; },
  get loadMs() { return loadMs; },
  load() {
    if (state === 'trapped') {
      // A trap may leave the instance's memory half-written: a fresh instance of the same module.
      try {
        scorer.__wbg_reset_state();
        state = 'ready';
      } catch (e) {
        console.error('[crm-guard] replacing the trapped scorer failed:', e);
        loading = null;
      }
    }
    const t0 = performance.now();
    loading ??= (state = 'loading', initScorer({ module_or_path: url }))
      .then(() => {
        state = 'ready';
        // The warm-up (every matcher once, so later keystrokes find their code compiled) runs in
        // the next task: a score already waiting — the keystroke that woke a cold worker — goes
        // first and compiles only what it needs (A/B on the cold start: ~10 ms sooner).
        setTimeout(() => {
          try {
            scorer.warm();
          } catch (e) {
            if (e instanceof WebAssembly.RuntimeError) state = 'trapped';
            console.error('[crm-guard] warming the password scorer failed:', e);
          }
          loadMs = performance.now() - t0;
        }, 0);
      })
      .catch((e) => {
        loading = null; // asked again on the next password field or keystroke
        state = 'absent';
        throw e;
      });
    return loading;
  },
  score(password, userInputs, year) {
    try {
      return scorer.score(password, userInputs, year);
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) state = 'trapped';
      throw e;
    }
  },
};
