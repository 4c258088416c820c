//! What a tender is: its project, lots, schedule, evaluation method and bid-box custodians, and the
//! states it moves through. Pure data and transitions; the legal checks live in `law.rs`.

use crate::award::price_score::PriceRule;
use crate::domain::{
    AmendmentId, DocumentId, InvalidValue, Line, LotId, Money, OrgId, ProjectId, Prose, TenderId,
    Timestamp,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Project {
    pub id: ProjectId,
    pub owner_org_id: OrgId,
    /// The bidding agent appointed by the owner or chosen by the agent draw, if any.
    pub agent_org_id: Option<OrgId>,
    /// The agent is chosen by the public agent draw only (政府投资项目: 摇号选取招标代理机构,
    /// under 三表三制): the owner names none by hand and runs no tender itself
    /// (`law::agent_must_be_drawn`).
    #[serde(default)]
    pub agent_by_draw: bool,
    pub name: Line<1, 200>,
    /// 项目编号, as the owner numbers it.
    pub code: Line<1, 64>,
    pub region: Line<0, 64>,
    pub created_at: Timestamp,
}

/// 工程 / 货物 / 服务, the three procurement categories of the law.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Construction,
    Goods,
    Services,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Construction => "construction",
            Category::Goods => "goods",
            Category::Services => "services",
        }
    }
    pub fn parse(s: &str) -> Option<Category> {
        [Category::Construction, Category::Goods, Category::Services]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TenderState {
    Draft,
    Published,
    Cancelled,
}

impl TenderState {
    pub fn as_str(self) -> &'static str {
        match self {
            TenderState::Draft => "draft",
            TenderState::Published => "published",
            TenderState::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<TenderState> {
        [
            TenderState::Draft,
            TenderState::Published,
            TenderState::Cancelled,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// Tender documents on sale (issued) from …
    #[schema(value_type = String, format = DateTime)]
    pub docs_from: Timestamp,
    /// … to.
    #[schema(value_type = String, format = DateTime)]
    pub docs_to: Timestamp,
    /// Last moment to ask for clarification or object to the documents.
    #[schema(value_type = String, format = DateTime)]
    pub clarification_deadline: Timestamp,
    /// Bid deadline, which is also the opening time (法 art. 34).
    #[schema(value_type = String, format = DateTime)]
    pub bid_deadline: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Lot {
    /// Given by the hall when absent.
    #[serde(default = "LotId::generate")]
    #[schema(value_type = String, required = false)]
    pub id: LotId,
    #[schema(value_type = String, min_length = 1, max_length = 200)]
    pub name: Line<1, 200>,
    /// The estimate, in fen.
    #[schema(value_type = i64, minimum = 0)]
    pub estimate_fen: Money,
    /// The bid bond, in fen: at most 2% of the estimate (条例 第二十六条).
    #[schema(value_type = i64, minimum = 0)]
    pub bid_bond_fen: Money,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    #[schema(value_type = String, min_length = 1, max_length = 100)]
    pub name: Line<1, 100>,
    /// Weight in percent; the weights of a method add up to 100.
    pub weight: u32,
    /// Present on the one price criterion (价格分): its score is computed from the valid bid
    /// prices by this rule, fixed at publication (法40; docs/award.md §3), not typed by members.
    /// Left out of the stored JSON when absent, so tenders stored before it keep their bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub price: Option<PriceRule>,
}

/// 经评审的最低投标价法 or 综合评估法.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum EvaluationMethod {
    LowestEvaluatedPrice,
    ComprehensiveScoring { criteria: Vec<Criterion> },
}

/// Who holds a custodian key of the bid box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustodianKind {
    /// The platform's time-release custodian (operated by the trading centre).
    TimeRelease,
    Owner,
    Agent,
    Supervisor,
    /// A notary or the discipline-inspection office.
    Witness,
}

impl CustodianKind {
    /// Parties on the side that could want to read bids early: the operator, the owner, the agent.
    pub fn is_interested_party(self) -> bool {
        matches!(
            self,
            CustodianKind::TimeRelease | CustodianKind::Owner | CustodianKind::Agent
        )
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Custodian {
    pub kind: CustodianKind,
    /// The organisation for a supervisor or witness custodian; the owner, agent and platform are
    /// known from the project.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub org_id: Option<OrgId>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustodianSet {
    pub k: u8,
    pub members: Vec<Custodian>,
}

impl CustodianSet {
    /// The index (1-based) of the hall's time-release custodian, if the set has one.
    pub fn time_release_index(&self) -> Option<u8> {
        self.members
            .iter()
            .position(|m| m.kind == CustodianKind::TimeRelease)
            .map(|pos| (pos + 1) as u8)
    }

    /// DESIGN's default bid box: n = 4, k = 3 — the platform's time-release custodian, the agent,
    /// the supervising authority and an independent witness.
    pub fn standard(supervisor: OrgId, witness: OrgId) -> Self {
        let plain = |kind| Custodian { kind, org_id: None };
        CustodianSet {
            k: 3,
            members: vec![
                plain(CustodianKind::TimeRelease),
                plain(CustodianKind::Agent),
                Custodian {
                    kind: CustodianKind::Supervisor,
                    org_id: Some(supervisor),
                },
                Custodian {
                    kind: CustodianKind::Witness,
                    org_id: Some(witness),
                },
            ],
        }
    }
}

/// The editable content of a tender: everything an owner or agent fills in.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenderSpec {
    #[schema(value_type = String, min_length = 1, max_length = 200)]
    pub title: Line<1, 200>,
    #[serde(default = "empty_prose")]
    #[schema(value_type = String, max_length = 20000, required = false)]
    pub description: Prose<20_000>,
    pub category: Category,
    #[schema(value_type = String, max_length = 64)]
    pub region: Line<0, 64>,
    #[serde(default = "empty_prose")]
    #[schema(value_type = String, max_length = 10000, required = false)]
    pub qualification: Prose<10_000>,
    pub evaluation_method: EvaluationMethod,
    pub schedule: Schedule,
    pub lots: Vec<Lot>,
    pub custodians: CustodianSet,
    /// The supervising authority (行政监督部门) that watches this tender.
    #[schema(value_type = String)]
    pub supervisor_org_id: OrgId,
    /// How the evaluation ranks bids that tie (docs/award.md §3); absent: `lower_price`. Left out
    /// of the stored JSON when absent, so tenders published before it existed keep their bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tie_break: Option<TieBreak>,
    /// The performance bond (履约保证金) the winner gives before the contract, in percent of the
    /// contract price: at most 10 (条例 第五十八条); absent or 0: none is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance_bond_percent: Option<u8>,
    /// The documents form one evaluation committee per lot (分标段组建评标委员会), each from an
    /// expert draw of its own, instead of one for every lot (docs/award.md §1). Only with two or
    /// more lots; fixed at publication. Left out of the stored JSON when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub committee_per_lot: bool,
}

/// The rule, fixed at publication, that orders bids the evaluation method ranks equal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TieBreak {
    /// The lower bid price first, then the earlier submission.
    #[default]
    LowerPrice,
    /// The earlier submission (the lower line number of the opening) first.
    EarlierSubmission,
}

impl TieBreak {
    pub fn as_str(self) -> &'static str {
        match self {
            TieBreak::LowerPrice => "lower_price",
            TieBreak::EarlierSubmission => "earlier_submission",
        }
    }
}

fn empty_prose<const N: usize>() -> Prose<N> {
    Prose::parse("").expect("empty prose is valid")
}

impl TenderSpec {
    /// Structural rules that hold for drafts too (the law is checked at publication).
    pub fn check_shape(&self) -> Result<(), (String, InvalidValue)> {
        if self.lots.is_empty() || self.lots.len() > 50 {
            return Err((
                "lots".into(),
                InvalidValue::new("lot_count", "a tender has between 1 and 50 lots"),
            ));
        }
        let mut ids: Vec<&LotId> = self.lots.iter().map(|l| &l.id).collect();
        ids.sort();
        ids.dedup();
        if ids.len() != self.lots.len() {
            return Err((
                "lots".into(),
                InvalidValue::new("duplicate_lot", "two lots have the same id"),
            ));
        }
        if self.committee_per_lot && self.lots.len() < 2 {
            return Err((
                "committee_per_lot".into(),
                InvalidValue::new("single_lot", "a committee per lot needs two or more lots"),
            ));
        }
        for (i, lot) in self.lots.iter().enumerate() {
            if lot.estimate_fen == Money::ZERO {
                return Err((
                    format!("lots[{i}].estimate_fen"),
                    InvalidValue::new("required", "a lot needs an estimate above zero"),
                ));
            }
        }
        if let EvaluationMethod::ComprehensiveScoring { criteria } = &self.evaluation_method {
            let total: u64 = criteria.iter().map(|c| c.weight as u64).sum();
            if criteria.is_empty() || criteria.len() > 20 || total != 100 {
                return Err((
                    "evaluation_method.criteria".into(),
                    InvalidValue::new(
                        "weights_must_sum_to_100",
                        "comprehensive scoring needs 1 to 20 criteria whose weights add up to 100",
                    ),
                ));
            }
            let mut priced = criteria
                .iter()
                .enumerate()
                .filter_map(|(i, c)| c.price.as_ref().map(|rule| (i, rule)));
            if let Some((i, rule)) = priced.next() {
                if let Some((j, _)) = priced.next() {
                    return Err((
                        format!("evaluation_method.criteria[{j}].price"),
                        InvalidValue::new(
                            "one_price_criterion",
                            "at most one criterion has its score computed from the prices",
                        ),
                    ));
                }
                rule.check_range()
                    .map_err(|iv| (format!("evaluation_method.criteria[{i}].price"), iv))?;
            }
        }
        let n = self.custodians.members.len();
        let k = self.custodians.k as usize;
        if !(2..=9).contains(&n) || k < 2 || k > n {
            return Err((
                "custodians".into(),
                InvalidValue::new(
                    "bad_threshold",
                    "a bid box has 2 to 9 custodians and a threshold k with 2 ≤ k ≤ n",
                ),
            ));
        }
        for (i, c) in self.custodians.members.iter().enumerate() {
            let needs_org = matches!(c.kind, CustodianKind::Supervisor | CustodianKind::Witness);
            if needs_org != c.org_id.is_some() {
                return Err((
                    format!("custodians.members[{i}].org_id"),
                    InvalidValue::new(
                        "custodian_org",
                        "supervisor and witness custodians name their organisation; others do not",
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Tender {
    pub id: TenderId,
    pub project_id: ProjectId,
    pub owner_org_id: OrgId,
    pub agent_org_id: Option<OrgId>,
    pub state: TenderState,
    pub spec: TenderSpec,
    /// Bumped on every change; writes name the version they were based on.
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub published_at: Option<Timestamp>,
    /// When documents were first issued: the later of `docs_from` and the publication time.
    pub documents_issued_at: Option<Timestamp>,
    /// Where the award stands once it has begun (`evaluating`, `publicised`, `awarded`,
    /// `completed`, `failed`, `terminated`), written with the award's and the opening's events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub award_stage: Option<String>,
}

impl Tender {
    pub fn is_bidding_open(&self, now: Timestamp) -> bool {
        self.state == TenderState::Published && now < self.spec.schedule.bid_deadline
    }

    /// Are the tender documents on sale (发售期, 条例 第十六条): from `docs_from` until `docs_to`.
    pub fn documents_on_sale(&self, now: Timestamp) -> bool {
        let s = &self.spec.schedule;
        self.state == TenderState::Published && s.docs_from <= now && now < s.docs_to
    }

    /// Has the opening time passed? Confidential facts (who obtained documents) open up then.
    pub fn is_past_opening(&self, now: Timestamp) -> bool {
        self.state == TenderState::Published && now >= self.spec.schedule.bid_deadline
    }

    /// The public status shown on the notice board.
    pub fn public_status(&self, now: Timestamp) -> &'static str {
        match self.state {
            TenderState::Draft => "draft",
            state => super::notices::public_status(
                state,
                self.spec.schedule.bid_deadline,
                now,
                self.award_stage.as_deref(),
            )
            .as_str(),
        }
    }
}

/// A tender that failed or was terminated is tendered again (重新招标, 法 第二十八条, 条例 第四十四条)
/// as a new tender of the same project: among the project's published tenders (oldest first),
/// `this`'s re-tender is the next one after it if `this` failed or was terminated, and the tender
/// it re-tenders is the one just before it if that one failed or was terminated.
pub fn retender_links<'a>(
    this: &Tender,
    project_tenders: &'a [Tender],
    now: Timestamp,
) -> (Option<&'a Tender>, Option<&'a Tender>) {
    let ended = |t: &Tender| matches!(t.public_status(now), "failed" | "cancelled");
    let Some(i) = project_tenders.iter().position(|t| t.id == this.id) else {
        return (None, None);
    };
    let next = project_tenders.get(i + 1).filter(|_| ended(this));
    let previous = i
        .checked_sub(1)
        .and_then(|p| project_tenders.get(p))
        .filter(|p| ended(p));
    (next, previous)
}

/// 澄清 (clarification) or 修改 (amendment) of published documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AmendmentKind {
    Clarification,
    Amendment,
}

/// What an amendment may change once a tender is published. The custodian set, the project, the
/// lots' identities and the date documents were first issued are fixed at publication.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TenderChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Line<1, 200>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Prose<20_000>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualification: Option<Prose<10_000>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluation_method: Option<EvaluationMethod>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docs_to: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clarification_deadline: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bid_deadline: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lots: Vec<LotChange>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LotChange {
    pub id: LotId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate_fen: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bid_bond_fen: Option<Money>,
}

impl TenderChanges {
    /// The spec after these changes, or the field that names an unknown lot.
    pub fn apply(&self, spec: &TenderSpec) -> Result<TenderSpec, (String, InvalidValue)> {
        let mut next = spec.clone();
        if let Some(v) = &self.title {
            next.title = v.clone();
        }
        if let Some(v) = &self.description {
            next.description = v.clone();
        }
        if let Some(v) = &self.qualification {
            next.qualification = v.clone();
        }
        if let Some(v) = &self.evaluation_method {
            next.evaluation_method = v.clone();
        }
        if let Some(v) = self.docs_to {
            next.schedule.docs_to = v;
        }
        if let Some(v) = self.clarification_deadline {
            next.schedule.clarification_deadline = v;
        }
        if let Some(v) = self.bid_deadline {
            next.schedule.bid_deadline = v;
        }
        for (i, change) in self.lots.iter().enumerate() {
            let Some(lot) = next.lots.iter_mut().find(|l| l.id == change.id) else {
                return Err((
                    format!("changes.lots[{i}].id"),
                    InvalidValue::new("unknown_lot", "no lot with this id in the tender"),
                ));
            };
            if let Some(v) = change.estimate_fen {
                lot.estimate_fen = v;
            }
            if let Some(v) = change.bid_bond_fen {
                lot.bid_bond_fen = v;
            }
        }
        next.check_shape()?;
        Ok(next)
    }

    pub fn is_empty(&self) -> bool {
        self == &TenderChanges::default()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Amendment {
    pub id: AmendmentId,
    pub tender_id: TenderId,
    /// 1, 2, 3… in order of publication.
    pub number: i64,
    pub kind: AmendmentKind,
    pub summary: Line<1, 200>,
    pub body: Prose<50_000>,
    /// Whether the content may affect how bids are prepared (条例 art. 21).
    pub affects_bids: bool,
    pub changes: TenderChanges,
    /// The schedule before this amendment, so the history shows old → new.
    pub previous_bid_deadline: Timestamp,
    pub documents: Vec<DocumentId>,
    pub published_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentState {
    /// Attached to a draft tender, visible to its owner and agent.
    Draft,
    /// Uploaded to a published tender, waiting for the amendment that issues it.
    Staged,
    /// Issued: listed in the notice with its hash.
    Published,
}

impl DocumentState {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentState::Draft => "draft",
            DocumentState::Staged => "staged",
            DocumentState::Published => "published",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Draft, Self::Staged, Self::Published]
            .into_iter()
            .find(|d| d.as_str() == s)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TenderDocument {
    pub id: DocumentId,
    pub tender_id: TenderId,
    pub name: Line<1, 200>,
    pub media_type: String,
    pub sha256: String,
    pub size: i64,
    pub state: DocumentState,
    pub amendment_id: Option<AmendmentId>,
    pub uploaded_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_stored_before_the_tie_rule_loads_and_keeps_its_bytes() {
        let now = Timestamp::from_stored(1_800_000_000_000);
        let spec = crate::tenders::law::tests::spec(now);
        let stored = serde_json::to_value(&spec).unwrap();
        assert!(stored.get("tie_break").is_none(), "absent stays absent");
        let loaded: TenderSpec = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(loaded.tie_break, None);
        assert_eq!(loaded.tie_break.unwrap_or_default(), TieBreak::LowerPrice);
        let mut chosen = stored;
        chosen["tie_break"] = "earlier_submission".into();
        let loaded: TenderSpec = serde_json::from_value(chosen.clone()).unwrap();
        assert_eq!(loaded.tie_break, Some(TieBreak::EarlierSubmission));
        chosen["tie_break"] = "coin_toss".into();
        assert!(serde_json::from_value::<TenderSpec>(chosen).is_err());
    }

    #[test]
    fn a_committee_per_lot_needs_two_lots_and_is_left_out_when_false() {
        let now = Timestamp::from_stored(1_800_000_000_000);
        let mut spec = crate::tenders::law::tests::spec(now);
        assert!(serde_json::to_value(&spec)
            .unwrap()
            .get("committee_per_lot")
            .is_none());
        spec.committee_per_lot = true;
        let (field, iv) = spec.check_shape().unwrap_err();
        assert_eq!(
            (field.as_str(), iv.rule),
            ("committee_per_lot", "single_lot")
        );
        let mut second = spec.lots[0].clone();
        second.id = LotId::generate();
        spec.lots.push(second);
        assert_eq!(spec.check_shape(), Ok(()));
        assert_eq!(
            serde_json::to_value(&spec).unwrap()["committee_per_lot"],
            true
        );
    }

    fn scoring(criteria: serde_json::Value) -> TenderSpec {
        let now = Timestamp::from_stored(1_800_000_000_000);
        let mut spec = serde_json::to_value(crate::tenders::law::tests::spec(now)).unwrap();
        spec["evaluation_method"] =
            serde_json::json!({"kind": "comprehensive_scoring", "criteria": criteria});
        serde_json::from_value(spec).unwrap()
    }

    fn lowest(deduct_above_centi: u32) -> serde_json::Value {
        serde_json::json!({"method": "lowest_valid", "deduct_above_centi": deduct_above_centi})
    }

    #[test]
    fn a_criterion_without_a_price_rule_keeps_its_bytes_and_one_with_it_round_trips() {
        let plain =
            serde_json::json!([{"name": "价格", "weight": 60}, {"name": "技术", "weight": 40}]);
        let spec = scoring(plain.clone());
        assert_eq!(
            serde_json::to_value(&spec).unwrap()["evaluation_method"]["criteria"],
            plain,
            "no price key appears"
        );
        let priced = serde_json::json!([
            {"name": "价格", "weight": 60, "price": {"method": "average_discounted", "k_permille": 30, "deduct_above_centi": 100, "deduct_below_centi": 50}},
            {"name": "技术", "weight": 40},
        ]);
        let spec = scoring(priced.clone());
        let EvaluationMethod::ComprehensiveScoring { criteria } = &spec.evaluation_method else {
            panic!("comprehensive scoring")
        };
        assert_eq!(
            criteria[0].price,
            Some(PriceRule::AverageDiscounted {
                k_permille: 30,
                deduct_above_centi: 100,
                deduct_below_centi: 50
            })
        );
        assert_eq!(spec.check_shape(), Ok(()));
        assert_eq!(
            serde_json::to_value(&spec).unwrap()["evaluation_method"]["criteria"],
            priced
        );
    }

    #[test]
    fn two_price_criteria_are_refused_as_one_price_criterion() {
        let spec = scoring(serde_json::json!([
            {"name": "价格", "weight": 50, "price": lowest(100)},
            {"name": "技术", "weight": 30},
            {"name": "报价", "weight": 20, "price": lowest(100)},
        ]));
        let (field, iv) = spec.check_shape().unwrap_err();
        assert_eq!(field, "evaluation_method.criteria[2].price");
        assert_eq!(iv.rule, "one_price_criterion");
    }

    #[test]
    fn a_price_rule_out_of_range_is_refused_naming_its_criterion() {
        let spec = scoring(serde_json::json!([
            {"name": "技术", "weight": 40},
            {"name": "价格", "weight": 60, "price": {"method": "average_discounted", "k_permille": 101, "deduct_above_centi": 100, "deduct_below_centi": 50}},
        ]));
        let (field, iv) = spec.check_shape().unwrap_err();
        assert_eq!(field, "evaluation_method.criteria[1].price");
        assert_eq!(iv.rule, "price_rule_range");
        let spec =
            scoring(serde_json::json!([{"name": "价格", "weight": 100, "price": lowest(10_001)}]));
        assert_eq!(spec.check_shape().unwrap_err().1.rule, "price_rule_range");
    }

    #[test]
    fn an_amendment_cannot_bring_in_a_second_price_criterion() {
        let spec = scoring(serde_json::json!([
            {"name": "价格", "weight": 60, "price": lowest(100)},
            {"name": "技术", "weight": 40},
        ]));
        let changes: TenderChanges = serde_json::from_value(serde_json::json!({
            "evaluation_method": {"kind": "comprehensive_scoring", "criteria": [
                {"name": "价格", "weight": 60, "price": lowest(100)},
                {"name": "技术", "weight": 40, "price": lowest(50)},
            ]}
        }))
        .unwrap();
        assert_eq!(
            changes.apply(&spec).unwrap_err().1.rule,
            "one_price_criterion"
        );
        let changes: TenderChanges = serde_json::from_value(serde_json::json!({
            "evaluation_method": {"kind": "comprehensive_scoring", "criteria": [
                {"name": "价格", "weight": 60, "price": lowest(50)},
                {"name": "技术", "weight": 40},
            ]}
        }))
        .unwrap();
        let next = changes.apply(&spec).unwrap();
        assert_ne!(next.evaluation_method, spec.evaluation_method);
    }

    #[test]
    fn documents_are_on_sale_from_docs_from_until_docs_to_and_not_while_bidding_goes_on_after() {
        let issued = Timestamp::from_stored(1_800_000_000_000);
        let mut t = crate::tenders::law::tests::published(issued);
        t.spec.schedule.docs_from = issued.plus_days(1);
        let s = t.spec.schedule.clone();
        assert!(!t.documents_on_sale(issued), "not before the sale opens");
        assert!(t.is_bidding_open(issued));
        assert!(t.documents_on_sale(s.docs_from));
        assert!(!t.documents_on_sale(s.docs_to), "the sale has ended");
        assert!(t.is_bidding_open(s.docs_to), "while bids are still taken");
        t.state = TenderState::Cancelled;
        assert!(!t.documents_on_sale(s.docs_from));
    }
}
