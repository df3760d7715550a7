//! The client's main queue: librdkafka's logs, errors and statistics, which nothing else polls.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rdkafka::bindings as rd;
use rdkafka::types::RDKafkaErrorCode;

use super::raw::{Event, Queue};
use super::Handle;

/// What a client's main queue delivered.
pub enum MainEvent<'a> {
    /// librdkafka's statistics JSON (only with `statistics.interval.ms` > 0).
    Stats(&'a str),
    Log {
        level: i32,
        facility: String,
        message: String,
    },
    Error {
        code: RDKafkaErrorCode,
        message: String,
    },
}

/// Serves a client's main queue until `stop` is set. The rdkafka crate's `AdminClient` never polls it,
/// so without this its events would pile up for the life of a long-running server.
pub fn serve_main_queue(rk: Handle<'_>, stop: &AtomicBool, mut handle: impl FnMut(MainEvent<'_>)) {
    let Some(queue) = Queue::main(rk) else {
        return;
    };
    while !stop.load(Ordering::Relaxed) {
        if let Some(ev) = queue.poll(Duration::from_millis(200)) {
            dispatch(&ev, &mut handle);
        }
    }
}

fn dispatch(ev: &Event<'_>, handle: &mut impl FnMut(MainEvent<'_>)) {
    match ev.kind() {
        rd::RD_KAFKA_EVENT_STATS => {
            // SAFETY: a live stats event; the JSON string it returns is owned by it.
            let json = unsafe { ev.c_str(rd::rd_kafka_event_stats(ev.as_ptr())) };
            if let Some(Ok(json)) = json.map(std::ffi::CStr::to_str) {
                handle(MainEvent::Stats(json));
            }
        }
        rd::RD_KAFKA_EVENT_LOG => {
            let (mut fac, mut msg, mut level) = (std::ptr::null(), std::ptr::null(), 0);
            // SAFETY: a live log event; the out-pointers are ours and receive strings owned by it.
            if unsafe { rd::rd_kafka_event_log(ev.as_ptr(), &mut fac, &mut msg, &mut level) } == 0 {
                handle(MainEvent::Log {
                    level,
                    // SAFETY: NULL or a string owned by `ev`.
                    facility: unsafe { ev.string(fac) }.unwrap_or_default(),
                    // SAFETY: as above.
                    message: unsafe { ev.string(msg) }.unwrap_or_default(),
                });
            }
        }
        rd::RD_KAFKA_EVENT_ERROR => {
            if let Some((code, message)) = ev.error() {
                handle(MainEvent::Error { code, message });
            }
        }
        _ => {}
    }
}
