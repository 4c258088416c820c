//! Why a committee member rejects a bid (否决投标): the grounds of 招标投标法实施条例 第五十一条,
//! one code each. A member who finds a bid non-compliant names one and says why in its own
//! words; the report lists both (docs/award.md §3).

use super::state::Refusal;

/// The grounds of 条例51, in the article's order.
pub const GROUNDS: &[(&str, &str)] = &[
    (
        "unsigned",
        "条例51(一) 投标文件未经投标单位盖章和单位负责人签字",
    ),
    (
        "no_joint_agreement",
        "条例51(二) 投标联合体没有提交共同投标协议",
    ),
    (
        "not_qualified",
        "条例51(三) 投标人不符合国家或者招标文件规定的资格条件",
    ),
    (
        "multiple_bids",
        "条例51(四) 同一投标人提交两个以上不同的投标文件或者投标报价",
    ),
    (
        "price_out_of_bounds",
        "条例51(五) 投标报价低于成本或者高于招标文件设定的最高投标限价",
    ),
    (
        "not_responsive",
        "条例51(六) 投标文件没有对招标文件的实质性要求和条件作出响应",
    ),
    (
        "collusion_or_fraud",
        "条例51(七) 投标人有串通投标、弄虚作假、行贿等违法行为",
    ),
];

/// The longest reason a member may write.
pub const REASON_MAX: usize = 500;

/// Checks a member's mark: a non-compliant bid needs a ground of 条例51 and a reason; a
/// compliant one takes neither. Returns the ground and the trimmed reason.
pub fn check(
    compliant: bool,
    ground: Option<&str>,
    reason: Option<&str>,
) -> Result<Option<(String, String)>, Refusal> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    match (compliant, ground) {
        (true, None) if reason.is_none() => Ok(None),
        (true, _) => Err(Refusal::BadInput(
            "ground: a compliant bid is not rejected; leave the ground and reason out".into(),
        )),
        (false, None) => Err(Refusal::RejectionGroundRequired),
        (false, Some(g)) => {
            if !GROUNDS.iter().any(|(code, _)| *code == g) {
                return Err(Refusal::RejectionGroundRequired);
            }
            let reason = reason.ok_or(Refusal::RejectionGroundRequired)?;
            if reason.chars().count() > REASON_MAX {
                return Err(Refusal::BadInput(format!(
                    "reason: at most {REASON_MAX} characters"
                )));
            }
            Ok(Some((g.to_string(), reason.to_string())))
        }
    }
}

/// The article's words for a ground.
pub fn article_of(ground: &str) -> Option<&'static str> {
    GROUNDS.iter().find(|(c, _)| *c == ground).map(|(_, a)| *a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejection_names_a_ground_of_条例51_and_a_reason() {
        assert_eq!(check(true, None, None), Ok(None));
        assert_eq!(check(true, None, Some("  ")), Ok(None));
        assert!(check(true, Some("unsigned"), Some("x")).is_err());
        assert_eq!(
            check(false, None, Some("x")),
            Err(Refusal::RejectionGroundRequired)
        );
        assert_eq!(
            check(false, Some("unsigned"), None),
            Err(Refusal::RejectionGroundRequired)
        );
        assert_eq!(
            check(false, Some("too_expensive"), Some("x")),
            Err(Refusal::RejectionGroundRequired)
        );
        assert_eq!(
            check(false, Some("unsigned"), Some(" 未盖章 ")),
            Ok(Some(("unsigned".into(), "未盖章".into())))
        );
        assert_eq!(GROUNDS.len(), 7);
        assert!(article_of("collusion_or_fraud")
            .unwrap()
            .starts_with("条例51(七)"));
    }
}
