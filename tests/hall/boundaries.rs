//! The house plan's boundary (docs/architecture.md): a capability's folder holds its rules and
//! reaches the world only through what is handed to it, so it imports no web framework, no
//! database driver, no HTTP client, no command-line parser and not the application's state.
//!
//! The files that still do are listed here, each with what it is waiting for. The list only
//! shrinks: a new file that crosses the boundary fails, and so does a listed file that no longer
//! does (take it off the list).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The folders of `src/` that hold a capability's rules.
const CAPABILITIES: &[&str] = &[
    "auditlog",
    "award",
    "bids",
    "bonds",
    "disputes",
    "domain",
    "draws",
    "home",
    "identity",
    "inbox",
    "lottery",
    "opening",
    "reactions",
    "registry",
    "sealbox",
    "tenders",
];

/// What a capability may not import: adapters' crates, and the composition root.
const FORBIDDEN: &[&str] = &["axum", "sqlx", "reqwest", "clap", "crate::app"];

/// Files that still cross the boundary, and why (docs/architecture.md, "Where the code stands").
const NOT_YET: &[(&str, &str, &str)] = &[
    // The time-release custodian's own HTTP server and client, and the command-line tools that
    // live beside the rules they drive: to move to the adapters.
    ("bids/cli.rs", "reqwest", "command line"),
    ("bids/cli/verify.rs", "reqwest", "command line"),
    (
        "bids/time_custodian/mod.rs",
        "reqwest",
        "time custodian client",
    ),
    (
        "bids/time_custodian/server.rs",
        "axum",
        "time custodian server",
    ),
    (
        "bids/time_custodian/server.rs",
        "clap",
        "time custodian server",
    ),
    ("lottery/cli.rs", "reqwest", "command line"),
    ("bonds/adapter.rs", "reqwest", "bank client"),
    ("bonds/daily.rs", "reqwest", "bank client"),
    ("bonds/daily.rs", "clap", "command line"),
    // Services that take the whole application state (a service locator) instead of the port,
    // clock and limits they use.
    ("auditlog/disclosures.rs", "crate::app", "service locator"),
    ("auditlog/service.rs", "crate::app", "service locator"),
    ("award/service/mod.rs", "crate::app", "service locator"),
    ("bids/closing.rs", "crate::app", "service locator"),
    ("bids/decryption.rs", "crate::app", "service locator"),
    ("bids/documents.rs", "crate::app", "service locator"),
    ("bids/opening.rs", "crate::app", "service locator"),
    ("bids/service.rs", "crate::app", "service locator"),
    ("bonds/adapter.rs", "crate::app", "service locator"),
    ("bonds/daily.rs", "crate::app", "service locator"),
    (
        "bonds/guarantee/service.rs",
        "crate::app",
        "service locator",
    ),
    ("bonds/service/mod.rs", "crate::app", "service locator"),
    ("disputes/service.rs", "crate::app", "service locator"),
    ("home/service.rs", "crate::app", "service locator"),
    ("identity/service.rs", "crate::app", "service locator"),
    ("inbox/follow.rs", "crate::app", "service locator"),
    ("inbox/mail.rs", "crate::app", "service locator"),
    ("inbox/rules.rs", "crate::app", "service locator"),
    ("inbox/service.rs", "crate::app", "service locator"),
    ("lottery/service/mod.rs", "crate::app", "service locator"),
    ("opening/driver.rs", "crate::app", "service locator"),
    ("opening/service.rs", "crate::app", "service locator"),
    ("reactions/dispatch.rs", "crate::app", "service locator"),
    ("registry/service.rs", "crate::app", "service locator"),
    ("tenders/service.rs", "crate::app", "service locator"),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Whether `line` of code names `name` as a path: `use name…`, `name::…`, or `crate::app`
/// followed by `::`, `;` or `,`/`}` in a use list; never inside a longer identifier.
fn names(line: &str, name: &str) -> bool {
    // `use crate::{app, …}`: the root's module named in a group.
    if let (Some(module), Some((_, group))) =
        (name.strip_prefix("crate::"), line.split_once("crate::{"))
    {
        let nested = format!("{module}::");
        if group
            .split(['{', '}', ','])
            .map(str::trim)
            .any(|item| item == module || item.starts_with(&nested))
        {
            return true;
        }
    }
    let mut from = 0;
    while let Some(at) = line[from..].find(name) {
        let start = from + at;
        let end = start + name.len();
        let before = line[..start].chars().next_back();
        let after = line[end..].chars().next();
        let starts_path = before.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == ':'))
            || name.starts_with("crate::");
        let ends_path = matches!(after, Some(':') | Some(';') | Some(',') | Some('}'));
        if starts_path && ends_path {
            return true;
        }
        from = end;
    }
    false
}

/// Every (file under src/, forbidden name) where a capability's code names an adapter.
fn crossings() -> BTreeSet<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = BTreeSet::new();
    for cap in CAPABILITIES {
        let mut files = Vec::new();
        rust_files(&src.join(cap), &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let rel = file
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            for line in text.lines() {
                let code = line.split("//").next().unwrap_or_default();
                for name in FORBIDDEN {
                    if names(code, name) {
                        found.insert((rel.clone(), name.to_string()));
                    }
                }
            }
        }
    }
    found
}

#[test]
fn no_capability_crosses_into_an_adapter_beyond_the_files_listed() {
    let found = crossings();
    let listed: BTreeSet<(String, String)> = NOT_YET
        .iter()
        .map(|(f, n, _)| (f.to_string(), n.to_string()))
        .collect();
    let new: Vec<_> = found.difference(&listed).collect();
    assert!(
        new.is_empty(),
        "a capability now imports an adapter (docs/architecture.md): {new:?}"
    );
    let gone: Vec<_> = listed.difference(&found).collect();
    assert!(
        gone.is_empty(),
        "these no longer cross the boundary: take them off NOT_YET: {gone:?}"
    );
}

#[test]
fn the_boundary_check_sees_what_it_is_meant_to_see() {
    assert!(names("use axum::Router;", "axum"));
    assert!(names("    let r = reqwest::Client::new();", "reqwest"));
    assert!(names("use crate::app::AppState;", "crate::app"));
    assert!(names("use crate::{app, store};", "crate::app"));
    assert!(names("use crate::{store, app::AppState};", "crate::app"));
    assert!(!names("use crate::{apply, store};", "crate::app"));
    assert!(!names("use crate::apply::x;", "crate::app"));
    assert!(!names("let taxum = 1;", "axum"));
    assert!(!names("my_sqlx::query()", "sqlx"));
    assert!(!names("// axum:: in a comment is not code", "nothing"));
}
