//! Chi-square checks that the draw is uniform: over a fixed list of seeds (so the test is
//! deterministic), every candidate is selected, and lands in every position, equally often. The
//! threshold is p < 1e-6, so a fair draw never fails it, while the biased variants below always do.

use std::num::NonZeroU64;

use crate::draws::protocol::{partial_fisher_yates, sha256, Stream};

const DRAWS: u64 = 20_000;
const THRESHOLD: f64 = 1e-6;

/// How one index j in [i, n) is chosen from the stream.
type Pick = fn(&mut Stream, usize, usize) -> usize;

/// The rule of bidhall-draw/1: j = i + uniform(n − i).
fn fair(stream: &mut Stream, i: usize, n: usize) -> usize {
    i + stream.uniform(NonZeroU64::new((n - i) as u64).unwrap_or(NonZeroU64::MIN)) as usize
}

/// Plain `x % m` on a 4-bit word: small residues come up more often (16 mod 3 = 1, 16 mod 5 = 1…).
/// On full 64-bit words the same bias exists but is about m / 2^64, far too small to measure, which
/// is why the protocol rejects instead of trusting that it is negligible.
fn modulo_on_tiny_words(stream: &mut Stream, i: usize, n: usize) -> usize {
    i + (stream.next_word() & 0xf) as usize % (n - i)
}

/// The classic naive shuffle: j = uniform(N) instead of i + uniform(N − i).
fn whole_range(stream: &mut Stream, _i: usize, n: usize) -> usize {
    stream.uniform(NonZeroU64::new(n as u64).unwrap_or(NonZeroU64::MIN)) as usize
}

/// Off by one: j = i + uniform(N − i − 1), so an element can never stay where it is.
fn never_in_place(stream: &mut Stream, i: usize, n: usize) -> usize {
    match NonZeroU64::new((n - i - 1) as u64) {
        Some(m) => i + 1 + stream.uniform(m) as usize,
        None => i,
    }
}

/// The smallest p-value over: selection frequency of each candidate, the candidate in each drawn
/// position, and the ordered pair in the first two positions.
fn min_p_value(n: usize, select: usize, count: usize, pick: Pick) -> f64 {
    let items: Vec<usize> = (0..n).collect();
    let mut selected = vec![0u64; n];
    let mut by_position = vec![vec![0u64; n]; count];
    let mut pairs = vec![0u64; n * n];
    for k in 0..DRAWS {
        let mut label = b"bidhall-draw/1 uniformity test".to_vec();
        for x in [n as u64, select as u64, k] {
            label.extend_from_slice(&x.to_be_bytes());
        }
        let mut stream = Stream::new(&sha256(&label));
        let order = partial_fisher_yates(&items, count, |i, n| pick(&mut stream, i, n));
        for (pos, &c) in order.iter().enumerate() {
            by_position[pos][c] += 1;
            if pos < select {
                selected[c] += 1;
            }
        }
        if count >= 2 {
            pairs[order[0] * n + order[1]] += 1;
        }
    }

    let t = DRAWS as f64;
    let mut p_values = Vec::new();
    let p = select as f64 / n as f64;
    if select < n {
        // Each draw selects a uniform s-subset, so the counts are not multinomial: each has variance
        // T·p(1−p) and they sum to T·s. Scaling by N/(N−1) makes the statistic χ² with N − 1 degrees.
        let expected = t * p;
        let scale = expected * (1.0 - p) * n as f64 / (n as f64 - 1.0);
        let chi: f64 = selected
            .iter()
            .map(|&o| (o as f64 - expected).powi(2) / scale)
            .sum();
        p_values.push(chi_square_upper_tail(chi, n - 1));
    } else {
        assert!(
            selected.iter().all(|&o| o == DRAWS),
            "selecting the whole pool"
        );
    }
    for counts in &by_position {
        p_values.push(pearson(counts.iter().copied(), t / n as f64, n - 1));
    }
    if count >= 2 {
        let cells = pairs
            .iter()
            .enumerate()
            .filter(|(k, _)| k / n != k % n)
            .map(|(_, &o)| o);
        let k = n * (n - 1);
        p_values.push(pearson(cells, t / k as f64, k - 1));
    }
    p_values.into_iter().fold(1.0, f64::min)
}

fn pearson(observed: impl Iterator<Item = u64>, expected: f64, df: usize) -> f64 {
    let chi: f64 = observed
        .map(|o| (o as f64 - expected).powi(2) / expected)
        .sum();
    chi_square_upper_tail(chi, df)
}

/// P(χ²_df ≥ x) = Q(df/2, x/2), the regularised upper incomplete gamma function.
fn chi_square_upper_tail(x: f64, df: usize) -> f64 {
    upper_gamma_q(df as f64 / 2.0, x / 2.0)
}

/// ln Γ(a) for a positive integer or half-integer, exactly by the recurrence Γ(a + 1) = a·Γ(a).
fn ln_gamma_half_integer(a: f64) -> f64 {
    let mut z = if a.fract() == 0.0 { 1.0 } else { 0.5 };
    let mut ln = if z == 1.0 {
        0.0
    } else {
        std::f64::consts::PI.sqrt().ln()
    };
    while z < a {
        ln += z.ln();
        z += 1.0;
    }
    ln
}

fn upper_gamma_q(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let prefactor = (-x + a * x.ln() - ln_gamma_half_integer(a)).exp();
    if x < a + 1.0 {
        // Series for the lower function P(a, x) = e^{-x} x^a / Γ(a) · Σ x^k / (a (a+1) … (a+k)).
        let mut term = 1.0 / a;
        let mut sum = term;
        let mut k = 1.0;
        while term > sum * 1e-16 {
            term *= x / (a + k);
            sum += term;
            k += 1.0;
        }
        1.0 - prefactor * sum
    } else {
        // Legendre's continued fraction for Q(a, x), evaluated by the modified Lentz method.
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-15 {
                break;
            }
        }
        prefactor * h
    }
}

const CONFIGS: [usize; 5] = [3, 5, 7, 10, 13];

#[test]
fn chi_square_tail_matches_closed_forms() {
    // df = 2: Q(1, x/2) = e^{-x/2}; the 1e-6 critical value is −2·ln(1e-6) = 27.631…
    for x in [0.5, 2.0, 10.0, 27.631_021_115_928_547, 60.0] {
        let want = (-x / 2.0f64).exp();
        assert!((chi_square_upper_tail(x, 2) - want).abs() < 1e-12 * want.max(1e-300) + 1e-15);
    }
    // df = 1: Q(1/2, x/2) = erfc(sqrt(x/2)); erfc(1) = 0.157299207050285.
    assert!((chi_square_upper_tail(2.0, 1) - 0.157_299_207_050_285).abs() < 1e-12);
    // df = 4: Q(2, y) = e^{-y}(1 + y).
    let y: f64 = 7.5;
    assert!((chi_square_upper_tail(2.0 * y, 4) - (-y).exp() * (1.0 + y)).abs() < 1e-14);
}

#[test]
fn every_candidate_and_position_is_uniform() {
    for n in CONFIGS {
        for select in 1..=3.min(n) {
            let count = select + 1.min(n - select);
            let p = min_p_value(n, select, count, fair);
            assert!(
                p > THRESHOLD,
                "N = {n}, select {select}: smallest p-value {p:e} is below {THRESHOLD:e}"
            );
        }
    }
}

#[test]
fn the_test_catches_modulo_bias() {
    let p = min_p_value(5, 1, 2, modulo_on_tiny_words);
    assert!(p < THRESHOLD, "modulo bias went unnoticed (p = {p:e})");
}

#[test]
fn the_test_catches_the_naive_whole_range_swap() {
    let p = min_p_value(3, 2, 3, whole_range);
    assert!(p < THRESHOLD, "j = uniform(N) went unnoticed (p = {p:e})");
}

#[test]
fn the_test_catches_an_off_by_one_range() {
    let p = min_p_value(5, 1, 2, never_in_place);
    assert!(
        p < THRESHOLD,
        "j = i + 1 + uniform(N − i − 1) went unnoticed (p = {p:e})"
    );
}
