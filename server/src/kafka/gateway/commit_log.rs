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

const OFFSETS_TOPIC: &str = "__consumer_offsets";

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

/// An offset commit record (key versions 0 and 1; 2 and up are group metadata and other records):
/// group, topic, partition, and the committed offset (None: a deletion's tombstone).
pub(super) fn parse_commit(
    key: &[u8],
    value: Option<&[u8]>,
) -> Option<(String, String, i32, Option<i64>)> {
    let mut k = Cursor(key);
    if !(0..=1).contains(&k.i16()?) {
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
    Some((group, topic, partition, offset))
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
        let (Some(start), Some(end)) = (start, end) else {
            // Nothing was written to the group's partition since `since_ms`.
            return Ok(RecentCommits {
                commits: Vec::new(),
                complete: true,
            });
        };
        if start >= end {
            return Ok(RecentCommits {
                commits: Vec::new(),
                complete: true,
            });
        }
        let readers = std::sync::Arc::clone(&client.readers);
        let group_id = group.to_owned();
        tokio::task::spawn_blocking(move || {
            let mut commits = Vec::new();
            let complete = readers.scan(OFFSETS_TOPIC, partition, start, end, SCAN_BUDGET, |m| {
                let at_ms = m.timestamp().to_millis().unwrap_or(0);
                let Some(key) = m.key() else { return };
                if let Some((g, topic, partition, offset)) = parse_commit(key, m.payload()) {
                    if g == group_id && at_ms >= since_ms {
                        commits.push(SeenCommit {
                            topic,
                            partition,
                            offset,
                            at_ms,
                        });
                    }
                }
            });
            RecentCommits { commits, complete }
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
    fn commit_keys_and_offsets_are_read_and_other_records_skipped() {
        let mut value = 3i16.to_be_bytes().to_vec();
        value.extend(42i64.to_be_bytes());
        value.extend([0, 0, 0, 0, 0, 0]);
        let k = key(1, "g", "orders", 7);
        assert_eq!(
            parse_commit(&k, Some(&value)),
            Some(("g".into(), "orders".into(), 7, Some(42)))
        );
        assert_eq!(
            parse_commit(&k, None),
            Some(("g".into(), "orders".into(), 7, None))
        );
        // Group metadata (key version 2) and truncated records are not commits.
        assert_eq!(parse_commit(&key(2, "g", "orders", 7), Some(&value)), None);
        assert_eq!(parse_commit(&k[..k.len() - 1], Some(&value)), None);
        assert_eq!(parse_commit(&k, Some(&value[..5])), None);
    }
}
