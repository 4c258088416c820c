//! The check that a Chinese page speaks Chinese (issue 17): its visible text holds no English
//! sentence, no raw code and no ISO timestamp. Tests only, and std only, so the hall's HTTP tests
//! include this same file to check the pages a signed-in role is served.
//!
//! Visible text is what a reader sees: element text outside `<script>`, `<style>` and
//! `<textarea>` (a textarea holds what the user typed), never an attribute. An element marked
//! `translate="no"` (a credential, an identifier: no language at all) is left out too.

/// Everything wrong with the visible text of a zh-CN page, each with the text around it.
pub fn problems(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    if !html.contains(r#"<html lang="zh-CN""#) {
        found.push("the page does not say it is zh-CN".to_string());
    }
    for run in visible_runs(html) {
        found.extend(english_sentences(&run));
        found.extend(raw_codes(&run));
        found.extend(iso_timestamps(&run));
    }
    found
}

/// Panics with every problem of `html`, naming the page as `what`.
pub fn assert_speaks_chinese(what: &str, html: &str) {
    let found = problems(html);
    assert!(
        found.is_empty(),
        "{what} does not speak Chinese:\n  {}",
        found.join("\n  ")
    );
}

/// Tags inside a sentence: they neither end it nor hide what they hold.
const INLINE: &[&str] = &[
    "a", "abbr", "b", "bdi", "cite", "code", "data", "em", "i", "kbd", "label", "mark", "q", "s",
    "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr",
];

/// Elements whose content is not the page's text.
const SKIPPED: &[&str] = &["script", "style", "textarea", "template"];

/// The page's text in runs: a block element's edge ends a run, an inline one does not.
pub fn visible_runs(html: &str) -> Vec<String> {
    let mut runs = vec![String::new()];
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        runs.last_mut().unwrap().push_str(&decode(&rest[..lt]));
        rest = &rest[lt..];
        if rest.starts_with("<!--") {
            rest = rest.find("-->").map_or("", |e| &rest[e + 3..]);
            continue;
        }
        let Some(gt) = tag_end(rest) else { break };
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if !closing && SKIPPED.contains(&name.as_str()) {
            let close = format!("</{name}");
            rest = find_ascii_ci(rest, &close)
                .and_then(|i| rest[i..].find('>').map(|e| &rest[i + e + 1..]))
                .unwrap_or("");
            runs.push(String::new());
            continue;
        }
        if !closing && tag.contains(r#"translate="no""#) {
            rest = after_element(rest, &name);
            runs.last_mut().unwrap().push(' ');
            continue;
        }
        if INLINE.contains(&name.as_str()) {
            runs.last_mut().unwrap().push(' ');
        } else {
            runs.push(String::new());
        }
    }
    runs.last_mut().unwrap().push_str(&decode(rest));
    runs.into_iter()
        .map(|r| r.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|r| !r.is_empty())
        .collect()
}

/// What follows the end of the element `name` whose start tag was just read (elements of the
/// same name inside it counted).
fn after_element<'a>(mut rest: &'a str, name: &str) -> &'a str {
    let (open, close) = (format!("<{name}"), format!("</{name}"));
    let mut depth = 1;
    while depth > 0 {
        let next_open = find_ascii_ci(rest, &open);
        let Some(c) = find_ascii_ci(rest, &close) else {
            return "";
        };
        match next_open {
            Some(o) if o < c => {
                depth += 1;
                rest = &rest[o + open.len()..];
            }
            _ => {
                depth -= 1;
                rest = rest[c..].find('>').map_or("", |e| &rest[c + e + 1..]);
            }
        }
    }
    rest
}

/// The `>` that ends the tag `s` starts with, skipping any inside quoted attribute values.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in s.char_indices().skip(1) {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

fn find_ascii_ci(hay: &str, needle: &str) -> Option<usize> {
    hay.as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// The few character references the templates write.
fn decode(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#x2f;", "/")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

fn around(run: &str, at: usize) -> String {
    let start = run[..at].char_indices().rev().nth(20).map_or(0, |(i, _)| i);
    let end = run[at..]
        .char_indices()
        .nth(40)
        .map_or(run.len(), |(i, _)| at + i);
    format!("…{}…", &run[start..end])
}

/// Three or more words of ASCII letters in a row, separated by spaces only: an English sentence.
fn english_sentences(run: &str) -> Vec<String> {
    let mut found = Vec::new();
    let (mut words, mut first) = (0, 0);
    let mut last_end = 0;
    for (start, word) in words_of(run) {
        let letters = !word.is_empty() && word.bytes().all(|b| b.is_ascii_alphabetic());
        let joined = words > 0 && run[last_end..start].bytes().all(|b| b == b' ');
        if !letters {
            words = 0;
        } else if joined {
            words += 1;
        } else {
            words = 1;
            first = start;
        }
        if letters && words == 3 {
            found.push(format!("English: {}", around(run, first)));
        }
        last_end = start + word.len();
    }
    found
}

/// Maximal runs of non-space characters with where they start, trailing punctuation apart so a
/// sentence's last word is still a word.
fn words_of(run: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut i = 0;
    for piece in run.split(' ') {
        let word = piece.trim_end_matches(['.', ',', ';', ':', '!', '?', ')']);
        let lead = word.len() - word.trim_start_matches('(').len();
        out.push((i + lead, &word[lead..]));
        i += piece.len() + 1;
    }
    out
}

/// `[a-z]+_[a-z_]+`: a code as the API spells it, shown instead of its words.
fn raw_codes(run: &str) -> Vec<String> {
    let b = run.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let code = b[i] == b'_'
            && i > 0
            && b[i - 1].is_ascii_lowercase()
            && b.get(i + 1)
                .is_some_and(|c| c.is_ascii_lowercase() || *c == b'_');
        if code {
            found.push(format!("raw code: {}", around(run, i)));
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            continue;
        }
        i += 1;
    }
    found
}

/// `\d{4}-\d\d-\d\dT`: an instant as the API writes it, not as people read it.
fn iso_timestamps(run: &str) -> Vec<String> {
    let b = run.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    (0..b.len().saturating_sub(10))
        .filter(|&i| {
            (0..4).all(|k| digit(i + k))
                && b[i + 4] == b'-'
                && digit(i + 5)
                && digit(i + 6)
                && b[i + 7] == b'-'
                && digit(i + 8)
                && digit(i + 9)
                && b[i + 10] == b'T'
        })
        .map(|i| format!("ISO time: {}", around(run, i)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(body: &str) -> String {
        format!(
            r#"<!doctype html><html lang="zh-CN"><head><script type="application/json">{{"a_b":"Sign in to it"}}</script></head><body>{body}</body></html>"#
        )
    }

    #[test]
    fn chinese_with_names_amounts_and_times_passes() {
        let html = page(
            r#"<h1 title="not the text at all">随机抽取</h1><p>阶段：<span data-phase="ready_to_conduct">可执行抽取</span></p>
            <p>¥1,234,567.89 · <time datetime="2026-12-01T01:30:00Z">2026-12-01 09:30</time> · k = 3 · SHA-256 · bidhall-draw/1</p>
            <textarea>{"bank_txn_id": "x"}</textarea><a lang="en">English</a> <code>SBX0001</code>
            <p>口令：<code translate="no">sbx_abc_def <b>x</b></code>。</p>"#,
        );
        assert_eq!(problems(&html), Vec::<String>::new());
    }

    #[test]
    fn an_english_sentence_a_raw_code_and_an_iso_time_are_each_found() {
        let found = problems(&page(
            "<p>阶段：committing</p><p>规则：fail_draw</p><dd>2026-12-01T01:30:00.000Z</dd><p>The draw <b>failed</b> publicly.</p>",
        ));
        assert_eq!(found.len(), 3, "{found:#?}");
        assert!(found[0].starts_with("raw code") && found[0].contains("fail_draw"));
        assert!(found[1].starts_with("ISO time"));
        assert!(found[2].starts_with("English") && found[2].contains("The draw failed"));
        // two words are a name, not a sentence; words in two cells are not one sentence
        assert!(problems(&page("<td>Sign in</td><td>to it</td>")).is_empty());
        assert_eq!(
            problems(&page("<p>(unknown account or wrong code)</p>")).len(),
            1
        );
    }

    #[test]
    fn a_page_that_is_not_zh_cn_is_refused() {
        assert_eq!(problems("<html lang=\"en\"><p>好</p></html>").len(), 1);
    }
}
