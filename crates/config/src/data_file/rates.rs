//! A request rate over time from a CSV, such as a day of requests per
//! minute from a dashboard: `rate = { file = "rates.csv", ... }` in a
//! client. It becomes the client's rate schedule: `step` holds each row's
//! rate until the next row, `linear` ramps between rows, both times
//! `scale`. Times are taken from the first row, which is t = 0, and divided
//! by `speedup`; after the last row its rate holds.
//!
//! ```text
//! minute,requests_per_second
//! 0,420.5
//! 1,431.0
//! ```

use serde::Deserialize;
use tailsim_components::spec::{Duration, RatePoint};

use super::table::Table;
use super::{DataError, Source, non_negative};

/// What `rate = { file = ... }` says.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateFile {
    /// The CSV, relative to the model file.
    pub file: String,
    /// The column of times (default: the first of two columns).
    pub time_column: Option<String>,
    /// The column of rates (default: the second of two columns).
    pub rate_column: Option<String>,
    /// The unit of the times: `ms`, `s`, `min` or `h`.
    pub time_unit: Option<ClockUnit>,
    /// The unit of the rates: `per_second`, `per_minute` or `per_hour`.
    pub rate_unit: Option<RateUnit>,
    #[serde(default)]
    pub interpolate: Interpolate,
    /// Every rate is multiplied by this (3.0 replays the day at 3x).
    #[serde(default = "one")]
    pub scale: f64,
    /// Time runs this many times faster (60 replays an hour in a minute).
    #[serde(default = "one")]
    pub speedup: f64,
}

fn one() -> f64 {
    1.0
}

/// Units of the time column.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockUnit {
    Ms,
    S,
    Min,
    H,
}

impl ClockUnit {
    fn seconds(self) -> f64 {
        match self {
            ClockUnit::Ms => 1e-3,
            ClockUnit::S => 1.0,
            ClockUnit::Min => 60.0,
            ClockUnit::H => 3600.0,
        }
    }
    fn name(self) -> &'static str {
        match self {
            ClockUnit::Ms => "ms",
            ClockUnit::S => "s",
            ClockUnit::Min => "min",
            ClockUnit::H => "h",
        }
    }
    /// The unit a column name states by its last word.
    fn implied(name: &str) -> Option<ClockUnit> {
        let lower = name.to_lowercase();
        let word = lower.split(|c: char| !c.is_alphanumeric()).rfind(|w| !w.is_empty())?;
        Some(match word {
            "ms" | "millis" | "milliseconds" => ClockUnit::Ms,
            "s" | "sec" | "secs" | "second" | "seconds" => ClockUnit::S,
            "min" | "mins" | "minute" | "minutes" => ClockUnit::Min,
            "h" | "hr" | "hour" | "hours" => ClockUnit::H,
            _ => return None,
        })
    }
}

/// Units of the rate column.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateUnit {
    PerSecond,
    PerMinute,
    PerHour,
}

impl RateUnit {
    fn per_second(self) -> f64 {
        match self {
            RateUnit::PerSecond => 1.0,
            RateUnit::PerMinute => 1.0 / 60.0,
            RateUnit::PerHour => 1.0 / 3600.0,
        }
    }
    fn name(self) -> &'static str {
        match self {
            RateUnit::PerSecond => "per_second",
            RateUnit::PerMinute => "per_minute",
            RateUnit::PerHour => "per_hour",
        }
    }
    fn implied(name: &str) -> Option<RateUnit> {
        let lower = name.to_lowercase();
        if lower.ends_with("rps") || lower.ends_with("per_second") || lower.ends_with("per_sec") {
            Some(RateUnit::PerSecond)
        } else if lower.ends_with("rpm") || lower.ends_with("per_minute") || lower.ends_with("per_min") {
            Some(RateUnit::PerMinute)
        } else if lower.ends_with("per_hour") || lower.ends_with("rph") {
            Some(RateUnit::PerHour)
        } else {
            None
        }
    }
}

/// Between rows: hold, or ramp.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interpolate {
    #[default]
    Step,
    Linear,
}

/// The rate at t = 0 and the schedule points after it (times already
/// shifted and sped up, rates scaled and in requests per second).
#[derive(Clone, Debug, PartialEq)]
pub struct RateSchedule {
    pub rate: f64,
    pub schedule: Vec<RatePoint>,
    /// (seconds, requests per second) per row, for reports and tests.
    pub rows: Vec<(f64, f64)>,
}

impl RateFile {
    /// Checks the options that do not need the file.
    pub fn check(&self) -> Result<(ClockUnit, RateUnit), String> {
        let time_unit = self.time_unit.ok_or_else(|| {
            format!("the rate file `{}` needs `time_unit`, the unit of its times: ms, s, min or h", self.file)
        })?;
        let rate_unit = self.rate_unit.ok_or_else(|| {
            format!(
                "the rate file `{}` needs `rate_unit`, the unit of its rates: per_second, per_minute or per_hour",
                self.file
            )
        })?;
        for (field, v) in [("scale", self.scale), ("speedup", self.speedup)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!("`{field}` must be a positive number, got {v}"));
            }
        }
        Ok((time_unit, rate_unit))
    }
}

/// Reads the rates in `src` as `opts` describe.
pub fn read(src: &Source<'_>, opts: &RateFile) -> Result<RateSchedule, DataError> {
    let (time_unit, rate_unit) = opts.check().map_err(|m| src.error(m))?;
    let table = Table::parse(src)?;
    let two = table.header.len() == 2;
    let (time_col, rate_col) = match (&opts.time_column, &opts.rate_column) {
        (None, None) if two => (0, 1),
        (Some(t), None) if two => {
            let t = table.column(src, Some(t), "time_column")?;
            (t, 1 - t)
        }
        (None, Some(r)) if two => {
            let r = table.column(src, Some(r), "rate_column")?;
            (1 - r, r)
        }
        (t, r) => (table.column(src, t.as_deref(), "time_column")?, table.column(src, r.as_deref(), "rate_column")?),
    };
    if time_col == rate_col {
        return Err(src.at(table.header_line, "needs a column of times and a column of rates"));
    }
    let (time_name, rate_name) = (&table.header[time_col], &table.header[rate_col]);
    if let Some(stated) = ClockUnit::implied(time_name)
        && stated != time_unit
    {
        return Err(src.at(
            table.header_line,
            format!(
                "column `{time_name}` is in {} but the model says `time_unit = \"{}\"`",
                stated.name(),
                time_unit.name()
            ),
        ));
    }
    if let Some(stated) = RateUnit::implied(rate_name)
        && stated != rate_unit
    {
        return Err(src.at(
            table.header_line,
            format!(
                "column `{rate_name}` is {} but the model says `rate_unit = \"{}\"`",
                stated.name(),
                rate_unit.name()
            ),
        ));
    }
    let mut rows: Vec<(f64, f64)> = Vec::with_capacity(table.rows.len());
    let mut first_time = None;
    let mut last_line = 0;
    for (line, cells) in &table.rows {
        let t_raw: f64 = {
            let t = cells[time_col].trim();
            let v: f64 = t.parse().map_err(|_| src.at(*line, format!("time `{t}` is not a number")))?;
            if !v.is_finite() {
                return Err(src.at(*line, format!("time `{t}` is not finite")));
            }
            v
        };
        let t0 = *first_time.get_or_insert(t_raw);
        let secs = (t_raw - t0) * time_unit.seconds() / opts.speedup;
        let rate = non_negative(src, *line, "rate", &cells[rate_col])? * rate_unit.per_second() * opts.scale;
        if let Some(&(prev, _)) = rows.last()
            && secs <= prev
        {
            return Err(src.at(
                *line,
                format!(
                    "unsorted: time {} is not after the previous row's; times must increase",
                    cells[time_col].trim()
                ),
            ));
        }
        rows.push((secs, rate));
        last_line = *line;
    }
    if rows.is_empty() {
        return Err(src.at(table.header_line, "has a header but no rows"));
    }
    let schedule: Vec<RatePoint> = rows[1..]
        .iter()
        .map(|&(t, r)| RatePoint {
            at: Duration::from_secs_f64(t),
            rate: r,
            ramp: opts.interpolate == Interpolate::Linear,
        })
        .collect();
    // Whole nanoseconds: two rows closer than that cannot both be kept.
    if let Some(w) = schedule.windows(2).find(|w| w[1].at <= w[0].at) {
        return Err(
            src.at(last_line, format!("rows {} and {} are closer than a nanosecond after `speedup`", w[0].at, w[1].at))
        );
    }
    if schedule.first().is_some_and(|p| p.at.0 == 0) {
        return Err(src.error("the first two rows are closer than a nanosecond after `speedup`"));
    }
    Ok(RateSchedule { rate: rows[0].1, schedule, rows })
}
