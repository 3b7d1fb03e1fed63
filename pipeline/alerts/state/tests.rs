use std::time::Duration;

use super::*;
use crate::alerts::rules;

const MIN: i64 = 60_000_000;

fn rule(for_: u64, repeat_min: u64) -> Rule {
    let mut r = rules::parse("payment_success_drop", rules::RULES[0].1).unwrap();
    r.threshold = 25.0;
    r.min_volume = 20;
    r.for_ = Duration::from_secs(for_ * 60);
    r.repeat_interval = Duration::from_secs(repeat_min * 60);
    r
}

fn row(store: &str, value: f64, baseline: f64, volume: i64) -> Observation {
    Observation {
        labels: [("store_id".to_string(), store.to_string())].into(),
        annotations: BTreeMap::new(),
        value,
        baseline: Some(baseline),
        volume: Some(volume),
    }
}

fn changes(t: &[Transition]) -> Vec<(&str, Change)> {
    t.iter()
        .map(|t| (t.group.labels["store_id"].as_str(), t.change))
        .collect()
}

#[test]
fn a_drop_fires_at_once_without_for_and_resolves_when_it_clears() {
    let r = rule(0, 240);
    let mut g = BTreeMap::new();
    assert!(step(&r, &mut g, &[row("a", 0.9, 0.92, 50)], 0).is_empty());
    let t = step(&r, &mut g, &[row("a", 0.4, 0.92, 50)], 60 * MIN);
    assert_eq!(changes(&t), [("a", Change::Firing)]);
    assert!(t[0].change.notifies());
    // Still breaching an hour later: inside repeat_interval, nothing new.
    assert!(step(&r, &mut g, &[row("a", 0.5, 0.92, 50)], 120 * MIN).is_empty());
    let t = step(&r, &mut g, &[row("a", 0.91, 0.92, 50)], 180 * MIN);
    assert_eq!(changes(&t), [("a", Change::Resolved)]);
    assert!(g.is_empty());
}

#[test]
fn for_holds_a_group_pending_until_it_has_breached_long_enough() {
    let r = rule(15, 240);
    let mut g = BTreeMap::new();
    let t = step(&r, &mut g, &[row("a", 0.4, 0.9, 50)], 0);
    assert_eq!(changes(&t), [("a", Change::Pending)]);
    assert!(!t[0].change.notifies());
    assert!(step(&r, &mut g, &[row("a", 0.4, 0.9, 50)], 10 * MIN).is_empty());
    let t = step(&r, &mut g, &[row("a", 0.4, 0.9, 50)], 15 * MIN);
    assert_eq!(changes(&t), [("a", Change::Firing)]);
    // A breach that clears before `for` never notifies.
    let t = step(
        &r,
        &mut g,
        &[row("a", 0.4, 0.9, 50), row("b", 0.4, 0.9, 50)],
        20 * MIN,
    );
    assert_eq!(changes(&t), [("b", Change::Pending)]);
    let t = step(
        &r,
        &mut g,
        &[row("a", 0.4, 0.9, 50), row("b", 0.9, 0.9, 50)],
        25 * MIN,
    );
    assert_eq!(changes(&t), [("b", Change::Cleared)]);
    assert!(!t[0].change.notifies());
}

#[test]
fn below_min_volume_nothing_fires_and_a_firing_group_is_held() {
    let r = rule(0, 240);
    let mut g = BTreeMap::new();
    // 3 attempts at night, all failed: a 100 % drop, and nobody is paged.
    assert!(step(&r, &mut g, &[row("a", 0.0, 0.9, 3)], 0).is_empty());
    assert!(g.is_empty());
    step(&r, &mut g, &[row("a", 0.3, 0.9, 50)], 60 * MIN);
    // Quiet while firing: neither resolved nor repeated.
    assert!(step(&r, &mut g, &[row("a", 0.9, 0.9, 2)], 120 * MIN).is_empty());
    assert_eq!(g["store_id=a"].status, Status::Firing);
}

#[test]
fn repeat_notifies_again_after_the_interval_while_firing() {
    let r = rule(0, 60);
    let mut g = BTreeMap::new();
    let mut sent = Vec::new();
    for m in 0..5 {
        for t in step(&r, &mut g, &[row("a", 0.3, 0.9, 50)], m * 30 * MIN) {
            sent.push((m * 30, t.change));
        }
    }
    assert_eq!(
        sent,
        [
            (0, Change::Firing),
            (60, Change::Repeat),
            (120, Change::Repeat)
        ]
    );
}

#[test]
fn a_group_missing_from_the_rows_is_resolved() {
    let r = rule(0, 240);
    let mut g = BTreeMap::new();
    step(
        &r,
        &mut g,
        &[row("a", 0.3, 0.9, 50), row("b", 0.3, 0.9, 50)],
        0,
    );
    let t = step(&r, &mut g, &[row("b", 0.3, 0.9, 50)], 60 * MIN);
    assert_eq!(changes(&t), [("a", Change::Resolved)]);
    assert_eq!(g.len(), 1);
}

#[test]
fn conditions_above_below_and_rise() {
    let mut r = rule(0, 60);
    let o = |value, baseline: Option<f64>| Observation {
        labels: BTreeMap::new(),
        annotations: BTreeMap::new(),
        value,
        baseline,
        volume: None,
    };
    r.condition = Condition::Above;
    r.threshold = 10.0;
    assert_eq!(verdict(&r, &o(11.0, None)), Verdict::Breach);
    assert_eq!(verdict(&r, &o(10.0, None)), Verdict::Clear);
    r.condition = Condition::Below;
    assert_eq!(verdict(&r, &o(9.0, None)), Verdict::Breach);
    r.condition = Condition::Rise;
    r.threshold = 100.0;
    assert_eq!(verdict(&r, &o(4.0, Some(2.0))), Verdict::Breach);
    assert_eq!(verdict(&r, &o(3.9, Some(2.0))), Verdict::Clear);
    assert_eq!(verdict(&r, &o(1.0, Some(0.0))), Verdict::Breach);
    r.condition = Condition::Drop;
    r.threshold = 25.0;
    assert_eq!(verdict(&r, &o(0.6, Some(0.8))), Verdict::Breach);
    assert_eq!(verdict(&r, &o(0.61, Some(0.8))), Verdict::Clear);
    assert_eq!(verdict(&r, &o(0.1, None)), Verdict::Clear);
}
