//! How amounts, times and sizes look to people, and the little URL encoding the pages need.
//! Pure functions, registered as template filters; they format trusted values and never parse
//! what a user typed into anything but a refusal.

use crate::domain::{Money, Timestamp};

/// `¥1,234,567.89` from fen. Amounts outside the hall's range still print, unsigned parts grouped.
pub fn yuan(fen: i64) -> String {
    match Money::from_fen(fen) {
        Ok(m) => format!("¥{}", m.yuan()),
        Err(_) if fen < 0 => format!("-{}", yuan(fen.saturating_neg())),
        Err(_) => format!("¥{}.{:02}", fen / 100, fen % 100),
    }
}

/// A remark set beside the text before it: in full-width parentheses on a Chinese page
/// (`（条例 第五十七条）`), in ASCII ones after a space on an English page.
pub fn aside(text: &str, lang: &str) -> String {
    if lang.starts_with("en") {
        format!(" ({text})")
    } else {
        format!("（{text}）")
    }
}

/// An article as the hall's events abbreviate it (`法42`, `条例44`) in words a reader knows:
/// `《招标投标法》第42条`, or in English `Tendering and Bidding Law, art. 42`. Anything else is
/// shown as it is.
pub fn article(short: &str, lang: &str) -> String {
    let zh = !lang.starts_with("en");
    let split = |prefix: &str| {
        short
            .strip_prefix(prefix)
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    // The long form the bonds' records carry (`条例 第五十七条`, `法 第六十条`) is already in
    // words in Chinese; in English it is named as the short form is.
    if let Some((law, n)) = long_article(short) {
        return match (zh, law) {
            (true, _) => short.to_string(),
            (false, "条例") => {
                format!("Implementing Regulations of the Tendering and Bidding Law, art. {n}")
            }
            (false, _) => format!("Tendering and Bidding Law, art. {n}"),
        };
    }
    match (split("条例"), split("法")) {
        (Some(n), _) if zh => format!("《招标投标法实施条例》第{n}条"),
        (Some(n), _) => {
            format!("Implementing Regulations of the Tendering and Bidding Law, art. {n}")
        }
        (_, Some(n)) if zh => format!("《招标投标法》第{n}条"),
        (_, Some(n)) => format!("Tendering and Bidding Law, art. {n}"),
        _ => short.to_string(),
    }
}

/// `条例 第五十七条` (or `实施条例 …`, `法 …`): the law (`条例` or `法`) and the article's number.
fn long_article(text: &str) -> Option<(&'static str, u32)> {
    let (law, rest) = text.split_once(' ')?;
    let law = match law {
        "条例" | "实施条例" => "条例",
        "法" => "法",
        _ => return None,
    };
    let numeral = rest.strip_prefix('第')?.strip_suffix('条')?;
    let digit = |c: char| {
        "零一二三四五六七八九"
            .chars()
            .position(|d| d == c)
            .map(|d| d as u32)
    };
    let (mut n, mut pending) = (0u32, None::<u32>);
    for c in numeral.chars() {
        match c {
            '百' => n += pending.take().unwrap_or(1) * 100,
            '十' => n += pending.take().unwrap_or(1) * 10,
            c => pending = Some(digit(c)?),
        }
    }
    let n = n + pending.unwrap_or(0);
    (n > 0).then_some((law, n))
}

/// An amount in the capital numerals of formal documents (大写), from fen: `人民币玖拾陆万元整`,
/// `人民币壹佰元零伍分`. Negative amounts are not written in words; they print as `yuan` does.
pub fn yuan_in_words(fen: i64) -> String {
    if fen < 0 {
        return yuan(fen);
    }
    const DIGITS: [&str; 10] = ["零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"];
    const IN_GROUP: [&str; 4] = ["", "拾", "佰", "仟"];
    const GROUPS: [&str; 5] = ["", "万", "亿", "万亿", "亿亿"];
    let (whole, jiao, fen_part) = (fen / 100, (fen / 10) % 10, fen % 10);
    let mut out = String::from("人民币");
    if whole > 0 {
        let mut groups = Vec::new();
        let mut n = whole;
        while n > 0 {
            groups.push(n % 10_000);
            n /= 10_000;
        }
        let mut zero = false;
        for (g, group) in groups.iter().enumerate().rev() {
            if *group == 0 {
                zero = true;
                continue;
            }
            // a gap before this group (a zero group, or fewer than four digits after a higher one)
            if zero || (g + 1 < groups.len() && *group < 1000) {
                out.push('零');
            }
            zero = false;
            // within the group: one 零 for any run of zeros between digits, none at its end
            let (mut started, mut gap) = (false, false);
            for place in (0..4).rev() {
                let d = (group / 10_i64.pow(place as u32)) % 10;
                if d == 0 {
                    gap |= started;
                    continue;
                }
                if gap {
                    out.push('零');
                    gap = false;
                }
                out.push_str(DIGITS[d as usize]);
                out.push_str(IN_GROUP[place]);
                started = true;
            }
            out.push_str(GROUPS[g.min(4)]);
        }
        out.push('元');
    }
    match (jiao, fen_part) {
        (0, 0) if whole == 0 => out.push_str("零元整"),
        (0, 0) => out.push('整'),
        _ => {
            if jiao > 0 {
                out.push_str(DIGITS[jiao as usize]);
                out.push('角');
            } else if whole > 0 {
                out.push('零');
            }
            if fen_part > 0 {
                out.push_str(DIGITS[fen_part as usize]);
                out.push('分');
            }
        }
    }
    out
}

/// Beijing time (`2026-12-01 09:30`) from an RFC 3339 string as the API and the store write them.
/// Anything unparseable is shown as it is rather than hidden.
pub fn beijing(rfc3339: &str) -> String {
    match Timestamp::parse(rfc3339) {
        Ok(t) => t.shanghai(),
        Err(_) => rfc3339.to_string(),
    }
}

/// A bank's statement day (`2026-12-01`, a calendar day in UTC, docs/bonds.md §5.3) as the Beijing
/// times it covers: `2026-12-01 08:00 – 2026-12-02 08:00`. Anything else is shown as it is.
pub fn utc_day_in_beijing(day: &str) -> String {
    match Timestamp::parse(&format!("{day}T00:00:00Z")) {
        Ok(start) if day.len() == 10 => format!(
            "{} – {}",
            start.shanghai(),
            start.plus_millis(crate::domain::DAY_MS).shanghai()
        ),
        _ => day.to_string(),
    }
}

/// The value of a `datetime-local` input (`2026-12-01T09:30`) showing `rfc3339` in Beijing time.
pub fn datetime_local(rfc3339: &str) -> String {
    beijing(rfc3339).replacen(' ', "T", 1)
}

/// `532 B`, `12.5 KB`, `3.4 MB`, `1.2 GB` (binary units, one decimal).
pub fn file_size(bytes: i64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Percent-encodes a query-string component (everything but RFC 3986 unreserved characters).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `a=1&b=x%20y` from pairs, leaving out empty values.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{}={}", url_encode(k), url_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remark_is_set_aside_in_the_page_s_own_parentheses() {
        assert_eq!(aside("条例 第五十七条", "zh-CN"), "（条例 第五十七条）");
        assert_eq!(
            aside("Implementing Regulations, art. 57", "en"),
            " (Implementing Regulations, art. 57)"
        );
    }

    #[test]
    fn amounts_read_in_capital_numerals() {
        let w = |yuan: f64| yuan_in_words((yuan * 100.0).round() as i64);
        assert_eq!(w(960_000.0), "人民币玖拾陆万元整");
        assert_eq!(
            w(1_234_567.89),
            "人民币壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"
        );
        assert_eq!(w(100_000_001.0), "人民币壹亿零壹元整");
        assert_eq!(w(10_500.0), "人民币壹万零伍佰元整");
        assert_eq!(w(100.05), "人民币壹佰元零伍分");
        assert_eq!(w(1_010.0), "人民币壹仟零壹拾元整");
        assert_eq!(w(1_001.0), "人民币壹仟零壹元整");
        assert_eq!(w(10.0), "人民币壹拾元整");
        assert_eq!(w(0.5), "人民币伍角");
        assert_eq!(w(0.0), "人民币零元整");
        assert_eq!(w(3_580_000.0), "人民币叁佰伍拾捌万元整");
        assert_eq!(w(20_000_000.3), "人民币贰仟万元叁角");
    }

    #[test]
    fn an_abbreviated_article_reads_in_words() {
        assert_eq!(article("法42", "zh-CN"), "《招标投标法》第42条");
        assert_eq!(article("条例44", "zh-CN"), "《招标投标法实施条例》第44条");
        assert_eq!(article("法42", "en"), "Tendering and Bidding Law, art. 42");
        assert_eq!(article("条例 第五十七条", "zh"), "条例 第五十七条");
        assert_eq!(
            article("条例 第五十七条", "en"),
            "Implementing Regulations of the Tendering and Bidding Law, art. 57"
        );
        assert_eq!(
            article("法 第六十条", "en"),
            "Tendering and Bidding Law, art. 60"
        );
        assert_eq!(
            article("实施条例 第十六条", "en").rsplit(' ').next(),
            Some("16")
        );
        assert_eq!(
            article("条例 第一百零二条", "en").rsplit(' ').next(),
            Some("102")
        );
        assert_eq!(article("条例 第五十七条", "zh-CN"), "条例 第五十七条");
        assert_eq!(article("法", "zh-CN"), "法");
    }

    #[test]
    fn amounts_are_yuan_with_grouped_thousands() {
        assert_eq!(yuan(123_456_789), "¥1,234,567.89");
        assert_eq!(yuan(5), "¥0.05");
        assert_eq!(yuan(0), "¥0.00");
        assert_eq!(yuan(100_000_000_000), "¥1,000,000,000.00");
    }

    #[test]
    fn times_are_shown_in_beijing() {
        assert_eq!(beijing("2026-12-01T01:30:00.000Z"), "2026-12-01 09:30");
        // 23:30 UTC is already the next day in Beijing.
        assert_eq!(beijing("2026-12-31T23:30:00Z"), "2027-01-01 07:30");
        assert_eq!(
            datetime_local("2026-12-01T09:30:00+08:00"),
            "2026-12-01T09:30"
        );
        assert_eq!(beijing("not a time"), "not a time");
        // a statement's UTC day begins at 08:00 in Beijing
        assert_eq!(
            utc_day_in_beijing("2026-12-31"),
            "2026-12-31 08:00 – 2027-01-01 08:00"
        );
        assert_eq!(utc_day_in_beijing("2026-13-01"), "2026-13-01");
    }

    #[test]
    fn sizes_and_queries() {
        assert_eq!(file_size(532), "532 B");
        assert_eq!(file_size(1536), "1.5 KB");
        assert_eq!(file_size(3 * 1024 * 1024), "3.0 MB");
        assert_eq!(
            query_string(&[("q", "道路 a&b"), ("region", ""), ("page", "2")]),
            "q=%E9%81%93%E8%B7%AF%20a%26b&page=2"
        );
    }
}
