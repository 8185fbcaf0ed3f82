//! Checks of caches and datastores.

use super::{CALLABLE, Checker};
use crate::spec::DistAt;
use crate::spec::{CacheSpec, DatastoreSpec, PartitionSpec, ReadPolicySpec, ReplicationSpec, TtlSpec, WritePolicySpec};

impl Checker<'_> {
    pub(super) fn cache(&mut self, name: &str, c: &CacheSpec) {
        let at = |field: &'static str| ["cache", name, field];
        if c.capacity == 0 {
            self.err(&at("capacity"), "must be at least 1 entry");
        }
        self.at_least_one(&at("replicas"), c.replicas);
        self.at_least_one(&at("workers"), c.workers);
        self.dist(&at("service_time"), DistAt::CacheTime(name.to_string()), &c.service_time);
        if c.origin == name {
            self.err(&at("origin"), "a cache cannot be its own origin");
        } else {
            self.reference(&at("origin"), &c.origin, CALLABLE);
        }
        match &c.ttl {
            Some(TtlSpec::Fixed(d)) => self.nonzero(&at("ttl"), *d),
            Some(TtlSpec::Drawn(d)) => self.dist(&at("ttl"), DistAt::CacheTtl(name.to_string()), d),
            None => {}
        }
        if c.write_policy == WritePolicySpec::WriteBehind {
            match c.flush_delay {
                None => self.err(&at("flush_delay"), "write_behind needs `flush_delay`"),
                Some(d) => self.nonzero(&at("flush_delay"), d),
            }
        } else if c.flush_delay.is_some() {
            self.err(&at("flush_delay"), "applies to `write_policy = \"write_behind\"`");
        }
        if let Some(t) = c.origin_timeout {
            self.nonzero(&at("origin_timeout"), t);
        }
        if let Some(b) = c.xfetch_beta {
            self.positive(&at("xfetch_beta"), b);
            if c.ttl.is_none() {
                self.err(&at("xfetch_beta"), "early expiration needs a `ttl`");
            }
        }
        if let Some(s) = c.stale_while_revalidate {
            self.nonzero(&at("stale_while_revalidate"), s);
            if c.ttl.is_none() {
                self.err(&at("stale_while_revalidate"), "serving stale entries needs a `ttl`");
            }
        }
        for (i, p) in c.prewarm.iter().enumerate() {
            if p.keys.is_empty() && p.top == 0 {
                let idx = i.to_string();
                self.err(&["cache", name, "prewarm", &idx], "needs `keys` or `top`");
            }
        }
    }

    pub(super) fn datastore(&mut self, name: &str, d: &DatastoreSpec) {
        let at = |field: &'static str| ["datastore", name, field];
        self.at_least_one(&at("shards"), d.shards);
        self.at_least_one(&at("workers"), d.workers);
        self.at_least_one(&at("virtual_nodes"), d.virtual_nodes);
        self.dist(&at("read_time"), DistAt::ReadTime(name.to_string()), &d.read_time);
        self.dist(&at("write_time"), DistAt::WriteTime(name.to_string()), &d.write_time);
        if let Some(l) = &d.replication_lag {
            self.dist(&at("replication_lag"), DistAt::ReplicationLag(name.to_string()), l);
        }
        match (d.partition, d.key_space) {
            (PartitionSpec::Range, None) => self.err(&at("key_space"), "range partitioning needs `key_space`"),
            (PartitionSpec::Range, Some(k)) if k < d.shards as u64 => {
                self.err(&at("key_space"), format!("must be at least the number of shards ({})", d.shards))
            }
            (p, Some(_)) if p != PartitionSpec::Range => {
                self.err(&at("key_space"), "applies to `partition = \"range\"`")
            }
            _ => {}
        }
        match (d.replication, d.quorum) {
            (ReplicationSpec::Quorum, None) => self.err(&at("quorum"), "quorum replication needs `quorum`"),
            (ReplicationSpec::Quorum, Some(q)) if q == 0 || q > d.replicas + 1 => self
                .err(&at("quorum"), format!("must be between 1 and the nodes per shard ({}), got {q}", d.replicas + 1)),
            (r, Some(_)) if r != ReplicationSpec::Quorum => {
                self.err(&at("quorum"), "applies to `replication = \"quorum\"`")
            }
            _ => {}
        }
        if d.read_policy != ReadPolicySpec::Primary && d.replicas == 0 {
            self.err(&at("read_policy"), "reading from replicas needs `replicas` of at least 1");
        }
        match (d.read_policy, d.read_your_writes_window) {
            (ReadPolicySpec::ReadYourWrites, Some(w)) => self.nonzero(&at("read_your_writes_window"), w),
            (p, Some(_)) if p != ReadPolicySpec::ReadYourWrites => {
                self.err(&at("read_your_writes_window"), "applies to `read_policy = \"read_your_writes\"`")
            }
            _ => {}
        }
        if let Some(f) = &d.failover {
            self.nonzero(&["datastore", name, "failover", "detection"], f.detection);
            if d.replicas == 0 {
                self.err(&at("failover"), "failing over needs `replicas` of at least 1");
            }
        }
        for (i, h) in d.hot_keys.iter().enumerate() {
            let idx = i.to_string();
            self.at_least_one(&["datastore", name, "hot_keys", &idx, "split"], h.split);
        }
    }
}
