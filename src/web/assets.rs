//! The web shell's own stylesheets and scripts, compiled into the binary and served under
//! `/static/...` with their content type and an ETag, so browsers revalidate instead of guessing.
//! It serves exactly the files listed here; other static files belong to other modules.

use crate::app::AppState;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

/// (URL path, content type, bytes).
pub const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "/static/css/app.css",
        CSS,
        include_bytes!("../../web/static/css/app.css"),
    ),
    (
        "/static/js/app/api.js",
        JS,
        include_bytes!("../../web/static/js/app/api.js"),
    ),
    (
        "/static/js/app/format.js",
        JS,
        include_bytes!("../../web/static/js/app/format.js"),
    ),
    (
        "/static/js/app/fields.js",
        JS,
        include_bytes!("../../web/static/js/app/fields.js"),
    ),
    (
        "/static/js/app/spec.js",
        JS,
        include_bytes!("../../web/static/js/app/spec.js"),
    ),
    (
        "/static/js/app/layout.js",
        JS,
        include_bytes!("../../web/static/js/app/layout.js"),
    ),
    (
        "/static/js/app/signin.js",
        JS,
        include_bytes!("../../web/static/js/app/signin.js"),
    ),
    (
        "/static/js/app/tender-form.js",
        JS,
        include_bytes!("../../web/static/js/app/tender-form.js"),
    ),
    (
        "/static/js/app/workspace.js",
        JS,
        include_bytes!("../../web/static/js/app/workspace.js"),
    ),
    (
        "/static/js/app/workspace-tender.js",
        JS,
        include_bytes!("../../web/static/js/app/workspace-tender.js"),
    ),
    (
        "/static/js/app/tender.js",
        JS,
        include_bytes!("../../web/static/js/app/tender.js"),
    ),
    (
        "/static/js/app/disputes.js",
        JS,
        include_bytes!("../../web/static/js/app/disputes.js"),
    ),
    (
        "/static/js/app/auditlog.js",
        JS,
        include_bytes!("../../web/static/js/app/auditlog.js"),
    ),
    (
        "/static/js/app/audit.js",
        JS,
        include_bytes!("../../web/static/js/app/audit.js"),
    ),
    (
        "/static/js/draw.js",
        JS,
        include_bytes!("../../web/static/js/draw.js"),
    ),
    (
        "/static/js/app/draw-page.js",
        JS,
        include_bytes!("../../web/static/js/app/draw-page.js"),
    ),
    (
        "/static/js/sealbox.js",
        JS,
        include_bytes!("../../web/static/js/sealbox.js"),
    ),
    (
        "/static/js/app/bidbox.js",
        JS,
        include_bytes!("../../web/static/js/app/bidbox.js"),
    ),
    (
        "/static/js/app/keystore.js",
        JS,
        include_bytes!("../../web/static/js/app/keystore.js"),
    ),
    (
        "/static/js/app/bid.js",
        JS,
        include_bytes!("../../web/static/js/app/bid.js"),
    ),
    (
        "/static/js/app/custodian.js",
        JS,
        include_bytes!("../../web/static/js/app/custodian.js"),
    ),
    (
        "/static/js/opening.js",
        JS,
        include_bytes!("../../web/static/js/opening.js"),
    ),
    (
        "/static/js/app/bond-page.js",
        JS,
        include_bytes!("../../web/static/js/app/bond-page.js"),
    ),
    (
        "/static/js/app/opening-page.js",
        JS,
        include_bytes!("../../web/static/js/app/opening-page.js"),
    ),
    (
        "/static/js/app/evaluation.js",
        JS,
        include_bytes!("../../web/static/js/app/evaluation.js"),
    ),
    (
        "/static/js/app/bid-documents.js",
        JS,
        include_bytes!("../../web/static/js/app/bid-documents.js"),
    ),
    (
        "/static/js/app/announced.js",
        JS,
        include_bytes!("../../web/static/js/app/announced.js"),
    ),
    (
        "/static/js/app/award-desk.js",
        JS,
        include_bytes!("../../web/static/js/app/award-desk.js"),
    ),
    (
        "/static/js/app/registry.js",
        JS,
        include_bytes!("../../web/static/js/app/registry.js"),
    ),
    (
        "/static/js/app/registry-forms.js",
        JS,
        include_bytes!("../../web/static/js/app/registry-forms.js"),
    ),
];

/// FNV-1a: a stable content hash for ETags and cache-busting, not for security.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ *b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// One hash over every asset; the layout appends it to asset URLs.
pub fn version() -> String {
    let all: Vec<u8> = ASSETS
        .iter()
        .flat_map(|(_, _, b)| b.iter().copied())
        .collect();
    format!("{:012x}", fnv1a(&all) & 0xffff_ffff_ffff)
}

pub fn router() -> Router<AppState> {
    ASSETS
        .iter()
        .fold(Router::new(), |router, &(path, content_type, bytes)| {
            let etag = format!("\"{:016x}\"", fnv1a(bytes));
            router.route(
                path,
                get(move |headers: HeaderMap| async move {
                    serve(&headers, content_type, bytes, &etag)
                }),
            )
        })
}

fn serve(
    headers: &HeaderMap,
    content_type: &'static str,
    bytes: &'static [u8],
    etag: &str,
) -> Response {
    let etag_value = HeaderValue::from_str(etag).expect("a hex etag is a valid header");
    // Revalidate every time: module imports carry no version, and a 304 is cheap.
    let cache = HeaderValue::from_static("public, no-cache");
    let fresh = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    if fresh {
        return (
            StatusCode::NOT_MODIFIED,
            [(ETAG, etag_value), (CACHE_CONTROL, cache)],
        )
            .into_response();
    }
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (ETAG, etag_value),
            (CACHE_CONTROL, cache),
            (X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        ],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_have_types_and_revalidate_with_etags() {
        let (_, ct, bytes) = ASSETS[0];
        let etag = format!("\"{:016x}\"", fnv1a(bytes));
        let resp = serve(&HeaderMap::new(), ct, bytes, &etag);
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()[CONTENT_TYPE], "text/css; charset=utf-8");
        assert_eq!(resp.headers()[CACHE_CONTROL], "public, no-cache");
        let mut again = HeaderMap::new();
        again.insert(IF_NONE_MATCH, HeaderValue::from_str(&etag).unwrap());
        assert_eq!(
            serve(&again, ct, bytes, &etag).status(),
            StatusCode::NOT_MODIFIED
        );
    }
}
