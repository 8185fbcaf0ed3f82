//! Message queues and streams: producers enqueue, consumer groups take the
//! messages. Within a group, consumers compete (each message goes to one);
//! every group sees every message.
//!
//! ```toml
//! [queue.jobs]
//! visibility_timeout = "30s"   # unacknowledged this long: delivered again
//! max_deliveries = 5           # then moved to the dead-letter queue
//! retention = "1h"             # older messages are dropped
//! capacity = 100000            # per group; a full queue rejects producers
//!
//! [queue.jobs.consumers.thumbnails]
//! service = "thumbnailer"
//! concurrency = 16             # messages in flight at once
//! ```
//!
//! A client or a handler step enqueues by calling the queue (`target =
//! "jobs"`, `{ call = "jobs" }`); the call is answered as soon as the
//! message is stored, so the request path does not wait for the work.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Duration;

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueSpec {
    #[serde(default = "thirty_s")]
    pub visibility_timeout: Duration,
    /// Deliveries before a message goes to the dead-letter queue.
    #[serde(default = "five")]
    pub max_deliveries: u32,
    #[serde(default)]
    pub retention: Option<Duration>,
    /// Messages each group may hold waiting; absent means unbounded.
    #[serde(default)]
    pub capacity: Option<u32>,
    /// Consumer groups, by name.
    pub consumers: BTreeMap<String, ConsumerGroupSpec>,
    #[serde(default)]
    pub region: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerGroupSpec {
    /// The service that handles each message.
    pub service: String,
    /// Messages in flight at once; absent means one per worker of the
    /// service's serving instances (it follows autoscaling).
    #[serde(default)]
    pub concurrency: Option<u32>,
}

fn thirty_s() -> Duration {
    Duration::from_secs(30)
}
fn five() -> u32 {
    5
}
