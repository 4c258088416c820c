//! The public notice board: what anyone may search and read about published tenders. Drafts never
//! appear here, and nothing here names a tenderer.

use super::model::{Category, Tender, TenderState};
use crate::domain::{InvalidValue, TenderId, Timestamp};
use serde::{Deserialize, Serialize};

pub const MAX_PER_PAGE: u32 = 100;
/// Counting every match of a broad query costs a scan; beyond this the board says "10000+".
pub const COUNT_CAP: i64 = 10_000;

/// The status the public sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PublicStatus {
    /// Published and before the bid deadline.
    Bidding,
    /// Past the bid deadline: the opening and the evaluation (开标、评标).
    Closed,
    /// The candidates are publicised (中标候选人公示, 条例 第五十四条).
    Publicised,
    /// The result is announced (中标结果公告) and contracts are being signed or performed.
    Awarded,
    /// Every contract is performed.
    Completed,
    /// The tender failed: fewer than 3 bids (条例 第四十四条), no passing bid (法 第四十二条) or
    /// every candidate declined; it is tendered again.
    Failed,
    /// Terminated by the owner (终止招标, 条例 第三十一条), before or after the opening.
    Cancelled,
}

impl PublicStatus {
    pub const ALL: [PublicStatus; 7] = [
        PublicStatus::Bidding,
        PublicStatus::Closed,
        PublicStatus::Publicised,
        PublicStatus::Awarded,
        PublicStatus::Completed,
        PublicStatus::Failed,
        PublicStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PublicStatus::Bidding => "bidding",
            PublicStatus::Closed => "closed",
            PublicStatus::Publicised => "publicised",
            PublicStatus::Awarded => "awarded",
            PublicStatus::Completed => "completed",
            PublicStatus::Failed => "failed",
            PublicStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<PublicStatus> {
        PublicStatus::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

#[derive(Debug, Clone, Default)]
pub struct NoticeQuery {
    /// Search terms, each matched as a substring of title, description, project and region.
    pub terms: Vec<String>,
    pub category: Option<Category>,
    pub region: Option<String>,
    pub status: Option<PublicStatus>,
    pub deadline_from: Option<Timestamp>,
    pub deadline_to: Option<Timestamp>,
    pub page: u32,
    pub per_page: u32,
}

impl NoticeQuery {
    #[allow(clippy::too_many_arguments)] // one argument per board filter, as the query string has
    pub fn new(
        text: Option<&str>,
        category: Option<Category>,
        region: Option<&str>,
        status: Option<PublicStatus>,
        deadline_from: Option<Timestamp>,
        deadline_to: Option<Timestamp>,
        page: Option<u32>,
        per_page: Option<u32>,
    ) -> Result<Self, (&'static str, InvalidValue)> {
        let text = text.unwrap_or("").trim();
        if text.chars().count() > 100 {
            return Err((
                "q",
                InvalidValue::new("too_long", "a search has at most 100 characters"),
            ));
        }
        let terms: Vec<String> = text
            .split_whitespace()
            .map(|t| t.to_lowercase())
            .take(5)
            .collect();
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(20);
        if page == 0 || page > 10_000 {
            return Err((
                "page",
                InvalidValue::new("out_of_range", "page must be 1 to 10000"),
            ));
        }
        if per_page == 0 || per_page > MAX_PER_PAGE {
            return Err((
                "per_page",
                InvalidValue::new(
                    "out_of_range",
                    format!("per_page must be 1 to {MAX_PER_PAGE}"),
                ),
            ));
        }
        if (page as i64) * (per_page as i64) > COUNT_CAP {
            return Err((
                "page",
                InvalidValue::new(
                    "too_deep",
                    "narrow the search instead of paging past the first 10000 notices",
                ),
            ));
        }
        if let (Some(a), Some(b)) = (deadline_from, deadline_to) {
            if a > b {
                return Err((
                    "deadline_from",
                    InvalidValue::new("empty_range", "deadline_from is after deadline_to"),
                ));
            }
        }
        let region = region.map(str::trim).filter(|r| !r.is_empty());
        if region.is_some_and(|r| r.chars().count() > 64) {
            return Err((
                "region",
                InvalidValue::new("too_long", "a region has at most 64 characters"),
            ));
        }
        Ok(NoticeQuery {
            terms,
            category,
            region: region.map(str::to_string),
            status,
            deadline_from,
            deadline_to,
            page,
            per_page,
        })
    }

    pub fn offset(&self) -> i64 {
        (self.page as i64 - 1) * self.per_page as i64
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NoticeSummary {
    #[schema(value_type = String)]
    pub id: TenderId,
    pub title: String,
    pub category: Category,
    pub region: String,
    pub status: PublicStatus,
    #[schema(value_type = String)]
    pub bid_deadline: Timestamp,
    #[schema(value_type = String)]
    pub published_at: Timestamp,
    pub total_estimate_fen: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NoticePage {
    pub items: Vec<NoticeSummary>,
    /// Matches, counted up to 10000.
    pub total: i64,
    /// True when there are more matches than `total`.
    pub total_capped: bool,
    pub page: u32,
    pub per_page: u32,
}

/// The text the board searches: lower-cased so matching ignores case on both databases.
pub fn search_text(tender: &Tender, project_name: &str, project_code: &str) -> String {
    format!(
        "{}\n{}\n{}\n{}\n{}",
        tender.spec.title.as_str(),
        project_name,
        project_code,
        tender.spec.region.as_str(),
        tender.spec.description.as_str()
    )
    .to_lowercase()
}

/// The index keys of a text: every two-character window of every word, so any substring of two
/// characters or more (Chinese has no spaces between words) is found by looking up its own
/// windows. Space separated and deduplicated; the exact substring is still checked afterwards.
pub fn search_grams(text: &str) -> String {
    let mut grams: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        let chars: Vec<char> = word.chars().collect();
        for w in chars.windows(2) {
            grams.push(w.iter().collect());
        }
    }
    grams.sort_unstable();
    grams.dedup();
    grams.join(" ")
}

/// The windows a search term must all have (empty for a single character, which is scanned).
pub fn term_grams(term: &str) -> Vec<String> {
    let mut g: Vec<String> = search_grams(term)
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    g.dedup();
    g
}

/// The status the board shows: the tender's state, the bid deadline, then where its award stands
/// (`award_stage`, as `AwardState::public_stage` writes it with each award or opening event).
pub fn public_status(
    state: TenderState,
    bid_deadline: Timestamp,
    now: Timestamp,
    award_stage: Option<&str>,
) -> PublicStatus {
    match (state, award_stage) {
        (TenderState::Cancelled, _) | (_, Some("terminated")) => PublicStatus::Cancelled,
        _ if now < bid_deadline => PublicStatus::Bidding,
        (_, Some("publicised")) => PublicStatus::Publicised,
        (_, Some("awarded")) => PublicStatus::Awarded,
        (_, Some("completed")) => PublicStatus::Completed,
        (_, Some("failed")) => PublicStatus::Failed,
        _ => PublicStatus::Closed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_bounded() {
        let q = |page, per| NoticeQuery::new(None, None, None, None, None, None, page, per);
        assert!(q(Some(1), Some(20)).is_ok());
        assert_eq!(q(Some(0), None).unwrap_err().0, "page");
        assert_eq!(q(None, Some(101)).unwrap_err().0, "per_page");
        assert_eq!(q(Some(600), Some(20)).unwrap_err().1.rule, "too_deep");
    }

    #[test]
    fn terms_are_lower_cased_and_split() {
        let q = NoticeQuery::new(
            Some(" Road  道路 "),
            None,
            None,
            None,
            None,
            None,
            None,
            None,
        )
        .unwrap();
        assert_eq!(q.terms, vec!["road", "道路"]);
    }
}

/// The board's filters as they arrive in a query string, shared by the API and the web page.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct NoticeParams {
    /// Search text: each word must appear in the title, description, project or region.
    pub q: Option<String>,
    /// `construction`, `goods` or `services`.
    pub category: Option<String>,
    pub region: Option<String>,
    /// `bidding`, `closed`, `publicised`, `awarded`, `completed`, `failed` or `cancelled`.
    pub status: Option<String>,
    /// Bid deadline from: a date (`2026-12-01`, from 00:00 Asia/Shanghai) or an RFC 3339 time.
    pub deadline_from: Option<String>,
    /// Bid deadline to: a date (through 24:00 Asia/Shanghai) or an RFC 3339 time.
    pub deadline_to: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
    /// The web page's language switch; ignored by the API.
    #[serde(default, skip_serializing)]
    #[param(ignore)]
    pub lang: Option<String>,
}

fn blank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A date (Asia/Shanghai) or an RFC 3339 time; `end_of_day` moves a date to the next midnight.
fn parse_bound(s: &str, end_of_day: bool) -> Result<Timestamp, InvalidValue> {
    if s.len() == 10 && s.as_bytes()[4] == b'-' {
        let t = Timestamp::parse(&format!("{s}T00:00:00+08:00"))
            .map_err(|_| InvalidValue::new("bad_date", "write dates as YYYY-MM-DD"))?;
        return Ok(if end_of_day { t.plus_days(1) } else { t });
    }
    Timestamp::parse(s)
}

impl NoticeParams {
    pub fn to_query(&self) -> Result<NoticeQuery, (&'static str, InvalidValue)> {
        let category = match blank(&self.category) {
            None => None,
            Some(c) => Some(Category::parse(c).ok_or((
                "category",
                InvalidValue::new("unknown_category", "construction, goods or services"),
            ))?),
        };
        let status = match blank(&self.status) {
            None => None,
            Some(s) => Some(PublicStatus::parse(s).ok_or((
                "status",
                InvalidValue::new(
                    "unknown_status",
                    "bidding, closed, publicised, awarded, completed, failed or cancelled",
                ),
            ))?),
        };
        let from = blank(&self.deadline_from)
            .map(|s| parse_bound(s, false))
            .transpose()
            .map_err(|e| ("deadline_from", e))?;
        let to = blank(&self.deadline_to)
            .map(|s| parse_bound(s, true))
            .transpose()
            .map_err(|e| ("deadline_to", e))?;
        NoticeQuery::new(
            self.q.as_deref(),
            category,
            self.region.as_deref(),
            status,
            from,
            to,
            self.page,
            self.per_page,
        )
    }
}

#[cfg(test)]
mod params_tests {
    use super::*;

    #[test]
    fn grams_find_any_substring_of_two_characters_or_more() {
        let g = search_grams("浑南区第一中学 led灯");
        for term in ["浑南", "第一中学", "led", "d灯"] {
            for t in term_grams(term) {
                assert!(g.split(' ').any(|x| x == t), "{term}: {t} missing from {g}");
            }
        }
        assert!(
            term_grams("浑").is_empty(),
            "one character is scanned, not looked up"
        );
        assert_eq!(term_grams("abab"), vec!["ab".to_string(), "ba".to_string()]);
    }

    #[test]
    fn dates_are_shanghai_days_and_bad_filters_name_their_field() {
        let p = NoticeParams {
            deadline_from: Some("2026-12-01".into()),
            deadline_to: Some("2026-12-01".into()),
            ..Default::default()
        };
        let q = p.to_query().unwrap();
        assert_eq!(
            q.deadline_from.unwrap().to_rfc3339(),
            "2026-11-30T16:00:00.000Z"
        );
        assert_eq!(
            q.deadline_to.unwrap().to_rfc3339(),
            "2026-12-01T16:00:00.000Z"
        );
        let bad = NoticeParams {
            status: Some("open".into()),
            ..Default::default()
        };
        assert_eq!(bad.to_query().unwrap_err().0, "status");
        let bad = NoticeParams {
            deadline_to: Some("2026-13-45".into()),
            ..Default::default()
        };
        assert_eq!(bad.to_query().unwrap_err().0, "deadline_to");
    }
}
