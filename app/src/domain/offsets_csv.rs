//! Interop with the reference tool: its reset-plan CSV (both formats, import and export) and the
//! `kafka-consumer-groups.sh` command equivalent to a plan.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::reset::{Plan, PlanError, Scope, Strategy, TopicPartition};

/// Parses a reset-plan CSV into rows per group, as `--from-file` does.
///
/// The first line decides the format: if it parses as `topic,partition,offset` and exactly one group
/// is given, every line is that 3-column form for that group; otherwise every line is
/// `group,topic,partition,offset`. No header; blank lines are skipped.
///
/// Where the tool fails, so does this, but with the cause named: an empty file is said to be empty (the
/// tool says it has no plan for the group), a header line is called a header, and a 3-column line that
/// does not parse gets its own fault (a negative partition, say) rather than a column count.
pub fn parse_reset_csv(
    csv: &str,
    groups: &[String],
) -> Result<BTreeMap<String, Vec<(TopicPartition, i64)>>, PlanError> {
    let lines: Vec<(usize, Vec<String>)> = csv
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            split_record(l)
                .map(|fields| (n, fields))
                .map_err(|reason| PlanError::Csv { line: n, reason })
        })
        .collect::<Result<_, _>>()?;
    let Some((first_line, first)) = lines.first() else {
        return Err(PlanError::EmptyCsv);
    };
    if is_header(first) {
        return Err(PlanError::Csv {
            line: *first_line,
            reason: format!(
                "'{}' is a header; the file has none (Kafka's tool fails on it too): remove the line",
                first.join(",")
            ),
        });
    }
    // A first line of 3 fields that does not parse fails either way (in the 4-column form its count is
    // wrong); read as 3 columns, it fails with its own fault.
    let three_columns = groups.len() == 1 && first.len() == 3;
    let mut out: BTreeMap<String, Vec<(TopicPartition, i64)>> = BTreeMap::new();
    for (n, fields) in lines {
        let (group, row) = match (three_columns, fields.as_slice()) {
            (true, [t, p, o]) => (groups[0].clone(), parse_row(t, p, o)),
            (false, [g, t, p, o]) => (g.clone(), parse_row(t, p, o)),
            (true, _) => {
                return Err(PlanError::Csv {
                    line: n,
                    reason: format!(
                    "expected topic,partition,offset (3 columns, like line 1) but found {} columns",
                    fields.len()
                ),
                })
            }
            (false, _) => {
                return Err(PlanError::Csv {
                    line: n,
                    reason: format!(
                        "expected group,topic,partition,offset (4 columns{}) but found {}",
                        if groups.len() == 1 {
                            ", or 3 without the group"
                        } else {
                            " with several groups"
                        },
                        fields.len()
                    ),
                })
            }
        };
        let (tp, offset) = row.map_err(|reason| PlanError::Csv { line: n, reason })?;
        out.entry(group).or_default().push((tp, offset));
    }
    Ok(out)
}

/// A line naming the columns (`topic,partition,offset`, any case, with or without `group`).
fn is_header(fields: &[String]) -> bool {
    let named = |f: &String, name: &str| f.trim().eq_ignore_ascii_case(name);
    let n = fields.len();
    (n == 3 || n == 4)
        && named(&fields[n - 1], "offset")
        && named(&fields[n - 2], "partition")
        && named(&fields[n - 3], "topic")
}

fn split_record(line: &str) -> Result<Vec<String>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line.as_bytes());
    match reader.records().next() {
        Some(Ok(r)) => Ok(r.iter().map(str::to_string).collect()),
        Some(Err(e)) => Err(format!("not valid CSV ({e})")),
        None => Ok(Vec::new()),
    }
}

fn parse_row(topic: &str, partition: &str, offset: &str) -> Result<(TopicPartition, i64), String> {
    if topic.is_empty() {
        return Err("the topic is empty".into());
    }
    let p: i32 = partition
        .trim()
        .parse()
        .map_err(|_| format!("partition '{partition}' is not an integer"))?;
    if p < 0 {
        return Err(format!(
            "partition {p} is negative; partitions are numbered from 0"
        ));
    }
    let o: i64 = offset.trim().parse().map_err(|_| {
        format!("offset '{offset}' is not an integer (a whole number such as 0 or 1500)")
    })?;
    Ok((TopicPartition::new(topic, p), o))
}

/// The rows of a CSV: `(group, topic, partition, offset)`.
pub type CsvRow<'a> = (&'a str, &'a str, i32, i64);

/// Writes rows in the reference tool's export format: 3 columns when `with_group` is false, one record per
/// line, quoted exactly where the tool's CSV writer quotes, so exports compare byte for byte.
///
/// Cells are not neutralised against spreadsheet formulas (see `audit::spreadsheet_safe`): this file
/// is a machine format that must round-trip through `kafka-consumer-groups --from-file`, where a
/// leading `'` would become part of the group id. Kafka topic names cannot start with `= + @`; a group
/// id can, and is written as the tool itself writes it.
pub fn write_csv<'a>(rows: impl IntoIterator<Item = CsvRow<'a>>, with_group: bool) -> String {
    let mut out = String::new();
    for (g, t, p, o) in rows {
        if with_group {
            push_field(&mut out, g);
            out.push(',');
        }
        push_field(&mut out, t);
        out.push_str(&format!(",{p},{o}\n"));
    }
    out
}

/// The tool's writer (Jackson CSV) quotes a value longer than 24 UTF-16 units, or holding a character
/// below `-` (space, `!"#$%&'()*+,`, control characters) or a backslash; `"` is doubled.
fn push_field(out: &mut String, value: &str) {
    let quote = value.encode_utf16().count() > 24 || value.chars().any(|c| c < '-' || c == '\\');
    if quote {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// The plan's targets as `--export` writes them (3 columns for one group, 4 for several).
pub fn export_plan(plan: &Plan) -> String {
    let rows = plan.groups.iter().flat_map(|g| {
        g.partitions.iter().filter_map(move |p| {
            p.target
                .map(|t| (g.group.as_str(), p.topic.as_str(), p.partition, t))
        })
    });
    write_csv(rows, plan.groups.len() > 1)
}

/// A command for the reference tool that makes the same plan, and what to know about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CliCommand {
    pub command: String,
    /// Set when the tool cannot express the plan directly (it then reads our CSV export).
    pub note: Option<String>,
}

/// The `kafka-consumer-groups.sh` command equivalent to `plan` (as a dry run).
pub fn cli_command(plan: &Plan, bootstrap: &str) -> CliCommand {
    let spec = &plan.spec;
    let mut args: Vec<String> = vec![
        "kafka-consumer-groups.sh".into(),
        "--bootstrap-server".into(),
        shell_quote(bootstrap),
    ];
    for g in &spec.groups {
        args.push("--group".into());
        args.push(shell_quote(g));
    }
    args.push("--reset-offsets".into());
    let mut note = None;
    let from_export = |note: &mut Option<String>, why: &str| {
        *note = Some(format!(
            "The tool has no {why}: the command reads this plan's CSV export, saved as rewind-plan.csv."
        ));
        vec!["--from-file".to_string(), "rewind-plan.csv".to_string()]
    };
    let strategy: Vec<String> = match &spec.strategy {
        Strategy::ToEarliest => vec!["--to-earliest".into()],
        Strategy::ToLatest => vec!["--to-latest".into()],
        Strategy::ToCurrent => vec!["--to-current".into()],
        Strategy::ToOffset { offset } => vec!["--to-offset".into(), offset.to_string()],
        Strategy::ShiftBy { shift } => vec!["--shift-by".into(), shift.to_string()],
        Strategy::ToDatetime { .. } => match plan.at_ms.and_then(cli_datetime) {
            Some(at) => vec!["--to-datetime".into(), at],
            None => from_export(&mut note, "form for this instant"),
        },
        Strategy::ByDuration { .. } => match plan.at_ms.map(|at| plan.snapshot_at_ms - at) {
            Some(d) => {
                note = Some(
                    "--by-duration counts back from when the tool runs; --to-datetime with this plan's instant is exact."
                        .into(),
                );
                vec!["--by-duration".into(), iso_duration(d)]
            }
            None => from_export(&mut note, "form for this duration"),
        },
        Strategy::FromFile { .. } => {
            note = Some("Save the CSV this plan was made from as rewind-plan.csv.".into());
            vec!["--from-file".into(), "rewind-plan.csv".into()]
        }
        Strategy::CopyFromGroup { .. } => from_export(&mut note, "copy from another group"),
        Strategy::Explicit { .. } => from_export(&mut note, "per-partition offsets"),
        Strategy::RestoreBackup { .. } => from_export(&mut note, "undo"),
    };
    let file_based = strategy.first().is_some_and(|s| s == "--from-file");
    if !file_based {
        match &spec.scope {
            Scope::AllTopics => args.push("--all-topics".into()),
            Scope::Topics { topics } => {
                for t in topics {
                    args.push("--topic".into());
                    args.push(shell_quote(&t.to_arg()));
                }
            }
        }
    }
    args.extend(strategy);
    args.push("--dry-run".into());
    CliCommand {
        command: args.join(" "),
        note,
    }
}

/// An instant in the tool's `--to-datetime` form, in UTC with milliseconds.
fn cli_datetime(ms: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

/// Milliseconds as an ISO 8601 duration the tool parses (`PT1H30M`, `P1DT2H`, `PT0.5S`).
pub fn iso_duration(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let ms = ms.unsigned_abs();
    let (days, rest) = (ms / 86_400_000, ms % 86_400_000);
    let (h, rest) = (rest / 3_600_000, rest % 3_600_000);
    let (m, rest) = (rest / 60_000, rest % 60_000);
    let (s, frac) = (rest / 1000, rest % 1000);
    let mut out = format!("{sign}P");
    if days > 0 {
        out.push_str(&format!("{days}D"));
    }
    if h > 0 || m > 0 || s > 0 || frac > 0 || days == 0 {
        out.push('T');
        if h > 0 {
            out.push_str(&format!("{h}H"));
        }
        if m > 0 {
            out.push_str(&format!("{m}M"));
        }
        if frac > 0 {
            out.push_str(&format!("{s}.{frac:03}S"));
        } else if s > 0 || (h == 0 && m == 0) {
            out.push_str(&format!("{s}S"));
        }
    }
    out
}

/// Quotes for a POSIX shell when the word has anything but safe characters.
pub fn shell_quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.,:/=@+%".contains(&b));
    if safe {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(g: &str) -> Vec<String> {
        vec![g.to_string()]
    }

    #[test]
    fn three_columns_for_one_group() {
        let rows = parse_reset_csv("t,0,500\nt,1,-1\n", &one("g")).unwrap();
        assert_eq!(
            rows["g"],
            vec![
                (TopicPartition::new("t", 0), 500),
                (TopicPartition::new("t", 1), -1)
            ]
        );
    }

    #[test]
    fn four_columns_for_several_groups_and_quoted_group_ids() {
        let groups = vec!["a,b".to_string(), "q\"x".to_string()];
        let csv = "\"a,b\",t,0,5\n\"q\"\"x\",t,1,6\n";
        let rows = parse_reset_csv(csv, &groups).unwrap();
        assert_eq!(rows["a,b"], vec![(TopicPartition::new("t", 0), 5)]);
        assert_eq!(rows["q\"x"], vec![(TopicPartition::new("t", 1), 6)]);
        // One group with a 4-column file is the 4-column format too.
        let rows = parse_reset_csv("g,t,0,5\nh,t,0,7", &one("g")).unwrap();
        assert_eq!(rows["g"], vec![(TopicPartition::new("t", 0), 5)]);
    }

    #[test]
    fn errors_name_the_line() {
        let header = parse_reset_csv("topic,partition,offset\nt,0,1", &one("g"));
        assert!(
            matches!(header, Err(PlanError::Csv { line: 1, .. })),
            "{header:?}"
        );
        let mixed = parse_reset_csv("t,0,1\ng,t,1,2", &one("g"));
        assert!(
            matches!(mixed, Err(PlanError::Csv { line: 2, .. })),
            "{mixed:?}"
        );
        let nan = parse_reset_csv("g,t,0,1\ng,t,1,x", &one("g"));
        assert!(
            matches!(&nan, Err(PlanError::Csv { line: 2, reason }) if reason.contains("'x'")),
            "{nan:?}"
        );
    }

    /// Issue 18, item 6: each fault is named for what it is, not by a column count or a missing plan.
    #[test]
    fn faults_are_named_for_what_they_are() {
        let reason = |csv: &str, groups: &[String]| match parse_reset_csv(csv, groups) {
            Err(e) => e.to_string(),
            Ok(rows) => panic!("{csv:?} parsed: {rows:?}"),
        };
        for empty in ["", "\n\n", "  \r\n \n"] {
            assert_eq!(
                reason(empty, &one("g")),
                PlanError::EmptyCsv.to_string(),
                "{empty:?}"
            );
        }
        assert!(reason("", &one("g")).starts_with("The CSV file is empty"));
        for header in [
            "topic,partition,offset\nt,0,1",
            "GROUP,Topic,Partition,Offset\ng,t,0,1",
        ] {
            let r = reason(header, &one("g"));
            assert!(
                r.starts_with("CSV line 1: '") && r.contains("is a header"),
                "{r}"
            );
        }
        assert_eq!(
            reason("orders,-1,5", &one("g")),
            "CSV line 1: partition -1 is negative; partitions are numbered from 0"
        );
        assert_eq!(
            reason("g,orders,-1,5", &one("g")),
            "CSV line 1: partition -1 is negative; partitions are numbered from 0"
        );
        assert_eq!(
            reason("orders,0,x", &one("g")),
            "CSV line 1: offset 'x' is not an integer (a whole number such as 0 or 1500)"
        );
        // Several groups: 3 columns cannot say whose row it is, and the message says what is expected.
        let two = vec!["a".to_string(), "b".to_string()];
        assert!(reason("t,0,1", &two).contains("4 columns with several groups"));
    }

    #[test]
    fn export_round_trips_odd_group_ids() {
        let text = write_csv([("a,b", "t", 0, 5), ("q\"x", "t", 1, 6)], true);
        assert_eq!(text, "\"a,b\",t,0,5\n\"q\"\"x\",t,1,6\n");
        let groups = vec!["a,b".to_string(), "q\"x".to_string()];
        let rows = parse_reset_csv(&text, &groups).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(write_csv([("g", "t", 0, 5)], false), "t,0,5\n");
        // Long values are quoted too, as the tool's writer does.
        assert_eq!(
            write_csv([("g", "abcdefghijklmnopqrstuvwxy", 0, 5)], false),
            "\"abcdefghijklmnopqrstuvwxy\",0,5\n"
        );
        assert_eq!(
            write_csv([("g", "a.b-c_d:e", 0, 5)], false),
            "a.b-c_d:e,0,5\n"
        );
    }

    #[test]
    fn iso_durations_render_for_the_tool() {
        assert_eq!(iso_duration(2 * 3_600_000), "PT2H");
        assert_eq!(iso_duration(86_400_000 + 3 * 3_600_000), "P1DT3H");
        assert_eq!(iso_duration(86_400_000), "P1D");
        assert_eq!(iso_duration(500), "PT0.500S");
        assert_eq!(iso_duration(0), "PT0S");
        assert_eq!(iso_duration(-90_000), "-PT1M30S");
        for ms in [1, 999, 61_001, 90_061_001, -3_600_000] {
            assert_eq!(
                super::super::timespec::parse_duration(&iso_duration(ms)),
                Ok(ms)
            );
        }
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(shell_quote("orders:0,1"), "orders:0,1");
        assert_eq!(shell_quote("it's <g>"), r"'it'\''s <g>'");
    }
}
