//! The contract between the generic job flow and each component kind:
//! what kind a runtime service is (which kind module handles its own
//! steps, events and results), and what a handler step asks the job to
//! do next.

use super::request::Outcome;
use crate::ids::{CacheId, DatastoreId, QueueId};

/// What kind of component a runtime service is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ServiceKind {
    Plain,
    Cache(CacheId),
    Datastore(DatastoreId),
    Queue(QueueId),
}

impl ServiceKind {
    pub fn name(self) -> &'static str {
        match self {
            ServiceKind::Plain => "service",
            ServiceKind::Cache(_) => "cache",
            ServiceKind::Datastore(_) => "datastore",
            ServiceKind::Queue(_) => "queue",
        }
    }
}

/// What a step asks the job to do next.
pub enum Next {
    /// Wait for an event (compute finished, calls answered).
    Wait,
    /// Go on to the next step now.
    Continue,
    /// Answer the caller now.
    Finish(Outcome),
}
