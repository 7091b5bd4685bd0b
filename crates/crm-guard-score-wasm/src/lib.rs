//! The password scorer's own WASM module: [`crm_guard_score::score`] behind one export.
//!
//! It is a module apart from the worker's engine (`crm-guard-wasm`) because zxcvbn's
//! dictionaries and matchers are most of the bytes: a worker woken for a navigation, an alarm or
//! the idle state never fetches or instantiates them. The worker's shell
//! (`extension/worker/scorer.js`) instantiates this module the first time a page reports a
//! password field, and the engine reaches it through its `Scorer` port. A trap here is caught by
//! the engine's import (`catch`): the engine answers "unavailable" and the shell replaces this
//! instance; the engine's own instance is untouched.

use wasm_bindgen::prelude::*;

/// Logs a panic with context (the trap that follows is the shell's to handle).
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&format!("[crm-guard] panic in the scorer: {info}").into());
    }));
}

/// Scores `password` with `user_inputs` as penalised words and `year` as zxcvbn's reference
/// year: a `Strength` (camelCase fields, message ids, never the password).
#[wasm_bindgen]
pub fn score(password: &str, user_inputs: Vec<String>, year: i32) -> Result<JsValue, JsValue> {
    diagnostics::maybe_trap();
    let refs: Vec<&str> = user_inputs.iter().map(String::as_str).collect();
    let strength = crm_guard_score::score_in_year(password, &refs, year);
    serde::Serialize::serialize(&strength, &serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| js_sys::Error::new(&format!("serialising a score: {e}")).into())
}

/// Scores a few inputs that take every path of the scorer ([`crm_guard_score::warm`]), so the
/// engine has compiled its functions (and lazily built state is ready) before the first
/// keystroke.
#[wasm_bindgen]
pub fn warm() {
    crm_guard_score::warm();
}

/// WASM memory of this instance, in bytes.
#[wasm_bindgen(js_name = memoryBytes)]
pub fn memory_bytes() -> f64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    memory.buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length().into()
}

mod diagnostics {
    #[cfg(feature = "diagnostics")]
    pub use hooks::maybe_trap;

    /// Test and benchmark hooks (feature `diagnostics`; the shipped module has none).
    #[cfg(feature = "diagnostics")]
    pub mod hooks {
        use std::cell::Cell;

        use wasm_bindgen::prelude::*;

        thread_local! {
            static TRAPS: Cell<u32> = const { Cell::new(0) };
        }

        /// The next `n` scores trap inside this module.
        #[wasm_bindgen(js_name = trapNext)]
        pub fn trap_next(n: u32) {
            TRAPS.set(n);
        }

        pub fn maybe_trap() {
            if TRAPS.get() > 0 {
                TRAPS.set(TRAPS.get() - 1);
                panic!("deliberate scorer trap for testing");
            }
        }

        #[wasm_bindgen]
        extern "C" {
            #[wasm_bindgen(js_namespace = performance, js_name = now)]
            fn performance_now() -> f64;
        }

        /// The bare scorer timed inside WASM: milliseconds per password.
        #[wasm_bindgen(js_name = benchScore)]
        pub fn bench_score(passwords: Vec<String>) -> Vec<f64> {
            passwords
                .iter()
                .map(|pw| {
                    let t0 = performance_now();
                    std::hint::black_box(crm_guard_score::score(pw, &[]).score);
                    performance_now() - t0
                })
                .collect()
        }
    }

    /// Without the `diagnostics` feature the scorer never traps on purpose.
    #[cfg(not(feature = "diagnostics"))]
    #[inline]
    pub fn maybe_trap() {}
}
