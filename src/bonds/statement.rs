//! A bank's daily statement of the hall's clearing account (docs/bonds.md §5.3), read strictly:
//! unknown members, a line outside the day or balances that do not add up are refused. Pure: the
//! sandbox bank writes statements with it, reconciliation reads them.

use super::bank::{BankCode, BankTxnId};
use super::ledger::RefundInstructionId;
use crate::domain::money::MAX_FEN;
use crate::domain::{InvalidValue, Money, Timestamp, DAY_MS};
use serde::{Deserialize, Serialize};

/// A calendar day in UTC, written `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StatementDate {
    /// The day's first instant.
    start: Timestamp,
}

impl StatementDate {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let bad = || InvalidValue::new("malformed_date", "a statement date is YYYY-MM-DD");
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(bad());
        }
        let start = Timestamp::parse(&format!("{s}T00:00:00Z")).map_err(|_| bad())?;
        Ok(StatementDate { start })
    }

    /// The day that contains `at`.
    pub fn of(at: Timestamp) -> StatementDate {
        StatementDate {
            start: Timestamp::from_stored(at.millis().div_euclid(DAY_MS) * DAY_MS),
        }
    }

    pub fn start(self) -> Timestamp {
        self.start
    }

    /// The next day's first instant: the day is `[start, end)`.
    pub fn end(self) -> Timestamp {
        self.start.plus_millis(DAY_MS)
    }

    pub fn contains(self, at: Timestamp) -> bool {
        self.start <= at && at < self.end()
    }
}

impl std::fmt::Display for StatementDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.start.to_rfc3339()[..10])
    }
}

impl TryFrom<String> for StatementDate {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        StatementDate::parse(&s)
    }
}

impl From<StatementDate> for String {
    fn from(d: StatementDate) -> String {
        d.to_string()
    }
}

/// Which way a line moves the hall's clearing account, as the bank books it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Money into the clearing account: a transfer to a sub-account.
    Credit,
    /// Money out of it: a refund paid.
    Debit,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Credit => "credit",
            Direction::Debit => "debit",
        }
    }
}

/// What a line refers to: the sub-account paid into, or the refund instruction paid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineRef {
    Credit { sub_account: String },
    Debit { instruction_id: RefundInstructionId },
}

/// One booked movement of the clearing account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "WireLine", into = "WireLine")]
pub struct StatementLine {
    pub bank_txn_id: BankTxnId,
    pub amount: Money,
    pub value_time: Timestamp,
    pub reference: LineRef,
}

impl StatementLine {
    pub fn direction(&self) -> Direction {
        match self.reference {
            LineRef::Credit { .. } => Direction::Credit,
            LineRef::Debit { .. } => Direction::Debit,
        }
    }

    /// The line's effect on the clearing account's balance.
    pub fn signed(&self) -> i128 {
        match self.direction() {
            Direction::Credit => self.amount.fen() as i128,
            Direction::Debit => -(self.amount.fen() as i128),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireLine {
    amount_fen: i64,
    bank_txn_id: BankTxnId,
    direction: Direction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sub_account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    instruction_id: Option<RefundInstructionId>,
    value_time: Timestamp,
}

impl TryFrom<WireLine> for StatementLine {
    type Error = InvalidValue;
    fn try_from(w: WireLine) -> Result<Self, Self::Error> {
        if w.amount_fen <= 0 || w.amount_fen > MAX_FEN {
            return Err(InvalidValue::new(
                "amount_out_of_range",
                format!("a line's amount_fen lies between 1 and {MAX_FEN}"),
            ));
        }
        let reference = match (w.direction, w.sub_account, w.instruction_id) {
            (Direction::Credit, Some(sub_account), None)
                if super::bank::is_reference(&sub_account) =>
            {
                LineRef::Credit { sub_account }
            }
            (Direction::Debit, None, Some(instruction_id)) => LineRef::Debit { instruction_id },
            _ => return Err(InvalidValue::new(
                "malformed_line",
                "a credit line names its sub_account, a debit line its instruction_id, never both",
            )),
        };
        Ok(StatementLine {
            bank_txn_id: w.bank_txn_id,
            amount: Money::from_fen(w.amount_fen)?,
            value_time: w.value_time,
            reference,
        })
    }
}

impl From<StatementLine> for WireLine {
    fn from(l: StatementLine) -> WireLine {
        let direction = l.direction();
        let (sub_account, instruction_id) = match l.reference {
            LineRef::Credit { sub_account } => (Some(sub_account), None),
            LineRef::Debit { instruction_id } => (None, Some(instruction_id)),
        };
        WireLine {
            amount_fen: l.amount.fen(),
            bank_txn_id: l.bank_txn_id,
            direction,
            sub_account,
            instruction_id,
            value_time: l.value_time,
        }
    }
}

/// One day of the hall's clearing account at one bank. Once held, its lines lie in its day, no
/// transaction id appears twice, and the opening balance plus the lines is the closing balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "WireStatement", into = "WireStatement")]
pub struct Statement {
    bank: BankCode,
    date: StatementDate,
    opening: Money,
    closing: Money,
    lines: Vec<StatementLine>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireStatement {
    bank: BankCode,
    date: StatementDate,
    opening_balance_fen: Money,
    closing_balance_fen: Money,
    lines: Vec<StatementLine>,
}

impl Statement {
    pub fn new(
        bank: BankCode,
        date: StatementDate,
        opening: Money,
        lines: Vec<StatementLine>,
        closing: Money,
    ) -> Result<Statement, InvalidValue> {
        if let Some(l) = lines.iter().find(|l| !date.contains(l.value_time)) {
            return Err(InvalidValue::new(
                "line_outside_day",
                format!(
                    "line {} has value time {}, outside {date}",
                    l.bank_txn_id.as_str(),
                    l.value_time
                ),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(l) = lines.iter().find(|l| !seen.insert(&l.bank_txn_id)) {
            return Err(InvalidValue::new(
                "repeated_line",
                format!("transaction {} appears twice", l.bank_txn_id.as_str()),
            ));
        }
        let sum: i128 = lines.iter().map(StatementLine::signed).sum();
        if opening.fen() as i128 + sum != closing.fen() as i128 {
            return Err(InvalidValue::new(
                "unbalanced_statement",
                format!(
                    "opening {} fen and the lines ({sum} fen) do not make the closing {} fen",
                    opening.fen(),
                    closing.fen()
                ),
            ));
        }
        Ok(Statement {
            bank,
            date,
            opening,
            closing,
            lines,
        })
    }

    pub fn bank(&self) -> &BankCode {
        &self.bank
    }
    pub fn date(&self) -> StatementDate {
        self.date
    }
    pub fn opening(&self) -> Money {
        self.opening
    }
    pub fn closing(&self) -> Money {
        self.closing
    }
    pub fn lines(&self) -> &[StatementLine] {
        &self.lines
    }

    /// The statement as sent: RFC 8785 canonical JSON.
    pub fn to_body(&self) -> Result<Vec<u8>, serde_json::Error> {
        crate::canonical::to_canonical_vec(self)
    }
}

impl TryFrom<WireStatement> for Statement {
    type Error = InvalidValue;
    fn try_from(w: WireStatement) -> Result<Self, Self::Error> {
        Statement::new(
            w.bank,
            w.date,
            w.opening_balance_fen,
            w.lines,
            w.closing_balance_fen,
        )
    }
}

impl From<Statement> for WireStatement {
    fn from(s: Statement) -> WireStatement {
        WireStatement {
            bank: s.bank,
            date: s.date,
            opening_balance_fen: s.opening,
            closing_balance_fen: s.closing,
            lines: s.lines,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of docs/bonds.md §5.3.
    const EXAMPLE: &str = r#"{"bank":"SBX","date":"2027-03-01","opening_balance_fen":0,"closing_balance_fen":2000000,
 "lines":[{"amount_fen":2000000,"bank_txn_id":"SBX20270301000001","direction":"credit",
           "sub_account":"8801089892966438763","value_time":"2027-03-01T02:00:00.000Z"}]}"#;

    #[test]
    fn the_documented_statement_reads_and_writes_back_canonically() {
        let s: Statement = serde_json::from_str(EXAMPLE).unwrap();
        assert_eq!(s.bank().as_str(), "SBX");
        assert_eq!(s.date().to_string(), "2027-03-01");
        assert_eq!(s.closing().fen(), 2_000_000);
        assert_eq!(s.lines()[0].direction(), Direction::Credit);
        let body = String::from_utf8(s.to_body().unwrap()).unwrap();
        assert_eq!(
            body,
            r#"{"bank":"SBX","closing_balance_fen":2000000,"date":"2027-03-01","lines":[{"amount_fen":2000000,"bank_txn_id":"SBX20270301000001","direction":"credit","sub_account":"8801089892966438763","value_time":"2027-03-01T02:00:00.000Z"}],"opening_balance_fen":0}"#
        );
        assert_eq!(serde_json::from_str::<Statement>(&body).unwrap(), s);
    }

    #[test]
    fn a_statement_that_does_not_add_up_or_strays_is_refused() {
        let refused = |json: String, rule: &str| {
            let e = serde_json::from_str::<Statement>(&json).unwrap_err();
            assert!(e.to_string().contains(rule), "{rule}: {e}");
        };
        refused(
            EXAMPLE.replace(
                "\"closing_balance_fen\":2000000",
                "\"closing_balance_fen\":1",
            ),
            "unbalanced_statement",
        );
        refused(
            EXAMPLE.replace("2027-03-01T02", "2027-03-02T02"),
            "line_outside_day",
        );
        refused(
            EXAMPLE.replace("\"direction\":\"credit\"", "\"direction\":\"debit\""),
            "malformed_line",
        );
        refused(
            EXAMPLE.replace("\"bank\":\"SBX\"", "\"bank\":\"SBX\",\"extra\":1"),
            "unknown field",
        );
        refused(
            EXAMPLE.replace("2027-03-01\"", "2027-3-1\""),
            "malformed_date",
        );
        refused(
            EXAMPLE.replace(":2000000,\"bank_txn", ":0,\"bank_txn"),
            "amount_out_of_range",
        );
    }

    #[test]
    fn a_day_runs_from_midnight_to_midnight_utc() {
        let d = StatementDate::parse("2027-03-01").unwrap();
        assert!(d.contains(Timestamp::parse("2027-03-01T00:00:00Z").unwrap()));
        assert!(d.contains(Timestamp::parse("2027-03-01T23:59:59.999Z").unwrap()));
        assert!(!d.contains(Timestamp::parse("2027-03-02T00:00:00Z").unwrap()));
        assert_eq!(
            StatementDate::of(Timestamp::parse("2027-03-01T08:00:00+08:00").unwrap()),
            StatementDate::parse("2027-03-01").unwrap()
        );
        assert!(StatementDate::parse("2027-02-30").is_err());
    }
}
