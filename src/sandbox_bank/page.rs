//! The sandbox bank's one HTML page (网上银行): open an account, sign in to one with its access
//! code, see and transfer from the accounts this browser holds. It never shows an account whose
//! code the browser does not hold. Plain forms, no JavaScript; every value shown is escaped. In
//! Chinese, or in English when the hall's language cookie (or `?lang=en`) says so.

use super::{AccountView, BankError, Memo};
use crate::domain::money::MAX_FEN;
use crate::domain::Money;
use crate::web::i18n::Lang;

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

/// One of the page's words in the page's language.
fn w(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// `1,234.56 元` or `¥1,234.56`: an amount as the page's language writes it.
fn amount(lang: Lang, yuan: &str) -> String {
    match lang {
        Lang::Zh => format!("{yuan} 元"),
        Lang::En => format!("¥{yuan}"),
    }
}

/// A refusal in the payer's words and language, amounts in 元.
pub fn refusal(e: &BankError, lang: Lang) -> String {
    match e {
        BankError::UnknownAccount(_) | BankError::Unauthenticated => w(
            lang,
            "账号或网银口令不正确。",
            "Unknown account or wrong access code.",
        )
        .into(),
        BankError::InsufficientFunds {
            balance_fen,
            amount_fen,
        } => match lang {
            Lang::Zh => format!(
                "余额不足：账户余额 {}，转账需要 {}。",
                amount(lang, &yuan(*balance_fen)),
                amount(lang, &yuan(*amount_fen))
            ),
            Lang::En => format!(
                "Insufficient funds: the balance is {}, the transfer needs {}.",
                amount(lang, &yuan(*balance_fen)),
                amount(lang, &yuan(*amount_fen))
            ),
        },
        BankError::InvalidAmount => match lang {
            Lang::Zh => format!(
                "金额无效：应为 0.01 元至 {}，最多两位小数。",
                amount(lang, &yuan(MAX_FEN))
            ),
            Lang::En => format!(
                "Invalid amount: from ¥0.01 to {}, at most two decimals.",
                amount(lang, &yuan(MAX_FEN))
            ),
        },
        BankError::InvalidField { field, .. } => match *field {
            "name" => w(
                lang,
                "户名应为 1 至 200 个字符，不含控制字符。",
                "The name is 1 to 200 characters, without control characters.",
            ),
            "to_sub_account" => w(
                lang,
                "收款子账号应为 1 至 64 个可打印 ASCII 字符，不含空格。",
                "The sub-account is 1 to 64 printable ASCII characters, without spaces.",
            ),
            _ => w(
                lang,
                "填写的内容不符合要求。",
                "Something entered is not as required.",
            ),
        }
        .into(),
        BankError::Signature(_) | BankError::Conflicting(_) => {
            w(lang, "请求被拒绝。", "The request was refused.").into()
        }
        BankError::Journal(_) => w(
            lang,
            "银行暂时无法处理，请稍后再试。",
            "The bank cannot do this now; please try again later.",
        )
        .into(),
    }
}

/// A history line's memo in the page's language.
fn memo(what: &Memo, lang: Lang) -> String {
    match (what, lang) {
        (Memo::Opened, Lang::Zh) => "开户".into(),
        (Memo::Opened, Lang::En) => "Account opened".into(),
        (Memo::TransferTo { sub_account }, Lang::Zh) => format!("转账至子账号 {sub_account}"),
        (Memo::TransferTo { sub_account }, Lang::En) => format!("Transfer to {sub_account}"),
        (
            Memo::Refund {
                instruction,
                to_name,
            },
            Lang::Zh,
        ) => format!("退款 {instruction}，收款人 {to_name}"),
        (
            Memo::Refund {
                instruction,
                to_name,
            },
            Lang::En,
        ) => format!("Refund {instruction} to {to_name}"),
    }
}

/// What the page says after a transfer.
pub fn transferred(txn: &str, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("转账成功，交易号 {txn}。"),
        Lang::En => format!("Transfer done: transaction {txn}."),
    }
}

pub fn render(prefix: &str, view: &View<'_>, lang: Lang) -> String {
    let p = esc(prefix);
    let t = |zh, en| w(lang, zh, en);
    let mut accounts = String::new();
    for a in view.held {
        let mut rows = String::new();
        for h in &a.history {
            rows.push_str(&format!(
                "<tr><td>{at}</td><td class=\"num\">{amount}</td><td class=\"id\">{txn}</td><td>{memo}</td></tr>\n",
                at = esc(&h.at.shanghai()),
                amount = esc(&signed_yuan(h.amount_fen)),
                txn = esc(h.bank_txn_id.as_deref().unwrap_or("—")),
                memo = esc(&memo(&h.what, lang)),
            ));
        }
        accounts.push_str(&format!(
            r#"<section class="account">
<h3>{account_label} <span class="number">{n}</span> · {name_label} {name}</h3>
<p>{balance_label}<strong>{bal}</strong></p>
<div class="table-wrap"><table><thead><tr><th>{time_h}</th><th>{amount_h}</th><th>{txn_h}</th><th>{memo_h}</th></tr></thead>
<tbody>
{rows}</tbody></table></div>
</section>
"#,
            account_label = t("账号", "Account"),
            name_label = t("户名", "name"),
            balance_label = t("余额：", "Balance: "),
            time_h = t("时间（北京时间）", "Time (Beijing)"),
            amount_h = t("金额（元）", "Amount (¥)"),
            txn_h = t("交易号", "Transaction"),
            memo_h = t("摘要", "Memo"),
            n = esc(&a.account),
            name = esc(&a.name),
            bal = esc(&amount(lang, &yuan(a.balance_fen))),
        ));
    }
    let mine = if view.held.is_empty() {
        format!(
            "<p>{}</p>\n",
            t(
                "本浏览器尚未登录任何账户。请开户，或用账号和网银口令登录。",
                "No account is signed in on this browser. Open one, or sign in with its number and access code."
            )
        )
    } else {
        format!(
            r#"{accounts}<form method="post" action="{p}/form/sign-out"><button>{}</button></form>
"#,
            t("退出全部账户", "Sign out of every account")
        )
    };
    let transfer = if view.held.is_empty() {
        format!(
            "<p>{}</p>",
            t("登录账户后可转账。", "Sign in to an account to transfer.")
        )
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
<label>{from} <select name="from_account" required>{options}</select></label>
<label>{to} <input name="to_sub_account" required inputmode="numeric"></label>
<label>{amount_l} <input name="amount_yuan" required inputmode="decimal"></label>
<button>{button}</button>
</form>"#,
            from = t("付款账号", "From account"),
            to = t("收款子账号", "To sub-account"),
            amount_l = t("金额（元）", "Amount (¥)"),
            button = t("转账", "Transfer"),
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
                r#"<div class="opened" role="status"><p>{done} <strong class="number">{n}</strong></p>
<p>{code_label} <code id="access-code" translate="no">{code}</code></p>
<p>{keep}</p></div>
"#,
                done = t("开户成功。账号：", "Account opened. Number:"),
                code_label = t("网银口令：", "Access code:"),
                keep = t(
                    "口令只显示这一次，银行不保存口令原文，丢失后无法找回。本浏览器已记住该账户；在其他浏览器请用账号和口令登录。",
                    "The code is shown this once: the bank keeps no copy of it and cannot recover it. This browser remembers the account; in another browser, sign in with the number and the code."
                ),
                n = esc(n),
                code = esc(code)
            )
        })
        .unwrap_or_default();
    // After a form's post the address is the form's: the switch goes to the page itself.
    let home = esc(&home(prefix));
    let switch = match lang {
        Lang::Zh => format!(
            r#"<span aria-current="true">中文</span> · <a href="{home}?lang=en" hreflang="en" lang="en">English</a>"#
        ),
        Lang::En => format!(
            r#"<a href="{home}?lang=zh" hreflang="zh-CN" lang="zh-CN">中文</a> · <span aria-current="true">English</span>"#
        ),
    };
    // Mounted inside the demo hall (`/sandbox-bank`): the way back to the hall's pages.
    let back = if prefix.is_empty() {
        String::new()
    } else {
        format!(
            r#"<a href="/" id="back-to-hall">{}</a> · "#,
            t("返回交易大厅", "Back to the trading hall")
        )
    };
    format!(
        r#"<!doctype html>
<html lang="{html_lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<link rel="icon" href="data:,">
<style>body{{font-family:sans-serif;max-width:48rem;margin:1rem auto;padding:0 1rem;overflow-wrap:anywhere}}td,th{{padding:.2rem .6rem}}.num{{text-align:right;white-space:nowrap}}.table-wrap{{overflow-x:auto}}.message{{background:#eef;padding:.5rem}}.opened{{background:#efe;padding:.5rem}}label{{display:block;margin:.3rem 0}}input,select{{max-width:100%;box-sizing:border-box}}.lang{{text-align:right}}</style>
</head>
<body>
<p class="lang">{back}{switch}</p>
<h1>{title}</h1>
<p>{lead}</p>
<p>{secret}</p>
{message}{opened}<h2>{mine_h}</h2>
{mine}<h2>{transfer_h}</h2>
{transfer}
<h2>{open_h}</h2>
<form method="post" action="{p}/form/accounts">
<label>{name_l} <input name="name" required maxlength="200"></label>
<label>{balance_l} <input name="balance_yuan" required inputmode="decimal" value="100000"></label>
<button>{open_b}</button>
</form>
<h2>{signin_h}</h2>
<form method="post" action="{p}/form/sign-in">
<label>{account_l} <input name="account" required inputmode="numeric" autocomplete="username"></label>
<label>{code_l} <input name="access_code" type="password" required autocomplete="current-password"></label>
<button>{signin_b}</button>
</form>
</body>
</html>
"#,
        html_lang = lang.html_lang(),
        title = t("网上银行（沙箱）", "Online banking (sandbox)"),
        lead = t(
            "用于体验交易平台的模拟银行：开户时可任填余额，然后向平台给出的虚拟子账号转账缴纳保证金，银行会像真实银行一样向平台发送签名的到账通知。",
            "A pretend bank for trying the hall: open an account with any balance, then pay a bond by transferring to the sub-account the hall gave you; the bank sends the hall a signed notification, as a real bank does."
        ),
        secret = t(
            "每个账户只有持有其网银口令的人才能查看和转账，本页只显示本浏览器已登录的账户：开标前谁向哪个子账号缴纳了保证金须保密（《招标投标法》第二十二条）。",
            "Only whoever holds an account's access code sees it and transfers from it, and this page shows only the accounts signed in on this browser: who paid a bond to which sub-account is secret until the opening (Tendering and Bidding Law, art. 22)."
        ),
        mine_h = t("我的账户", "My accounts"),
        transfer_h = t("转账至子账号", "Transfer to a sub-account"),
        open_h = t("开户", "Open an account"),
        name_l = t("户名", "Name"),
        balance_l = t("余额（元）", "Balance (¥)"),
        open_b = t("开户", "Open"),
        signin_h = t("登录账户", "Sign in to an account"),
        account_l = t("账号", "Account number"),
        code_l = t("网银口令", "Access code"),
        signin_b = t("登录", "Sign in"),
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
        let html = render("/sandbox-bank", &view, Lang::Zh);
        assert!(!html.contains("<script>x"));
        assert!(!html.contains("<b>") && !html.contains("<i>"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("action=\"/sandbox-bank/form/transfers\""));
    }

    #[test]
    fn the_page_speaks_chinese_or_english_and_fits_a_phone() {
        use super::super::HistoryLine;
        use crate::domain::Timestamp;
        use crate::web::zh_guard::assert_speaks_chinese;
        let line = |amount_fen, what| HistoryLine {
            at: Timestamp::from_stored(1_800_000_000_000),
            amount_fen,
            bank_txn_id: Some("SBX000001".into()),
            memo: "the API's words".into(),
            what,
        };
        let a = AccountView {
            account: "62220201000000000001".into(),
            name: "沈阳某建设工程有限公司".into(),
            balance_fen: 8_000_000,
            history: vec![
                line(10_000_000, Memo::Opened),
                line(
                    -2_000_000,
                    Memo::TransferTo {
                        sub_account: "8801000000000001".into(),
                    },
                ),
                line(
                    2_000_000,
                    Memo::Refund {
                        instruction: "RF-0001".into(),
                        to_name: "沈阳某建设工程有限公司".into(),
                    },
                ),
            ],
        };
        let held = [a];
        let messages = [
            refusal(&BankError::Unauthenticated, Lang::Zh),
            refusal(
                &BankError::InsufficientFunds {
                    balance_fen: 1,
                    amount_fen: 2,
                },
                Lang::Zh,
            ),
            refusal(&BankError::InvalidAmount, Lang::Zh),
            transferred("SBX000002", Lang::Zh),
        ];
        for m in &messages {
            let view = View {
                held: &held,
                message: Some(m),
                opened: Some(("62220201000000000001", "sbx_kNRxCEZEvVAm-rI_q")),
            };
            let html = render("/sandbox-bank", &view, Lang::Zh);
            assert_speaks_chinese("the sandbox bank", &html);
            assert!(html.contains(
                r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#
            ));
            assert!(html.contains("转账至子账号 8801000000000001"));
        }
        let empty = View {
            held: &[],
            message: None,
            opened: None,
        };
        assert_speaks_chinese("the empty bank", &render("", &empty, Lang::Zh));
        let en = render("", &empty, Lang::En);
        assert!(en.contains(r#"<html lang="en">"#) && en.contains("Open an account"));
        assert!(en.contains(r#"href="/?lang=zh""#));
        let after_a_post = render("/sandbox-bank", &empty, Lang::Zh);
        assert!(after_a_post.contains(r#"href="/sandbox-bank?lang=en""#));
    }

    #[test]
    fn refusals_are_in_chinese_with_amounts_in_yuan() {
        let e = BankError::InsufficientFunds {
            balance_fen: 123_456,
            amount_fen: 2_000_000,
        };
        let m = refusal(&e, Lang::Zh);
        assert!(m.contains("余额不足") && m.contains("1,234.56 元") && m.contains("20,000.00 元"));
        assert!(!m.contains("fen"));
        assert_eq!(
            refusal(&BankError::UnknownAccount("x".into()), Lang::Zh),
            refusal(&BankError::Unauthenticated, Lang::Zh)
        );
    }
}
