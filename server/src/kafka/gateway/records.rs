//! Reads the record at given offsets (lag in time, landing records) with consumers that never join a
//! group. Small reads (the common page view) reuse a few open consumers, so they cost fetches on open
//! connections; wide reads get a consumer of their own, closed afterwards (see `POOLED_UP_TO`).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::domain::reset::LandingRecord;
use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

use super::stats::{ClientCounts, RequestCounter};
use crate::kafka::native;

/// How long a group page may spend reading the records at its committed offsets.
const TIMESTAMP_BUDGET: Duration = Duration::from_secs(3);

/// How often an idle read looks for partitions read to their log end (`at_log_end`).
const LOG_END_CHECK: Duration = Duration::from_millis(100);

/// Readers kept open between reads; more run at once when asked, and are closed afterwards.
const IDLE_READERS: usize = 4;

/// Reads of more partitions than this use a fresh consumer and close it. A consumer that has held
/// thousands of partitions stays slow on its next assignments, even with every pause undone and the
/// assignment cleared: measured with scripts/bench.sh on a 10,000-partition group, reused readers
/// delivered 6,400 of 10,000 records, then 1, and one read took 17 s instead of its 3 s budget.
const POOLED_UP_TO: usize = 500;

type Reader = BaseConsumer<ReaderContext>;

/// A cluster's record readers.
pub(super) struct ReaderPool {
    config: ClientConfig,
    counter: Arc<RequestCounter>,
    idle: Mutex<Vec<Reader>>,
}

/// Feeds a reader's statistics into its cluster's request counts; its logs are only for debugging
/// (the admin client already reports the cluster's connection problems).
pub(super) struct ReaderContext {
    counter: Arc<RequestCounter>,
    counts: ClientCounts,
}

impl ClientContext for ReaderContext {
    fn stats_raw(&self, statistics: &[u8]) {
        if let Err(e) = self.counter.observe(&self.counts, statistics) {
            tracing::debug!(error = %e, "unreadable librdkafka statistics");
        }
    }

    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        tracing::debug!(?level, %facility, "record reader: {message}");
    }

    fn error(&self, error: KafkaError, reason: &str) {
        tracing::debug!(%error, "record reader: {reason}");
    }
}

impl ConsumerContext for ReaderContext {}

impl ReaderPool {
    /// Creates one reader at once, so refused settings fail at start-up rather than on a group page.
    pub(super) fn new(config: ClientConfig, counter: Arc<RequestCounter>) -> KafkaResult<Self> {
        let pool = Self {
            config,
            counter,
            idle: Mutex::new(Vec::new()),
        };
        let first = pool.create()?;
        if let Ok(mut idle) = pool.idle.lock() {
            idle.push(first);
        }
        Ok(pool)
    }

    fn create(&self) -> KafkaResult<Reader> {
        self.config.create_with_context(ReaderContext {
            counter: Arc::clone(&self.counter),
            counts: ClientCounts::default(),
        })
    }

    /// A reader for `partitions` partitions: a pooled one for a small read, a fresh one otherwise.
    fn take(&self, partitions: usize) -> KafkaResult<Reader> {
        if partitions > POOLED_UP_TO {
            return self.create();
        }
        match self.idle.lock().ok().and_then(|mut idle| idle.pop()) {
            Some(reader) => Ok(reader),
            None => self.create(),
        }
    }

    /// Returns a reader after a read of `assigned`: closed after a wide read, otherwise kept for the
    /// next one. Pausing is the application's and outlives an assignment, so what the read paused is
    /// resumed first, or the next read would find those partitions stopped.
    fn give_back(&self, reader: Reader, assigned: &TopicPartitionList) {
        if assigned.count() > POOLED_UP_TO {
            return close(reader);
        }
        let reset = reader.resume(assigned).and_then(|()| reader.unassign());
        if let Err(e) = reset {
            tracing::debug!(error = %e, "cannot reset a record reader; closing it");
            close(reader);
            return;
        }
        let Ok(mut idle) = self.idle.lock() else {
            return close(reader);
        };
        if idle.len() < IDLE_READERS {
            idle.push(reader);
        } else {
            drop(idle);
            close(reader);
        }
    }

    /// A reader assigned `tpl` (the offsets to start from), or None after saying why not.
    fn assigned(&self, tpl: &TopicPartitionList) -> Option<Reader> {
        let reader = match self.take(tpl.count()) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "cannot create a record reader");
                return None;
            }
        };
        if let Err(e) = reader.assign(tpl) {
            tracing::warn!(error = %e, "cannot assign the record reader");
            self.give_back(reader, tpl);
            return None;
        }
        Some(reader)
    }

    /// Hands every record of `partition` from offset `from` up to `to` (exclusive) to `each`, for
    /// at most `budget`; whether it got to `to`.
    pub(super) fn scan(
        &self,
        topic: &str,
        partition: i32,
        from: i64,
        to: i64,
        budget: Duration,
        mut each: impl FnMut(&BorrowedMessage<'_>),
    ) -> bool {
        let mut tpl = TopicPartitionList::new();
        if let Err(e) = tpl.add_partition_offset(topic, partition, Offset::Offset(from)) {
            tracing::warn!(error = %e, "cannot add partition to the reader");
            return false;
        }
        let Some(reader) = self.assigned(&tpl) else {
            return false;
        };
        let deadline = Instant::now() + budget;
        let mut done = false;
        while !done && Instant::now() < deadline {
            match reader.poll(Duration::from_millis(20)) {
                Some(Ok(m)) => {
                    done = m.offset() >= to - 1;
                    each(&m);
                }
                Some(Err(e)) => tracing::debug!(error = %e, "record reader"),
                // Control records (transaction markers) are never handed out: the position says
                // when the range is behind us.
                None => {
                    done = reader.position().ok().is_some_and(|p| {
                        p.find_partition(topic, partition)
                            .is_some_and(|e| matches!(e.offset(), Offset::Offset(o) if o >= to))
                    });
                }
            }
        }
        self.give_back(reader, &tpl);
        done
    }
}

/// Closing a consumer waits for its threads; the caller need not.
fn close(reader: Reader) {
    std::thread::spawn(move || drop(reader));
}

/// `read_records` on the blocking pool with the cluster's reader settings, as timestamps; empty on failure.
/// Only the timestamp is kept: the group page reads 10,000 records this way and needs no previews.
pub(super) async fn record_timestamps(
    readers: &Arc<ReaderPool>,
    wanted: Vec<(String, i32, i64)>,
) -> HashMap<(String, i32), i64> {
    read_on_blocking_pool(readers, wanted, |m| m.timestamp().to_millis()).await
}

/// The landing record of each partition, with key and value previews.
pub(super) async fn landing_records(
    readers: &Arc<ReaderPool>,
    wanted: Vec<(String, i32, i64)>,
) -> HashMap<(String, i32), LandingRecord> {
    read_on_blocking_pool(readers, wanted, |m| {
        Some(LandingRecord {
            topic: m.topic().to_owned(),
            partition: m.partition(),
            offset: m.offset(),
            timestamp: m.timestamp().to_millis(),
            key: m.key().map(preview),
            value: m.payload().map(preview),
            value_bytes: m.payload().map_or(0, <[u8]>::len),
        })
    })
    .await
}

/// `read_records` on the blocking pool with the cluster's reader settings; empty on failure.
async fn read_on_blocking_pool<T: Send + 'static>(
    readers: &Arc<ReaderPool>,
    wanted: Vec<(String, i32, i64)>,
    keep: fn(&BorrowedMessage<'_>) -> Option<T>,
) -> HashMap<(String, i32), T> {
    let readers = Arc::clone(readers);
    tokio::task::spawn_blocking(move || read_records(&readers, &wanted, TIMESTAMP_BUDGET, keep))
        .await
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "record reader task failed");
            HashMap::new()
        })
}

/// Characters of a key or value preview.
const PREVIEW_CHARS: usize = 120;

/// A short preview of a key or value: text when it is UTF-8, hex of its first bytes otherwise.
fn preview(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) if text.chars().count() > PREVIEW_CHARS => {
            let cut: String = text.chars().take(PREVIEW_CHARS).collect();
            format!("{cut}...")
        }
        Ok(text) => text.to_owned(),
        Err(_) => {
            let hex: String = bytes
                .iter()
                .take(PREVIEW_CHARS / 2)
                .map(|b| format!("{b:02x}"))
                .collect();
            let more = if bytes.len() > PREVIEW_CHARS / 2 {
                "..."
            } else {
                ""
            };
            format!("0x{hex}{more}")
        }
    }
}

/// The first record at or after each given offset, read by one consumer in one assignment (pooled
/// for a small read, see `POOLED_UP_TO`). librdkafka fetches all partitions led by one broker in one
/// request. Partitions not read within `budget` are missing from the result: the page shows their
/// lag in time as unknown rather than waiting longer.
fn read_records<T>(
    readers: &ReaderPool,
    wanted: &[(String, i32, i64)],
    budget: Duration,
    keep: fn(&BorrowedMessage<'_>) -> Option<T>,
) -> HashMap<(String, i32), T> {
    let mut out = HashMap::new();
    let mut tpl = TopicPartitionList::with_capacity(wanted.len());
    for (t, p, o) in wanted {
        if let Err(e) = tpl.add_partition_offset(t, *p, Offset::Offset(*o)) {
            tracing::warn!(error = %e, "cannot add partition to the reader");
        }
    }
    let started = Instant::now();
    let Some(reader) = readers.assigned(&tpl) else {
        return out;
    };
    let assigned = started.elapsed();
    let expected: HashMap<(&str, i32), i64> = wanted
        .iter()
        .map(|(t, p, o)| ((t.as_str(), *p), *o))
        .collect();
    let deadline = Instant::now() + budget;
    // librdkafka hands out one partition's fetched records before the next one's, so a partition that
    // has given its record is paused at once: pausing bumps its version, which drops its queued records
    // and lets the other partitions through.
    let mut satisfied = TopicPartitionList::new();
    // Partitions given up without a value: read to their log end (only transaction markers were left),
    // or their record gave nothing to keep.
    let mut ended: HashSet<(String, i32)> = HashSet::new();
    let mut last_check = Instant::now();
    while out.len() + ended.len() < wanted.len() && Instant::now() < deadline {
        match reader.poll(Duration::from_millis(20)) {
            Some(Ok(m)) => {
                // The first record at or after the offset (control records and compacted records leave
                // gaps) is the one a consumer starting there reads first.
                let key = (m.topic(), m.partition());
                let owned = (m.topic().to_owned(), m.partition());
                if expected.get(&key).is_some_and(|o| m.offset() >= *o)
                    && !out.contains_key(&owned)
                    && !ended.contains(&owned)
                {
                    // A record that gives nothing to keep (no timestamp) still ends its partition.
                    match keep(&m) {
                        Some(kept) => {
                            out.insert(owned, kept);
                        }
                        None => {
                            ended.insert(owned);
                        }
                    }
                    let _ = satisfied.add_partition(m.topic(), m.partition());
                }
            }
            Some(Err(e)) => tracing::debug!(error = %e, "record reader"),
            // Nothing came for a poll: a partition whose position has reached the log end it was last
            // told of has nothing more to give, and would otherwise be asked again until the budget.
            // Checked at most every `LOG_END_CHECK`: it looks at every assigned partition.
            None if last_check.elapsed() >= LOG_END_CHECK => {
                last_check = Instant::now();
                for (topic, partition) in at_log_end(&reader, &out, &ended) {
                    let _ = satisfied.add_partition(&topic, partition);
                    ended.insert((topic, partition));
                }
            }
            None => {}
        }
        if satisfied.count() > 0 {
            if let Err(e) = reader.pause(&satisfied) {
                tracing::debug!(error = %e, "cannot pause satisfied partitions");
            }
            satisfied = TopicPartitionList::new();
        }
    }
    let read = started.elapsed();
    readers.give_back(reader, &tpl);
    tracing::debug!(
        wanted = wanted.len(),
        got = out.len(),
        ended = ended.len(),
        ?assigned,
        ?read,
        total = ?started.elapsed(),
        "read records"
    );
    out
}

/// The assigned partitions, neither read nor given up yet, whose position has reached the high
/// watermark of their last fetch: what is left below it were records a consumer never hands out
/// (transaction markers). Both figures are the reader's own, without a request to the broker.
fn at_log_end(
    reader: &Reader,
    read: &HashMap<(String, i32), impl Sized>,
    ended: &HashSet<(String, i32)>,
) -> Vec<(String, i32)> {
    let (Ok(positions), Ok(rk)) = (reader.position(), native::handle(reader.client())) else {
        return Vec::new();
    };
    positions
        .elements()
        .iter()
        .filter_map(|e| {
            let Offset::Offset(position) = e.offset() else {
                return None;
            };
            let key = (e.topic().to_owned(), e.partition());
            if read.contains_key(&key) || ended.contains(&key) {
                return None;
            }
            let (_, high) = native::cached_watermarks(rk, e.topic(), e.partition())?;
            (position >= high).then_some(key)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use rdkafka::{Offset, TopicPartitionList};

    use super::{preview, PREVIEW_CHARS};

    /// `read_records` builds its list with `add_partition_offset`. The vendored rdkafka sets the offset
    /// on the element that adds (vendor/README.md): the release searched the whole list for it, which
    /// was 0.3 to 0.4 s of a wide read's 10,000 partitions, and set an earlier copy of the partition.
    #[test]
    fn add_partition_offset_sets_the_element_it_adds() {
        let mut tpl = TopicPartitionList::new();
        for offset in [5, 7] {
            assert!(tpl
                .add_partition_offset("t", 0, Offset::Offset(offset))
                .is_ok());
        }
        let offsets: Vec<Offset> = tpl.elements().iter().map(|e| e.offset()).collect();
        assert_eq!(offsets, [Offset::Offset(5), Offset::Offset(7)]);
    }

    #[test]
    fn previews_are_short_text_or_hex() {
        assert_eq!(preview(b"{\"id\":1}"), "{\"id\":1}");
        let long = "é".repeat(PREVIEW_CHARS + 5);
        assert_eq!(preview(long.as_bytes()).chars().count(), PREVIEW_CHARS + 3);
        assert_eq!(preview(&[0xff, 0x00, 0x10]), "0xff0010");
        assert!(preview(&[0xff; 200]).ends_with("..."));
    }
}
