//! Typed indices into the runtime tables, one type per index space, so a
//! station index cannot be used where a job is meant.
//!
//! Each id wraps a `NonZeroU32` holding the index plus one: an
//! `Option<JobId>` is as small as a `JobId`, and "no job" is `None` rather
//! than a sentinel value.

use std::marker::PhantomData;
use std::num::NonZeroU32;

/// An index into one runtime table.
pub trait Id: Copy + Eq {
    fn new(index: usize) -> Self;
    fn index(self) -> usize;
}

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(NonZeroU32);

        impl Id for $name {
            #[inline]
            fn new(index: usize) -> Self {
                debug_assert!(index < u32::MAX as usize);
                Self(NonZeroU32::new(index as u32 + 1).expect("index below u32::MAX"))
            }
            #[inline]
            fn index(self) -> usize {
                (self.0.get() - 1) as usize
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", stringify!($name), self.index())
            }
        }
    )*};
}

ids! {
    /// A request being served at a station.
    JobId;
    /// A logical call from an owner to a target.
    CallId;
    /// One try of a call.
    AttemptId;
    /// One replica of a service, cache node or datastore node.
    StationId;
    /// A runtime service: a service, cache, datastore or queue.
    ServiceId;
    /// A call site: where calls from one place go, and with what policies.
    SiteId;
    /// A directed network link.
    LinkId;
    /// A connection pool from one calling replica to one target node.
    PoolId;
    ClientId;
    BalancerId;
    CacheId;
    DatastoreId;
    QueueId;
    RouterId;
    FaultId;
    /// An autoscaler.
    ScalerId;
    /// An availability zone, by order of first mention.
    ZoneId;
    /// A region, by name.
    RegionId;
    /// A single-flight scope: one cache node, or one service's cache-aside
    /// lookups.
    FlightId;
    /// A place in a station's list of the jobs present.
    SlotId;
    /// A message delivered by a queue and not yet acknowledged.
    DeliveryId;
}

impl StationId {
    /// The station `n` places after this one.
    #[inline]
    pub fn offset(self, n: u32) -> StationId {
        StationId::new(self.index() + n as usize)
    }

    /// How many places after `first` this station is.
    #[inline]
    pub fn local_to(self, first: StationId) -> u32 {
        (self.index() - first.index()) as u32
    }
}

impl SiteId {
    /// The site `n` places after this one (sites of one step are
    /// consecutive).
    #[inline]
    pub fn offset(self, n: u32) -> SiteId {
        SiteId::new(self.index() + n as usize)
    }
}

impl FlightId {
    #[inline]
    pub fn offset(self, n: u32) -> FlightId {
        FlightId::new(self.index() + n as usize)
    }
}

impl PoolId {
    #[inline]
    pub fn offset(self, n: u32) -> PoolId {
        PoolId::new(self.index() + n as usize)
    }
}

/// A vector indexed by one id type.
pub struct IdVec<I, T> {
    items: Vec<T>,
    _id: PhantomData<I>,
}

impl<I: Id, T> Default for IdVec<I, T> {
    fn default() -> Self {
        Self { items: Vec::new(), _id: PhantomData }
    }
}

impl<I: Id, T> IdVec<I, T> {
    /// Appends `value` and returns its id.
    pub fn push(&mut self, value: T) -> I {
        self.items.push(value);
        I::new(self.items.len() - 1)
    }

    /// The id the next `push` will return.
    pub fn next_id(&self) -> I {
        I::new(self.items.len())
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }

    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
        self.items.iter_mut()
    }

    /// Every id, in order.
    pub fn ids(&self) -> impl Iterator<Item = I> + use<I, T> {
        (0..self.items.len()).map(I::new)
    }

    /// (id, item) pairs, in order.
    pub fn enumerate(&self) -> impl Iterator<Item = (I, &T)> {
        self.items.iter().enumerate().map(|(i, t)| (I::new(i), t))
    }

    /// `count` items starting at `first`.
    pub fn slice(&self, first: I, count: u32) -> &[T] {
        &self.items[first.index()..first.index() + count as usize]
    }

    pub fn slice_mut(&mut self, first: I, count: u32) -> &mut [T] {
        &mut self.items[first.index()..first.index() + count as usize]
    }

    /// Takes the items out, leaving the table empty.
    pub fn take(&mut self) -> Vec<T> {
        std::mem::take(&mut self.items)
    }
}

impl<I: Id, T> From<Vec<T>> for IdVec<I, T> {
    fn from(items: Vec<T>) -> Self {
        Self { items, _id: PhantomData }
    }
}

impl<I: Id, T> FromIterator<T> for IdVec<I, T> {
    fn from_iter<It: IntoIterator<Item = T>>(iter: It) -> Self {
        Self { items: iter.into_iter().collect(), _id: PhantomData }
    }
}

impl<I: Id, T> std::ops::Index<I> for IdVec<I, T> {
    type Output = T;
    #[inline]
    fn index(&self, i: I) -> &T {
        &self.items[i.index()]
    }
}

impl<I: Id, T> std::ops::IndexMut<I> for IdVec<I, T> {
    #[inline]
    fn index_mut(&mut self, i: I) -> &mut T {
        &mut self.items[i.index()]
    }
}

impl<'a, I: Id, T> IntoIterator for &'a IdVec<I, T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

impl<'a, I: Id, T> IntoIterator for &'a mut IdVec<I, T> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_cost_nothing_as_options() {
        assert_eq!(JobId::new(0).index(), 0);
        assert_eq!(StationId::new(41).offset(2).local_to(StationId::new(40)), 3);
        assert_eq!(std::mem::size_of::<Option<JobId>>(), 4);
        let mut v: IdVec<CacheId, &str> = IdVec::default();
        let a = v.push("a");
        let b = v.push("b");
        assert_eq!((v[a], v[b], v.len()), ("a", "b", 2));
        assert_eq!(v.ids().collect::<Vec<_>>(), [a, b]);
    }
}
