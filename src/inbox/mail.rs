//! Mailing notices through the trading centre's SMTP relay (`BIDHALL_SMTP_URL`), in the
//! recipient's working language (Chinese first, English after it), with a link to where it acts.
//! A failed send is tried again after a pause that doubles (1 min … 1 h); a mail never carries a
//! secret: a notice holds codes, a tender's title, a lot's name and a deadline.

use super::Notice;
use crate::app::AppState;
use crate::domain::Timestamp;
use crate::store::StoreError;
use crate::web::i18n::Lang;
use lettre::message::{header::ContentType, Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

/// Mails taken per round.
const BATCH: i64 = 50;

/// The pause before the next attempt after `failures` failures (1, 2, …).
pub fn pause_after(failures: i64) -> i64 {
    crate::domain::time::doubling_pause(60 * 1000, 60 * 60 * 1000, failures)
}

/// Sends every notice due for mailing; returns how many went out.
pub async fn send_due(app: &AppState) -> Result<usize, StoreError> {
    let Some(url) = &app.config.smtp_url else {
        return Ok(0);
    };
    let due = app.store.mail_due(app.clock.now(), BATCH).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let Some((host, port)) = relay(url) else {
        tracing::error!("BIDHALL_SMTP_URL is not smtp://host:port");
        return Ok(0);
    };
    // The relay is the trading centre's own, reached without TLS (a TLS stack is not built in).
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .timeout(Some(std::time::Duration::from_secs(20)))
        .build();
    let mut sent = 0;
    for d in due {
        let result = match message(app, &d.notice, &d.to) {
            Ok(m) => transport.send(m).await.map(drop).map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        let now = app.clock.now();
        let outcome = match result {
            Ok(()) => {
                sent += 1;
                Ok(now)
            }
            Err(e) => {
                tracing::warn!(notice = %d.notice.id, error = %e, "a notice's mail failed");
                Err((now.plus_millis(pause_after(d.attempts + 1)), e))
            }
        };
        app.store.mail_attempted(&d.notice.id, outcome).await?;
    }
    Ok(sent)
}

/// `smtp://host:port` (port 25 when absent).
pub fn relay(url: &str) -> Option<(&str, u16)> {
    let rest = url.strip_prefix("smtp://")?.trim_end_matches('/');
    match rest.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() => Some((host, port.parse().ok()?)),
        Some(_) => None,
        None if !rest.is_empty() => Some((rest, 25)),
        None => None,
    }
}

/// The mail of `n` to `to`: subject and body in Chinese, then English.
fn message(app: &AppState, n: &Notice, to: &str) -> Result<Message, String> {
    let from: Mailbox = app
        .config
        .mail_from
        .parse()
        .map_err(|e| format!("BIDHALL_MAIL_FROM: {e}"))?;
    let to: Mailbox = to
        .parse()
        .map_err(|e| format!("the contact address: {e}"))?;
    let zh = text(n, Lang::Zh);
    let en = text(n, Lang::En);
    let link = format!("{}{}", app.config.public_url.trim_end_matches('/'), n.link);
    let body = format!("{zh}\n{link}\n\n{en}\n{link}\n\n— bidhall\n");
    Message::builder()
        .from(from)
        .to(to)
        .subject(format!("【交易平台】{}", subject(n, Lang::Zh)))
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| e.to_string())
}

fn subject(n: &Notice, lang: Lang) -> String {
    crate::web::i18n::t(lang, &format!("inbox_{}", n.kind.as_str())).to_string()
}

/// The notice's sentence: what it asks, of which tender and lot, by when (Beijing time).
pub fn text(n: &Notice, lang: Lang) -> String {
    let mut out = subject(n, lang);
    if let Some(title) = n.params["title"].as_str() {
        out.push_str(match lang {
            Lang::Zh => "：",
            Lang::En => ": ",
        });
        out.push_str(title);
    }
    if let Some(lot) = n.params["lot"].as_str().filter(|l| !l.is_empty()) {
        out.push_str(&format!(" · {lot}"));
    }
    if let Some(name) = n.params["name"].as_str() {
        out.push_str(&format!(" · {name}"));
    }
    if let Some(due) = n.due_at {
        out.push_str(&format!(
            "{}{}",
            crate::web::i18n::t(lang, "inbox_due"),
            beijing(due)
        ));
    }
    out
}

fn beijing(t: Timestamp) -> String {
    t.shanghai()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relay_is_smtp_host_and_port() {
        assert_eq!(relay("smtp://127.0.0.1:2525"), Some(("127.0.0.1", 2525)));
        assert_eq!(relay("smtp://mail.centre.cn"), Some(("mail.centre.cn", 25)));
        assert_eq!(relay("smtps://mail.centre.cn:465"), None);
        assert_eq!(relay("smtp://:25"), None);
    }

    #[test]
    fn pauses_double_from_a_minute_to_an_hour() {
        let minutes: Vec<i64> = (1..=8).map(|f| pause_after(f) / 60_000).collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 60, 60]);
    }
}
