//! LoadGen's random numbers, bit for bit (docs/LOADGEN.md §7): `std::mt19937` seeded with the low
//! 32 bits of each 64-bit seed, and the libstdc++ algorithms of `uniform_int_distribution`,
//! `std::shuffle`, `generate_canonical<double, 53>` and `exponential_distribution`.
//!
//! Why not `rand`: its distributions are different algorithms, so the loaded sets, issue order
//! and Poisson schedule would differ from the official LoadGen build. The official 6.0.17
//! wheel is built with GCC 14 (Lemire's integer draw); GCC ≤ 10 builds (e.g. the 4.1.30 wheel)
//! used the division method, kept as [`IntAlgorithm::Gcc10Division`].

/// The `uniform_int_distribution` algorithm of the libstdc++ that built the reference LoadGen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IntAlgorithm {
    /// libstdc++ of GCC ≥ 11: Lemire's nearly divisionless method (official 6.0.x wheels).
    #[default]
    Lemire,
    /// libstdc++ of GCC ≤ 10: downscaling by division with rejection.
    Gcc10Division,
}

/// `std::mt19937` with the libstdc++ distribution algorithms on top.
#[derive(Clone)]
pub struct Mt19937 {
    engine: rand_mt::Mt,
    algorithm: IntAlgorithm,
}

impl std::fmt::Debug for Mt19937 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mt19937")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// The seed `std::mt19937` gets when default-constructed.
pub(crate) const DEFAULT_SEED: u64 = 5489;

const TWO_POW_32: f64 = 4_294_967_296.0;
const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;

impl Mt19937 {
    /// `std::mt19937(seed)` with the GCC ≥ 11 integer draw; only the low 32 bits of `seed`
    /// are used, like libstdc++.
    pub fn new(seed: u64) -> Self {
        Self::with_algorithm(seed, IntAlgorithm::Lemire)
    }

    /// `std::mt19937(seed)` with the given `uniform_int_distribution` algorithm.
    pub fn with_algorithm(seed: u64, algorithm: IntAlgorithm) -> Self {
        Mt19937 {
            engine: rand_mt::Mt::new(seed as u32),
            algorithm,
        }
    }

    /// The next raw 32-bit output.
    pub fn next_u32(&mut self) -> u32 {
        self.engine.next_u32()
    }

    /// `std::uniform_int_distribution(a, b)(g)`: an integer in `[a, b]`. `b - a` must be
    /// below `2^32 - 1` or exactly it (every LoadGen use is far smaller); `a <= b`.
    pub fn uniform_int(&mut self, a: u64, b: u64) -> u64 {
        let urange = b - a;
        if urange >= u64::from(u32::MAX) {
            return a + u64::from(self.next_u32());
        }
        let n = urange + 1;
        let offset = match self.algorithm {
            IntAlgorithm::Lemire => {
                let mut product = u64::from(self.next_u32()) * n;
                let mut low = product & 0xFFFF_FFFF;
                if low < n {
                    let threshold = ((1u64 << 32) - n) % n;
                    while low < threshold {
                        product = u64::from(self.next_u32()) * n;
                        low = product & 0xFFFF_FFFF;
                    }
                }
                product >> 32
            }
            IntAlgorithm::Gcc10Division => {
                let scaling = u64::from(u32::MAX) / n;
                let past = n * scaling;
                loop {
                    let draw = u64::from(self.next_u32());
                    if draw < past {
                        break draw / scaling;
                    }
                }
            }
        };
        a + offset
    }

    /// `std::shuffle(v.begin(), v.end(), g)` with libstdc++'s algorithm (two positions per
    /// draw while `n <= 65535`).
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        let n = v.len() as u64;
        if n == 0 {
            return;
        }
        if u64::from(u32::MAX) / n >= n {
            let mut i = 1usize;
            if n % 2 == 0 {
                let j = self.uniform_int(0, 1) as usize;
                v.swap(1, j);
                i = 2;
            }
            while i < v.len() {
                let b0 = i as u64 + 1;
                let b1 = b0 + 1;
                let x = self.uniform_int(0, b0 * b1 - 1);
                v.swap(i, (x / b1) as usize);
                v.swap(i + 1, (x % b1) as usize);
                i += 2;
            }
        } else {
            for i in 1..v.len() {
                let j = self.uniform_int(0, i as u64) as usize;
                v.swap(i, j);
            }
        }
    }

    /// `std::generate_canonical<double, 53>(g)`: two draws, in `[0, 1)`.
    pub fn canonical(&mut self) -> f64 {
        let lo = f64::from(self.next_u32());
        let hi = f64::from(self.next_u32());
        let u = (lo + hi * TWO_POW_32) / TWO_POW_64;
        if u >= 1.0 {
            // nextafter(1, 0)
            1.0 - f64::EPSILON / 2.0
        } else {
            u
        }
    }

    /// `std::uniform_real_distribution<double>(0, 1)(g)`.
    pub fn uniform_real01(&mut self) -> f64 {
        self.canonical() * (1.0 - 0.0) + 0.0
    }

    /// `std::exponential_distribution<double>(lambda)(g)`: `-ln(1 - u) / lambda`.
    pub fn exponential(&mut self, lambda: f64) -> f64 {
        -(1.0 - self.canonical()).ln() / lambda
    }
}

/// `duration_cast<nanoseconds>(duration<double>(seconds))`: truncation toward zero.
pub(crate) fn seconds_to_ns(seconds: f64) -> u64 {
    (seconds * 1e9) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    const QSL_SEED: u64 = 2085463073848966840;
    const SAMPLE_SEED: u64 = 2747215439041700203;
    const SCHEDULE_SEED: u64 = 16159082839903944936;

    #[test]
    fn the_default_seed_gives_the_standard_first_output() {
        assert_eq!(Mt19937::new(DEFAULT_SEED).next_u32(), 3499211612);
    }

    #[test]
    fn sixty_four_bit_seeds_use_their_low_32_bits() {
        let mut g = Mt19937::new(QSL_SEED);
        assert_eq!(
            [g.next_u32(), g.next_u32(), g.next_u32()],
            [144363858, 3947231266, 1102009372]
        );
        let mut g = Mt19937::new(SAMPLE_SEED);
        assert_eq!([g.next_u32(), g.next_u32()], [3434217556, 4095560906]);
        let mut g = Mt19937::new(SCHEDULE_SEED);
        assert_eq!([g.next_u32(), g.next_u32()], [3245365415, 3615339558]);
        let mut a = Mt19937::new(3438689976);
        assert_eq!(a.next_u32(), 144363858);
    }

    #[test]
    fn shuffling_the_performance_set_gives_the_official_loaded_order() {
        let mut v: Vec<u64> = (0..6396).collect();
        Mt19937::new(QSL_SEED).shuffle(&mut v);
        assert_eq!(
            &v[..10],
            &[5402, 3543, 5762, 2589, 4542, 4276, 1875, 4940, 1034, 882]
        );
        assert_eq!(&v[6393..], &[1439, 5743, 6151]);
    }

    #[test]
    fn uniform_draws_after_two_shuffles_match_the_official_build() {
        let mut g = Mt19937::new(SAMPLE_SEED);
        let mut a: Vec<u64> = (0..6396).collect();
        g.shuffle(&mut a);
        g.shuffle(&mut a);
        let draws: Vec<u64> = (0..10).map(|_| g.uniform_int(0, 6395)).collect();
        assert_eq!(draws, [26, 124, 3348, 606, 91, 959, 2908, 5417, 4268, 6220]);
    }

    #[test]
    #[allow(clippy::excessive_precision)] // the 17-digit values printed by the official build
    fn canonical_draws_and_poisson_deltas_match_the_official_build() {
        let mut g = Mt19937::new(SCHEDULE_SEED);
        assert_eq!(g.canonical(), 0.84176183649236813);
        assert_eq!(g.canonical(), 0.36740425143421468);
        assert_eq!(g.canonical(), 0.72358787390744883);
        let mut g = Mt19937::new(SCHEDULE_SEED);
        let deltas: Vec<u64> = (0..8).map(|_| seconds_to_ns(g.exponential(1.0))).collect();
        assert_eq!(
            deltas,
            [
                1843654016, 457923688, 1285862316, 712994723, 386406625, 2248341693, 1091579918,
                101746946
            ]
        );
        let mut g = Mt19937::new(SCHEDULE_SEED);
        assert_eq!(seconds_to_ns(g.exponential(10.0)), 184365401);
    }

    #[test]
    fn the_accuracy_log_offset_of_the_compliance_seed_is_exact() {
        let mut g = Mt19937::new(720381539243781796);
        assert_eq!(g.uniform_real01(), 0.49069568815352677);
    }

    #[test]
    fn the_gcc10_division_method_draws_differently_from_lemire() {
        // Division: scaling = floor((2^32-1)/10) = 429496729; first raw output 3499211612.
        let mut g = Mt19937::with_algorithm(DEFAULT_SEED, IntAlgorithm::Gcc10Division);
        assert_eq!(g.uniform_int(0, 9), 3499211612 / 429496729);
        // Lemire: (3499211612 * 10) >> 32.
        let mut g = Mt19937::new(DEFAULT_SEED);
        assert_eq!(g.uniform_int(0, 9), (3499211612u64 * 10) >> 32);
    }

    #[test]
    fn the_gcc10_build_shuffles_the_performance_set_differently() {
        // `loadgen_rng_model.py` with LEMIRE = False (how GCC ≤ 10 wheels such as 4.1.30 draw).
        let mut v: Vec<u64> = (0..6396).collect();
        Mt19937::with_algorithm(QSL_SEED, IntAlgorithm::Gcc10Division).shuffle(&mut v);
        assert_eq!(
            &v[..10],
            &[5400, 2044, 5760, 2580, 4542, 4276, 710, 6045, 6311, 882]
        );
        assert_eq!(&v[6393..], &[4349, 182, 2051]);
    }

    #[test]
    fn shuffles_longer_than_65535_take_one_position_per_draw() {
        // Values from the executable model `loadgen_rng_model.py`.
        let mut v: Vec<u32> = (0..70000).collect();
        Mt19937::new(1).shuffle(&mut v);
        assert_eq!(&v[..6], &[7199, 23693, 65840, 9893, 62829, 19725]);
        assert_eq!(&v[69997..], &[15400, 22913, 3797]);
    }
}
