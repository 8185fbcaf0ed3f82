//! HdrHistogram interval logs (`.hlog`): one histogram per interval, each a
//! base64 V2 (compressed or not) encoding, as HdrHistogram's
//! `HistogramLogWriter`, jHiccup, wrk2 and the Rust crate's writer produce.
//!
//! ```text
//! #[StartTime: 1714521600.000 (seconds since epoch)]
//! "StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"
//! Tag=api,0.000,1.000,12.345,HISTFAAAAEV42pNpmSzMwMCgyAJCzAwMCmB...
//! ```
//!
//! The intervals (those with the chosen tag, when a `tag` is given) are
//! added together. Each bucket's observations are spread over the values
//! the bucket holds, so the resolution is the histogram's own.

use std::io::Cursor;

use base64::Engine as _;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::interval_log::{IntervalLogIterator, IntervalLogWriterBuilder, LogEntry, Tag};
use hdrhistogram::serialization::{Deserializer, V2DeflateSerializer};
use tailsim_components::spec::TimeUnit;
use tailsim_components::suggest::did_you_mean;

use super::{Bin, DataError, Observations, Source};

/// Reads and adds up the log's interval histograms, whose values are in
/// `unit`.
pub fn read(src: &Source<'_>, unit: TimeUnit, tag: Option<&str>) -> Result<Observations, DataError> {
    if src.text.trim().is_empty() {
        return Err(src.error("is empty: expected an HdrHistogram interval log"));
    }
    let mut total: Option<Histogram<u64>> = None;
    let mut tags: Vec<String> = Vec::new();
    let mut intervals = 0usize;
    let mut deserializer = Deserializer::new();
    for (i, line) in src.text.lines().enumerate() {
        let line_no = i + 1;
        let trimmed = line.trim_end_matches('\r');
        if trimmed.trim().is_empty() {
            continue;
        }
        let with_newline = format!("{trimmed}\n");
        let entry = match IntervalLogIterator::new(with_newline.as_bytes()).next() {
            None => continue, // a comment or the legend
            Some(Ok(e)) => e,
            Some(Err(_)) => {
                return Err(src.at(
                    line_no,
                    "not an interval log line: expected `[Tag=NAME,]start,length,max,histogram` or a `#` comment",
                ));
            }
        };
        let LogEntry::Interval(h) = entry else { continue };
        let this_tag = h.tag().map(|t| t.as_str().to_string());
        if let Some(t) = &this_tag
            && !tags.contains(t)
        {
            tags.push(t.clone());
        }
        if tag.is_some() && this_tag.as_deref() != tag {
            continue;
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(h.encoded_histogram().trim())
            .map_err(|e| src.at(line_no, format!("the histogram is not valid base64: {e}")))?;
        let hist: Histogram<u64> = deserializer
            .deserialize(&mut Cursor::new(bytes))
            .map_err(|e| src.at(line_no, format!("the histogram cannot be decoded: {e:?}")))?;
        intervals += 1;
        match &mut total {
            None => {
                let mut h = hist;
                h.auto(true);
                total = Some(h);
            }
            Some(t) => t.add(&hist).map_err(|e| src.at(line_no, format!("cannot add this interval: {e:?}")))?,
        }
    }
    let Some(total) = total else {
        return Err(match tag {
            Some(t) => {
                let hint = did_you_mean(t, tags.iter().map(|s| s.as_str()))
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                let known = if tags.is_empty() {
                    "it has no tagged intervals".to_string()
                } else {
                    format!("its tags are {}", tags.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", "))
                };
                src.error(format!("has no interval with tag `{t}`; {known}{hint}"))
            }
            None => src.error("has no interval histograms"),
        });
    };
    if total.is_empty() {
        return Err(src.error(format!("holds no observations in its {intervals} interval(s)")));
    }
    let scale = unit.nanos();
    let bins = total.iter_recorded().map(|v| {
        let value = v.value_iterated_to();
        let (lo, hi) = (total.lowest_equivalent(value), total.highest_equivalent(value));
        // Buckets hold the integers lo..=hi: spread over (lo - 1, hi].
        let low = if lo == 0 { 0.0 } else { (lo - 1) as f64 };
        let high = if lo == 0 { 0.0 } else { hi as f64 };
        Bin { low: low * scale, high: high * scale, count: v.count_at_value() as f64 }
    });
    Ok(Observations::from_bins(bins.collect::<Vec<_>>()))
}

/// An interval log of `intervals`, each `length_s` long from time 0, in
/// base64 V2 compressed form, tagged with `tag` if given.
pub fn write(intervals: &[&Histogram<u64>], length_s: f64, tag: Option<&str>) -> String {
    let mut out = Vec::new();
    let mut serializer = V2DeflateSerializer::new();
    {
        let mut writer = IntervalLogWriterBuilder::new()
            .add_comment("written by tailsim")
            .begin_log_with(&mut out, &mut serializer)
            .expect("writing to memory");
        let length = std::time::Duration::from_secs_f64(length_s);
        for (i, h) in intervals.iter().enumerate() {
            writer.write_histogram(*h, length * i as u32, length, tag.and_then(Tag::new)).expect("writing to memory");
        }
    }
    String::from_utf8(out).expect("interval logs are text")
}
