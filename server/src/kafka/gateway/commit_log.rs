//! Recent offset commits of one group, read from Kafka's own `__consumer_offsets` log: the only trace
//! of a consumer that commits without joining its group (assign()), which otherwise looks Empty.
//!
//! The record parsing is ours on purpose: we need a commit key (group, topic, partition) and the
//! first field of its value (the offset), laid out the same in every version Kafka has written. The
//! one crate for these records (`konsumer_offsets`) parses whole values and refuses versions it does
//! not know, which would turn a newer broker into "cannot check".

use std::time::Duration;

use app::error::AppResult;
use rdkafka::message::Message;
use rdkafka::types::RDKafkaErrorCode;

use super::{native, timeout, topic_metadata, KafkaGateway, NativeError, OffsetSpec};
use crate::reset::port::{RecentCommits, SeenCommit};

pub(super) const OFFSETS_TOPIC: &str = "__consumer_offsets";

/// How long reading the group's slice of the commit log may take; a partial read says so.
const SCAN_BUDGET: Duration = Duration::from_secs(2);

/// The `__consumer_offsets` partition holding `group`: Kafka's `Utils.abs(groupId.hashCode()) %
/// partitions`, with Java's String hash over UTF-16 code units. `Utils.abs` is `Math.abs` with
/// `Integer.MIN_VALUE` mapped to 0 (not the producer's `toPositive` bit mask, which lands elsewhere).
pub(super) fn partition_for(group: &str, partitions: i32) -> i32 {
    let hash = group
        .encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)));
    hash.checked_abs().unwrap_or(0) % partitions.max(1)
}

/// One record of `__consumer_offsets`, as far as Rewind reads it.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum LogRecord {
    /// An offset commit (key versions 0 and 1): the committed offset, None for a deletion.
    Commit {
        group: String,
        topic: String,
        partition: i32,
        offset: Option<i64>,
    },
    /// Anything the group protocol writes (key version 2 and up: group metadata, members,
    /// assignments), whose keys all begin with the group id: the group had members then.
    Membership { group: String },
}

pub(super) fn parse_record(key: &[u8], value: Option<&[u8]>) -> Option<LogRecord> {
    let mut k = Cursor(key);
    let version = k.i16()?;
    if version >= 2 {
        return Some(LogRecord::Membership { group: k.string()? });
    }
    if version < 0 {
        return None;
    }
    let (group, topic, partition) = (k.string()?, k.string()?, k.i32()?);
    let offset = match value {
        None => None,
        Some(v) => {
            let mut v = Cursor(v);
            v.i16()?;
            Some(v.i64()?)
        }
    };
    Some(LogRecord::Commit {
        group,
        topic,
        partition,
        offset,
    })
}

/// Big-endian reads off the front of a slice, as Kafka's fixed-width record schemas are laid out.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }

    fn i16(&mut self) -> Option<i16> {
        self.take::<2>().map(i16::from_be_bytes)
    }

    fn i32(&mut self) -> Option<i32> {
        self.take::<4>().map(i32::from_be_bytes)
    }

    fn i64(&mut self) -> Option<i64> {
        self.take::<8>().map(i64::from_be_bytes)
    }

    fn string(&mut self) -> Option<String> {
        let len = usize::try_from(self.i16()?).ok()?;
        if self.0.len() < len {
            return None;
        }
        let (text, rest): (&'a [u8], &'a [u8]) = self.0.split_at(len);
        self.0 = rest;
        String::from_utf8(text.to_vec()).ok()
    }
}

impl KafkaGateway {
    /// `group`'s commits at or after `since_ms`: one metadata request, two ListOffsets on the
    /// group's `__consumer_offsets` partition, then a read of that partition from `since_ms` on.
    pub(super) async fn recent_commits_impl(
        &self,
        cluster: &str,
        group: &str,
        since_ms: i64,
    ) -> AppResult<RecentCommits> {
        let client = self.cluster(cluster)?;
        let group_id = group.to_owned();
        let (partition, start, end) = self
            .blocking(client, "commit-log-offsets", move |admin| {
                let metadata = topic_metadata(admin, OFFSETS_TOPIC, timeout())?;
                let count = metadata
                    .topics()
                    .first()
                    .map_or(0, |t| t.partitions().len());
                let count = i32::try_from(count).unwrap_or(0);
                if count == 0 {
                    return Err(NativeError {
                        operation: "Metadata",
                        code: RDKafkaErrorCode::UnknownTopicOrPartition,
                        message: format!("{OFFSETS_TOPIC} has no partitions we may see"),
                    });
                }
                let partition = partition_for(&group_id, count);
                let rk = native::handle(admin.inner())?;
                let keys = [(OFFSETS_TOPIC.to_owned(), partition)];
                let at = |spec| -> Result<Option<i64>, NativeError> {
                    Ok(native::list_offsets(rk, &keys, spec, timeout())?
                        .first()
                        .and_then(|o| o.offset))
                };
                Ok((
                    partition,
                    at(OffsetSpec::Timestamp(since_ms))?,
                    at(OffsetSpec::Latest)?,
                ))
            })
            .await?;
        let (start, end) = match (start, end) {
            (Some(start), Some(end)) if start < end => (start, end),
            // Nothing was written to the group's partition since `since_ms`.
            _ => {
                return Ok(RecentCommits {
                    complete: true,
                    ..RecentCommits::default()
                })
            }
        };
        let readers = std::sync::Arc::clone(&client.readers);
        let group_id = group.to_owned();
        tokio::task::spawn_blocking(move || {
            let mut seen = RecentCommits::default();
            seen.complete = readers.scan(OFFSETS_TOPIC, partition, start, end, SCAN_BUDGET, |m| {
                let at_ms = m.timestamp().to_millis().unwrap_or(0);
                let Some(key) = m.key() else { return };
                match parse_record(key, m.payload()) {
                    Some(LogRecord::Commit {
                        group,
                        topic,
                        partition,
                        offset,
                    }) if group == group_id && at_ms >= since_ms => {
                        seen.commits.push(SeenCommit {
                            topic,
                            partition,
                            offset,
                            at_ms,
                        });
                    }
                    Some(LogRecord::Membership { group }) if group == group_id => {
                        seen.membership_at_ms = seen.membership_at_ms.max(Some(at_ms));
                    }
                    _ => {}
                }
            });
            seen
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "commit log reader task failed");
            app::error::AppError::Internal {
                reference: "commit-log".into(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_land_on_the_partition_kafka_chooses() {
        // Computed with the JDK: Math.abs("payments-processor".hashCode()) % 50, and so on.
        assert_eq!(partition_for("payments-processor", 50), 6);
        assert_eq!(partition_for("rewind-bench-g-00042", 50), 19);
        assert_eq!(partition_for("orders-replay", 50), 47);
        // A negative hash (the bit mask would give 8), and Integer.MIN_VALUE.
        assert_eq!(
            partition_for("resets-assign-29798-1795703914551087679-2", 10),
            0
        );
        assert_eq!(partition_for("polygenelubricants", 50), 0);
        assert_eq!(partition_for("", 50), 0);
    }

    fn key(version: i16, group: &str, topic: &str, partition: i32) -> Vec<u8> {
        let mut k = version.to_be_bytes().to_vec();
        for s in [group, topic] {
            k.extend((s.len() as i16).to_be_bytes());
            k.extend(s.as_bytes());
        }
        k.extend(partition.to_be_bytes());
        k
    }

    #[test]
    fn commits_and_membership_records_are_told_apart() {
        let mut value = 3i16.to_be_bytes().to_vec();
        value.extend(42i64.to_be_bytes());
        value.extend([0, 0, 0, 0, 0, 0]);
        let k = key(1, "g", "orders", 7);
        let commit = |offset| LogRecord::Commit {
            group: "g".into(),
            topic: "orders".into(),
            partition: 7,
            offset,
        };
        assert_eq!(parse_record(&k, Some(&value)), Some(commit(Some(42))));
        assert_eq!(parse_record(&k, None), Some(commit(None)));
        // Group metadata (2) and KIP-848 member records (5) begin with the group id.
        for version in [2, 5] {
            assert_eq!(
                parse_record(&key(version, "g", "member-1", 0), Some(&value)),
                Some(LogRecord::Membership { group: "g".into() })
            );
        }
        // Truncated records are nothing.
        assert_eq!(parse_record(&k[..k.len() - 1], Some(&value)), None);
        assert_eq!(parse_record(&k, Some(&value[..5])), None);
        assert_eq!(parse_record(&(-1i16).to_be_bytes(), None), None);
    }
}
