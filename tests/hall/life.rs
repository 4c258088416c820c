//! A tender's whole life from the web pages alone, every role in its own browser, on the hall
//! `serve --demo` loads: in Chinese, and again in English chosen with the page's language switch
//! (web/test/browser/life.mjs says what each role does). The script moves the hall's clock with
//! the trading centre's demo-clock buttons, as a visitor of the demo would; nothing here moves it
//! or calls the API for it.

use crate::common::*;

async fn whole_life(lang: &str) {
    let script = "life.mjs";
    let Some(chromium) = chromium_for(script) else {
        return;
    };
    let app = TestApp::spawn_demo_hall().await;
    let started = std::time::Instant::now();
    run_browser_script(
        &chromium,
        script,
        &format!("life-{lang}"),
        &app.base,
        &[("BIDHALL_LANG", lang.to_string())],
        900,
    )
    .await;
    eprintln!("the whole life in {lang} took {:?}", started.elapsed());
}

#[tokio::test]
async fn every_role_plays_a_tender_s_whole_life_in_the_browser_in_chinese() {
    whole_life("zh").await;
}

#[tokio::test]
async fn every_role_plays_a_tender_s_whole_life_in_the_browser_in_english() {
    whole_life("en").await;
}
