//! The idle/lock auto-logout state machine, with time injected. (Owned by the idle-logout work.)
