//! The groups list and group page rules: paging, search, lag order, partition rows and reads.

use super::*;

fn listing(groups: &[(&str, GroupState)]) -> Vec<(String, GroupState)> {
    groups.iter().map(|(g, s)| (g.to_string(), *s)).collect()
}

fn ids<T: AsRef<str>>(page: &[&(T, GroupState)]) -> Vec<String> {
    page.iter().map(|g| g.0.as_ref().to_owned()).collect()
}

fn id_state(g: &(String, GroupState)) -> (&str, GroupState) {
    (g.0.as_str(), g.1)
}

/// Issue 18, item 10: groups sharing a partition at different offsets read in rounds, each offset
/// once.
#[test]
fn shared_partitions_are_read_in_rounds() {
    let w = |t: &str, p, o| (t.to_string(), p, o);
    let rounds = read_rounds(&[w("a", 0, 5), w("a", 0, 9), w("a", 0, 5), w("a", 1, 3)]);
    assert_eq!(
        rounds,
        vec![vec![w("a", 0, 5), w("a", 1, 3)], vec![w("a", 0, 9)]]
    );
    assert!(read_rounds(&[]).is_empty());
}

/// Issue 18, item 10: a partly committed group lists every partition of the topics it committed on,
/// and nothing of topics it never committed on.
#[test]
fn never_committed_partitions_of_committed_topics_get_rows() {
    let committed = |topic: &str, partition, offset| Committed {
        topic: topic.into(),
        partition,
        offset,
        metadata: None,
    };
    let mut rows = partition_rows(
        &[],
        [
            committed("payments", 0, Some(750)),
            committed("payments", 1, Some(740)),
        ],
    );
    add_uncommitted(&mut rows, |t| match t {
        "payments" => Some(4),
        "orders" => Some(6),
        _ => None,
    });
    let listed: Vec<(&str, i32, Option<i64>)> = rows
        .values()
        .map(|r| (r.topic.as_str(), r.partition, r.committed))
        .collect();
    assert_eq!(
        listed,
        vec![
            ("payments", 0, Some(750)),
            ("payments", 1, Some(740)),
            ("payments", 2, None),
            ("payments", 3, None)
        ]
    );
}

#[test]
fn pages_are_cut_in_id_order_with_counts_over_what_the_caller_sees() {
    let all = listing(&[
        ("team-b", GroupState::Stable),
        ("team-a", GroupState::Empty),
        ("other-x", GroupState::Empty),
        ("team-c", GroupState::Empty),
    ]);
    let query = GroupQuery {
        state: Some(GroupState::Empty),
        page_size: 1,
        page: 1,
        visible: Some(vec!["team-*".into()]),
        ..GroupQuery::default()
    };
    let cut = cut_page(&all, id_state, &query, None);
    assert_eq!(cut.total, 3, "other-x is not visible");
    assert_eq!(cut.matched, 2);
    assert_eq!(
        cut.state_counts,
        vec![(GroupState::Stable, 1), (GroupState::Empty, 2)]
            .into_iter()
            .collect::<BTreeMap<_, _>>()
            .into_iter()
            .collect::<Vec<_>>()
    );
    assert_eq!(ids(&cut.page), vec!["team-c"]);
    // A page past the end is empty, not an error.
    let past = GroupQuery { page: 9, ..query };
    assert!(cut_page(&all, id_state, &past, None).page.is_empty());
}

#[test]
fn search_is_case_insensitive_and_page_size_is_bounded() {
    let all = listing(&[
        ("Orders-EU", GroupState::Empty),
        ("payments", GroupState::Empty),
    ]);
    let query = GroupQuery {
        search: "orders".into(),
        page_size: 100_000,
        ..GroupQuery::default()
    };
    let cut = cut_page(&all, id_state, &query, None);
    assert_eq!(ids(&cut.page), vec!["Orders-EU"]);
    assert_eq!(cut.page_size, GroupQuery::MAX_PAGE_SIZE);

    // Beyond ASCII, on either side, case is folded as `to_lowercase` folds it.
    let all = listing(&[
        ("ÄRGER-events", GroupState::Empty),
        ("\u{212A}afka-mirror", GroupState::Empty),
        ("orders", GroupState::Empty),
    ]);
    let find = |search: &str| {
        let query = GroupQuery {
            search: search.into(),
            ..GroupQuery::default()
        };
        ids(&cut_page(&all, id_state, &query, None).page)
    };
    assert_eq!(find("ärger"), vec!["ÄRGER-events"]);
    assert_eq!(find("EVENTS"), vec!["ÄRGER-events"]);
    assert_eq!(find("kafka"), vec!["\u{212A}afka-mirror"]);
    assert_eq!(find("orders-and-more"), Vec::<&str>::new());
}

#[test]
fn sorting_by_lag_puts_the_highest_first_and_unknown_groups_last_by_id() {
    let all = listing(&[
        ("a", GroupState::Empty),
        ("b", GroupState::Empty),
        ("c", GroupState::Empty),
        ("d", GroupState::Empty),
    ]);
    let lags: HashMap<String, i64> = [("b".to_string(), 5), ("d".to_string(), 50)].into();
    let cut = cut_page(&all, id_state, &GroupQuery::default(), Some(&lags));
    assert_eq!(ids(&cut.page), vec!["d", "b", "a", "c"]);
}

fn member(assignment: &[(&str, i32)]) -> GroupMember {
    GroupMember {
        member_id: "m".into(),
        client_id: "c".into(),
        host: "/127.0.0.1".into(),
        group_instance_id: None,
        assignment: assignment
            .iter()
            .map(|(t, p)| (t.to_string(), *p))
            .collect(),
    }
}

fn committed(topic: &str, partition: i32, offset: Option<i64>, metadata: &str) -> Committed {
    Committed {
        topic: topic.into(),
        partition,
        offset,
        metadata: Some(metadata.into()),
    }
}

#[test]
fn rows_merge_assignments_and_commits_then_log_bounds() {
    let members = [member(&[("t", 1)]), member(&[("t", 0)])];
    let mut rows = partition_rows(
        &members,
        [
            committed("t", 0, Some(7), ""),
            committed("u", 0, Some(3), "rewind:1:x"),
        ],
    );
    let keys: Vec<_> = rows.keys().cloned().collect();
    assert_eq!(
        keys,
        vec![("t".into(), 0), ("t".into(), 1), ("u".into(), 0)]
    );
    let t0 = &rows[&("t".to_string(), 0)];
    assert_eq!(
        (t0.member, t0.committed, t0.metadata.clone()),
        (Some(1), Some(7), None)
    );
    assert_eq!(
        rows[&("t".to_string(), 1)].committed,
        None,
        "assigned, never committed"
    );
    assert_eq!(
        rows[&("u".to_string(), 0)].metadata.as_deref(),
        Some("rewind:1:x")
    );

    set_log_bound(
        &mut rows,
        LogBound::Start,
        [(("t".into(), 0), Some(0)), (("x".into(), 0), Some(9))],
    );
    set_log_bound(
        &mut rows,
        LogBound::End,
        [(("t".into(), 0), Some(10)), (("u".into(), 0), Some(3))],
    );
    assert_eq!(
        rows.len(),
        3,
        "a bound for a partition without a row adds none"
    );
    assert_eq!(rows[&("t".to_string(), 0)].lag(), Some(3));
    // Only t-0 has a record to read at its committed offset: u-0 is at its end and has no start.
    assert_eq!(
        lag_time_targets(rows.values()),
        vec![("t".to_string(), 0, 7)]
    );
}

#[test]
fn log_bounds_in_any_order_land_on_their_rows() {
    let mut rows = partition_rows(&[], (0..4).map(|p| committed("t", p, Some(1), "")));
    // The broker's order need not be the request's: reversed, with an unknown partition in between.
    set_log_bound(
        &mut rows,
        LogBound::End,
        [3, 9, 2, 1, 0].map(|p| (("t".to_string(), p), Some(100 + i64::from(p)))),
    );
    let ends: Vec<_> = rows.values().map(|r| r.log_end).collect();
    assert_eq!(ends, vec![Some(100), Some(101), Some(102), Some(103)]);
}

#[test]
fn a_dead_group_without_commits_does_not_exist() {
    assert!(!exists(GroupState::Dead, false));
    assert!(exists(GroupState::Dead, true));
    assert!(exists(GroupState::Empty, false));
}

#[test]
fn lag_sums_known_ends_only() {
    let ends: HashMap<(String, i32), i64> =
        [(("t".to_string(), 0), 10), (("t".to_string(), 1), 4)].into();
    let lag = group_lag(
        "g".into(),
        &[
            committed("t", 0, Some(7), ""),
            committed("t", 1, None, ""),
            committed("u", 0, Some(1), ""),
        ],
        &ends,
    );
    assert_eq!(lag.lag, Some(3));
    assert_eq!(lag.topics, vec!["t", "u"]);
    assert_eq!(lag.committed_partitions, 2);
}

#[test]
fn record_times_fill_rows_whose_committed_offset_they_were_read_at() {
    let members: [GroupMember; 0] = [];
    let rows = partition_rows(
        &members,
        [
            committed("t", 0, Some(7), ""),
            committed("t", 1, Some(3), ""),
        ],
    );
    let detail = GroupDetail {
        cluster: "c".into(),
        group_id: "g".into(),
        state: GroupState::Empty,
        group_type: super::super::GroupType::Classic,
        simple: true,
        assignor: String::new(),
        coordinator: None,
        members: Vec::new(),
        partitions: rows.into_values().collect(),
        read_at: 10_000,
    };
    let time = |partition: i32, offset: i64, timestamp: i64| RecordTime {
        topic: "t".into(),
        partition,
        offset,
        timestamp,
    };
    // t-1 was committed again since its record was read: its time is not this row's.
    let d = detail.with_record_times(&[time(0, 7, 4_000), time(1, 2, 1_000)]);
    assert_eq!(d.partitions[0].committed_timestamp, Some(4_000));
    assert_eq!(d.partitions[1].committed_timestamp, None);
}

#[test]
fn a_status_filter_keeps_only_its_groups_and_growth_orders_fastest_first() {
    let all = listing(&[
        ("a", GroupState::Empty),
        ("b", GroupState::Stable),
        ("c", GroupState::Stable),
        ("d", GroupState::Empty),
    ]);
    let query = GroupQuery {
        sort: crate::domain::GroupSort::Growth,
        only: Some(["a", "b", "c"].map(String::from).into_iter().collect()),
        ..GroupQuery::default()
    };
    let growth: HashMap<String, i64> = [("a", 5), ("b", 900), ("c", -40), ("d", 10_000)]
        .map(|(g, n)| (g.to_owned(), n))
        .into_iter()
        .collect();
    let cut = cut_page(&all, id_state, &query, Some(&growth));
    assert_eq!(cut.total, 4);
    assert_eq!(cut.matched, 3, "d has another status");
    assert_eq!(ids(&cut.page), vec!["b", "a", "c"]);
}

#[test]
fn every_page_is_the_window_of_the_whole_listing_sorted() {
    // 1,000 ids in a scrambled order (a fixed LCG), a third of them with lags, some lags tied.
    let mut state = 12_345u64;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        state >> 33
    };
    let mut all: Vec<(String, GroupState)> = (0..1_000)
        .map(|i| (format!("g-{i:04}"), GroupState::Empty))
        .collect();
    for i in (1..all.len()).rev() {
        let j = (next() as usize) % (i + 1);
        all.swap(i, j);
    }
    let lags: HashMap<String, i64> = all
        .iter()
        .step_by(3)
        .map(|(id, _)| (id.clone(), (next() % 20) as i64))
        .collect();
    for lags in [None, Some(&lags)] {
        let mut expected: Vec<&str> = all.iter().map(|(id, _)| id.as_str()).collect();
        expected.sort_by(|a, b| match lags {
            Some(l) => l.get(*b).cmp(&l.get(*a)).then_with(|| a.cmp(b)),
            None => a.cmp(b),
        });
        for size in [1u32, 7, 50, 500] {
            for page in [0u32, 1, 3, 19, 142, 999, 1_000] {
                let query = GroupQuery {
                    page,
                    page_size: size,
                    ..GroupQuery::default()
                };
                let cut = cut_page(&all, id_state, &query, lags);
                let want: Vec<&str> = expected
                    .iter()
                    .skip((page * size) as usize)
                    .take(size as usize)
                    .copied()
                    .collect();
                assert_eq!(
                    ids(&cut.page),
                    want,
                    "size {size}, page {page}, lags {}",
                    lags.is_some()
                );
            }
        }
    }
}

/// A row's unknown fields are left out of its JSON, and read back as unknown.
#[test]
fn a_row_without_its_optional_fields_round_trips() {
    let rows = partition_rows(&[], [committed("t", 0, None, "")]);
    let row = rows.values().next().expect("one row").clone();
    let json = serde_json::to_string(&row).expect("serialize");
    assert_eq!(json, r#"{"topic":"t","partition":0}"#);
    let back: crate::domain::PartitionPosition = serde_json::from_str(&json).expect("deserialize");
    assert_eq!(back, row);
}
