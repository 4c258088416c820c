//! The public page of one draw: its announcement, frozen pool with every exclusion's reason, who
//! committed and revealed, the result, and a button that re-runs the transcript in the browser.
//! Named parties commit and reveal from here with randomness made by their own browser. An expert
//! draw's pool is sealed (法37): the page says so and shows positions until the result is determined.
//! `/draws` lists the draws, which are public (`GET /api/draws`), newest first.
//! The announcement is rendered here in words (kind, phase, rule, Beijing times) and kept current
//! by the page's script; codes and instants as the API spells them are never shown.

use super::views::{script_json, Page};
use crate::app::AppState;
use crate::lottery::service as lottery;
use crate::lottery::{DrawRecord, Phase};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{context, Value};
use serde::Serialize;

/// A draw as the pages show it: the record's public facts and its phase at the hall's now.
#[derive(Debug, Serialize)]
pub struct DrawFacts<'a> {
    pub id: &'a str,
    pub kind: &'static str,
    pub purpose: &'a str,
    pub phase: &'static str,
    pub select_count: u32,
    pub reserve_count: u32,
    pub commit_deadline: String,
    pub reveal_deadline: String,
    pub rule: &'static str,
    pub beacon: Option<BeaconFacts<'a>>,
    pub created_at: String,
    /// The viewer's organisation requested the draw or contributes randomness to it.
    pub mine: bool,
}

#[derive(Debug, Serialize)]
pub struct BeaconFacts<'a> {
    pub source: &'a str,
    pub round: &'a str,
    pub deadline: String,
}

/// The facts of `d` at `phase` for `viewer`'s organisation (pure, for the tests).
pub fn facts<'a>(d: &'a DrawRecord, phase: Phase, viewer: Option<&str>) -> DrawFacts<'a> {
    use crate::draws::transcript::MissedRevealRule;
    use crate::lottery::DrawKind;
    DrawFacts {
        id: &d.id,
        kind: match d.kind {
            DrawKind::Agent => "agent",
            DrawKind::Expert => "expert",
        },
        purpose: &d.purpose,
        phase: phase.as_str(),
        select_count: d.select_count,
        reserve_count: d.reserve_count,
        commit_deadline: d.commit_deadline.to_rfc3339(),
        reveal_deadline: d.reveal_deadline.to_rfc3339(),
        rule: match d.missed_reveal_rule {
            MissedRevealRule::FailDraw => "fail_draw",
            MissedRevealRule::ExcludeParty => "exclude_party",
        },
        beacon: d.beacon.as_ref().map(|b| BeaconFacts {
            source: &b.source,
            round: &b.round,
            deadline: b.deadline.to_rfc3339(),
        }),
        created_at: d.created_at.to_rfc3339(),
        mine: viewer.is_some_and(|org| {
            d.requested_by.as_str() == org || d.parties.iter().any(|p| p.as_str() == org)
        }),
    }
}

/// The draw page's context (pure, for the tests): its facts, and for the script the draw, the
/// viewer's organisation and the parties by name and role.
pub fn draw_context(
    d: &DrawRecord,
    phase: Phase,
    viewer: Option<&str>,
    parties: serde_json::Map<String, serde_json::Value>,
) -> Value {
    context! {
        page_json => script_json(&serde_json::json!({
            "draw": d.id,
            "org": viewer,
            "parties": parties,
        })),
        d => facts(d, phase, viewer),
        sealed => d.is_sealed() && !d.is_opened(),
        opened => d.is_opened(),
        purpose => d.purpose,
    }
}

pub async fn draw(State(app): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    match app.store.get_draw(&id).await {
        Ok(d) => {
            // The parties by name and role, so a witness is recognisable on the page.
            let mut parties = serde_json::Map::new();
            for p in &d.parties {
                if let Ok(org) = app.store.get_organisation(p).await {
                    parties.insert(
                        p.to_string(),
                        serde_json::json!({ "name": org.name.as_str(), "role": org.role }),
                    );
                }
            }
            let viewer = page.actor.as_ref().map(|a| a.org_id.to_string());
            let phase = d.phase(app.clock.now());
            let ctx = draw_context(&d, phase, viewer.as_deref(), parties);
            page.render(StatusCode::OK, "draw.html", ctx)
        }
        Err(e) => page.store_failed(e),
    }
}

pub async fn list(State(app): State<AppState>, page: Page) -> Response {
    let views = match lottery::list(&app).await {
        Ok(v) => v,
        Err(lottery::LotteryError::Store(e)) => return page.store_failed(e),
        Err(e) => {
            tracing::error!(error = %e, "the draws could not be listed");
            return page.message(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable_title",
                "unavailable_body",
            );
        }
    };
    let viewer = page.actor.as_ref().map(|a| a.org_id.to_string());
    let rows: Vec<DrawFacts> = views
        .iter()
        .map(|v| facts(&v.draw, v.phase, viewer.as_deref()))
        .collect();
    page.render(StatusCode::OK, "draws.html", context! { rows => rows })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{OrgId, Timestamp};
    use crate::draws::MissedRevealRule;
    use crate::identity::{Actor, Role};
    use crate::lottery::{AnnouncedBeacon, DrawKind, DrawState};
    use crate::web::i18n::Lang;
    use crate::web::views::Views;
    use crate::web::zh_guard::assert_speaks_chinese;
    use std::sync::Arc;

    const PHASES: [Phase; 7] = [
        Phase::Announced,
        Phase::Committing,
        Phase::Revealing,
        Phase::AwaitingBeacon,
        Phase::ReadyToConduct,
        Phase::Completed,
        Phase::Failed,
    ];

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    fn record(kind: DrawKind, beacon: bool, owner: &OrgId) -> DrawRecord {
        DrawRecord {
            id: "0190a4c2-3f1e-7c2a-9d3b-1a2b3c4d5e99".into(),
            kind,
            project_id: None,
            tender_id: None,
            requested_by: owner.clone(),
            purpose: "浑南区第一中学教学楼改造工程 招标代理机构摇号".into(),
            select_count: 1,
            reserve_count: 2,
            agent_filter: None,
            expert_filter: None,
            parties: vec![owner.clone()],
            commit_deadline: t("2027-03-01T02:00:00Z"),
            reveal_deadline: t("2027-03-01T03:00:00Z"),
            beacon: beacon.then(|| AnnouncedBeacon {
                source: "drand-quicknet".into(),
                round: "12345".into(),
                deadline: t("2027-03-01T04:00:00Z"),
            }),
            missed_reveal_rule: if beacon {
                MissedRevealRule::ExcludeParty
            } else {
                MissedRevealRule::FailDraw
            },
            state: DrawState::Open,
            pool: None,
            beacon_value: None,
            transcript: None,
            created_at: t("2027-03-01T01:00:00Z"),
            version: 1,
        }
    }

    fn page(lang: Lang, org: &OrgId) -> Page {
        let actor = Actor {
            user_id: crate::domain::UserId::generate(),
            org_id: org.clone(),
            role: Role::Owner,
            display_name: "王招标".into(),
            org_name: "沈阳市浑南区教育局".into(),
        };
        Page::new(lang, Some(actor), Arc::new(Views::new()))
    }

    #[test]
    fn a_draw_page_speaks_chinese_in_every_phase_kind_and_rule() {
        let owner = OrgId::generate();
        for kind in [DrawKind::Agent, DrawKind::Expert] {
            for beacon in [false, true] {
                let d = record(kind, beacon, &owner);
                for phase in PHASES {
                    let ctx = draw_context(&d, phase, Some(owner.as_str()), serde_json::Map::new());
                    let html = page(Lang::Zh, &owner).html("draw.html", ctx).unwrap();
                    assert_speaks_chinese(&format!("the draw page ({phase:?})"), &html);
                    assert!(html.contains("2027-03-01 10:00") && html.contains("2027-03-01 11:00"));
                    assert!(html.contains(r#"href="/draws""#));
                }
            }
        }
        let d = record(DrawKind::Agent, false, &owner);
        let ctx = draw_context(&d, Phase::Committing, None, serde_json::Map::new());
        let zh = page(Lang::Zh, &owner)
            .html("draw.html", ctx.clone())
            .unwrap();
        assert!(zh.contains("招标代理机构摇号") && zh.contains("承诺中"));
        assert!(zh.contains("任一方未揭示则抽取失败"));
        let en = page(Lang::En, &owner).html("draw.html", ctx).unwrap();
        assert!(en.contains("Bidding agent draw") && en.contains(">committing<"));
    }

    #[test]
    fn the_list_of_draws_speaks_chinese_and_marks_the_viewer_s_own() {
        let owner = OrgId::generate();
        let mine = record(DrawKind::Agent, false, &owner);
        let other = record(DrawKind::Expert, true, &OrgId::generate());
        let rows: Vec<DrawFacts> = [(&mine, Phase::Committing), (&other, Phase::Failed)]
            .into_iter()
            .map(|(d, p)| facts(d, p, Some(owner.as_str())))
            .collect();
        let html = page(Lang::Zh, &owner)
            .html("draws.html", context! { rows => &rows })
            .unwrap();
        assert_speaks_chinese("the list of draws", &html);
        assert_eq!(
            html.matches(r#"<span class="badge">本单位参与</span>"#)
                .count(),
            1
        );
        assert!(html.contains("评标专家抽取") && html.contains("公开失败"));
        assert!(html.contains(r#"<a href="/draws/0190a4c2-3f1e-7c2a-9d3b-1a2b3c4d5e99">"#));
        let none = page(Lang::Zh, &owner)
            .html("draws.html", context! { rows => Vec::<DrawFacts>::new() })
            .unwrap();
        assert_speaks_chinese("no draws", &none);
        assert!(none.contains(r#"id="draws-none""#));
    }
}
