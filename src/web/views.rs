//! The templates and what every page shares: the language, the signed-in actor, the layout's links.
//! Templates are compiled into the binary and rendered with HTML auto-escaping; nothing here marks
//! user text as safe (only JSON we serialise ourselves, escaped for a `<script>` block).

use super::format;
use super::i18n::{self, Lang, LANG_COOKIE};
use crate::app::AppState;
use crate::domain::TenderId;
use crate::http::extract::MaybeUser;
use crate::identity::{Actor, Role};
use crate::tenders::access::{self, Action, Denied, Relations};
use crate::tenders::model::Tender;
use axum::extract::FromRequestParts;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::{context, Environment, Value};
use serde::Serialize;
use std::convert::Infallible;
use std::sync::Arc;

const TEMPLATES: &[(&str, &str)] = &[
    (
        "layout.html",
        include_str!("../../web/templates/layout.html"),
    ),
    (
        "_tender_form.html",
        include_str!("../../web/templates/_tender_form.html"),
    ),
    (
        "_documents.html",
        include_str!("../../web/templates/_documents.html"),
    ),
    (
        "_amendments.html",
        include_str!("../../web/templates/_amendments.html"),
    ),
    (
        "_award.html",
        include_str!("../../web/templates/_award.html"),
    ),
    (
        "_disputes.html",
        include_str!("../../web/templates/_disputes.html"),
    ),
    (
        "tender_questions.html",
        include_str!("../../web/templates/tender_questions.html"),
    ),
    (
        "complaints.html",
        include_str!("../../web/templates/complaints.html"),
    ),
    ("inbox.html", include_str!("../../web/templates/inbox.html")),
    ("board.html", include_str!("../../web/templates/board.html")),
    (
        "tender.html",
        include_str!("../../web/templates/tender.html"),
    ),
    (
        "signin.html",
        include_str!("../../web/templates/signin.html"),
    ),
    (
        "workspace.html",
        include_str!("../../web/templates/workspace.html"),
    ),
    (
        "workspace_tender.html",
        include_str!("../../web/templates/workspace_tender.html"),
    ),
    ("audit.html", include_str!("../../web/templates/audit.html")),
    ("draw.html", include_str!("../../web/templates/draw.html")),
    ("draws.html", include_str!("../../web/templates/draws.html")),
    (
        "evaluation.html",
        include_str!("../../web/templates/evaluation.html"),
    ),
    (
        "bid_documents.html",
        include_str!("../../web/templates/bid_documents.html"),
    ),
    (
        "award_desk.html",
        include_str!("../../web/templates/award_desk.html"),
    ),
    (
        "award_letters.html",
        include_str!("../../web/templates/award_letters.html"),
    ),
    ("bid.html", include_str!("../../web/templates/bid.html")),
    (
        "custodian.html",
        include_str!("../../web/templates/custodian.html"),
    ),
    (
        "opening.html",
        include_str!("../../web/templates/opening.html"),
    ),
    (
        "opening_report.html",
        include_str!("../../web/templates/opening_report.html"),
    ),
    ("bond.html", include_str!("../../web/templates/bond.html")),
    (
        "tender_bonds.html",
        include_str!("../../web/templates/tender_bonds.html"),
    ),
    (
        "ledger.html",
        include_str!("../../web/templates/ledger.html"),
    ),
    (
        "_receipts.html",
        include_str!("../../web/templates/_receipts.html"),
    ),
    (
        "_refunds.html",
        include_str!("../../web/templates/_refunds.html"),
    ),
    (
        "_forfeitures.html",
        include_str!("../../web/templates/_forfeitures.html"),
    ),
    (
        "message.html",
        include_str!("../../web/templates/message.html"),
    ),
    ("home.html", include_str!("../../web/templates/home.html")),
    (
        "registry_agent.html",
        include_str!("../../web/templates/registry_agent.html"),
    ),
    (
        "registry_list.html",
        include_str!("../../web/templates/registry_list.html"),
    ),
    (
        "registry_dossier.html",
        include_str!("../../web/templates/registry_dossier.html"),
    ),
    (
        "_registry_dossier.html",
        include_str!("../../web/templates/_registry_dossier.html"),
    ),
    (
        "_registry_credit_form.html",
        include_str!("../../web/templates/_registry_credit_form.html"),
    ),
];

/// The compiled templates; built once by `router()` and shared through a request extension.
pub struct Views {
    env: Environment<'static>,
    asset_version: String,
}

impl Views {
    pub fn new() -> Self {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("template {name} does not compile: {e}"));
        }
        env.add_filter("yuan", format::yuan);
        env.add_filter("bj", |s: String| format::beijing(&s));
        env.add_filter("dtlocal", |s: String| format::datetime_local(&s));
        env.add_filter("utcday", |s: String| format::utc_day_in_beijing(&s));
        env.add_filter("filesize", format::file_size);
        env.add_filter("yuan_words", format::yuan_in_words);
        env.add_filter("article", |s: String, lang: String| {
            format::article(&s, &lang)
        });
        env.add_filter("aside", |s: String, lang: String| format::aside(&s, &lang));
        Views {
            env,
            asset_version: super::assets::version(),
        }
    }

    pub fn render(&self, name: &str, ctx: Value) -> Result<String, minijinja::Error> {
        self.env.get_template(name)?.render(ctx)
    }
}

impl Default for Views {
    fn default() -> Self {
        Self::new()
    }
}

/// JSON for a `<script type="application/json">` block: `<`, `>` and `&` are escaped so no user
/// text can close the block.
pub fn script_json<T: Serialize>(value: &T) -> Value {
    let json = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
    let json = json
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    Value::from_safe_string(json)
}

/// The signed-in actor as templates see it.
#[derive(Serialize)]
pub struct Me {
    pub display_name: String,
    pub org_name: String,
    pub org_id: String,
    pub role: &'static str,
    pub has_workspace: bool,
}

impl Me {
    fn of(actor: &Actor) -> Self {
        Me {
            display_name: actor.display_name.clone(),
            org_name: actor.org_name.clone(),
            org_id: actor.org_id.to_string(),
            role: actor.role.as_str(),
            has_workspace: matches!(actor.role, Role::Owner | Role::Agent),
        }
    }
}

/// Everything a page handler needs to answer in the visitor's language as the visitor.
pub struct Page {
    pub lang: Lang,
    /// `?lang=` was given: remember it in the cookie.
    remember_lang: bool,
    pub actor: Option<Actor>,
    /// The query string without `lang`, for the language switch (a relative `?…` link, so the
    /// request path is never echoed into an href).
    rest_query: String,
    views: Arc<Views>,
    /// The demo hall's time, whose clock the trading centre may move forward (`/api/demo/clock`).
    demo_clock: Option<crate::domain::Timestamp>,
}

impl FromRequestParts<AppState> for Page {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Infallible> {
        let views = parts
            .extensions
            .get::<Arc<Views>>()
            .cloned()
            .unwrap_or_else(|| Arc::new(Views::new()));
        let query = parts.uri.query().unwrap_or("");
        let query_lang = query.split('&').find_map(|pair| pair.strip_prefix("lang="));
        let cookie_lang = cookie(parts, LANG_COOKIE);
        let (lang, remember_lang) = i18n::choose(query_lang, cookie_lang.as_deref());
        let rest: Vec<&str> = query
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("lang="))
            .collect();
        let rest_query = rest.join("&");
        // A stale or unknown session cookie shows the page as to the public; the API refuses it.
        let actor = MaybeUser::from_request_parts(parts, app)
            .await
            .ok()
            .and_then(|m| m.0);
        Ok(Page {
            lang,
            remember_lang,
            actor,
            rest_query,
            views,
            demo_clock: app.config.demo.then(|| app.clock.now()),
        })
    }
}

fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_string())
}

impl Page {
    /// For tests and for rendering outside a request.
    pub fn new(lang: Lang, actor: Option<Actor>, views: Arc<Views>) -> Self {
        Page {
            lang,
            remember_lang: false,
            actor,
            rest_query: String::new(),
            views,
            demo_clock: None,
        }
    }

    pub fn me(&self) -> Option<Me> {
        self.actor.as_ref().map(Me::of)
    }

    /// The layout's shared context: language, strings, who is signed in, the switch links.
    fn shared(&self) -> Value {
        let switch = |code: &str| match self.rest_query.as_str() {
            "" => format!("?lang={code}"),
            rest => format!("?{rest}&lang={code}"),
        };
        let table = i18n::table(self.lang);
        context! {
            lang => self.lang.code(),
            html_lang => self.lang.html_lang(),
            tr => &table,
            i18n_json => script_json(&table),
            me => self.me(),
            lang_zh_href => switch("zh"),
            lang_en_href => switch("en"),
            asset_version => &self.views.asset_version,
            demo_clock => self.demo_clock.filter(|_| self.actor.as_ref().is_some_and(|a| a.role == crate::identity::Role::Platform)),
        }
    }

    /// The page's HTML; a template error is logged and shown as a plain 500.
    pub fn html(&self, name: &str, ctx: Value) -> Result<String, minijinja::Error> {
        let nav = name.split(['.', '_']).next().unwrap_or("");
        self.views.render(
            name,
            context! { ..context! { nav => nav }, ..self.shared(), ..ctx },
        )
    }

    /// `render` for one of a tender's pages, with the tender's reference number (招标编号) that
    /// its crumbs show.
    pub async fn render_tender(
        &self,
        app: &AppState,
        status: StatusCode,
        name: &str,
        ctx: Value,
        tender: &Tender,
    ) -> Response {
        let reference = super::tender::reference_of(app, tender).await;
        self.render(
            status,
            name,
            context! { ..context! { reference => reference }, ..ctx },
        )
    }

    pub fn render(&self, status: StatusCode, name: &str, ctx: Value) -> Response {
        match self.html(name, ctx) {
            Ok(html) => self.respond(status, html),
            Err(e) => {
                tracing::error!(template = name, error = %e, "template failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
            }
        }
    }

    /// A page that only says something: not found, not for you, storage down.
    pub fn message(&self, status: StatusCode, title_id: &str, body_id: &str) -> Response {
        let ctx = context! {
            title => i18n::t(self.lang, title_id),
            body => i18n::t(self.lang, body_id),
        };
        self.render(status, "message.html", ctx)
    }

    /// The tender at `id` when the access policy lets this page's viewer `action` it, or the page
    /// that refuses (a draft, for those who do not run it, does not exist).
    pub async fn tender(
        &self,
        app: &AppState,
        id: &str,
        action: Action,
    ) -> Result<Tender, Response> {
        let Ok(id) = TenderId::parse(id) else {
            return Err(self.not_found());
        };
        let tender = app
            .store
            .get_tender(&id)
            .await
            .map_err(|e| self.store_failed(e))?;
        let r = Relations::of(self.actor.as_ref(), &tender);
        match access::may(action, &r, &tender, app.clock.now()) {
            Ok(()) => Ok(tender),
            Err(Denied::Hidden) => Err(self.not_found()),
            Err(Denied::SignIn) => Err(self.message(
                StatusCode::UNAUTHORIZED,
                "signin_needed_title",
                "signin_needed_body",
            )),
            Err(Denied::Forbidden(_)) | Err(Denied::UntilOpening { .. }) => Err(self.message(
                StatusCode::FORBIDDEN,
                "not_for_you_title",
                "not_for_you_body",
            )),
        }
    }

    pub fn not_found(&self) -> Response {
        self.message(StatusCode::NOT_FOUND, "not_found_title", "not_found_body")
    }

    /// A store failure: logged here, the page says only that storage is unavailable.
    pub fn store_failed(&self, e: crate::store::StoreError) -> Response {
        if matches!(e, crate::store::StoreError::NotFound) {
            return self.not_found();
        }
        tracing::error!(error = %e, "page could not read the store");
        self.message(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable_title",
            "unavailable_body",
        )
    }

    fn respond(&self, status: StatusCode, html: String) -> Response {
        let mut resp = (status, html).into_response();
        let headers = resp.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        // Pages show sessions and drafts: never cache them in shared caches.
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
        if self.remember_lang {
            let cookie = format!(
                "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
                self.lang.code()
            );
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                headers.append(SET_COOKIE, v);
            }
        }
        resp
    }
}
