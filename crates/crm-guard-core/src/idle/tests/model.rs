//! The model behind the property tests: random steps (events, reconciles, worker restarts) at
//! random times, and the invariants every run of the machine keeps.

use proptest::prelude::*;

use super::*;

#[derive(Debug, Clone)]
pub(super) enum Step {
    Event(IdleEvent),
    Reconcile,
    /// The worker dies and is revived from storage.
    Restart,
}

pub(super) fn arb_step() -> impl Strategy<Value = Step> {
    arb_step_with(1, (15_000u64..7_200_000, 0u64..600_000).boxed())
}

/// Steps with settings changes of weight `settings_weight` (the other steps weigh 23), drawing
/// (timeout, warning) from `limits`.
pub(super) fn arb_step_with(
    settings_weight: u32,
    limits: BoxedStrategy<(u64, u64)>,
) -> impl Strategy<Value = Step> {
    let token = prop_oneof![Just(None), Just(Some("a")), Just(Some("b")), Just(Some("c"))];
    prop_oneof![
        4 => Just(Step::Event(idle())),
        3 => Just(Step::Event(active())),
        1 => Just(Step::Event(locked())),
        2 => Just(Step::Event(IdleEvent::StaySignedIn)),
        1 => Just(Step::Event(IdleEvent::StayWithoutInput { state: BrowserIdleState::Idle })),
        1 => Just(Step::Event(IdleEvent::StayWithoutInput { state: BrowserIdleState::Locked })),
        4 => Just(Step::Event(IdleEvent::Alarm)),
        2 => Just(Step::Event(IdleEvent::Wake)),
        1 => Just(Step::Event(IdleEvent::SignOutNow)),
        2 => Just(Step::Reconcile),
        2 => Just(Step::Restart),
        settings_weight => (limits, any::<bool>(), token).prop_map(|((t, w), l, tok)| {
            Step::Event(IdleEvent::Settings {
                settings: IdleSettings {
                    idle_timeout_ms: t,
                    warning_ms: w,
                    logout_on_lock: l,
                    force_logout_token: tok.map(str::to_owned),
                },
            })
        }),
    ]
}

/// Monotone-ish time: mostly small steps, sometimes sleeps, sometimes the clock goes back.
pub(super) fn arb_delta() -> impl Strategy<Value = i64> {
    prop_oneof![
        8 => 0i64..5_000,
        6 => 5_000i64..200_000,
        1 => 3_600_000i64..36_000_000,
        1 => -3_600_000i64..0,
    ]
}

/// Clock noise: small steps either way (NTP corrections), sometimes a sleep.
pub(super) fn arb_jitter() -> impl Strategy<Value = i64> {
    prop_oneof![
        6 => 0i64..5_000,
        4 => 5_000i64..60_000,
        1 => 3_600_000i64..36_000_000,
        4 => -5_000i64..0,
        1 => -3_600_000i64..0,
    ]
}

/// The invariants every run of the machine keeps, whatever the steps and the clock do.
pub(super) fn check_invariants(
    timeout: u64,
    warning: u64,
    on_lock: bool,
    steps: Vec<(Step, i64)>,
) -> Result<(), TestCaseError> {
    let mut m = IdleMachine::new(IdleSettings {
        idle_timeout_ms: timeout,
        warning_ms: warning,
        logout_on_lock: on_lock,
        force_logout_token: Some("a".into()),
    });
    let mut now = T0;
    let mut acted = Some("a".to_owned());
    let (mut visible, mut alarm, mut announced) = (false, None::<u64>, None::<u64>);
    let mut period_logouts = 0;
    let mut prev_now = None::<u64>;
    for (step, delta) in steps {
        now = now.saturating_add_signed(delta);
        let prev_phase = m.phase();
        let is_settings = matches!(step, Step::Event(IdleEvent::Settings { .. }));
        let mut expect_forced = false;
        if let Step::Event(IdleEvent::Settings { settings }) = &step {
            if let Some(t) = &settings.force_logout_token {
                expect_forced = acted.as_ref() != Some(t);
                acted = Some(t.clone());
            }
        }
        let out = match step.clone() {
            Step::Event(ev) => m.on_event(ev, now),
            Step::Reconcile => m.reconcile(now),
            Step::Restart => {
                m = roundtrip(&m);
                m.on_event(IdleEvent::Wake, now)
            }
        };
        let mut forced = 0;
        let mut by_user = 0;
        for a in &out {
            match *a {
                Action::ShowWarning { deadline_ms } => {
                    prop_assert!(deadline_ms > now, "{out:?}");
                    visible = true;
                    announced = Some(deadline_ms);
                }
                Action::CancelWarning => visible = false,
                Action::ScheduleAlarm { at_ms } => {
                    prop_assert!(at_ms > now && at_ms <= now + MAX_ALARM_STEP_MS, "{out:?}");
                    alarm = Some(at_ms);
                }
                Action::ClearAlarm => alarm = None,
                Action::SetDetectionInterval { seconds } => {
                    prop_assert!(
                        (MIN_DETECTION_INTERVAL_SECS..=MAX_DETECTION_INTERVAL_SECS).contains(&seconds)
                    );
                }
                Action::Logout { reason: LogoutReason::Forced, .. } => forced += 1,
                Action::Logout { reason: LogoutReason::User, .. } => by_user += 1,
                Action::Logout { reason, .. } => {
                    period_logouts += 1;
                    if reason == LogoutReason::Idle {
                        let immediate = m.settings().effective_warning_ms() == 0;
                        prop_assert!(
                            matches!(prev_phase, Phase::Warning { .. }) || immediate,
                            "{prev_phase:?} {out:?}"
                        );
                        if let Phase::Warning { idle_since_ms, .. } = prev_phase {
                            let deadline = announced.expect("a warning was announced");
                            if is_settings && now < deadline {
                                // Only a new timeout the user has already been idle for
                                // ends a warning early (idle start re-based like the machine
                                // does when the clock went back).
                                let back = prev_now.map_or(0, |p| p.saturating_sub(now));
                                let since = idle_since_ms.saturating_sub(back).min(now);
                                let s = m.settings();
                                let total =
                                    s.idle_timeout_ms.max(u64::from(s.detection_interval_secs()) * 1000);
                                prop_assert!(
                                    since.saturating_add(total) <= now,
                                    "settings logout at {now}, idle since {since}, timeout {total}"
                                );
                            } else {
                                prop_assert!(now >= deadline, "logout at {now} before deadline {deadline}");
                            }
                        }
                    }
                }
            }
        }
        prop_assert_eq!(forced, usize::from(expect_forced), "{:?}", out);
        // "Sign out now" is exactly one logout, and only when asked; it leaves the machine armed.
        let asked = matches!(step, Step::Event(IdleEvent::SignOutNow));
        prop_assert_eq!(by_user, usize::from(asked), "{:?}", out);
        if asked {
            prop_assert_eq!(m.phase(), Phase::Active);
        }
        prop_assert!(period_logouts <= 1, "more than one logout in one idle period: {out:?}");
        match m.phase() {
            Phase::Warning { deadline_ms, .. } => {
                prop_assert!(visible, "warning phase without a visible warning");
                let at = alarm.expect("a warning without a scheduled alarm");
                prop_assert!(at <= deadline_ms && now < deadline_ms);
                prop_assert_eq!(announced, Some(deadline_ms));
                prop_assert_eq!(m.time_left_ms(now), Some(deadline_ms - now));
            }
            _ => {
                prop_assert!(!visible, "warning still shown outside the warning phase");
                prop_assert_eq!(alarm, None);
            }
        }
        // Device input ends the idle period; so does the user's own "Sign out now" (a click).
        if matches!(
            step,
            Step::Event(IdleEvent::Browser { state: BrowserIdleState::Active } | IdleEvent::SignOutNow)
        ) {
            period_logouts = 0;
        }
        prev_now = Some(now);
    }
    Ok(())
}
