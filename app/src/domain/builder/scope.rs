//! The scope text the builder takes (`orders orders:0,1 orders:0-99`), parsed and edited.

use super::super::reset::{PlanError, Scope, TopicScope};

/// A partition list longer than this in a scope is refused: it would not fit a link or a form.
const MAX_SCOPED_PARTITIONS: usize = 10_000;

/// The scope text as a `Scope`: empty means every topic the group has committed. Partition lists take
/// ranges (`0-99`), which the reference tool does not, so a wide topic can be scoped by hand.
pub fn parse_scope(text: &str) -> Result<Scope, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() {
        return Ok(Scope::AllTopics);
    }
    let mut topics = Vec::with_capacity(words.len());
    let mut total = 0usize;
    for word in words {
        let arg = match word.split_once(':') {
            Some((topic, parts)) if parts.contains('-') => {
                let expanded = expand_ranges(parts)
                    .map_err(|e| format!("In '{word}': {e}"))?
                    .iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(",");
                format!("{topic}:{expanded}")
            }
            _ => word.to_owned(),
        };
        let scope = TopicScope::parse(&arg).map_err(|e: PlanError| e.to_string())?;
        total += scope.partitions.as_ref().map_or(0, Vec::len);
        if total > MAX_SCOPED_PARTITIONS {
            return Err(format!(
                "The scope names more than {MAX_SCOPED_PARTITIONS} partitions; scope whole topics instead."
            ));
        }
        topics.push(scope);
    }
    Ok(Scope::Topics { topics })
}

/// The scope text's topics, each with its partition list as typed (None: the whole topic).
pub fn scope_topics(text: &str) -> Vec<(String, Option<String>)> {
    text.split_whitespace()
        .map(|w| match w.split_once(':') {
            Some((t, p)) => (t.to_owned(), Some(p.to_owned())),
            None => (w.to_owned(), None),
        })
        .collect()
}

/// The scope text with `topic` removed (`None`), or set to the whole topic (`Some(None)`) or to a
/// partition list (`Some(Some("0-9"))`), keeping the other topics in their order.
pub fn set_scope_topic(text: &str, topic: &str, to: Option<Option<&str>>) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut placed = false;
    let word = |parts: Option<&str>| match parts.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => format!("{topic}:{p}"),
        None => topic.to_owned(),
    };
    for (t, p) in scope_topics(text) {
        if t != topic {
            words.push(match p {
                Some(p) => format!("{t}:{p}"),
                None => t,
            });
        } else if let (Some(parts), false) = (to, placed) {
            words.push(word(parts));
            placed = true;
        }
    }
    if let (Some(parts), false) = (to, placed) {
        words.push(word(parts));
    }
    words.join(" ")
}

/// `0-3,7` -> `[0, 1, 2, 3, 7]`.
fn expand_ranges(parts: &str) -> Result<Vec<i32>, String> {
    let mut out = Vec::new();
    for piece in parts.split(',') {
        let piece = piece.trim();
        if let Some(Ok(n)) = piece.strip_prefix('-').map(str::parse::<i64>) {
            return Err(format!(
                "partition -{n} is negative; partitions are numbered from 0"
            ));
        }
        match piece.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (partition_number(a)?, partition_number(b)?);
                if a > b {
                    return Err(format!("the range {a}-{b} runs backwards"));
                }
                // Counted before expanding: a link must not make the server or the tab build a huge list.
                if out.len() + (b - a) as usize >= MAX_SCOPED_PARTITIONS {
                    return Err(format!(
                        "more than {MAX_SCOPED_PARTITIONS} partitions; scope the whole topic instead"
                    ));
                }
                out.extend(a..=b);
            }
            None => out.push(partition_number(piece)?),
        }
        if out.len() > MAX_SCOPED_PARTITIONS {
            return Err(format!(
                "more than {MAX_SCOPED_PARTITIONS} partitions; scope the whole topic instead"
            ));
        }
    }
    Ok(out)
}

fn partition_number(s: &str) -> Result<i32, String> {
    s.trim()
        .parse::<i32>()
        .ok()
        .filter(|p| *p >= 0)
        .ok_or_else(|| {
            if s.trim().is_empty() {
                "a partition number is missing (write 0-9 or 0,3,7)".to_owned()
            } else {
                format!(
                    "'{}' is not a partition number (write 0-9 or 0,3,7)",
                    s.trim()
                )
            }
        })
}
