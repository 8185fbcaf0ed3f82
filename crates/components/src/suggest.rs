//! "Did you mean" suggestions for misspelled names.

/// The closest candidate to `input`: by edit distance when that is a
/// plausible typo (at most a third of the length, at least one edit), or
/// else the closest candidate that `input` abbreviates (`p99` for `p99_ms`).
pub fn did_you_mean<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let input = input.to_lowercase();
    let limit = (input.chars().count() / 3).max(1);
    let scored: Vec<(usize, &str)> =
        candidates.into_iter().map(|c| (edit_distance(&input, &c.to_lowercase()), c)).collect();
    let typo = scored.iter().filter(|&&(d, _)| d <= limit).min_by_key(|&&(d, c)| (d, c));
    let abbreviation = || {
        scored
            .iter()
            .filter(|(_, c)| input.chars().count() >= 2 && c.to_lowercase().starts_with(&input))
            .min_by_key(|&&(d, c)| (d, c))
    };
    typo.or_else(abbreviation).map(|&(_, c)| c)
}

/// Optimal string alignment distance: insertions, deletions, substitutions
/// and transpositions of adjacent characters each cost one.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev2 = vec![0usize; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0usize; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev2[j - 2] + 1);
            }
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("rate", "rate"), 0);
        assert_eq!(edit_distance("rat", "rate"), 1);
        assert_eq!(edit_distance("rtae", "rate"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn suggests_close_names_only() {
        let names = ["replicas", "workers", "queue_capacity", "service_time"];
        assert_eq!(did_you_mean("replicsa", names), Some("replicas"));
        assert_eq!(did_you_mean("wrokers", names), Some("workers"));
        assert_eq!(did_you_mean("colour", names), None);
        assert_eq!(did_you_mean("Workers", names), Some("workers"));
        assert_eq!(did_you_mean("queue", names), Some("queue_capacity"));
        assert_eq!(did_you_mean("p99", ["p999_ms", "p99_ms", "p50_ms"]), Some("p99_ms"));
    }
}
