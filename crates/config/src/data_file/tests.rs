//! Reading each format, and a clear error for every kind of bad file.

use std::collections::BTreeMap;
use std::path::Path;

use tailsim_components::spec::TimeUnit;

use super::*;

fn src<'a>(name: &'a str, text: &'a str) -> Source<'a> {
    Source { path: Path::new(name), text }
}

/// The error's text, which must name the file and, when given, the line.
fn err_at(e: DataError, file: &str, line: Option<usize>) -> String {
    assert_eq!(e.file, Path::new(file), "{e}");
    assert_eq!(e.line, line, "{e}");
    e.to_string()
}

const HGRM: &str = "       Value     Percentile TotalCount 1/(1-Percentile)

       1.000 0.000000000000          2           1.00
       2.000 0.500000000000          6           2.00
       4.000 0.900000000000          9          10.00
       8.000 1.000000000000         10
#[Mean    =        2.500, StdDeviation   =        1.000]
#[Max     =        8.000, Total count    =           10]
#[Buckets =           22, SubBuckets     =         2048]
";

#[test]
fn hgrm_rows_are_cdf_points() {
    let obs = hgrm::read(&src("a.hgrm", HGRM), TimeUnit::Millis).unwrap();
    assert_eq!(obs.count(), 10.0);
    assert_eq!(
        obs.inverse_cdf(),
        [(0.0, 1e6), (0.2, 1e6), (0.6, 2e6), (0.9, 4e6), (1.0, 8e6)],
        "two observations at 1 ms, four in (1, 2] ms, three in (2, 4], one in (4, 8]"
    );
    assert_eq!(obs.quantile(0.4), 1.5e6);
}

#[test]
fn hgrm_csv_flavour_reads_the_same() {
    let text = "\"Value\",\"Percentile\",\"TotalCount\",\"1/(1-Percentile)\"\n1.000,0.000000000000,2,1.00\n2.000,0.500000000000,6,2.00\n4.000,0.900000000000,9,10.00\n8.000,1.000000000000,10,Infinity\n";
    let a = hgrm::read(&src("a.hgrm", HGRM), TimeUnit::Millis).unwrap();
    let b = hgrm::read(&src("b.hgrm", text), TimeUnit::Millis).unwrap();
    assert_eq!(a, b);
}

#[test]
fn bad_hgrm_files_are_explained() {
    let e = hgrm::read(&src("a.hgrm", ""), TimeUnit::Millis).unwrap_err();
    assert!(err_at(e, "a.hgrm", None).contains("is empty"));
    let e = hgrm::read(&src("a.hgrm", "Value Count\n1 2\n"), TimeUnit::Millis).unwrap_err();
    assert!(err_at(e, "a.hgrm", Some(1)).contains("bad header"));
    let e = hgrm::read(&src("a.hgrm", &HGRM.replace("       4.000 0.9", "       0.500 0.9")), TimeUnit::Millis)
        .unwrap_err();
    assert!(err_at(e, "a.hgrm", Some(5)).contains("unsorted: value 0.5 is below the previous row's 2"));
    let e = hgrm::read(&src("a.hgrm", &HGRM.replace("       2.000 0.5", "      -2.000 0.5")), TimeUnit::Millis)
        .unwrap_err();
    assert!(err_at(e, "a.hgrm", Some(4)).contains("value `-2.000` is negative"));
    let e = hgrm::read(&src("a.hgrm", &HGRM.replace("       2.000 0.5", "         NaN 0.5")), TimeUnit::Millis)
        .unwrap_err();
    assert!(err_at(e, "a.hgrm", Some(4)).contains("value `NaN` is not finite"));
    let e =
        hgrm::read(&src("a.hgrm", &HGRM.replace("=           10]", "=           11]")), TimeUnit::Millis).unwrap_err();
    assert!(err_at(e, "a.hgrm", Some(8)).contains("is the file cut short?"));
    let header_only = "       Value     Percentile TotalCount 1/(1-Percentile)\n\n#[Mean    =        0.000, StdDeviation   =        0.000]\n";
    let e = hgrm::read(&src("a.hgrm", header_only), TimeUnit::Millis).unwrap_err();
    assert!(err_at(e, "a.hgrm", Some(1)).contains("no rows"));
}

#[test]
fn csv_samples_read_a_column_in_its_unit() {
    let text = "# a comment\nid,latency_ms\n1,2.5\n2,0.5\n3,1.0\n";
    let obs = csv::read(&src("l.csv", text), TimeUnit::Millis, Some("latency_ms")).unwrap();
    assert_eq!(obs, Observations::Samples(vec![0.5e6, 1.0e6, 2.5e6]));
    let one = csv::read(&src("l.csv", "latency\n3\n1\n"), TimeUnit::Micros, None).unwrap();
    assert_eq!(one, Observations::Samples(vec![1e3, 3e3]));
}

#[test]
fn bad_csv_files_are_explained() {
    let read = |text: &str, col: Option<&str>| csv::read(&src("l.csv", text), TimeUnit::Millis, col).unwrap_err();
    assert!(err_at(read("", None), "l.csv", None).contains("is empty"));
    assert!(err_at(read("# only a comment\n\n", None), "l.csv", None).contains("is empty"));
    assert!(err_at(read("latency_ms\n", None), "l.csv", Some(1)).contains("no values"));
    assert!(err_at(read("0.5\n1.5\n", None), "l.csv", Some(1)).contains("bad header: `0.5` is a number"));
    assert!(err_at(read("latency_ms\n1\n-2\n", None), "l.csv", Some(3)).contains("`latency_ms` `-2` is negative"));
    assert!(err_at(read("latency_ms\n1\ninf\n", None), "l.csv", Some(3)).contains("is not finite"));
    assert!(err_at(read("latency_ms\n1\nabc\n", None), "l.csv", Some(3)).contains("is not a number"));
    assert!(err_at(read("a,latency_ms\n1,\n", Some("latency_ms")), "l.csv", Some(2)).contains("is empty"));
    assert!(err_at(read("a,b\n1,2,3\n", Some("a")), "l.csv", Some(2)).contains("3 cells where the header has 2"));
    let e = read("id,latency_ms\n1,2\n", Some("latncy_ms"));
    let shown = err_at(e, "l.csv", Some(1));
    assert!(shown.contains("no column `latncy_ms`") && shown.contains("did you mean `latency_ms`?"), "{shown}");
    assert!(err_at(read("id,latency_ms\n1,2\n", None), "l.csv", Some(1)).contains("say which one with `column`"));
    // A wrong unit: the header says seconds.
    let e = csv::read(&src("l.csv", "latency_seconds\n0.5\n"), TimeUnit::Millis, None).unwrap_err();
    let shown = err_at(e, "l.csv", Some(1));
    assert!(shown.contains("is in seconds but the model says `unit = \"ms\"`"), "{shown}");
}

const PROM: &str = r#"# HELP db_query_seconds Query time.
# TYPE db_query_seconds histogram
db_query_seconds_bucket{instance="a",le="0.001"} 10
db_query_seconds_bucket{instance="a",le="0.002"} 30
db_query_seconds_bucket{instance="a",le="+Inf"} 40
db_query_seconds_sum{instance="a"} 0.07
db_query_seconds_count{instance="a"} 40
db_query_seconds_bucket{instance="b",le="0.001"} 0
db_query_seconds_bucket{instance="b",le="0.002"} 10
db_query_seconds_bucket{instance="b",le="+Inf"} 20
other_total 5
"#;

#[test]
fn prometheus_series_are_added_up_by_bucket() {
    let all = prometheus::read(&src("d.prom", PROM), TimeUnit::Seconds, None, &BTreeMap::new(), false).unwrap();
    assert_eq!(
        all,
        Observations::Bins(vec![
            Bin { low: 0.0, high: 1e6, count: 10.0 },
            Bin { low: 1e6, high: 2e6, count: 30.0 },
            Bin { low: 2e6, high: f64::INFINITY, count: 20.0 },
        ])
    );
    // The +Inf bucket's mass sits at the last finite bound.
    assert_eq!(all.quantile(1.0), 2e6);
    let b: BTreeMap<String, String> = [("instance".to_string(), "b".to_string())].into();
    let only_b = prometheus::read(&src("d.prom", PROM), TimeUnit::Seconds, None, &b, false).unwrap();
    assert_eq!(only_b.count(), 20.0);
    let csv = "le,count\n0.001,10\n0.002,40\n+Inf,60\n";
    let from_csv = prometheus::read(&src("d.csv", csv), TimeUnit::Seconds, None, &BTreeMap::new(), true).unwrap();
    assert_eq!(from_csv, all);
}

#[test]
fn bad_prometheus_files_are_explained() {
    let none = BTreeMap::new();
    let read = |text: &str, unit| prometheus::read(&src("d.prom", text), unit, None, &none, false).unwrap_err();
    assert!(err_at(read("", TimeUnit::Seconds), "d.prom", None).contains("is empty"));
    assert!(err_at(read("up 1\n", TimeUnit::Seconds), "d.prom", None).contains("no histogram buckets"));
    let unsorted = PROM.replace("le=\"0.002\"} 30", "le=\"0.0005\"} 30");
    assert!(err_at(read(&unsorted, TimeUnit::Seconds), "d.prom", Some(4)).contains("unsorted"));
    let decreasing = PROM.replace("le=\"0.002\"} 30", "le=\"0.002\"} 5");
    assert!(err_at(read(&decreasing, TimeUnit::Seconds), "d.prom", Some(4)).contains("buckets are cumulative"));
    let negative = PROM.replace("le=\"0.002\"} 30", "le=\"0.002\"} -30");
    assert!(err_at(read(&negative, TimeUnit::Seconds), "d.prom", Some(4)).contains("is negative"));
    let nan = PROM.replace("le=\"0.002\"} 30", "le=\"0.002\"} NaN");
    assert!(err_at(read(&nan, TimeUnit::Seconds), "d.prom", Some(4)).contains("not finite"));
    let garbled =
        PROM.replace("db_query_seconds_bucket{instance=\"a\",le=\"0.002\"}", "db_query_seconds_bucket{instance=a}");
    assert!(err_at(read(&garbled, TimeUnit::Seconds), "d.prom", Some(4)).contains("not a Prometheus sample line"));
    // The metric name says seconds.
    let shown = err_at(read(PROM, TimeUnit::Millis), "d.prom", Some(3));
    assert!(shown.contains("is in seconds but the model says `unit = \"ms\"`"), "{shown}");
    let e =
        prometheus::read(&src("d.prom", PROM), TimeUnit::Seconds, Some("db_query_second"), &none, false).unwrap_err();
    assert!(err_at(e, "d.prom", None).contains("did you mean `db_query_seconds`?"));
    let e = prometheus::read(&src("d.csv", "bound,n\n1,2\n"), TimeUnit::Seconds, None, &none, true).unwrap_err();
    assert!(err_at(e, "d.csv", Some(1)).contains("bad header"));
}

#[test]
fn hlog_intervals_are_added_up() {
    let mut a = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).unwrap();
    let mut b = a.clone();
    a.record_n(1000, 3).unwrap();
    b.record_n(2000, 1).unwrap();
    let text = hlog::write(&[&a, &b], 1.0, Some("api"));
    let obs = hlog::read(&src("x.hlog", &text), TimeUnit::Micros, None).unwrap();
    assert_eq!(obs.count(), 4.0);
    // Three at 1000 us, spread over the bucket (999, 1000] us; one at 2000.
    assert!((obs.quantile(0.5) - (999.0 + 2.0 / 3.0) * 1e3).abs() < 1e-6, "{}", obs.quantile(0.5));
    let tagged = hlog::read(&src("x.hlog", &text), TimeUnit::Micros, Some("api")).unwrap();
    assert_eq!(tagged, obs);
    let e = hlog::read(&src("x.hlog", &text), TimeUnit::Micros, Some("apj")).unwrap_err();
    assert!(err_at(e, "x.hlog", None).contains("did you mean `api`?"));
}

#[test]
fn bad_hlog_files_are_explained() {
    let e = hlog::read(&src("x.hlog", ""), TimeUnit::Micros, None).unwrap_err();
    assert!(err_at(e, "x.hlog", None).contains("is empty"));
    let e = hlog::read(&src("x.hlog", "#[StartTime: 1.000 (s)]\n"), TimeUnit::Micros, None).unwrap_err();
    assert!(err_at(e, "x.hlog", None).contains("no interval histograms"));
    let e = hlog::read(&src("x.hlog", "# c\n0.000,1.000,2.0,@@@notbase64\n"), TimeUnit::Micros, None).unwrap_err();
    assert!(err_at(e, "x.hlog", Some(2)).contains("not valid base64"));
    let e = hlog::read(&src("x.hlog", "# c\nthis is not a log\n"), TimeUnit::Micros, None).unwrap_err();
    assert!(err_at(e, "x.hlog", Some(2)).contains("not an interval log line"));
}

fn rate_opts(file: &str, interpolate: rates::Interpolate) -> rates::RateFile {
    rates::RateFile {
        file: file.into(),
        time_column: None,
        rate_column: None,
        time_unit: Some(rates::ClockUnit::Min),
        rate_unit: Some(rates::RateUnit::PerSecond),
        interpolate,
        scale: 3.0,
        speedup: 60.0,
    }
}

#[test]
fn rate_files_become_schedules() {
    let text = "minute,rps\n100,10\n101,20\n103,5\n";
    let step = rates::read(&src("r.csv", text), &rate_opts("r.csv", rates::Interpolate::Step)).unwrap();
    // Times from the first row, a minute per second (speedup 60), rates x3.
    assert_eq!(step.rate, 30.0);
    assert_eq!(step.rows, [(0.0, 30.0), (1.0, 60.0), (3.0, 15.0)]);
    assert!(step.schedule.iter().all(|p| !p.ramp));
    assert_eq!(step.schedule[1].at, tailsim_components::spec::Duration::from_secs(3));
    let linear = rates::read(&src("r.csv", text), &rate_opts("r.csv", rates::Interpolate::Linear)).unwrap();
    assert!(linear.schedule.iter().all(|p| p.ramp));
}

#[test]
fn bad_rate_files_are_explained() {
    let opts = rate_opts("r.csv", rates::Interpolate::Step);
    let read = |text: &str| rates::read(&src("r.csv", text), &opts).unwrap_err();
    assert!(err_at(read(""), "r.csv", None).contains("is empty"));
    assert!(err_at(read("minute,rps\n"), "r.csv", Some(1)).contains("no rows"));
    assert!(err_at(read("minute,rps\n1,5\n0,5\n"), "r.csv", Some(3)).contains("unsorted"));
    assert!(err_at(read("minute,rps\n1,5\n2,-5\n"), "r.csv", Some(3)).contains("negative"));
    assert!(err_at(read("minute,rps\n1,5\n2,NaN\n"), "r.csv", Some(3)).contains("not finite"));
    assert!(err_at(read("0,5\n1,5\n"), "r.csv", Some(1)).contains("bad header"));
    assert!(err_at(read("seconds,rps\n0,5\n"), "r.csv", Some(1)).contains("is in s but the model says"));
    assert!(err_at(read("minute,rpm\n0,5\n"), "r.csv", Some(1)).contains("is per_minute"));
    let mut missing = opts.clone();
    missing.time_unit = None;
    let e = rates::read(&src("r.csv", "minute,rps\n0,5\n"), &missing).unwrap_err();
    assert!(err_at(e, "r.csv", None).contains("needs `time_unit`"));
}

#[test]
fn key_files_give_weights_in_row_order() {
    let opts = keys::KeyFile { file: "k.csv".into(), count_column: None, key_column: None };
    let w = keys::read(&src("k.csv", "key,count\nuser:1,50\nuser:2,30\nuser:3,0\n"), &opts).unwrap();
    assert_eq!(w, [50.0, 30.0, 0.0]);
    let e = keys::read(&src("k.csv", "key,count\na,1\nb,2\na,3\n"), &opts).unwrap_err();
    assert!(err_at(e, "k.csv", Some(4)).contains("key `a` appears twice (first on line 2)"));
    let e = keys::read(&src("k.csv", "key,count\na,0\n"), &opts).unwrap_err();
    assert!(err_at(e, "k.csv", None).contains("every count is zero"));
    let e = keys::read(&src("k.csv", "key,count\na,-1\n"), &opts).unwrap_err();
    assert!(err_at(e, "k.csv", Some(2)).contains("negative"));
}

#[test]
fn bins_make_an_inverse_cdf_with_jumps_and_atoms() {
    let obs = Observations::from_bins([
        Bin { low: 1.0, high: 1.0, count: 1.0 },
        Bin { low: 1.0, high: 2.0, count: 1.0 },
        Bin { low: 2.0, high: 3.0, count: 0.0 },
        Bin { low: 3.0, high: 5.0, count: 2.0 },
    ]);
    assert_eq!(obs.inverse_cdf(), [(0.0, 1.0), (0.25, 1.0), (0.5, 2.0), (0.5, 3.0), (1.0, 5.0)]);
    assert_eq!(obs.quantile(0.375), 1.5);
    assert_eq!(obs.quantile(0.75), 4.0);
    assert_eq!(obs.count(), 4.0);
    assert!((obs.mean() - (1.0 + 1.5 + 2.0 * 4.0) / 4.0).abs() < 1e-12);
}

#[test]
fn sample_quantiles_invert_the_empirical_cdf() {
    let obs = Observations::Samples(vec![1.0, 2.0, 3.0, 4.0]);
    assert_eq!(obs.quantile(0.5), 2.0);
    assert_eq!(obs.quantile(0.51), 3.0);
    assert_eq!(obs.quantile(1.0), 4.0);
    assert_eq!(obs.quantile(0.0), 1.0);
}

#[test]
fn names_state_units() {
    assert_eq!(implied_unit("latency_ms"), Some(TimeUnit::Millis));
    assert_eq!(implied_unit("http_request_duration_seconds"), Some(TimeUnit::Seconds));
    assert_eq!(implied_unit("time (us)"), Some(TimeUnit::Micros));
    assert_eq!(implied_unit("latency"), None);
    assert_eq!(implied_unit("p99"), None);
}

mod in_models {
    //! Data files named by a model: loaded in place, errors located in the
    //! data file and at the model field that named it.

    use tailsim_components::spec::{DistSpec, KeyDistSpec};

    use crate::ModelFile;

    fn model_in(dir: &std::path::Path, text: &str) -> ModelFile {
        let path = dir.join("m.toml");
        std::fs::write(&path, text).unwrap();
        ModelFile::read(&path).unwrap()
    }

    const BASE: &str = "[sim]\nduration = \"10s\"\n[client.web]\ntarget = \"app\"\nrate = 100.0\n[service.app]\n";

    #[test]
    fn distributions_rates_and_keys_load_from_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        std::fs::write(dir.path().join("data/api.hgrm"), super::HGRM).unwrap();
        std::fs::write(dir.path().join("data/lat.csv"), "latency_us\n100\n300\n").unwrap();
        std::fs::write(dir.path().join("data/rates.csv"), "minute,rps\n0,10\n1,20\n").unwrap();
        std::fs::write(dir.path().join("data/keys.csv"), "key,count\na,3\nb,1\n").unwrap();
        let text = BASE.replace("rate = 100.0\n", "rate = { file = \"data/rates.csv\", time_unit = \"min\", rate_unit = \"per_second\", interpolate = \"linear\", scale = 2.0 }\nkeys = { file = \"data/keys.csv\" }\n")
            + "service_time = { dist = \"mixture\", parts = [\n  { weight = 1, dist = \"file\", path = \"data/api.hgrm\", unit = \"ms\" },\n  { weight = 1, dist = \"file\", path = \"data/lat.csv\", format = \"csv\", unit = \"us\", factor = 2.0 },\n] }\n";
        let spec = model_in(dir.path(), &text).load(&[]).unwrap_or_else(|e| panic!("{e}")).into_spec();
        let DistSpec::Mixture(parts) = spec.service["app"].service_time.clone().unwrap() else { panic!() };
        assert!(matches!(&parts[0].1, DistSpec::Percentiles(t) if t.len() == 5));
        assert_eq!(
            parts[1].1,
            DistSpec::Samples(vec![
                tailsim_components::spec::Duration::from_micros(200),
                tailsim_components::spec::Duration::from_micros(600)
            ])
        );
        let web = &spec.client["web"];
        assert_eq!(web.rate, Some(20.0));
        assert_eq!(web.schedule.len(), 1);
        assert!(web.schedule[0].ramp && web.schedule[0].rate == 40.0);
        let keys = web.keys.as_ref().unwrap();
        assert_eq!((keys.dist, keys.n, keys.weights.clone()), (KeyDistSpec::Weights, 2, vec![3.0, 1.0]));
    }

    #[test]
    fn a_bad_data_file_is_located_in_it_and_in_the_model() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("api.hgrm"), super::HGRM.replace("       4.000 0.9", "       0.500 0.9"))
            .unwrap();
        let m = model_in(
            dir.path(),
            &format!("{BASE}service_time = {{ dist = \"file\", path = \"api.hgrm\", unit = \"ms\" }}\n"),
        );
        let e = m.load(&[]).unwrap_err().to_string();
        let data = dir.path().join("api.hgrm").display().to_string();
        let model = dir.path().join("m.toml").display().to_string();
        assert!(e.contains("`service.app.service_time`: data file"), "{e}");
        assert!(e.contains(&format!("--> {data}:5:1")), "{e}");
        assert!(e.contains("5 |        0.500 0.900000000000"), "{e}");
        assert!(e.contains(&format!("named by `service.app.service_time` at {model}:7:40")), "{e}");
    }

    #[test]
    fn a_missing_file_points_at_the_path_in_the_model() {
        let dir = tempfile::tempdir().unwrap();
        let m = model_in(
            dir.path(),
            &format!("{BASE}service_time = {{ dist = \"file\", path = \"nope.hgrm\", unit = \"ms\" }}\n"),
        );
        let e = m.load(&[]).unwrap_err().to_string();
        assert!(e.contains("nope.hgrm`: cannot be read"), "{e}");
        assert!(e.contains("m.toml:7:40"), "{e}");
    }

    #[test]
    fn units_are_required_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("api.hgrm"), super::HGRM).unwrap();
        let m = model_in(dir.path(), &format!("{BASE}service_time = {{ dist = \"file\", path = \"api.hgrm\" }}\n"));
        let e = m.load(&[]).unwrap_err().to_string();
        assert!(e.contains("the distribution read from `api.hgrm` needs `unit`"), "{e}");
        assert!(e.contains("m.toml:7:"), "{e}");
        let m = model_in(
            dir.path(),
            &format!("{BASE}service_time = {{ dist = \"file\", path = \"api.hgrm\", unit = \"mss\" }}\n"),
        );
        let e = m.load(&[]).unwrap_err().to_string();
        assert!(e.contains("unknown variant `mss`") && e.contains("did you mean `ms`?"), "{e}");
    }

    #[test]
    fn a_rate_file_replaces_the_schedule_not_joins_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("r.csv"), "minute,rps\n0,10\n").unwrap();
        let text = BASE.replace("rate = 100.0\n", "rate = { file = \"r.csv\", time_unit = \"min\", rate_unit = \"per_second\" }\nschedule = [{ at = \"1s\", rate = 5.0 }]\n")
            + "service_time = { dist = \"exponential\", mean = \"1ms\" }\n";
        let e = model_in(dir.path(), &text).load(&[]).unwrap_err().to_string();
        assert!(e.contains("must not also have a `schedule`"), "{e}");
        let text = BASE.replace(
            "rate = 100.0\n",
            "rate = { file = \"r.csv\", time_unit = \"min\", rate_units = \"per_second\" }\n",
        ) + "service_time = { dist = \"exponential\", mean = \"1ms\" }\n";
        let e = model_in(dir.path(), &text).load(&[]).unwrap_err().to_string();
        assert!(e.contains("unknown field `rate_units`") && e.contains("did you mean `rate_unit`?"), "{e}");
    }

    #[test]
    fn an_unloaded_file_reference_fails_validation() {
        let mut spec = ModelFile::from_text(
            "m.toml",
            &format!("{BASE}service_time = {{ dist = \"exponential\", mean = \"1ms\" }}\n"),
        )
        .load(&[])
        .unwrap()
        .into_spec();
        spec.service.get_mut("app").unwrap().service_time = Some(DistSpec::File(
            tailsim_components::spec::DistFileSpec::new("x.hgrm", tailsim_components::spec::TimeUnit::Millis),
        ));
        let e = tailsim_components::model::Model::resolve(&spec).unwrap_err();
        assert!(e[0].to_string().contains("has not been loaded"), "{}", e[0]);
    }
}
