//! Price scores (价格分) under comprehensive scoring: computed from the valid bids' prices with the
//! benchmark-price rule the tender fixed at publication (法40), never typed by a member. Integer
//! arithmetic with one rounding at the end, specified in docs/award.md §3 "Price scores (价格分)"
//! so that any implementation gets the same numbers. It never decides which bids are valid.

use crate::domain::InvalidValue;
use serde::{Deserialize, Serialize};

/// The full price score, in hundredths of a point (100 points).
pub const FULL_CENTI: u32 = 10_000;
/// The largest discount K of `average_discounted`, in permille (10 %).
pub const MAX_K_PERMILLE: u16 = 100;
/// The largest deduction per 1 % of deviation, in hundredths of a point (the whole score).
pub const MAX_DEDUCT_CENTI: u32 = 10_000;

/// How the price criterion's score follows from the valid bid prices (评标基准价 and 扣分).
/// Deductions are hundredths of a point per 1 % of deviation from the benchmark.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum PriceRule {
    /// 最低价基准法: the benchmark is the lowest valid price.
    LowestValid {
        #[schema(maximum = 10000)]
        deduct_above_centi: u32,
    },
    /// 平均价下浮法: the benchmark is the mean of the valid prices × (1 − K), K = `k_permille`/1000.
    AverageDiscounted {
        #[schema(maximum = 100)]
        k_permille: u16,
        #[schema(maximum = 10000)]
        deduct_above_centi: u32,
        #[schema(maximum = 10000)]
        deduct_below_centi: u32,
    },
}

impl PriceRule {
    /// The tender's parameters within their bounds: K at most 10 %, a deduction per 1 % at most
    /// the whole score.
    pub fn check_range(&self) -> Result<(), InvalidValue> {
        let (k, above, below) = match *self {
            PriceRule::LowestValid { deduct_above_centi } => (0, deduct_above_centi, 0),
            PriceRule::AverageDiscounted {
                k_permille,
                deduct_above_centi,
                deduct_below_centi,
            } => (k_permille, deduct_above_centi, deduct_below_centi),
        };
        if k > MAX_K_PERMILLE || above > MAX_DEDUCT_CENTI || below > MAX_DEDUCT_CENTI {
            return Err(InvalidValue::new(
                "price_rule_range",
                "a price rule's k_permille is 0 to 100 and its deductions 0 to 10000 hundredths of a point per 1 %",
            ));
        }
        Ok(())
    }

    /// Hundredths of a point per 1 % (above, below the benchmark). Nothing is below the lowest.
    fn rates(&self) -> (u32, u32) {
        match *self {
            PriceRule::LowestValid { deduct_above_centi } => (deduct_above_centi, 0),
            PriceRule::AverageDiscounted {
                deduct_above_centi,
                deduct_below_centi,
                ..
            } => (deduct_above_centi, deduct_below_centi),
        }
    }
}

/// The benchmark price in fen as an exact fraction in lowest terms, `denominator > 0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Benchmark {
    pub numerator: i128,
    pub denominator: i128,
}

impl Benchmark {
    fn new(numerator: i128, denominator: i128) -> Self {
        let g = gcd(numerator.unsigned_abs(), denominator.unsigned_abs()).max(1) as i128;
        Benchmark {
            numerator: numerator / g,
            denominator: denominator / g,
        }
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The benchmark of these valid prices (fen), or `None` when there are none: the lowest price,
/// or Σ p × (1000 − k) / (n × 1000) — never rounded.
pub fn benchmark(rule: &PriceRule, prices: &[i64]) -> Option<Benchmark> {
    let lowest = *prices.iter().min()?;
    Some(match *rule {
        PriceRule::LowestValid { .. } => Benchmark::new(lowest as i128, 1),
        PriceRule::AverageDiscounted { k_permille, .. } => {
            let sum: i128 = prices.iter().map(|&p| p as i128).sum();
            let n = prices.len() as i128;
            Benchmark::new(
                sum.saturating_mul(1000 - k_permille as i128),
                n.saturating_mul(1000),
            )
        }
    })
}

/// The price score of each valid bid, `(line, price_fen)` → `(line, hundredths of a point)` in
/// the input order, 0..=10000. With the benchmark B = a/b, a price p deviates by
/// |p·b − a| / a; the rate r (above or below) deducts r × 100 × that; the exact score
/// (10000·a − 100·r·|p·b − a|) / a is clamped at 0 and then rounded half up to hundredths, the one
/// rounding. A benchmark of 0 or less (no bid price is, the tender's K cannot make one) scores a
/// price equal to it 10000 and any other 0.
pub fn price_scores(rule: &PriceRule, prices: &[(i64, i64)]) -> Vec<(i64, u32)> {
    let only: Vec<i64> = prices.iter().map(|&(_, p)| p).collect();
    let Some(Benchmark {
        numerator: a,
        denominator: b,
    }) = benchmark(rule, &only)
    else {
        return Vec::new();
    };
    let (above, below) = rule.rates();
    prices
        .iter()
        .map(|&(line, price)| {
            let diff = (price as i128).saturating_mul(b).saturating_sub(a);
            if diff == 0 {
                return (line, FULL_CENTI);
            }
            if a <= 0 {
                return (line, 0);
            }
            let rate = i128::from(if diff > 0 { above } else { below });
            // Saturating: a product past i128 deducts more than the whole score anyway.
            let deduction = (100 * rate).saturating_mul(diff.abs());
            let full = a.saturating_mul(FULL_CENTI as i128);
            if deduction >= full {
                return (line, 0);
            }
            let numerator = full - deduction;
            (line, half_up(numerator, a))
        })
        .collect()
}

/// n/d rounded half up, for 0 < n/d ≤ 10000 and d > 0.
fn half_up(n: i128, d: i128) -> u32 {
    ((2 * n + d) / (2 * d)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rule(json: &str) -> PriceRule {
        serde_json::from_str(json).unwrap()
    }

    // The test vectors of docs/award.md §3 "Price scores (价格分)", literally.
    #[test]
    fn vector_1_lowest_valid_deducts_above_the_lowest_and_clamps_at_zero() {
        let r = rule(r#"{"method": "lowest_valid", "deduct_above_centi": 200}"#);
        let prices = [
            (1, 100_000_000),
            (2, 105_000_000),
            (3, 98_000_000),
            (4, 150_000_000),
        ];
        let only: Vec<i64> = prices.iter().map(|p| p.1).collect();
        assert_eq!(
            benchmark(&r, &only),
            Some(Benchmark {
                numerator: 98_000_000,
                denominator: 1
            })
        );
        assert_eq!(
            price_scores(&r, &prices),
            vec![(1, 9592), (2, 8571), (3, 10000), (4, 0)]
        );
    }

    #[test]
    fn vector_2_average_discounted_keeps_the_benchmark_a_fraction() {
        let r = rule(
            r#"{"method": "average_discounted", "k_permille": 30, "deduct_above_centi": 100, "deduct_below_centi": 50}"#,
        );
        let prices = [(1, 10_000_000), (2, 9_500_000), (3, 11_000_000)];
        let only: Vec<i64> = prices.iter().map(|p| p.1).collect();
        // 30 500 000 × 970 / 3000 = 29 585 000 / 3 = 9 861 666.66… fen
        assert_eq!(
            benchmark(&r, &only),
            Some(Benchmark {
                numerator: 29_585_000,
                denominator: 3
            })
        );
        assert_eq!(
            price_scores(&r, &prices),
            vec![(1, 9860), (2, 9817), (3, 8846)]
        );
    }

    #[test]
    fn vector_3_a_half_hundredth_rounds_up() {
        let r = rule(r#"{"method": "lowest_valid", "deduct_above_centi": 1}"#);
        // 203: 1.5 % above, 9998.5 → 9999; 201: 0.5 % above, 9999.5 → 10000
        assert_eq!(
            price_scores(&r, &[(7, 200), (8, 203), (9, 201)]),
            vec![(7, 10000), (8, 9999), (9, 10000)]
        );
    }

    #[test]
    fn vector_4_a_single_bid_is_above_its_own_discounted_mean() {
        let r = rule(
            r#"{"method": "average_discounted", "k_permille": 50, "deduct_above_centi": 100, "deduct_below_centi": 50}"#,
        );
        // 12 345 × 950 / 1000 = 46 911 / 4 = 11 727.75 fen; 180 000 / 19 = 9473.68… → 9474
        assert_eq!(
            benchmark(&r, &[12_345]),
            Some(Benchmark {
                numerator: 46_911,
                denominator: 4
            })
        );
        assert_eq!(price_scores(&r, &[(1, 12_345)]), vec![(1, 9474)]);
    }

    #[test]
    fn a_price_equal_to_the_benchmark_scores_full_and_no_bids_score_nothing() {
        let r = rule(
            r#"{"method": "average_discounted", "k_permille": 0, "deduct_above_centi": 100, "deduct_below_centi": 100}"#,
        );
        assert_eq!(
            price_scores(&r, &[(1, 1000), (2, 1000)]),
            vec![(1, 10000), (2, 10000)]
        );
        assert_eq!(price_scores(&r, &[]), vec![]);
        assert_eq!(benchmark(&r, &[]), None);
    }

    #[test]
    fn a_zero_benchmark_scores_its_equal_full_and_others_zero() {
        let r = rule(r#"{"method": "lowest_valid", "deduct_above_centi": 100}"#);
        assert_eq!(
            price_scores(&r, &[(1, 0), (2, 5)]),
            vec![(1, 10000), (2, 0)]
        );
    }

    #[test]
    fn the_rule_reads_strictly_and_writes_the_same_json() {
        let r = PriceRule::AverageDiscounted {
            k_permille: 30,
            deduct_above_centi: 100,
            deduct_below_centi: 50,
        };
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            serde_json::json!({"method": "average_discounted", "k_permille": 30, "deduct_above_centi": 100, "deduct_below_centi": 50})
        );
        for bad in [
            r#"{"method": "lowest_valid", "deduct_above_centi": 100, "k_permille": 3}"#,
            r#"{"method": "lowest_valid"}"#,
            r#"{"method": "median", "deduct_above_centi": 100}"#,
            r#"{"method": "lowest_valid", "deduct_above_centi": -1}"#,
        ] {
            assert!(serde_json::from_str::<PriceRule>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parameters_out_of_range_are_refused() {
        let ok = PriceRule::AverageDiscounted {
            k_permille: 100,
            deduct_above_centi: 10_000,
            deduct_below_centi: 0,
        };
        assert!(ok.check_range().is_ok());
        for bad in [
            PriceRule::AverageDiscounted {
                k_permille: 101,
                deduct_above_centi: 100,
                deduct_below_centi: 100,
            },
            PriceRule::AverageDiscounted {
                k_permille: 30,
                deduct_above_centi: 100,
                deduct_below_centi: 10_001,
            },
            PriceRule::LowestValid {
                deduct_above_centi: 10_001,
            },
        ] {
            assert_eq!(bad.check_range().unwrap_err().rule, "price_rule_range");
        }
    }

    fn any_rule() -> impl Strategy<Value = PriceRule> {
        prop_oneof![
            (0u32..=MAX_DEDUCT_CENTI)
                .prop_map(|deduct_above_centi| PriceRule::LowestValid { deduct_above_centi }),
            (
                0u16..=MAX_K_PERMILLE,
                0u32..=MAX_DEDUCT_CENTI,
                0u32..=MAX_DEDUCT_CENTI
            )
                .prop_map(|(k, above, below)| PriceRule::AverageDiscounted {
                    k_permille: k,
                    deduct_above_centi: above,
                    deduct_below_centi: below,
                }),
        ]
    }

    /// Bids as the opening announces them: distinct lines, prices up to the hall's 10^15 fen.
    fn any_bids() -> impl Strategy<Value = Vec<(i64, i64)>> {
        prop::collection::vec(
            prop_oneof![1i64..=1_000_000_000, 1i64..=1_000_000_000_000_000],
            0..12,
        )
        .prop_map(|prices| {
            prices
                .into_iter()
                .enumerate()
                .map(|(i, p)| (i as i64 + 1, p))
                .collect()
        })
    }

    proptest! {
        #[test]
        fn scores_stay_within_0_and_10000_and_keep_the_lines(rule in any_rule(), bids in any_bids()) {
            let scores = price_scores(&rule, &bids);
            prop_assert_eq!(scores.len(), bids.len());
            for ((line, score), (bid_line, _)) in scores.iter().zip(&bids) {
                prop_assert_eq!(line, bid_line);
                prop_assert!(*score <= FULL_CENTI);
            }
        }

        #[test]
        fn under_lowest_valid_a_lower_price_never_scores_less(
            deduct in 0u32..=MAX_DEDUCT_CENTI,
            bids in any_bids(),
        ) {
            let rule = PriceRule::LowestValid { deduct_above_centi: deduct };
            let scores = price_scores(&rule, &bids);
            for (i, &(_, p)) in bids.iter().enumerate() {
                for (j, &(_, q)) in bids.iter().enumerate() {
                    if p < q {
                        prop_assert!(scores[i].1 >= scores[j].1, "{} scores below {}", p, q);
                    }
                }
            }
            if let Some(lowest) = bids.iter().map(|b| b.1).min() {
                for (&(_, p), &(_, s)) in bids.iter().zip(&scores) {
                    if p == lowest {
                        prop_assert_eq!(s, FULL_CENTI);
                    }
                }
            }
        }

        #[test]
        fn the_order_of_the_bids_changes_no_score(
            rule in any_rule(),
            (bids, shuffled) in any_bids().prop_flat_map(|b| (Just(b.clone()), Just(b).prop_shuffle())),
        ) {
            let mut once = price_scores(&rule, &bids);
            let mut again = price_scores(&rule, &shuffled);
            once.sort();
            again.sort();
            prop_assert_eq!(once, again);
        }
    }
}
