//! The legal rules a tender's schedule and money must satisfy, each a named check citing its article
//! of 《招标投标法》 (法) or 《招标投标法实施条例》 (条例). Pure functions of the tender and "now";
//! periods are counted as whole 24-hour days from the instant (see docs/law.md).

use super::model::{Tender, TenderSpec};
use crate::domain::Timestamp;
use serde::Serialize;

pub const BID_DEADLINE_MIN_DAYS: i64 = 20;
pub const DOCS_ON_SALE_MIN_DAYS: i64 = 5;
pub const OBJECTION_MIN_DAYS_BEFORE_DEADLINE: i64 = 10;
pub const AMENDMENT_MIN_DAYS_BEFORE_DEADLINE: i64 = 15;
pub const BID_BOND_MAX_PERCENT: i64 = 2;
pub const PERFORMANCE_BOND_MAX_PERCENT: u8 = 10;

/// One refused rule: which, under which article, on which field, and the earliest legal value
/// where there is one.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Violation {
    pub rule: &'static str,
    pub article: &'static str,
    pub field: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub earliest: Option<Timestamp>,
}

fn violation(
    rule: &'static str,
    article: &'static str,
    field: impl Into<String>,
    message: impl Into<String>,
    earliest: Option<Timestamp>,
) -> Violation {
    Violation {
        rule,
        article,
        field: field.into(),
        message: message.into(),
        earliest,
    }
}

/// A project whose agent is chosen by the public draw (政府投资项目 choose their bidding agent by
/// lottery, under 三表三制 — the trading centre's rule that cuts private deals between owner and
/// agent) takes no agent by hand, and its owner runs no tender itself: only the drawn agent
/// creates its tenders. `Some(message)` when `by_hand` (naming an agent, or the owner creating a
/// tender) is refused.
pub fn agent_must_be_drawn(agent_by_draw: bool, by_hand: bool) -> Option<&'static str> {
    (agent_by_draw && by_hand).then_some(
        "this project's bidding agent is chosen by the public agent draw (政府投资项目，摇号选取招标代理机构): request the draw; the drawn agent creates the tenders",
    )
}

/// Every rule a tender must satisfy to be published at `now`.
pub fn check_publication(spec: &TenderSpec, now: Timestamp) -> Vec<Violation> {
    let issued = spec.schedule.docs_from.max(now);
    let mut out = check_schedule(spec, issued, now);
    out.extend(check_bonds(spec));
    out.extend(check_custodian_independence(spec));
    out
}

/// Every rule an amendment published at `now` must satisfy, given the tender as it stands.
pub fn check_amendment(
    tender: &Tender,
    next: &TenderSpec,
    affects_bids: bool,
    now: Timestamp,
) -> Vec<Violation> {
    let issued = tender
        .documents_issued_at
        .unwrap_or(tender.spec.schedule.docs_from);
    let mut out = check_schedule(next, issued, now);
    if next.schedule.docs_to < tender.spec.schedule.docs_to {
        out.push(violation(
            "docs_sale_cannot_shorten",
            "实施条例 第十六条",
            "changes.docs_to",
            "the sale period of issued documents can be extended, not shortened",
            Some(tender.spec.schedule.docs_to),
        ));
    }
    // 法 art. 23 / 条例 art. 21: content that may affect bid preparation must reach tenderers at
    // least 15 days before the deadline; otherwise the deadline moves.
    let earliest = now
        .plus_days(AMENDMENT_MIN_DAYS_BEFORE_DEADLINE)
        .ceil_minute();
    if affects_bids && next.schedule.bid_deadline < earliest {
        out.push(violation(
            "amendment_15_days",
            "招标投标法 第二十三条",
            "changes.bid_deadline",
            format!(
                "a clarification or amendment that may affect bids must be issued at least \
                 {AMENDMENT_MIN_DAYS_BEFORE_DEADLINE} days before the bid deadline: move the \
                 deadline to {} or later",
                earliest.shanghai()
            ),
            Some(earliest),
        ));
    }
    out.extend(check_bonds(next));
    out
}

fn check_schedule(spec: &TenderSpec, issued: Timestamp, now: Timestamp) -> Vec<Violation> {
    let s = &spec.schedule;
    let mut out = Vec::new();
    // Once published, the sale and objection periods may lawfully have ended; the deadline may not.
    let mut must_be_future = vec![("schedule.bid_deadline", s.bid_deadline)];
    if issued >= now {
        must_be_future.push(("schedule.docs_to", s.docs_to));
        must_be_future.push(("schedule.clarification_deadline", s.clarification_deadline));
    }
    for (field, at) in must_be_future {
        if at <= now {
            out.push(violation(
                "in_the_past",
                "—",
                field,
                "this time has already passed",
                None,
            ));
        }
    }
    if s.docs_to > s.bid_deadline {
        out.push(violation(
            "docs_sale_after_deadline",
            "实施条例 第十六条",
            "schedule.docs_to",
            "documents cannot be on sale after the bid deadline",
            None,
        ));
    }
    let min_sale_end = issued.plus_days(DOCS_ON_SALE_MIN_DAYS);
    if s.docs_to < min_sale_end {
        out.push(violation(
            "docs_on_sale_min_5_days",
            "实施条例 第十六条",
            "schedule.docs_to",
            format!("tender documents must be on sale for at least {DOCS_ON_SALE_MIN_DAYS} days"),
            Some(min_sale_end),
        ));
    }
    let min_deadline = issued.plus_days(BID_DEADLINE_MIN_DAYS);
    if s.bid_deadline < min_deadline {
        out.push(violation(
            "bid_deadline_min_20_days",
            "招标投标法 第二十四条",
            "schedule.bid_deadline",
            format!(
                "the bid deadline must be at least {BID_DEADLINE_MIN_DAYS} days after the \
                 documents are first issued"
            ),
            Some(min_deadline.ceil_minute()),
        ));
    }
    let latest_objection = s
        .bid_deadline
        .plus_days(-OBJECTION_MIN_DAYS_BEFORE_DEADLINE);
    if s.clarification_deadline > latest_objection {
        out.push(violation(
            "objection_10_days",
            "实施条例 第二十二条",
            "schedule.clarification_deadline",
            format!(
                "tenderers may object to the documents until {OBJECTION_MIN_DAYS_BEFORE_DEADLINE} \
                 days before the deadline, so the clarification deadline cannot be later"
            ),
            None,
        ));
    }
    if s.clarification_deadline < issued {
        out.push(violation(
            "clarification_before_issue",
            "实施条例 第二十二条",
            "schedule.clarification_deadline",
            "the clarification deadline cannot precede the issue of the documents",
            None,
        ));
    }
    out
}

fn check_bonds(spec: &TenderSpec) -> Vec<Violation> {
    let performance = spec
        .performance_bond_percent
        .filter(|p| *p > PERFORMANCE_BOND_MAX_PERCENT)
        .map(|_| {
            violation(
                "performance_bond_max_10_percent",
                "实施条例 第五十八条",
                "performance_bond_percent",
                format!(
                    "the performance bond may not exceed {PERFORMANCE_BOND_MAX_PERCENT}% of the \
                     contract price"
                ),
                None,
            )
        });
    spec.lots
        .iter()
        .enumerate()
        .filter(|(_, lot)| {
            !lot.bid_bond_fen
                .at_most_percent_of(BID_BOND_MAX_PERCENT, lot.estimate_fen)
        })
        .map(|(i, lot)| {
            violation(
                "bid_bond_max_2_percent",
                "实施条例 第二十六条",
                format!("lots[{i}].bid_bond_fen"),
                format!(
                    "the bid bond may not exceed {BID_BOND_MAX_PERCENT}% of the estimate: at most \
                     {} yuan",
                    lot.estimate_fen.percent(BID_BOND_MAX_PERCENT).yuan()
                ),
                None,
            )
        })
        .chain(performance)
        .collect()
}

/// Not a statute but the hall's own rule (DESIGN, "The sealed bid box"): the operator, the owner and
/// the agent together must not reach the threshold, so an early opening needs an independent
/// custodian to collude.
fn check_custodian_independence(spec: &TenderSpec) -> Vec<Violation> {
    let c = &spec.custodians;
    let interested = c
        .members
        .iter()
        .filter(|m| m.kind.is_interested_party())
        .count();
    if interested >= c.k as usize {
        return vec![violation(
            "custodian_independence",
            "bidhall sealed bid box",
            "custodians",
            format!(
                "{interested} of the custodians are the operator, the owner or the agent, which \
                 reaches the threshold k = {}: add an independent custodian or raise k",
                c.k
            ),
            None,
        )];
    }
    Vec::new()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::{Line, Money, OrgId, Prose};
    use crate::tenders::model::*;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    pub fn spec(now: Timestamp) -> TenderSpec {
        TenderSpec {
            title: Line::parse("沈阳市某道路改造工程").unwrap(),
            description: Prose::parse("").unwrap(),
            category: Category::Construction,
            region: Line::parse("210100").unwrap(),
            qualification: Prose::parse("").unwrap(),
            evaluation_method: EvaluationMethod::LowestEvaluatedPrice,
            tie_break: None,
            performance_bond_percent: None,
            committee_per_lot: false,
            schedule: Schedule {
                docs_from: now,
                docs_to: now.plus_days(5),
                clarification_deadline: now.plus_days(10),
                bid_deadline: now.plus_days(20),
            },
            lots: vec![Lot {
                id: crate::domain::LotId::generate(),
                name: Line::parse("一标段").unwrap(),
                estimate_fen: Money::from_fen(100_000_000).unwrap(),
                bid_bond_fen: Money::from_fen(2_000_000).unwrap(),
            }],
            custodians: CustodianSet::standard(OrgId::generate(), OrgId::generate()),
            supervisor_org_id: OrgId::generate(),
        }
    }

    fn rules(v: &[Violation]) -> Vec<&'static str> {
        v.iter().map(|v| v.rule).collect()
    }

    #[test]
    fn the_minimum_legal_schedule_publishes() {
        let now = t("2026-11-23T01:00:00Z");
        assert_eq!(check_publication(&spec(now), now), vec![]);
    }

    #[test]
    fn bid_deadline_less_than_20_days_after_issue_is_refused_art_24() {
        let now = t("2026-11-23T01:00:00Z");
        let mut s = spec(now);
        s.schedule.bid_deadline = now.plus_days(20).plus_millis(-1);
        s.schedule.clarification_deadline = now.plus_days(9);
        let v = check_publication(&s, now);
        assert_eq!(rules(&v), vec!["bid_deadline_min_20_days"]);
        assert_eq!(v[0].article, "招标投标法 第二十四条");
        assert_eq!(v[0].earliest, Some(now.plus_days(20)));
    }

    #[test]
    fn the_20_days_count_from_publication_when_sale_started_earlier() {
        let now = t("2026-11-23T01:00:00Z");
        let mut s = spec(now);
        s.schedule.docs_from = now.plus_days(-3);
        s.schedule.bid_deadline = now.plus_days(19);
        assert!(rules(&check_publication(&s, now)).contains(&"bid_deadline_min_20_days"));
    }

    #[test]
    fn documents_on_sale_less_than_5_days_is_refused_art_16() {
        let now = t("2026-11-23T01:00:00Z");
        let mut s = spec(now);
        s.schedule.docs_to = now.plus_days(5).plus_millis(-1);
        assert_eq!(
            rules(&check_publication(&s, now)),
            vec!["docs_on_sale_min_5_days"]
        );
    }

    #[test]
    fn bid_bond_above_2_percent_is_refused_art_26() {
        let now = t("2026-11-23T01:00:00Z");
        let mut s = spec(now);
        s.lots[0].bid_bond_fen = Money::from_fen(2_000_001).unwrap();
        let v = check_publication(&s, now);
        assert_eq!(rules(&v), vec!["bid_bond_max_2_percent"]);
        assert_eq!(v[0].field, "lots[0].bid_bond_fen");
    }

    #[test]
    fn performance_bond_above_10_percent_is_refused_art_58() {
        let now = t("2026-11-23T01:00:00Z");
        let mut s = spec(now);
        s.performance_bond_percent = Some(10);
        assert!(check_publication(&s, now).is_empty());
        s.performance_bond_percent = Some(11);
        let v = check_publication(&s, now);
        assert_eq!(rules(&v), vec!["performance_bond_max_10_percent"]);
        assert_eq!(v[0].field, "performance_bond_percent");
    }

    #[test]
    fn objection_window_must_end_10_days_before_deadline_art_22() {
        let now = t("2026-11-23T01:00:00Z");
        let mut s = spec(now);
        s.schedule.clarification_deadline = now.plus_days(10).plus_millis(1);
        assert_eq!(
            rules(&check_publication(&s, now)),
            vec!["objection_10_days"]
        );
    }

    #[test]
    fn deadlines_in_the_past_are_refused() {
        let now = t("2026-11-23T01:00:00Z");
        let mut s = spec(now.plus_days(-30));
        s.schedule.docs_from = now.plus_days(-30);
        let v = check_publication(&s, now);
        assert!(rules(&v).contains(&"in_the_past"));
    }

    #[test]
    fn operator_owner_and_agent_alone_must_not_reach_k() {
        let now = t("2026-11-23T01:00:00Z");
        let mut s = spec(now);
        s.custodians.members[2] = Custodian {
            kind: CustodianKind::Owner,
            org_id: None,
        };
        assert_eq!(
            rules(&check_publication(&s, now)),
            vec!["custodian_independence"]
        );
        s.custodians.k = 4;
        assert_eq!(check_publication(&s, now), vec![]);
    }

    pub(crate) fn published(now: Timestamp) -> Tender {
        Tender {
            id: crate::domain::TenderId::generate(),
            project_id: crate::domain::ProjectId::generate(),
            owner_org_id: OrgId::generate(),
            agent_org_id: None,
            state: TenderState::Published,
            spec: spec(now),
            version: 2,
            created_at: now,
            updated_at: now,
            published_at: Some(now),
            documents_issued_at: Some(now),
            award_stage: None,
        }
    }

    #[test]
    fn amendment_less_than_15_days_before_deadline_must_move_it_art_23() {
        let issued = t("2026-11-01T01:00:00Z");
        let tender = published(issued);
        let now = issued.plus_days(6); // deadline is 14 days away
        let v = check_amendment(&tender, &tender.spec, true, now);
        assert_eq!(rules(&v), vec!["amendment_15_days"]);
        assert_eq!(v[0].article, "招标投标法 第二十三条");
        let proposed = v[0].earliest.unwrap();
        assert_eq!(proposed, now.plus_days(15).ceil_minute());
        let mut moved = tender.spec.clone();
        moved.schedule.bid_deadline = proposed;
        assert_eq!(check_amendment(&tender, &moved, true, now), vec![]);
        // A clarification that cannot affect bids need not move the deadline.
        assert_eq!(check_amendment(&tender, &tender.spec, false, now), vec![]);
    }

    #[test]
    fn an_amendment_cannot_shorten_the_sale_of_issued_documents() {
        let issued = t("2026-11-01T01:00:00Z");
        let tender = published(issued);
        let mut next = tender.spec.clone();
        next.schedule.docs_to = tender.spec.schedule.docs_to.plus_millis(-1);
        let v = check_amendment(&tender, &next, false, issued.plus_days(1));
        assert!(rules(&v).contains(&"docs_sale_cannot_shorten"));
    }
}
