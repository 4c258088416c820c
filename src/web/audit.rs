//! `GET /audit`: the auditors' page. It renders only the frame; the checkpoint, the entries and
//! every proof are fetched and verified by the page's script in the browser, so this handler must
//! never vouch for the log itself (a check done here would prove nothing to the visitor).

use super::tender::is_member;
use super::views::{script_json, Page};
use crate::app::AppState;
use crate::domain::TenderId;
use crate::tenders::model::TenderState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::{Deserialize, Serialize};

/// The query the page understands; `lang` and anything else are ignored.
#[derive(Deserialize, Default)]
pub struct AuditParams {
    tender: Option<String>,
}

/// Which entries the page lists: the whole log, one tender, or a refused id (listed as nothing).
#[derive(Serialize, Default)]
pub struct Scope {
    /// As typed, to refill the input.
    pub input: String,
    pub tender_id: Option<String>,
    pub bad_id: bool,
    /// The tender's title when the visitor may see it, for the heading.
    pub title: Option<String>,
}

impl Scope {
    pub fn of(input: Option<&str>) -> Scope {
        let input = input.unwrap_or("").trim();
        if input.is_empty() {
            return Scope::default();
        }
        let id = TenderId::parse(input).ok();
        Scope {
            input: input.to_string(),
            bad_id: id.is_none(),
            tender_id: id.map(|id| id.to_string()),
            title: None,
        }
    }
}

pub async fn audit(
    State(app): State<AppState>,
    page: Page,
    params: Result<Query<AuditParams>, QueryRejection>,
) -> Response {
    let params = params.map(|Query(p)| p).unwrap_or_default();
    let mut scope = Scope::of(params.tender.as_deref());
    // The title is a courtesy: a missing tender or a store hiccup still shows the log.
    if let Some(id) = scope
        .tender_id
        .as_deref()
        .and_then(|s| TenderId::parse(s).ok())
    {
        if let Ok(t) = app.store.get_tender(&id).await {
            let visible = t.state != TenderState::Draft || is_member(page.actor.as_ref(), &t);
            scope.title = visible.then(|| t.spec.title.as_str().to_string());
        }
    }
    let ctx = context! {
        page_json => script_json(&serde_json::json!({ "tender": scope.tender_id })),
        scope => scope,
    };
    page.render(StatusCode::OK, "audit.html", ctx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::assets::ASSETS;
    use crate::web::i18n::{self, Lang};
    use crate::web::views::Views;
    use std::sync::Arc;

    const XSS: &str = "<script>alert(1)</script>";
    const ID: &str = "0190a4c2-3f1e-7c2a-9d3b-1a2b3c4d5e6f";
    const AUDITLOG_JS: &str = include_str!("../../web/static/js/app/auditlog.js");

    fn render(lang: Lang, scope: Scope) -> String {
        let page = Page::new(lang, None, Arc::new(Views::new()));
        let ctx = context! {
            page_json => script_json(&serde_json::json!({ "tender": scope.tender_id })),
            scope => scope,
        };
        page.html("audit.html", ctx)
            .expect("the audit page renders")
    }

    #[test]
    fn the_audit_page_renders_in_both_languages_with_what_its_script_needs() {
        let zh = render(Lang::Zh, Scope::default());
        let en = render(Lang::En, Scope::default());
        assert!(zh.contains("<html lang=\"zh-CN\">") && zh.contains("当前检查点"));
        assert!(en.contains("<html lang=\"en\">") && en.contains("Current checkpoint"));
        assert!(en.contains("Verify all shown") && zh.contains("全部核验"));
        for html in [&zh, &en] {
            for id in [
                "cp-status",
                "cp-origin",
                "cp-size",
                "cp-root-hex",
                "cp-root-b64",
                "cp-signatures",
                "log-key",
                "cp-note",
                "cp-refresh",
                "cp-sign",
                "consistency-status",
                "consistency-forget",
                "entries-form",
                "tender",
                "entries-status",
                "entries-body",
                "more-entries",
                "verify-all",
            ] {
                assert!(
                    html.contains(&format!("id=\"{id}\"")),
                    "the page lacks #{id}"
                );
            }
            assert!(html.contains("/static/js/app/audit.js?v="));
            assert!(html.contains("<a href=\"/audit\" aria-current=\"page\">"));
            assert!(!html.contains("id=\"tender-error\""));
        }
    }

    #[test]
    fn a_tender_scope_prefills_the_input_and_escapes_the_title() {
        let mut scope = Scope::of(Some(ID));
        scope.title = Some(format!("道路 {XSS}"));
        let html = render(Lang::Zh, scope);
        assert!(html.contains(&format!("value=\"{ID}\"")));
        assert!(html.contains(&format!("href=\"/tenders/{ID}\"")));
        assert!(html.contains(&format!("{{\"tender\":\"{ID}\"}}")));
        assert!(!html.contains("<script>alert") && html.contains("&lt;script&gt;alert"));
    }

    #[test]
    fn a_bad_tender_id_is_refused_beside_the_input_and_shown_as_text() {
        let scope = Scope::of(Some(&format!("\"{XSS}")));
        assert!(scope.bad_id && scope.tender_id.is_none());
        let html = render(Lang::En, scope);
        assert!(html.contains("id=\"tender-error\"") && html.contains("That is not a tender id."));
        assert!(html.contains("aria-invalid=\"true\""));
        assert!(!html.contains("<script>alert") && !html.contains("value=\"\"<"));
        assert!(html.contains("{\"tender\":null}"));
    }

    #[test]
    fn scopes_are_the_whole_log_or_one_canonical_tender_id() {
        assert!(Scope::of(None).tender_id.is_none() && !Scope::of(Some("  ")).bad_id);
        let upper = Scope::of(Some(&format!(" {} ", ID.to_uppercase())));
        assert_eq!(upper.tender_id.as_deref(), Some(ID));
        assert!(Scope::of(Some("42")).bad_id);
    }

    #[test]
    fn every_reason_the_verifier_gives_is_translated() {
        let table = i18n::table(Lang::En);
        let mut reasons: Vec<String> = AUDITLOG_JS
            .match_indices("new ProofError('")
            .map(|(i, m)| {
                AUDITLOG_JS[i + m.len()..]
                    .chars()
                    .take_while(|c| *c != '\'')
                    .collect()
            })
            .collect();
        // `bad_${what}` from toSize.
        reasons.extend(["bad_index".to_string(), "bad_size".to_string()]);
        assert!(reasons.len() > 10);
        for r in reasons {
            assert!(
                table.contains_key(format!("js_reason_{r}").as_str()),
                "untranslated reason {r}"
            );
        }
    }

    #[test]
    fn the_page_scripts_and_their_imports_are_served() {
        let served: Vec<&str> = ASSETS.iter().map(|(path, _, _)| *path).collect();
        for script in ["audit.js", "auditlog.js"] {
            let path = format!("/static/js/app/{script}");
            let (_, _, bytes) = ASSETS.iter().find(|(p, _, _)| *p == path).expect("listed");
            let src = std::str::from_utf8(bytes).unwrap();
            for (i, _) in src.match_indices("from './") {
                let name: String = src[i + 8..].chars().take_while(|c| *c != '\'').collect();
                let imported = format!("/static/js/app/{name}");
                assert!(
                    served.contains(&imported.as_str()),
                    "{script} imports {name}, which is not served"
                );
            }
            // Entries are user text: the scripts never build markup from strings.
            assert!(!src.contains("innerHTML") && !src.contains("insertAdjacentHTML"));
        }
    }

    #[test]
    fn the_tender_page_links_to_its_audit_log() {
        let src = include_str!("../../web/templates/tender.html");
        assert!(src.contains("href=\"/audit?tender={{ tender.id }}\""));
        assert_eq!(i18n::t(Lang::Zh, "nav_audit"), "审计日志");
        assert_eq!(i18n::t(Lang::En, "nav_audit"), "Audit log");
    }
}
