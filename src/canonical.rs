//! RFC 8785 (JCS) canonical JSON, for audit-log entries and draw transcripts: members sorted by
//! UTF-16 code units, ECMAScript number and string serialisation, no whitespace. It must never
//! panic on any `serde_json::Value`, since a transcript's `audit` member is opaque JSON supplied by
//! the platform.
//!
//! serde_jcs 0.1 was not used: it sorts members by their escaped UTF-8 bytes (so RFC 8785's own
//! sorting example comes out wrong), writes integers beyond 2^53 exactly instead of as IEEE doubles,
//! and panics on an unfinished code path if serde_json's `arbitrary_precision` feature is enabled
//! anywhere in the build.

use serde::Serialize;
use serde_json::{Number, Value};

/// The RFC 8785 bytes of any serialisable value.
pub fn to_canonical_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    Ok(canonicalize(&serde_json::to_value(value)?))
}

/// The RFC 8785 bytes of a parsed JSON value.
pub fn canonicalize(value: &Value) -> Vec<u8> {
    let mut out = String::new();
    write_value(&mut out, value);
    out.into_bytes()
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (k, item) in items.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push('{');
            for (k, (key, item)) in members.into_iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// JSON numbers are IEEE doubles to RFC 8785, exactly as `JSON.parse` would read them. Parsed text
/// only keeps its exact double with serde_json's `float_roundtrip` feature, which Cargo.toml enables.
fn write_number(out: &mut String, n: &Number) {
    let x = if let Some(i) = n.as_i64() {
        i as f64
    } else if let Some(u) = n.as_u64() {
        u as f64
    } else {
        // A Value never holds NaN or an infinity; 0.0 is only a fallback for the impossible case.
        n.as_f64().unwrap_or(0.0)
    };
    out.push_str(&es_number(x));
}

/// ECMAScript Number::toString(10) for a finite double (ECMA-262, Number.prototype.toString).
fn es_number(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return "0".to_owned();
    }
    // `{:e}` gives the shortest digits that round-trip, as d.ddddde±x.
    let sci = format!("{:e}", x.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent = exponent.parse::<i64>().unwrap_or(0);
    let digits = break_tie_to_even(x.abs(), digits, exponent);
    let k = digits.len() as i64;
    let n = exponent + 1;
    let mut s = String::new();
    if x < 0.0 {
        s.push('-');
    }
    if k <= n && n <= 21 {
        s.push_str(&digits);
        s.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        s.push_str(&digits[..n as usize]);
        s.push('.');
        s.push_str(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        s.push_str("0.");
        s.extend(std::iter::repeat_n('0', (-n) as usize));
        s.push_str(&digits);
    } else {
        s.push_str(&digits[..1]);
        if k > 1 {
            s.push('.');
            s.push_str(&digits[1..]);
        }
        s.push('e');
        s.push(if n > 0 { '+' } else { '-' });
        s.push_str(&(n - 1).abs().to_string());
    }
    s
}

/// ECMAScript wants, among the shortest digit strings that read back as `x`, the closest one, and the
/// even one when two are equally close. Rust's shortest formatting breaks that tie the other way
/// (1424953923781206.25 prints as …206.3, ECMAScript gives …206.2), so an exact tie is redone here.
fn break_tie_to_even(x: f64, digits: String, exponent: i64) -> String {
    let k = digits.len();
    // 800 fractional digits of scientific notation are more than any double's exact expansion.
    let exact = format!("{:.800e}", x);
    let Some((mantissa, exact_exp)) = exact.split_once('e') else {
        return digits;
    };
    if exact_exp.parse::<i64>().ok() != Some(exponent) {
        return digits;
    }
    let exact_digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exact_digits = exact_digits.trim_end_matches('0');
    // A tie: x lies exactly halfway between two k-digit decimals.
    if exact_digits.len() != k + 1 || !exact_digits.ends_with('5') {
        return digits;
    }
    let Ok(low) = exact_digits[..k].parse::<u128>() else {
        return digits;
    };
    let high = low + 1;
    if high.to_string().len() != k {
        return digits;
    }
    let reads_back = |d: u128| {
        format!("{d}e{}", exponent - (k as i64 - 1))
            .parse::<f64>()
            .is_ok_and(|y| y == x)
    };
    match (reads_back(low), reads_back(high)) {
        (true, true) if low % 2 == 0 => low.to_string(),
        (true, true) => high.to_string(),
        _ => digits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(text: &str) -> String {
        let value: Value = serde_json::from_str(text).expect("test JSON parses");
        String::from_utf8(canonicalize(&value)).expect("canonical JSON is UTF-8")
    }

    #[test]
    fn rfc8785_sorts_members_by_utf16_code_units() {
        // RFC 8785 section 3.2.3.
        let got = canon(
            r#"{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}"#,
        );
        let want = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\"\u{f6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20ac}\":\"Euro Sign\",\"\u{1f600}\":\"Emoji: Grinning Face\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}";
        assert_eq!(got, want);
    }

    #[test]
    fn rfc8785_serialises_primitives_like_ecmascript() {
        // RFC 8785 section 3.2.2.
        let got = canon(
            r#"{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/","literals":[null,true,false]}"#,
        );
        let want = "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\"string\":\"\u{20ac}$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
        assert_eq!(got, want);
    }

    #[test]
    fn rfc8785_appendix_b_numbers() {
        // IEEE-754 bit patterns and the ECMAScript strings for them (RFC 8785 appendix B).
        let cases = [
            (0x0000000000000000u64, "0"),
            (0x8000000000000000, "0"),
            (0x0000000000000001, "5e-324"),
            (0x8000000000000001, "-5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0xffefffffffffffff, "-1.7976931348623157e+308"),
            (0x4340000000000000, "9007199254740992"),
            (0xc340000000000000, "-9007199254740992"),
            (0x4430000000000000, "295147905179352830000"),
            (0x44b52d02c7e14af5, "9.999999999999997e+22"),
            (0x44b52d02c7e14af6, "1e+23"),
            (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
            (0x444b1ae4d6e2ef4e, "999999999999999700000"),
            (0x444b1ae4d6e2ef4f, "999999999999999900000"),
            (0x444b1ae4d6e2ef50, "1e+21"),
            (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
            (0x3eb0c6f7a0b5ed8d, "0.000001"),
            (0x41b3de4355555553, "333333333.3333332"),
            (0x41b3de4355555554, "333333333.33333325"),
            (0x41b3de4355555555, "333333333.3333333"),
            (0x41b3de4355555556, "333333333.3333334"),
            (0x41b3de4355555557, "333333333.33333343"),
            (0xbecbf647612f3696, "-0.0000033333333333333333"),
            (0x43143ff3c1cb0959, "1424953923781206.2"),
        ];
        for (bits, want) in cases {
            assert_eq!(es_number(f64::from_bits(bits)), want, "bits {bits:016x}");
        }
    }

    #[test]
    fn integers_beyond_two_to_the_53_are_written_as_doubles() {
        assert_eq!(
            canon("[18446744073709551615,-9007199254740993]"),
            "[18446744073709552000,-9007199254740992]"
        );
    }

    #[test]
    fn other_control_characters_use_lowercase_u_escapes() {
        assert_eq!(
            canon(r#"["\u001f\u007f\u2028"]"#),
            "[\"\\u001f\u{7f}\u{2028}\"]"
        );
    }
}
