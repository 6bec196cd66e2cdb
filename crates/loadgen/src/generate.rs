//! Which samples are loaded and which queries are issued when, decided up front with the exact
//! random choices of the official LoadGen (docs/LOADGEN.md §5–6, §7.5–7.6).
//!
//! Everything here is a pure function of the effective settings: a run, `ossperf plan` and the
//! golden-vector tests all call the same code, so a plan shows exactly what a run will issue.

use crate::effective::EffectiveSettings;
use crate::rng::{seconds_to_ns, Mt19937, DEFAULT_SEED};
use crate::settings::{Scenario, TestMode};

/// Which phase of a test the samples are generated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The timed run: `performance_sample_count` samples loaded, drawn with replacement
    /// (or equal issue / unique / same).
    Performance,
    /// Every sample of `accuracy_sample_count` exactly once, all responses logged.
    Accuracy,
}

impl Phase {
    /// The phases a test mode runs, in order (FindPeakPerformance: its first, base-qps run).
    pub fn for_mode(mode: TestMode) -> &'static [Phase] {
        match mode {
            TestMode::SubmissionRun => &[Phase::Accuracy, Phase::Performance],
            TestMode::AccuracyOnly => &[Phase::Accuracy],
            TestMode::PerformanceOnly | TestMode::FindPeakPerformance => &[Phase::Performance],
        }
    }

    /// The sets a phase issues: all of them in accuracy mode, only the first in performance
    /// mode (docs/LOADGEN.md §4).
    pub fn sets_used(self, sets: &[LoadableSet]) -> &[LoadableSet] {
        match self {
            Phase::Performance => &sets[..sets.len().min(1)],
            Phase::Accuracy => sets,
        }
    }
}

/// Why no queries can be generated; C++ LoadGen crashes or hangs in these cases.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GenerateError {
    /// The loaded set has no samples.
    #[error("the loaded set is empty; expected at least one sample (check `total_sample_count` and `performance_sample_count`)")]
    EmptySet,
    /// The settings produce no query at all.
    #[error("the settings generate no query: `samples_per_query` is `{samples_per_query}` but only `{loaded}` samples are loaded; set `performance_sample_count_override` to at most `{loaded}`")]
    NoQueries {
        /// Samples per query.
        samples_per_query: u64,
        /// Samples in the loaded set.
        loaded: usize,
    },
    /// `performance_issue_same_index` points outside the loaded set.
    #[error("`performance_issue_same_index` is `{index}`; expected less than the `{loaded}` loaded samples")]
    SameIndexOutOfRange {
        /// The requested index.
        index: u64,
        /// Samples in the loaded set.
        loaded: usize,
    },
    /// `samples_per_query` is 0.
    #[error("`samples_per_query` is `0`; expected at least 1")]
    ZeroSamplesPerQuery,
}

/// One loadable set: QSL indices in the order LoadGen asks the QSL to load them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadableSet {
    /// The QSL indices (MultiStream: followed by copies of the first `spq - 1`).
    pub samples: Vec<usize>,
    /// The number of samples before the MultiStream padding.
    pub distribution_end: usize,
}

/// `GenerateLoadableSets` (docs/LOADGEN.md §5): the first `min(count, qsl_total)` indices shuffled
/// with `mt19937(qsl_rng_seed)` and cut into sets of `performance_sample_count`; `count` is
/// `performance_sample_count` for [`Phase::Performance`] (which uses only the first set) and
/// `accuracy_sample_count` for [`Phase::Accuracy`].
pub fn loadable_sets(
    settings: &EffectiveSettings,
    qsl_total: usize,
    phase: Phase,
) -> Vec<LoadableSet> {
    let count = match phase {
        Phase::Performance => settings.performance_sample_count,
        Phase::Accuracy => settings.accuracy_sample_count,
    };
    let n = usize::try_from(count).unwrap_or(usize::MAX).min(qsl_total);
    let mut all: Vec<usize> = (0..n).collect();
    Mt19937::with_algorithm(settings.qsl_rng_seed, settings.int_algorithm).shuffle(&mut all);
    let set_size = usize::try_from(settings.performance_sample_count)
        .unwrap_or(usize::MAX)
        .max(1);
    let padding = match settings.scenario {
        Scenario::MultiStream => settings.samples_per_query.saturating_sub(1) as usize,
        _ => 0,
    };
    all.chunks(set_size)
        .map(|chunk| {
            let mut samples = chunk.to_vec();
            for i in 0..padding {
                samples.push(chunk[i % chunk.len()]);
            }
            LoadableSet {
                samples,
                distribution_end: chunk.len(),
            }
        })
        .collect()
}

/// One generated query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedQuery {
    /// The QSL indices of its samples, in issue order.
    pub sample_indices: Vec<usize>,
    /// LoadGen's `scheduled_delta` in ns after the start of the run. Server: the Poisson
    /// schedule the issue loop follows; Offline: 0. SingleStream/MultiStream: the nominal
    /// `1 / target_qps` grid that only bounds generation (those queries are issued when the
    /// previous one completes).
    pub scheduled_ns: u64,
}

/// The queries of one loadable set and the `generated_*` values LoadGen logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedQueries {
    /// Every query, in issue order.
    pub queries: Vec<GeneratedQuery>,
    /// `generated_samples_per_query`: samples per query after equal-issue padding.
    pub samples_per_query: u64,
    /// `generated_query_duration`: the sum of all schedule deltas, including the one after
    /// the last query (ns).
    pub query_duration_ns: u64,
}

impl GeneratedQueries {
    /// `generated_query_count`.
    pub fn query_count(&self) -> u64 {
        self.queries.len() as u64
    }

    /// The total number of samples over all queries.
    pub fn sample_count(&self) -> usize {
        self.queries.iter().map(|q| q.sample_indices.len()).sum()
    }
}

/// How each query's samples are chosen.
enum Picker {
    Unique(std::vec::IntoIter<usize>),
    Same(usize),
    EqualIssue { list: Vec<usize>, next: usize },
    Uniform { end: u64 },
    Shuffled(std::vec::IntoIter<usize>),
}

/// The parameters of `GenerateQueries` after the mode adjustments of docs/LOADGEN.md §6.1 and §6.3.
struct Plan {
    gen_duration_ns: u64,
    min_queries: u64,
    spq: usize,
    equal_issue: bool,
}

fn plan(s: &EffectiveSettings, set: &LoadableSet, phase: Phase) -> Plan {
    let n = set.samples.len();
    let mult = if s.scenario == Scenario::Server { 1 } else { 2 };
    let mut gen_duration_ns = s.target_duration_ms.saturating_mul(mult * 1_000_000);
    let mut min_queries = s.min_query_count;
    let mut spq = usize::try_from(s.samples_per_query).unwrap_or(usize::MAX);
    if phase == Phase::Accuracy && s.scenario == Scenario::Offline {
        spq = set.distribution_end;
    }
    if phase == Phase::Accuracy || s.performance_issue_unique {
        gen_duration_ns = 0;
        min_queries = (n / spq.max(1)) as u64;
    }
    Plan {
        gen_duration_ns,
        min_queries,
        spq,
        equal_issue: s.sample_concatenate_permutation,
    }
}

/// `GenerateQueries` (docs/LOADGEN.md §6) for one loadable set: the samples of every query and its
/// scheduled time, consuming `mt19937(sample_index_rng_seed)` and
/// `mt19937(schedule_rng_seed)` exactly like LoadGen.
pub fn generate_queries(
    s: &EffectiveSettings,
    set: &LoadableSet,
    phase: Phase,
) -> Result<GeneratedQueries, GenerateError> {
    let loaded = &set.samples;
    let n = loaded.len();
    if n == 0 || set.distribution_end == 0 {
        return Err(GenerateError::EmptySet);
    }
    let Plan {
        gen_duration_ns,
        mut min_queries,
        mut spq,
        equal_issue,
    } = plan(s, set, phase);
    if spq == 0 {
        return Err(GenerateError::ZeroSamplesPerQuery);
    }
    let same_index = usize::try_from(s.performance_issue_same_index).unwrap_or(usize::MAX);
    if s.performance_issue_same && same_index >= n {
        return Err(GenerateError::SameIndexOutOfRange {
            index: s.performance_issue_same_index,
            loaded: n,
        });
    }
    let mut sample_rng = Mt19937::with_algorithm(s.sample_index_rng_seed, s.int_algorithm);
    let mut schedule_rng = Mt19937::with_algorithm(s.schedule_rng_seed, s.int_algorithm);
    let stride = if s.scenario == Scenario::MultiStream {
        spq
    } else {
        1
    };
    let strided = || {
        (0..set.distribution_end)
            .step_by(stride)
            .collect::<Vec<_>>()
    };
    let mut distribution = match phase {
        Phase::Performance => Picker::Uniform {
            end: set.distribution_end as u64,
        },
        Phase::Accuracy => {
            let mut list = strided();
            sample_rng.shuffle(&mut list);
            Picker::Shuffled(list.into_iter())
        }
    };
    let mut unique = strided();
    sample_rng.shuffle(&mut unique);
    let mut unique = Picker::Unique(unique.into_iter());
    let mut equal = Picker::EqualIssue {
        list: equal_issue_list(&mut sample_rng, n, min_queries),
        next: 0,
    };
    let mut same = Picker::Same(same_index);
    if phase == Phase::Performance && equal_issue {
        if s.scenario == Scenario::Offline {
            spq = spq.div_ceil(n) * n;
        } else {
            min_queries = min_queries.div_ceil(n as u64) * n as u64;
        }
    }
    let period_ns = seconds_to_ns(1.0 / s.target_qps);
    let mut queries = Vec::new();
    let (mut timestamp, mut prev) = (0u64, 0u64);
    while prev < gen_duration_ns || (queries.len() as u64) < min_queries {
        let sample_indices = match s.scenario {
            Scenario::MultiStream => {
                let picker = if s.performance_issue_unique {
                    &mut unique
                } else if s.performance_issue_same {
                    &mut same
                } else {
                    &mut distribution
                };
                let start = pick(picker, &mut sample_rng)?;
                loaded[start..start + spq].to_vec()
            }
            Scenario::Offline if s.performance_issue_same => vec![loaded[same_index]; spq],
            Scenario::Offline => offline_samples(loaded, spq, equal_issue, &mut sample_rng),
            Scenario::Server | Scenario::SingleStream => {
                let picker = if s.performance_issue_unique {
                    &mut unique
                } else if s.performance_issue_same {
                    &mut same
                } else if equal_issue {
                    &mut equal
                } else {
                    &mut distribution
                };
                let mut samples = Vec::with_capacity(spq);
                for _ in 0..spq {
                    samples.push(loaded[pick(picker, &mut sample_rng)?]);
                }
                samples
            }
        };
        queries.push(GeneratedQuery {
            sample_indices,
            scheduled_ns: timestamp,
        });
        prev = timestamp;
        let delta = match s.scenario {
            Scenario::Server => seconds_to_ns(schedule_rng.exponential(s.target_qps)),
            _ => period_ns,
        };
        timestamp = timestamp.saturating_add(delta);
        if equal_issue
            && s.scenario != Scenario::Offline
            && queries.len() as u64 >= min_queries
            && prev < gen_duration_ns
        {
            min_queries += n as u64;
        }
    }
    if s.scenario == Scenario::Offline && phase == Phase::Accuracy && n % spq != 0 {
        let mut samples = Vec::with_capacity(n % spq);
        for _ in 0..n % spq {
            samples.push(loaded[pick(&mut distribution, &mut sample_rng)?]);
        }
        queries.push(GeneratedQuery {
            sample_indices: samples,
            scheduled_ns: timestamp,
        });
    }
    if queries.is_empty() {
        return Err(GenerateError::NoQueries {
            samples_per_query: spq as u64,
            loaded: n,
        });
    }
    Ok(GeneratedQueries {
        queries,
        samples_per_query: spq as u64,
        query_duration_ns: timestamp,
    })
}

/// The equal-issue list (docs/LOADGEN.md §6.2 step 4): `ceil(min_queries / n)` shuffles of one
/// permutation that is not reset between rounds, concatenated.
fn equal_issue_list(rng: &mut Mt19937, n: usize, min_queries: u64) -> Vec<usize> {
    let mut perm: Vec<usize> = (0..n).collect();
    let mut list = Vec::new();
    let mut j = 0u64;
    while j < min_queries {
        rng.shuffle(&mut perm);
        list.extend_from_slice(&perm);
        j += n as u64;
    }
    list
}

/// Offline: full copies of the loaded set (each shuffled with equal issue), then the first
/// `spq mod n` samples unshuffled.
fn offline_samples(loaded: &[usize], spq: usize, equal: bool, rng: &mut Mt19937) -> Vec<usize> {
    let n = loaded.len();
    let mut samples = Vec::with_capacity(spq);
    for _ in 0..spq / n {
        let start = samples.len();
        samples.extend_from_slice(loaded);
        if equal {
            rng.shuffle(&mut samples[start..]);
        }
    }
    samples.extend_from_slice(&loaded[..spq % n]);
    samples
}

/// The next position in the loaded set from a picker.
fn pick(picker: &mut Picker, rng: &mut Mt19937) -> Result<usize, GenerateError> {
    Ok(match picker {
        Picker::Uniform { end } => rng.uniform_int(0, *end - 1) as usize,
        Picker::Same(i) => *i,
        Picker::EqualIssue { list, next } => {
            if list.is_empty() {
                return Err(GenerateError::EmptySet);
            }
            let v = list[*next % list.len()];
            *next += 1;
            v
        }
        // LoadGen reads past the end here (undefined behaviour); that cannot happen with
        // the counts of docs/LOADGEN.md §6.1, so running out is reported like an empty set.
        Picker::Unique(it) | Picker::Shuffled(it) => it.next().ok_or(GenerateError::EmptySet)?,
    })
}

/// Which performance-mode responses go to the accuracy log (docs/LOADGEN.md §7.6).
///
/// LoadGen gives every generated sample a value from one process-wide, never seeded
/// `mt19937` (two draws per sample, in generation order, across all phases of a test) and
/// logs a sample iff that value plus a per-phase offset (wrapped into `[0, 1)`) is at most
/// the probability.
#[derive(Debug, Clone)]
pub struct AccuracyLogSampler {
    values: Mt19937,
}

impl Default for AccuracyLogSampler {
    fn default() -> Self {
        Self::new()
    }
}

impl AccuracyLogSampler {
    /// The sampler of a fresh test (`mt19937` with its default seed 5489).
    pub fn new() -> Self {
        AccuracyLogSampler {
            values: Mt19937::new(DEFAULT_SEED),
        }
    }

    /// The logging probability: `accuracy_log_probability`, or, when
    /// `accuracy_log_sampling_target > 0`, the target over the expected sample count.
    pub fn probability(s: &EffectiveSettings) -> f64 {
        if s.accuracy_log_sampling_target == 0 {
            return s.accuracy_log_probability;
        }
        let mut expected = (s.target_qps * s.min_duration_ms as f64 / 1000.0) as u64;
        let minimum = if s.scenario == Scenario::Offline {
            s.min_sample_count
        } else {
            expected = expected.saturating_mul(s.samples_per_query);
            s.min_query_count.saturating_mul(s.samples_per_query)
        };
        s.accuracy_log_sampling_target as f64 / expected.max(minimum) as f64
    }

    /// The per-phase offset: the first `uniform_real(0, 1)` of
    /// `mt19937(accuracy_log_rng_seed)`.
    pub fn offset(s: &EffectiveSettings) -> f64 {
        Mt19937::new(s.accuracy_log_rng_seed).uniform_real01()
    }

    /// Draws the values of every sample of `queries` (in generation order, also in accuracy
    /// mode, where everything is logged) and returns, per sample in that order, whether its
    /// response goes to the accuracy log.
    pub fn select(
        &mut self,
        s: &EffectiveSettings,
        queries: &GeneratedQueries,
        phase: Phase,
    ) -> Vec<bool> {
        let probability = Self::probability(s);
        let offset = Self::offset(s);
        let mut logged = Vec::with_capacity(queries.sample_count());
        for _ in 0..queries.sample_count() {
            let mut v = self.values.uniform_real01() + offset;
            if v >= 1.0 {
                v -= 1.0;
            }
            logged.push(phase == Phase::Accuracy || v <= probability);
        }
        logged
    }
}

#[cfg(test)]
mod tests {
    //! Expected values come from an independent Python model of LoadGen's random choices
    //! (docs/LOADGEN.md §5–7, verified bit for bit against the official build); the gpt-oss
    //! cases are in the golden files and the official cross-check.

    use super::*;
    use crate::settings::TestSettings;

    fn settings(
        scenario: Scenario,
        total: u64,
        perf: u64,
        f: impl Fn(&mut TestSettings),
    ) -> EffectiveSettings {
        let mut s = TestSettings::new(scenario, TestMode::PerformanceOnly);
        s.min_duration_ms = 100;
        s.min_query_count = 10;
        s.qsl_rng_seed = 3;
        s.sample_index_rng_seed = 5;
        s.schedule_rng_seed = 6;
        s.server_target_qps = 100.0;
        f(&mut s);
        EffectiveSettings::derive(&s, total, perf)
    }

    fn firsts(g: &GeneratedQueries) -> Vec<usize> {
        g.queries.iter().map(|q| q.sample_indices[0]).collect()
    }

    #[test]
    fn multistream_sets_are_padded_with_their_first_samples() {
        let e = settings(Scenario::MultiStream, 50, 20, |s| {
            s.multi_stream_samples_per_query = 4
        });
        let sets = loadable_sets(&e, 50, Phase::Performance);
        assert_eq!(sets.len(), 1);
        assert_eq!(
            sets[0].samples,
            [3, 10, 8, 17, 11, 6, 19, 7, 18, 4, 1, 2, 9, 0, 13, 16, 14, 5, 15, 12, 3, 10, 8]
        );
        assert_eq!(sets[0].distribution_end, 20);
    }

    #[test]
    fn multistream_queries_are_contiguous_runs_at_the_expected_latency() {
        let e = settings(Scenario::MultiStream, 50, 20, |s| {
            s.multi_stream_samples_per_query = 4
        });
        let set = &loadable_sets(&e, 50, Phase::Performance)[0];
        let g = generate_queries(&e, set, Phase::Performance).unwrap();
        assert_eq!(
            (g.query_count(), g.query_duration_ns, g.samples_per_query),
            (26, 208_000_000, 4)
        );
        assert_eq!(g.queries[0].sample_indices, [7, 18, 4, 1]);
        assert_eq!(g.queries[1].sample_indices, [1, 2, 9, 0]);
        assert_eq!(g.queries[2].sample_indices, [4, 1, 2, 9]);
        assert_eq!(g.queries[2].scheduled_ns, 16_000_000);
        let acc = generate_queries(&e, set, Phase::Accuracy).unwrap();
        let all: Vec<Vec<usize>> = acc
            .queries
            .iter()
            .map(|q| q.sample_indices.clone())
            .collect();
        assert_eq!(
            all,
            [
                [9, 0, 13, 16],
                [14, 5, 15, 12],
                [3, 10, 8, 17],
                [11, 6, 19, 7],
                [18, 4, 1, 2]
            ]
        );
    }

    #[test]
    fn singlestream_equal_issue_rounds_the_query_count_up_to_whole_permutations() {
        let e = settings(Scenario::SingleStream, 30, 30, |s| {
            s.sample_concatenate_permutation = true
        });
        assert_eq!(
            e.min_query_count, 210,
            "max(10, 2 s·qps = 200) rounded up past a multiple of 30"
        );
        let set = &loadable_sets(&e, 30, Phase::Performance)[0];
        let g = generate_queries(&e, set, Phase::Performance).unwrap();
        assert_eq!((g.query_count(), g.query_duration_ns), (210, 210_000_000));
        let f = firsts(&g);
        assert_eq!(&f[..12], &[23, 16, 24, 19, 11, 15, 22, 12, 21, 7, 2, 13]);
        assert_eq!(&f[30..36], &[28, 23, 14, 16, 19, 24]);
    }

    #[test]
    fn singlestream_without_equal_issue_draws_with_replacement() {
        let e = settings(Scenario::SingleStream, 30, 30, |_| {});
        let set = &loadable_sets(&e, 30, Phase::Performance)[0];
        let g = generate_queries(&e, set, Phase::Performance).unwrap();
        assert_eq!((g.query_count(), g.query_duration_ns), (201, 201_000_000));
        assert_eq!(
            &firsts(&g)[..12],
            &[18, 28, 9, 25, 18, 10, 21, 16, 5, 13, 5, 20]
        );
    }

    #[test]
    fn performance_issue_unique_issues_every_loaded_sample_once() {
        let e = settings(Scenario::Server, 30, 30, |s| {
            s.performance_issue_unique = true
        });
        let set = &loadable_sets(&e, 30, Phase::Performance)[0];
        let g = generate_queries(&e, set, Phase::Performance).unwrap();
        assert_eq!((g.query_count(), g.query_duration_ns), (30, 286_643_875));
        let f = firsts(&g);
        assert_eq!(&f[..10], &[2, 22, 1, 24, 23, 5, 7, 26, 14, 10]);
        let mut sorted = f.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..30).collect::<Vec<_>>());
    }

    #[test]
    fn performance_issue_same_repeats_one_position_of_the_loaded_set() {
        let e = settings(Scenario::Server, 30, 30, |s| {
            s.performance_issue_same = true;
            s.performance_issue_same_index = 4;
        });
        let set = &loadable_sets(&e, 30, Phase::Performance)[0];
        assert_eq!(set.samples[4], 11);
        let g = generate_queries(&e, set, Phase::Performance).unwrap();
        assert_eq!((g.query_count(), g.query_duration_ns), (10, 121_136_036));
        assert!(firsts(&g).iter().all(|&i| i == 11));
    }

    #[test]
    fn accuracy_sets_are_cut_at_the_performance_sample_count() {
        let e = settings(Scenario::Offline, 500, 200, |_| {});
        let sets = loadable_sets(&e, 500, Phase::Accuracy);
        let sizes: Vec<usize> = sets.iter().map(|s| s.samples.len()).collect();
        assert_eq!(sizes, [200, 200, 100]);
        assert_eq!(Phase::Accuracy.sets_used(&sets).len(), 3);
        assert_eq!(Phase::Performance.sets_used(&sets).len(), 1);
    }

    #[test]
    fn offline_unique_with_fewer_loaded_samples_than_the_query_is_refused_not_a_crash() {
        // TEST07's pitfall (docs/LOADGEN.md §12): P = 6396 but a 990-sample compliance QSL.
        let e = settings(Scenario::Offline, 990, 990, |s| {
            s.performance_issue_unique = true;
            s.performance_sample_count_override = 6396;
        });
        let set = &loadable_sets(&e, 990, Phase::Performance)[0];
        let err = generate_queries(&e, set, Phase::Performance).unwrap_err();
        assert_eq!(
            err,
            GenerateError::NoQueries {
                samples_per_query: 6396,
                loaded: 990
            }
        );
        assert_eq!(
            err.to_string(),
            "the settings generate no query: `samples_per_query` is `6396` but only `990` samples are loaded; set `performance_sample_count_override` to at most `990`"
        );
    }

    #[test]
    fn an_empty_qsl_or_a_same_index_outside_the_set_is_an_error() {
        let e = settings(Scenario::Server, 0, 0, |_| {});
        assert!(loadable_sets(&e, 0, Phase::Performance).is_empty());
        let empty = LoadableSet {
            samples: vec![],
            distribution_end: 0,
        };
        assert_eq!(
            generate_queries(&e, &empty, Phase::Performance),
            Err(GenerateError::EmptySet)
        );
        let e = settings(Scenario::Server, 30, 30, |s| {
            s.performance_issue_same = true;
            s.performance_issue_same_index = 30;
        });
        let set = &loadable_sets(&e, 30, Phase::Performance)[0];
        assert_eq!(
            generate_queries(&e, set, Phase::Performance),
            Err(GenerateError::SameIndexOutOfRange {
                index: 30,
                loaded: 30
            })
        );
    }

    #[test]
    fn the_sampling_target_sets_the_accuracy_log_probability() {
        let e = settings(Scenario::Server, 990, 990, |s| {
            s.accuracy_log_sampling_target = 990;
            s.min_query_count = 990;
            s.min_duration_ms = 0;
        });
        assert_eq!(AccuracyLogSampler::probability(&e), 1.0);
        let e = settings(Scenario::Server, 990, 990, |s| {
            s.accuracy_log_sampling_target = 5
        });
        // expected = 100 qps × 0.1 s = 10 samples; minimum = 10 queries × 1.
        assert_eq!(AccuracyLogSampler::probability(&e), 0.5);
        let e = settings(Scenario::Offline, 990, 990, |s| {
            s.accuracy_log_probability = 0.25
        });
        assert_eq!(AccuracyLogSampler::probability(&e), 0.25);
    }

    #[test]
    fn accuracy_mode_logs_every_sample_and_still_advances_the_shared_values() {
        let e = settings(Scenario::Server, 30, 30, |_| {});
        let set = &loadable_sets(&e, 30, Phase::Performance)[0];
        let g = generate_queries(&e, set, Phase::Accuracy).unwrap();
        let mut sampler = AccuracyLogSampler::new();
        assert!(sampler.select(&e, &g, Phase::Accuracy).iter().all(|&l| l));
        let mut fresh = Mt19937::new(DEFAULT_SEED);
        for _ in 0..30 {
            fresh.uniform_real01();
        }
        assert_eq!(sampler.values.uniform_real01(), fresh.uniform_real01());
    }

    #[test]
    fn submission_runs_do_accuracy_then_performance() {
        assert_eq!(
            Phase::for_mode(TestMode::SubmissionRun),
            [Phase::Accuracy, Phase::Performance]
        );
        assert_eq!(
            Phase::for_mode(TestMode::FindPeakPerformance),
            [Phase::Performance]
        );
    }
}
