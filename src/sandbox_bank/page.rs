//! The sandbox bank's one HTML page (网上银行 sandbox): open an account, sign in to one with its
//! access code, see and transfer from the accounts this browser holds. It never shows an account
//! whose code the browser does not hold. Plain forms, no JavaScript; every value shown is escaped.

use super::{AccountView, BankError};
use crate::domain::money::MAX_FEN;
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

/// A signed amount in 元 for a history line: `+1,000.00`, `-20,000.00`.
fn signed_yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "+" };
    format!("{sign}{}", yuan(fen.saturating_abs()))
}

/// What the page shows besides its forms. `held` are only the accounts whose access codes this
/// browser holds; no other account ever reaches the page.
pub struct View<'a> {
    pub held: &'a [AccountView],
    pub message: Option<&'a str>,
    /// An account opened by this very request, with its access code: shown this once.
    pub opened: Option<(&'a str, &'a str)>,
}

/// A refusal in the payer's words: Chinese first, amounts in 元.
pub fn refusal(e: &BankError) -> String {
    match e {
        BankError::UnknownAccount(_) | BankError::Unauthenticated => {
            "账号或网银口令不正确（unknown account or wrong access code）".into()
        }
        BankError::InsufficientFunds {
            balance_fen,
            amount_fen,
        } => format!(
            "余额不足：账户余额 {} 元，转账需要 {} 元（insufficient funds）",
            yuan(*balance_fen),
            yuan(*amount_fen)
        ),
        BankError::InvalidAmount => format!(
            "金额无效：应为 0.01 元至 {} 元，最多两位小数（invalid amount）",
            yuan(MAX_FEN)
        ),
        BankError::InvalidField { field, .. } => {
            let what = match *field {
                "name" => "户名应为 1 至 200 个字符，不含控制字符",
                "to_sub_account" => "收款子账号应为 1 至 64 个可打印 ASCII 字符，不含空格",
                _ => "填写的内容不符合要求",
            };
            format!("{what}（invalid {field}）")
        }
        BankError::Signature(_) | BankError::Conflicting(_) => "请求被拒绝（refused）".into(),
        BankError::Journal(_) => "银行暂时无法处理，请稍后再试（please try again later）".into(),
    }
}

pub fn render(prefix: &str, view: &View<'_>) -> String {
    let p = esc(prefix);
    let mut accounts = String::new();
    for a in view.held {
        let mut rows = String::new();
        for h in &a.history {
            rows.push_str(&format!(
                "<tr><td>{at}</td><td class=\"num\">{amount}</td><td>{txn}</td><td>{memo}</td></tr>\n",
                at = esc(&h.at.shanghai()),
                amount = esc(&signed_yuan(h.amount_fen)),
                txn = esc(h.bank_txn_id.as_deref().unwrap_or("—")),
                memo = esc(&h.memo),
            ));
        }
        accounts.push_str(&format!(
            r#"<section class="account">
<h3>账号 <span class="number">{n}</span> · 户名 {name}</h3>
<p>余额 Balance：<strong>{bal} 元</strong></p>
<table><thead><tr><th>时间（北京时间）</th><th>金额（元）</th><th>交易号</th><th>摘要</th></tr></thead>
<tbody>
{rows}</tbody></table>
</section>
"#,
            n = esc(&a.account),
            name = esc(&a.name),
            bal = esc(&yuan(a.balance_fen)),
        ));
    }
    let mine = if view.held.is_empty() {
        "<p>本浏览器尚未登录任何账户。请开户，或用账号和网银口令登录。（No account signed in on this browser.）</p>\n".to_owned()
    } else {
        format!(
            r#"{accounts}<form method="post" action="{p}/form/sign-out"><button>退出全部账户（sign out）</button></form>
"#
        )
    };
    let transfer = if view.held.is_empty() {
        "<p>登录账户后可转账。（Sign in to an account to transfer.）</p>".to_owned()
    } else {
        let options: String = view
            .held
            .iter()
            .map(|a| {
                format!(
                    "<option value=\"{n}\">{n} {name}</option>",
                    n = esc(&a.account),
                    name = esc(&a.name)
                )
            })
            .collect();
        format!(
            r#"<form method="post" action="{p}/form/transfers">
<label>付款账号 From account <select name="from_account" required>{options}</select></label>
<label>收款子账号 To sub-account <input name="to_sub_account" required inputmode="numeric"></label>
<label>金额（元）Amount <input name="amount_yuan" required inputmode="decimal"></label>
<button>转账 Transfer</button>
</form>"#
        )
    };
    let message = view
        .message
        .map(|m| format!("<p class=\"message\" role=\"status\">{}</p>", esc(m)))
        .unwrap_or_default();
    let opened = view
        .opened
        .map(|(n, code)| {
            format!(
                r#"<div class="opened" role="status"><p>开户成功。账号：<strong class="number">{n}</strong></p>
<p>网银口令（access code）：<code id="access-code">{code}</code></p>
<p>口令只显示这一次，银行不保存口令原文，丢失后无法找回。本浏览器已记住该账户；在其他浏览器请用账号和口令登录。（Shown once: keep it.）</p></div>
"#,
                n = esc(n),
                code = esc(code)
            )
        })
        .unwrap_or_default();
    format!(
        r#"<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>网上银行 sandbox</title>
<style>body{{font-family:sans-serif;max-width:48rem;margin:2rem auto}}td,th{{padding:.2rem .6rem}}.num{{text-align:right}}.message{{background:#eef;padding:.5rem}}.opened{{background:#efe;padding:.5rem}}label{{display:block;margin:.3rem 0}}</style>
</head>
<body>
<h1>网上银行 sandbox</h1>
<p>用于体验交易平台的模拟银行：开户时可任填余额，然后向平台给出的虚拟子账号转账缴纳保证金，银行会像真实银行一样向平台发送签名的到账通知。（A pretend bank for trying the hall.）</p>
<p>每个账户只有持有其网银口令的人才能查看和转账，本页只显示本浏览器已登录的账户：开标前谁向哪个子账号缴纳了保证金须保密（《招标投标法》第二十二条）。</p>
{message}{opened}<h2>我的账户 My accounts</h2>
{mine}<h2>转账至子账号 Transfer to a sub-account</h2>
{transfer}
<h2>开户 Open an account</h2>
<form method="post" action="{p}/form/accounts">
<label>户名 Name <input name="name" required maxlength="200"></label>
<label>余额（元）Balance <input name="balance_yuan" required inputmode="decimal" value="100000"></label>
<button>开户 Open</button>
</form>
<h2>登录账户 Sign in to an account</h2>
<form method="post" action="{p}/form/sign-in">
<label>账号 Account <input name="account" required inputmode="numeric" autocomplete="username"></label>
<label>网银口令 Access code <input name="access_code" type="password" required autocomplete="current-password"></label>
<button>登录 Sign in</button>
</form>
</body>
</html>
"#
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
        let view = View {
            held: &[a],
            message: Some("<b>"),
            opened: Some(("1", "<i>")),
        };
        let html = render("/sandbox-bank", &view);
        assert!(!html.contains("<script>x"));
        assert!(!html.contains("<b>") && !html.contains("<i>"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("action=\"/sandbox-bank/form/transfers\""));
    }

    #[test]
    fn refusals_are_in_chinese_with_amounts_in_yuan() {
        let e = BankError::InsufficientFunds {
            balance_fen: 123_456,
            amount_fen: 2_000_000,
        };
        let m = refusal(&e);
        assert!(m.contains("余额不足") && m.contains("1,234.56 元") && m.contains("20,000.00 元"));
        assert!(!m.contains("fen"));
        assert_eq!(
            refusal(&BankError::UnknownAccount("x".into())),
            refusal(&BankError::Unauthenticated)
        );
    }
}
