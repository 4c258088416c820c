//! The evaluation committee's legal shape (招标投标法 第三十七条): five or more members, an odd
//! number, experts at least two thirds — and the panel an expert draw gives it.

use super::state::Refusal;
use crate::draws::Transcript;

/// Does a committee of `experts` experts and `representatives` of the owner meet 法37?
pub fn check_composition(experts: usize, representatives: usize) -> Result<(), Refusal> {
    let total = experts + representatives;
    let why = if total < 5 {
        Some("an evaluation committee has 5 or more members")
    } else if total.is_multiple_of(2) {
        Some("an evaluation committee has an odd number of members")
    } else if 3 * experts < 2 * total {
        Some("experts are at least two thirds of an evaluation committee")
    } else {
        None
    };
    match why {
        Some(rule) => Err(Refusal::Composition {
            experts,
            representatives,
            rule,
        }),
        None => Ok(()),
    }
}

/// The most owner's representatives `experts` drawn experts allow, keeping 法37.
pub fn max_representatives(experts: usize) -> usize {
    (0..=experts)
        .rev()
        .find(|r| check_composition(experts, *r).is_ok())
        .unwrap_or(0)
}

/// The draw's panel now — its selected experts in draw order with every recorded replacement
/// applied — and the reserves not yet used, in order.
pub fn panel(t: &Transcript) -> (Vec<String>, Vec<String>) {
    let Some(result) = &t.result else {
        return (Vec::new(), Vec::new());
    };
    let mut seated = result.selected.clone();
    for r in &t.replacements {
        if let Some(s) = seated.iter_mut().find(|s| **s == r.replaced) {
            *s = r.replacement.clone();
        }
    }
    let reserves = result
        .reserves
        .iter()
        .skip(t.replacements.len())
        .cloned()
        .collect();
    (seated, reserves)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committee_is_five_or_more_odd_and_two_thirds_experts() {
        assert!(check_composition(5, 0).is_ok());
        assert!(check_composition(5, 2).is_ok());
        assert!(check_composition(7, 2).is_ok());
        assert!(check_composition(4, 1).is_ok());
        assert!(check_composition(3, 0).is_err());
        assert!(check_composition(5, 1).is_err(), "six is even");
        assert!(
            check_composition(3, 2).is_err(),
            "3 of 5 is less than two thirds"
        );
        assert_eq!(max_representatives(5), 2);
        assert_eq!(max_representatives(4), 1);
        assert_eq!(max_representatives(7), 2);
        assert_eq!(max_representatives(8), 3);
        assert_eq!(max_representatives(3), 0);
    }
}
