//! The periods of questions, objections and complaints, each a named rule citing its article of
//! 《招标投标法实施条例》 (条例). Pure functions of the tender, the dispute and "now". Calendar
//! periods are whole 24-hour days from the instant, as in `tenders::law`; the supervisor's periods
//! are working days, Monday to Friday in Beijing time, counted from the day after receipt (public
//! holidays and the weekend days worked in their place are not modelled; docs/law.md says so).

use super::model::{ComplaintState, Matter};
use crate::domain::{Timestamp, DAY_MS, HOUR_MS};
use crate::tenders::model::Tender;

/// 条例22: objections to the documents at least this many days before the bid deadline.
pub const OBJECTION_DAYS_BEFORE_DEADLINE: i64 = 10;
/// 条例22: the owner answers an objection within this many days of receiving it.
pub const OBJECTION_ANSWER_DAYS: i64 = 3;
/// 条例60: a complaint within this many days of knowing, or when one should have known.
pub const COMPLAINT_DAYS: i64 = 10;
/// 条例61: accept or reject within this many working days of receiving a complaint.
pub const ACCEPTANCE_WORKING_DAYS: u32 = 3;
/// 条例61: decide within this many working days of accepting it.
pub const DECISION_WORKING_DAYS: u32 = 30;

const BEIJING_OFFSET_MS: i64 = 8 * HOUR_MS;

/// A dispute refused by the law or by its own state; each names its rule and, where the law
/// decides, its article.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("questions about the documents are taken until the clarification deadline, {} Beijing time (实施条例 第二十二条)", .deadline.shanghai())]
    QuestionsClosed { deadline: Timestamp },
    #[error("an objection to the tender documents is raised at least {OBJECTION_DAYS_BEFORE_DEADLINE} days before the bid deadline, so by {} Beijing time (实施条例 第二十二条)", .latest.shanghai())]
    ObjectionTooLate { latest: Timestamp },
    #[error("this has already been answered")]
    AlreadyAnswered,
    #[error("a complaint is made within {COMPLAINT_DAYS} days of knowing, or when one should have known, of the matter, so by {} Beijing time (实施条例 第六十条)", .latest.shanghai())]
    ComplaintTooLate { latest: Timestamp },
    #[error("a complaint about the {} follows an objection to the owner first (实施条例 第六十条 第二款): name it", .matter.as_str())]
    PriorObjectionRequired { matter: Matter },
    #[error("the objection this complaint follows may be answered until {} Beijing time; complain after its answer or then (实施条例 第二十二条、第六十条)", .due.shanghai())]
    ObjectionAwaitingAnswer { due: Timestamp },
    #[error("the objection named is not one of your objections to this tender's documents")]
    UnknownObjection,
    #[error("the complaint is {}: not possible now", .state.as_str())]
    ComplaintWrongState { state: ComplaintState },
    #[error("a complaint that is not accepted is told why (工程建设项目招标投标活动投诉处理办法 第十二条)")]
    RejectionNeedsReason,
    #[error("when you knew of the matter cannot be later than now")]
    KnewInTheFuture,
}

impl Refusal {
    /// The stable rule name (docs/law.md, "Questions, objections and complaints").
    pub fn rule(&self) -> &'static str {
        match self {
            Refusal::QuestionsClosed { .. } => "questions_closed",
            Refusal::ObjectionTooLate { .. } => "objection_too_late",
            Refusal::AlreadyAnswered => "already_answered",
            Refusal::ComplaintTooLate { .. } => "complaint_too_late",
            Refusal::PriorObjectionRequired { .. } => "prior_objection_required",
            Refusal::ObjectionAwaitingAnswer { .. } => "objection_awaiting_answer",
            Refusal::UnknownObjection => "unknown_objection",
            Refusal::ComplaintWrongState { .. } => "complaint_wrong_state",
            Refusal::RejectionNeedsReason => "rejection_needs_reason",
            Refusal::KnewInTheFuture => "in_the_future",
        }
    }

    /// The article, abbreviated as the hall's events do (`条例22`); `None` for the hall's own.
    pub fn article(&self) -> Option<&'static str> {
        match self {
            Refusal::QuestionsClosed { .. } | Refusal::ObjectionTooLate { .. } => Some("条例22"),
            Refusal::ComplaintTooLate { .. }
            | Refusal::PriorObjectionRequired { .. }
            | Refusal::ObjectionAwaitingAnswer { .. } => Some("条例60"),
            Refusal::RejectionNeedsReason => Some("投诉处理办法12"),
            Refusal::AlreadyAnswered
            | Refusal::UnknownObjection
            | Refusal::ComplaintWrongState { .. }
            | Refusal::KnewInTheFuture => None,
        }
    }
}

/// 条例22: a question is taken until the clarification deadline the documents fix.
pub fn check_question(t: &Tender, now: Timestamp) -> Result<(), Refusal> {
    let deadline = t.spec.schedule.clarification_deadline;
    if now > deadline {
        return Err(Refusal::QuestionsClosed { deadline });
    }
    Ok(())
}

/// The last instant an objection to the documents may be raised: 10 days before the bid deadline.
pub fn objection_latest(t: &Tender) -> Timestamp {
    t.spec
        .schedule
        .bid_deadline
        .plus_days(-OBJECTION_DAYS_BEFORE_DEADLINE)
}

/// 条例22: "对招标文件有异议的，应当在投标截止时间10日前提出".
pub fn check_objection(t: &Tender, now: Timestamp) -> Result<(), Refusal> {
    let latest = objection_latest(t);
    if now > latest {
        return Err(Refusal::ObjectionTooLate { latest });
    }
    Ok(())
}

/// 条例22: "招标人应当自收到异议之日起3日内作出答复".
pub fn objection_answer_due(raised_at: Timestamp) -> Timestamp {
    raised_at.plus_days(OBJECTION_ANSWER_DAYS)
}

/// Does a complaint on `matter` need a prior objection (条例60 第二款: the documents 条例22, the
/// opening 条例44, the candidates 条例54)?
pub fn needs_prior_objection(matter: Matter) -> bool {
    !matches!(matter, Matter::Other)
}

/// The last instant of a complaint's 10 days (条例60): from when the complainant knew, not counting
/// the time its objection waited for the answer ("异议答复期间不计算在前款规定的期限内"), which is
/// the time to the answer, or the 3 days the owner had when it never came.
pub fn complaint_latest(
    knew_at: Timestamp,
    objection: Option<(Timestamp, Option<Timestamp>)>,
) -> Timestamp {
    let waited = objection.map_or(0, |(raised, answered)| {
        let until = answered.unwrap_or_else(|| objection_answer_due(raised));
        (until.millis() - raised.millis()).max(0)
    });
    knew_at.plus_days(COMPLAINT_DAYS).plus_millis(waited)
}

/// 条例60: within the 10 days; and one cannot have known later than now.
pub fn check_complaint(
    knew_at: Timestamp,
    objection: Option<(Timestamp, Option<Timestamp>)>,
    now: Timestamp,
) -> Result<(), Refusal> {
    if knew_at > now {
        return Err(Refusal::KnewInTheFuture);
    }
    if let Some((raised, None)) = objection {
        let due = objection_answer_due(raised);
        if now <= due {
            return Err(Refusal::ObjectionAwaitingAnswer { due });
        }
    }
    let latest = complaint_latest(knew_at, objection);
    if now > latest {
        return Err(Refusal::ComplaintTooLate { latest });
    }
    Ok(())
}

/// Monday is 0 … Sunday is 6, for a day counted from 1970-01-01 (a Thursday).
fn weekday(day: i64) -> i64 {
    (day + 3).rem_euclid(7)
}

/// The last instant (23:59:59.999 Beijing time) of the `n`th working day after the Beijing day of
/// `from`: the day of receipt does not count (民法典 第二百零一条), Saturdays and Sundays do not.
pub fn after_working_days(from: Timestamp, n: u32) -> Timestamp {
    let mut day = (from.millis() + BEIJING_OFFSET_MS).div_euclid(DAY_MS);
    let mut counted = 0;
    while counted < n {
        day += 1;
        if weekday(day) < 5 {
            counted += 1;
        }
    }
    Timestamp::from_stored((day + 1) * DAY_MS - BEIJING_OFFSET_MS - 1)
}

/// 条例61: "自收到投诉之日起3个工作日内决定是否受理投诉".
pub fn acceptance_due(received_at: Timestamp) -> Timestamp {
    after_working_days(received_at, ACCEPTANCE_WORKING_DAYS)
}

/// 条例61: "自受理投诉之日起30个工作日内作出书面处理决定".
pub fn decision_due(accepted_at: Timestamp) -> Timestamp {
    after_working_days(accepted_at, DECISION_WORKING_DAYS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenders::law::tests::published;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    #[test]
    fn questions_close_at_the_clarification_deadline_art_22() {
        let now = t("2027-03-01T01:00:00Z");
        let tender = published(now);
        let deadline = tender.spec.schedule.clarification_deadline;
        assert_eq!(check_question(&tender, deadline), Ok(()));
        let e = check_question(&tender, deadline.plus_millis(1)).unwrap_err();
        assert_eq!(e, Refusal::QuestionsClosed { deadline });
        assert_eq!(
            (e.rule(), e.article()),
            ("questions_closed", Some("条例22"))
        );
    }

    #[test]
    fn an_objection_9_days_before_the_deadline_is_refused_art_22() {
        let now = t("2027-03-01T01:00:00Z");
        let tender = published(now);
        let deadline = tender.spec.schedule.bid_deadline;
        assert_eq!(check_objection(&tender, deadline.plus_days(-10)), Ok(()));
        assert_eq!(
            check_objection(&tender, deadline.plus_days(-9)),
            Err(Refusal::ObjectionTooLate {
                latest: deadline.plus_days(-10)
            })
        );
    }

    #[test]
    fn a_complaint_runs_10_days_from_knowing_without_the_objection_s_wait_art_60() {
        let knew = t("2027-03-01T01:00:00Z");
        assert_eq!(complaint_latest(knew, None), knew.plus_days(10));
        assert!(check_complaint(knew, None, knew.plus_days(10)).is_ok());
        assert_eq!(
            check_complaint(knew, None, knew.plus_days(10).plus_millis(1)),
            Err(Refusal::ComplaintTooLate {
                latest: knew.plus_days(10)
            })
        );
        // The objection waited 2 days for its answer: 12 days in all.
        let raised = knew.plus_days(1);
        let answered = Some((raised, Some(raised.plus_days(2))));
        assert_eq!(complaint_latest(knew, answered), knew.plus_days(12));
        // Never answered: the 3 days the owner had do not count.
        assert_eq!(
            complaint_latest(knew, Some((raised, None))),
            knew.plus_days(13)
        );
        // While the owner may still answer, the complaint waits.
        assert_eq!(
            check_complaint(knew, Some((raised, None)), raised.plus_days(1)),
            Err(Refusal::ObjectionAwaitingAnswer {
                due: raised.plus_days(3)
            })
        );
        assert_eq!(
            check_complaint(knew.plus_millis(1), None, knew),
            Err(Refusal::KnewInTheFuture)
        );
    }

    #[test]
    fn only_other_matters_need_no_prior_objection_art_60() {
        for m in Matter::ALL {
            assert_eq!(needs_prior_objection(m), m != Matter::Other, "{m:?}");
        }
    }

    #[test]
    fn working_days_skip_the_weekend_and_the_day_of_receipt_art_61() {
        // Monday 2027-03-01 10:00 Beijing → Thursday 2027-03-04 23:59:59.999 Beijing.
        assert_eq!(
            acceptance_due(t("2027-03-01T02:00:00Z")),
            t("2027-03-04T15:59:59.999Z")
        );
        // Friday 2027-03-05 23:30 Beijing → Wednesday 2027-03-10.
        assert_eq!(
            acceptance_due(t("2027-03-05T15:30:00Z")),
            t("2027-03-10T15:59:59.999Z")
        );
        // Saturday 2027-03-06 01:00 Beijing (still Friday in UTC) → Wednesday 2027-03-10.
        assert_eq!(
            acceptance_due(t("2027-03-05T17:00:00Z")),
            t("2027-03-10T15:59:59.999Z")
        );
        // 30 working days from Monday 2027-03-01 are six whole weeks: Monday 2027-04-12.
        assert_eq!(
            decision_due(t("2027-03-01T02:00:00Z")),
            t("2027-04-12T15:59:59.999Z")
        );
    }
}
