//! The ranking of the opened bids from the committee's compliance votes and scores, in integers
//! only (docs/award.md §3). Pure: the same inputs in any order give the same total order.

use super::price_score::{self, PriceRule};
use crate::tenders::model::TieBreak;
use serde::Serialize;
use std::cmp::Ordering;

/// A bid as announced at the opening and evaluated by the committee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bid {
    /// The opening's line number: bids were announced in the order received.
    pub line: i64,
    /// The lot the bid is for (empty: a tender whose events predate lots).
    pub lot_id: String,
    pub org_id: String,
    pub org_name: String,
    pub price_fen: i64,
}

/// One member's evaluation of one bid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub seat: i64,
    pub line: i64,
    /// 符合性: does the bid meet the documents' substantive requirements?
    pub compliant: bool,
    /// One score 0–100 per criterion (comprehensive scoring); empty for the lowest price method.
    pub scores: Vec<u32>,
    /// A non-compliant bid's ground of 条例51 and the member's reason.
    pub rejection: Option<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method<'a> {
    LowestEvaluatedPrice,
    /// The criteria's weights in percent, in the order the tender lists them, and the criterion
    /// (its index) whose score the hall computes from the passing bids' prices by the tender's
    /// rule (`price_score`), if one is; members score the other criteria, in order.
    ComprehensiveScoring {
        weights: &'a [u32],
        price: Option<(usize, &'a PriceRule)>,
    },
}

/// A bid's place in the ranking, or why it did not pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Ranked {
    /// 1, 2, … within the bid's lot; absent for a bid that did not pass.
    pub rank: Option<i64>,
    pub line: i64,
    /// The lot (absent: a tender whose events predate lots).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lot_id: Option<String>,
    pub org_id: String,
    pub org_name: String,
    pub price_fen: i64,
    pub compliant_votes: i64,
    pub members: i64,
    /// Σ weight × Σ members' scores (comprehensive scoring): the exact score is this over
    /// 100 × members. Bids compare on it, never on a rounded score.
    pub score_numerator: Option<i64>,
    /// The score in hundredths of a point, rounded half up, for people to read.
    pub score_centi: Option<i64>,
    /// The tie rule that decided this bid's place against the one ranked just above it.
    pub tie_broken_by: Option<String>,
    /// The computed price score, in hundredths of a point (a passing bid, when the tender has a
    /// price criterion; docs/award.md §3 "Price scores").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_score_centi: Option<i64>,
}

/// The exact numerator of a bid's comprehensive score: Σ_c weight_c × Σ_m score_{m,c}, the
/// members' scores being for the criteria in order (all of them: no price criterion).
pub fn score_numerator(weights: &[u32], marks: &[&Mark]) -> i64 {
    weights
        .iter()
        .enumerate()
        .map(|(c, w)| {
            let sum: i64 = marks
                .iter()
                .map(|m| i64::from(m.scores.get(c).copied().unwrap_or(0)))
                .sum();
            i64::from(*w) * sum
        })
        .sum()
}

/// With a price criterion at `price`: the members' scores are for the other criteria in order,
/// each counted in hundredths (× 100), and the price criterion counts its computed score (in
/// hundredths) once per member: Σ_{c≠p} weight_c × 100 × Σ_m score_{m,c} + weight_p × M ×
/// price_centi. The score in hundredths is this over 100 × M.
pub fn score_numerator_with_price(
    weights: &[u32],
    price: usize,
    price_centi: i64,
    members: i64,
    marks: &[&Mark],
) -> i64 {
    let typed: Vec<u32> = weights
        .iter()
        .enumerate()
        .filter(|(c, _)| *c != price)
        .map(|(_, w)| *w)
        .collect();
    let w_price = i64::from(weights.get(price).copied().unwrap_or(0));
    100 * score_numerator(&typed, marks) + w_price * members * price_centi
}

/// `numerator / members` (hundredths of a point), rounded half up.
pub fn centi(numerator: i64, members: i64) -> i64 {
    if members == 0 {
        return 0;
    }
    (2 * numerator + members) / (2 * members)
}

/// Orders passing bids: the method's key first, then the tie rule, then the line number (so the
/// order is total). Returns which step decided (`None` when the method's key did).
fn compare(a: &Ranked, b: &Ranked, tie: TieBreak) -> (Ordering, Option<&'static str>) {
    let key = match (a.score_numerator, b.score_numerator) {
        (Some(x), Some(y)) => y.cmp(&x),
        _ => a.price_fen.cmp(&b.price_fen),
    };
    if key != Ordering::Equal {
        return (key, None);
    }
    if tie == TieBreak::LowerPrice {
        let by_price = a.price_fen.cmp(&b.price_fen);
        if by_price != Ordering::Equal {
            return (by_price, Some("lower_price"));
        }
    }
    (a.line.cmp(&b.line), Some("earlier_submission"))
}

/// Ranks the bids of one lot from every member's `marks`: a bid passes when a strict majority of `members`
/// find it compliant; passing bids are ranked by the method, ties broken by `tie`.
pub fn rank(
    method: Method<'_>,
    tie: TieBreak,
    members: i64,
    bids: &[Bid],
    marks: &[Mark],
) -> Vec<Ranked> {
    let votes_of = |b: &Bid| {
        marks
            .iter()
            .filter(|m| m.line == b.line && m.compliant)
            .count() as i64
    };
    // The price scores are computed from the bids that pass (valid prices) only.
    let price_of: Vec<(i64, u32)> = match method {
        Method::ComprehensiveScoring {
            price: Some((_, rule)),
            ..
        } => {
            let valid: Vec<(i64, i64)> = bids
                .iter()
                .filter(|b| 2 * votes_of(b) > members)
                .map(|b| (b.line, b.price_fen))
                .collect();
            price_score::price_scores(rule, &valid)
        }
        _ => Vec::new(),
    };
    let mut passed = Vec::new();
    let mut failed = Vec::new();
    for b in bids {
        let of_bid: Vec<&Mark> = marks.iter().filter(|m| m.line == b.line).collect();
        let votes = votes_of(b);
        let price_centi = price_of
            .iter()
            .find(|(line, _)| *line == b.line)
            .map(|(_, c)| i64::from(*c));
        let (numerator, scale) = match method {
            Method::LowestEvaluatedPrice => (None, 1),
            Method::ComprehensiveScoring {
                weights,
                price: None,
            } => (Some(score_numerator(weights, &of_bid)), 1),
            Method::ComprehensiveScoring {
                weights,
                price: Some((p, _)),
            } => (
                Some(score_numerator_with_price(
                    weights,
                    p,
                    price_centi.unwrap_or(0),
                    members,
                    &of_bid,
                )),
                100,
            ),
        };
        let r = Ranked {
            rank: None,
            line: b.line,
            lot_id: (!b.lot_id.is_empty()).then(|| b.lot_id.clone()),
            org_id: b.org_id.clone(),
            org_name: b.org_name.clone(),
            price_fen: b.price_fen,
            compliant_votes: votes,
            members,
            score_numerator: numerator,
            score_centi: numerator.map(|n| centi(n, scale * members)),
            tie_broken_by: None,
            price_score_centi: price_centi,
        };
        if 2 * votes > members {
            passed.push(r);
        } else {
            failed.push(r);
        }
    }
    passed.sort_by(|a, b| compare(a, b, tie).0);
    for i in 0..passed.len() {
        passed[i].rank = Some(i as i64 + 1);
        if i > 0 {
            let (_, by) = compare(&passed[i - 1], &passed[i], tie);
            passed[i].tie_broken_by = by.map(str::to_string);
        }
    }
    failed.sort_by_key(|r| r.line);
    passed.extend(failed);
    passed
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bid(line: i64, price: i64) -> Bid {
        Bid {
            line,
            lot_id: "lot-1".into(),
            org_id: format!("org{line}"),
            org_name: format!("投标人{line}"),
            price_fen: price,
        }
    }

    fn mark(seat: i64, line: i64, compliant: bool, scores: &[u32]) -> Mark {
        Mark {
            seat,
            line,
            compliant,
            scores: scores.to_vec(),
            rejection: None,
        }
    }

    fn lines(r: &[Ranked]) -> Vec<(Option<i64>, i64)> {
        r.iter().map(|r| (r.rank, r.line)).collect()
    }

    #[test]
    fn lowest_price_ranks_passing_bids_by_price_and_a_tie_by_earlier_submission() {
        let bids = [bid(1, 900), bid(2, 800), bid(3, 800), bid(4, 700)];
        let mut marks = Vec::new();
        for seat in 1..=5 {
            for b in &bids {
                // bid 4 passes with only two of five members: it fails
                let ok = b.line != 4 || seat <= 2;
                marks.push(mark(seat, b.line, ok, &[]));
            }
        }
        let r = rank(
            Method::LowestEvaluatedPrice,
            TieBreak::LowerPrice,
            5,
            &bids,
            &marks,
        );
        assert_eq!(
            lines(&r),
            [(Some(1), 2), (Some(2), 3), (Some(3), 1), (None, 4)]
        );
        assert_eq!(r[1].tie_broken_by.as_deref(), Some("earlier_submission"));
        assert_eq!(r[2].tie_broken_by, None);
        assert_eq!(r[3].compliant_votes, 2);
    }

    #[test]
    fn comprehensive_scores_are_exact_and_the_tie_rule_decides_equal_scores() {
        // weights 60/40; three members
        let w = [60, 40];
        let bids = [bid(1, 1000), bid(2, 900), bid(3, 950)];
        let marks = vec![
            mark(1, 1, true, &[80, 90]),
            mark(2, 1, true, &[80, 90]),
            mark(3, 1, true, &[80, 90]),
            // line 2 reaches the same total from other marks: 60×(70+90+80)+40×(90+90+90) = 25200
            mark(1, 2, true, &[70, 90]),
            mark(2, 2, true, &[90, 90]),
            mark(3, 2, true, &[80, 90]),
            mark(1, 3, true, &[100, 100]),
            mark(2, 3, true, &[0, 0]),
            mark(3, 3, true, &[0, 1]),
        ];
        let m = Method::ComprehensiveScoring {
            weights: &w,
            price: None,
        };
        let r = rank(m, TieBreak::LowerPrice, 3, &bids, &marks);
        assert_eq!(r[0].score_numerator, Some(25200));
        assert_eq!(r[0].score_centi, Some(8400));
        assert_eq!(lines(&r), [(Some(1), 2), (Some(2), 1), (Some(3), 3)]);
        assert_eq!(r[1].tie_broken_by.as_deref(), Some("lower_price"));
        let r = rank(m, TieBreak::EarlierSubmission, 3, &bids, &marks);
        assert_eq!(lines(&r), [(Some(1), 1), (Some(2), 2), (Some(3), 3)]);
        assert_eq!(r[1].tie_broken_by.as_deref(), Some("earlier_submission"));
        // (100+0+1)×40 + 100×60 = 10040 over 300: 33.466… shown as 33.47
        assert_eq!(r[2].score_centi, Some(3347));
    }

    /// The vector of docs/award.md §3 "The price criterion in the ranking".
    #[test]
    fn a_price_criterion_is_computed_from_the_passing_prices_and_weighted_like_the_others() {
        let w = [70, 30];
        let rule = PriceRule::LowestValid {
            deduct_above_centi: 100,
        };
        let bids = [bid(1, 1000), bid(2, 1100), bid(3, 900)];
        let mut marks = Vec::new();
        for seat in 1..=3 {
            marks.push(mark(seat, 1, true, &[80]));
            marks.push(mark(seat, 2, true, &[90]));
            // line 3 is the cheapest but fails: its price does not set the benchmark
            marks.push(mark(seat, 3, seat == 1, &[100]));
        }
        let m = Method::ComprehensiveScoring {
            weights: &w,
            price: Some((1, &rule)),
        };
        let r = rank(m, TieBreak::LowerPrice, 3, &bids, &marks);
        assert_eq!(lines(&r), [(Some(1), 2), (Some(2), 1), (None, 3)]);
        // line 2: 10 % above the benchmark 1000 → 90.00; 0.7 × 90 + 0.3 × 90 = 90.00
        assert_eq!(r[0].price_score_centi, Some(9000));
        assert_eq!(r[0].score_numerator, Some(2_700_000));
        assert_eq!(r[0].score_centi, Some(9000));
        // line 1: at the benchmark → 100.00; 0.7 × 80 + 0.3 × 100 = 86.00
        assert_eq!(r[1].price_score_centi, Some(10000));
        assert_eq!(r[1].score_numerator, Some(2_580_000));
        assert_eq!(r[1].score_centi, Some(8600));
        assert_eq!(r[2].price_score_centi, None);
    }

    #[test]
    fn rounding_is_half_up_on_hundredths() {
        assert_eq!(centi(1001, 2), 501); // 5.005 → 5.01
        assert_eq!(centi(1000, 3), 333); // 3.333… → 3.33
        assert_eq!(centi(2000, 3), 667); // 6.666… → 6.67
    }

    proptest! {
        #[test]
        fn the_ranking_is_a_total_order_whatever_the_input_order(
            prices in proptest::collection::vec(1i64..5, 1..8),
            scores in proptest::collection::vec(0u32..3, 24),
            tie in proptest::bool::ANY,
            seed in 0usize..1000,
        ) {
            let tie = if tie { TieBreak::LowerPrice } else { TieBreak::EarlierSubmission };
            let w = [50, 50];
            let bids: Vec<Bid> = prices.iter().enumerate().map(|(i, p)| bid(i as i64 + 1, *p)).collect();
            let mut marks = Vec::new();
            for b in &bids {
                for seat in 1..=3 {
                    let s = scores[((b.line - 1) as usize * 3 + seat as usize) % scores.len()];
                    marks.push(mark(seat, b.line, true, &[s * 50, 100 - s * 40]));
                }
            }
            for method in [Method::LowestEvaluatedPrice, Method::ComprehensiveScoring { weights: &w, price: None }] {
                let once = rank(method, tie, 3, &bids, &marks);
                let mut b2 = bids.clone();
                let mut m2 = marks.clone();
                let n = b2.len();
                b2.rotate_left(seed % n);
                m2.reverse();
                let n = m2.len();
                m2.rotate_left(seed % n);
                let again = rank(method, tie, 3, &b2, &m2);
                prop_assert_eq!(&once, &again);
                // every bid has its own rank 1..n, and neighbours are strictly ordered
                let ranks: Vec<i64> = once.iter().filter_map(|r| r.rank).collect();
                prop_assert_eq!(ranks, (1..=bids.len() as i64).collect::<Vec<_>>());
                for pair in once.windows(2) {
                    prop_assert_eq!(compare(&pair[0], &pair[1], tie).0, Ordering::Less);
                }
            }
        }
    }
}
