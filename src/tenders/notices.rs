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
    /// Published and past the bid deadline.
    Closed,
    Cancelled,
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

pub fn public_status(state: TenderState, bid_deadline: Timestamp, now: Timestamp) -> PublicStatus {
    match state {
        TenderState::Cancelled => PublicStatus::Cancelled,
        _ if now < bid_deadline => PublicStatus::Bidding,
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
