//! The guards that stop a replication which would run away: requests in
//! flight, and messages waiting in queues.

use super::request::Requests;

pub struct Limits {
    /// Most calls, attempts, jobs or queued messages at once.
    pub max_in_flight: usize,
    /// Why the run was stopped early, if it was.
    pub runaway: Option<String>,
}

impl Limits {
    pub fn new(max_in_flight: u64) -> Self {
        Self { max_in_flight: max_in_flight.min(usize::MAX as u64) as usize, runaway: None }
    }

    /// Whether what is in flight now is past a limit.
    #[inline]
    pub fn exceeded(&self, requests: &Requests, backlog: usize) -> bool {
        let (_, attempts, jobs) = requests.live();
        attempts > self.max_in_flight || jobs > self.max_in_flight || backlog > self.max_in_flight
    }
}
