//! The sandbox bank's one HTML page (网上银行 sandbox): open an account, transfer to a
//! sub-account. Plain forms, no JavaScript; every value shown is escaped.

use super::AccountView;
use crate::domain::Money;

pub fn home(prefix: &str) -> String {
    if prefix.is_empty() {
        "/".into()
    } else {
        prefix.to_owned()
    }
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn yuan(fen: i64) -> String {
    Money::from_fen(fen)
        .map(Money::yuan)
        .unwrap_or_else(|_| format!("{fen} fen"))
}

/// Reads an amount typed in yuan (`1234`, `1234.5`, `1,234.56`) as fen; `None` if it is not one.
pub fn yuan_to_fen(typed: &str) -> Option<i64> {
    let t: String = typed.trim().chars().filter(|c| *c != ',').collect();
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    if whole.is_empty()
        || whole.len() > 13
        || frac.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let frac_fen = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse::<i64>().ok()?,
    };
    whole
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(frac_fen)
}

pub fn render(prefix: &str, accounts: &[AccountView], message: Option<&str>) -> String {
    let mut rows = String::new();
    for a in accounts {
        rows.push_str(&format!(
            "<tr><td><a href=\"{p}/accounts/{n}\">{n}</a></td><td>{name}</td><td class=\"num\">{bal}</td></tr>\n",
            p = esc(prefix),
            n = esc(&a.account),
            name = esc(&a.name),
            bal = esc(&yuan(a.balance_fen)),
        ));
    }
    let message = message
        .map(|m| format!("<p class=\"message\" role=\"status\">{}</p>", esc(m)))
        .unwrap_or_default();
    format!(
        r#"<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>网上银行 sandbox</title>
<style>body{{font-family:sans-serif;max-width:48rem;margin:2rem auto}}td,th{{padding:.2rem .6rem}}.num{{text-align:right}}.message{{background:#eef;padding:.5rem}}</style>
</head>
<body>
<h1>网上银行 sandbox</h1>
<p>A pretend bank for trying the hall: open an account with any balance, then pay a bond into the virtual sub-account (虚拟子账号) the hall gave you. The bank tells the hall, signed, as a real bank would.</p>
{message}
<h2>账户 Accounts</h2>
<table><thead><tr><th>账号 Account</th><th>户名 Name</th><th>余额 Balance (元)</th></tr></thead>
<tbody>
{rows}</tbody></table>
<h2>开户 Open an account</h2>
<form method="post" action="{p}/form/accounts">
<label>户名 Name <input name="name" required maxlength="200"></label>
<label>余额 Balance (元) <input name="balance_yuan" required inputmode="decimal" value="100000"></label>
<button>开户 Open</button>
</form>
<h2>转账 Transfer to a sub-account</h2>
<form method="post" action="{p}/form/transfers">
<label>付款账号 From account <input name="from_account" required></label>
<label>收款子账号 To sub-account <input name="to_sub_account" required inputmode="numeric"></label>
<label>金额 Amount (元) <input name="amount_yuan" required inputmode="decimal"></label>
<button>转账 Transfer</button>
</form>
</body>
</html>
"#,
        p = esc(prefix),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_typed_in_yuan_become_fen_exactly() {
        assert_eq!(yuan_to_fen("20000"), Some(2_000_000));
        assert_eq!(yuan_to_fen("1,234.5"), Some(123_450));
        assert_eq!(yuan_to_fen(" 0.07 "), Some(7));
        for bad in ["", "-1", "1.234", "1e5", "abc", ".5"] {
            assert_eq!(yuan_to_fen(bad), None, "{bad}");
        }
    }

    #[test]
    fn names_are_escaped_on_the_page() {
        let a = AccountView {
            account: "62220201000000000001".into(),
            name: "<script>x</script>".into(),
            balance_fen: 100,
            history: vec![],
        };
        let html = render("/sandbox-bank", &[a], Some("<b>"));
        assert!(!html.contains("<script>x"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("action=\"/sandbox-bank/form/transfers\""));
    }
}
