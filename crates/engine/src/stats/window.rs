//! Fixed-width windows for time series: per-second throughput, p99 and so on.

use crate::time::Time;

/// Tells a model when the current window ends.
///
/// Windows are `[start + k * width, start + (k + 1) * width)`. The model
/// schedules an event at [`next_end`](Self::next_end), closes the window's
/// accumulators there, and calls [`advance`](Self::advance).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowClock {
    width: Time,
    index: u64,
    start: Time,
}

impl WindowClock {
    /// Windows of `width` starting at `start`. A zero width is treated as 1 ns.
    pub fn new(start: Time, width: Time) -> Self {
        Self { width: width.max(1), index: 0, start }
    }

    /// The width of every window.
    pub fn width(&self) -> Time {
        self.width
    }

    /// The index of the current window.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The start of the current window.
    pub fn current_start(&self) -> Time {
        self.start + self.index * self.width
    }

    /// The end of the current window.
    pub fn next_end(&self) -> Time {
        self.current_start() + self.width
    }

    /// Moves to the next window.
    pub fn advance(&mut self) {
        self.index += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_tile_time() {
        let mut w = WindowClock::new(100, 10);
        assert_eq!((w.current_start(), w.next_end()), (100, 110));
        w.advance();
        assert_eq!((w.index(), w.current_start(), w.next_end()), (1, 110, 120));
        assert_eq!(WindowClock::new(0, 0).width(), 1);
    }
}
