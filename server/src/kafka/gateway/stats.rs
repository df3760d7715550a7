//! Broker requests per type, summed over every librdkafka client of a cluster, from librdkafka's
//! statistics (benchmarks turn them on; they are what "broker requests per second" is counted from).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

/// The part of librdkafka's statistics JSON we read.
#[derive(serde::Deserialize)]
struct StatsDoc {
    #[serde(default)]
    brokers: HashMap<String, BrokerStats>,
}

#[derive(serde::Deserialize)]
struct BrokerStats {
    #[serde(default)]
    req: HashMap<String, i64>,
}

/// A cluster's running totals. Each client reports cumulative counters of its own, so each keeps
/// what it last reported (`ClientCounts`) and only the increase is added: totals survive clients
/// that come and go (the record readers).
#[derive(Default)]
pub(super) struct RequestCounter {
    totals: Mutex<BTreeMap<String, i64>>,
}

/// What one client reported last.
#[derive(Default)]
pub(super) struct ClientCounts(Mutex<BTreeMap<String, i64>>);

impl RequestCounter {
    pub(super) fn totals(&self) -> BTreeMap<String, i64> {
        self.totals.lock().map(|t| t.clone()).unwrap_or_default()
    }

    /// Adds what `client` sent since its previous statistics (`json`).
    pub(super) fn observe(
        &self,
        client: &ClientCounts,
        json: &[u8],
    ) -> Result<(), serde_json::Error> {
        let doc: StatsDoc = serde_json::from_slice(json)?;
        let mut now: BTreeMap<String, i64> = BTreeMap::new();
        for b in doc.brokers.into_values() {
            for (k, v) in b.req {
                *now.entry(k).or_default() += v;
            }
        }
        let (Ok(mut last), Ok(mut totals)) = (client.0.lock(), self.totals.lock()) else {
            return Ok(());
        };
        for (k, v) in &now {
            let before = last.get(k).copied().unwrap_or(0);
            *totals.entry(k.clone()).or_default() += (v - before).max(0);
        }
        *last = now;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(pairs: &[(&str, &str, i64)]) -> Vec<u8> {
        let mut brokers: BTreeMap<&str, BTreeMap<&str, i64>> = BTreeMap::new();
        for (broker, req, n) in pairs {
            brokers.entry(broker).or_default().insert(req, *n);
        }
        let doc: BTreeMap<&str, serde_json::Value> = brokers
            .into_iter()
            .map(|(b, req)| (b, serde_json::json!({ "req": req })))
            .collect();
        serde_json::to_vec(&serde_json::json!({ "brokers": doc })).unwrap_or_default()
    }

    #[test]
    fn totals_add_each_clients_increase_over_brokers() {
        let counter = RequestCounter::default();
        let (a, b) = (ClientCounts::default(), ClientCounts::default());
        counter
            .observe(&a, &stats(&[("1", "Fetch", 2), ("2", "Fetch", 3)]))
            .ok();
        counter
            .observe(&b, &stats(&[("1", "Fetch", 1), ("1", "Metadata", 1)]))
            .ok();
        // Cumulative: a's second report adds only its increase.
        counter
            .observe(&a, &stats(&[("1", "Fetch", 4), ("2", "Fetch", 3)]))
            .ok();
        let totals = counter.totals();
        assert_eq!(totals.get("Fetch"), Some(&(7 + 1)));
        assert_eq!(totals.get("Metadata"), Some(&1));
        assert!(counter.observe(&a, b"not json").is_err());
    }
}
