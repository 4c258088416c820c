//! Bounded text from users: a single `Line` (titles, names) or multi-line `Prose` (descriptions).
//! Control, invisible and direction-changing characters are refused; HTML is kept as typed and escaped by the templates, never stripped.

use super::InvalidValue;
use serde::{Deserialize, Serialize};

fn check(s: &str, min: usize, max: usize, multiline: bool) -> Result<String, InvalidValue> {
    let trimmed = s.trim();
    let chars = trimmed.chars().count();
    if chars < min {
        return Err(if min <= 1 {
            InvalidValue::new("required", "must not be empty")
        } else {
            InvalidValue::new("too_short", format!("must be at least {min} characters"))
        });
    }
    if chars > max {
        return Err(InvalidValue::new(
            "too_long",
            format!("must be at most {max} characters"),
        ));
    }
    let allowed = |c: char| !c.is_control() || (multiline && matches!(c, '\n' | '\t' | '\r'));
    if !trimmed.chars().all(allowed) {
        return Err(InvalidValue::new(
            "control_character",
            "must not contain control characters",
        ));
    }
    if let Some(c) = trimmed.chars().find(|c| invisible(*c)) {
        return Err(InvalidValue::new(
            "invisible_character",
            format!(
                "must not contain the invisible or direction-changing character U+{:04X}",
                c as u32
            ),
        ));
    }
    Ok(trimmed.to_string())
}

/// Characters that change how text reads without showing themselves: zero-width spaces and joiners,
/// direction marks, embeddings, overrides and isolates, the word joiner family and a BOM. In a
/// name they make two organisations look alike or reverse what a reader sees (a "Trojan source"
/// spoof); the hall's text is Chinese and Latin, which never needs them.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{00AD}')
}

/// One line of text, trimmed, between `MIN` and `MAX` characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Line<const MIN: usize, const MAX: usize>(String);

/// Multi-line text (newlines and tabs allowed), trimmed, at most `MAX` characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Prose<const MAX: usize>(String);

impl<const MIN: usize, const MAX: usize> Line<MIN, MAX> {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        check(s, MIN, MAX, false).map(Line)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<const MAX: usize> Prose<MAX> {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        check(s, 0, MAX, true).map(Prose)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<const MIN: usize, const MAX: usize> TryFrom<String> for Line<MIN, MAX> {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl<const MIN: usize, const MAX: usize> From<Line<MIN, MAX>> for String {
    fn from(l: Line<MIN, MAX>) -> String {
        l.0
    }
}
impl<const MAX: usize> TryFrom<String> for Prose<MAX> {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl<const MAX: usize> From<Prose<MAX>> for String {
    fn from(p: Prose<MAX>) -> String {
        p.0
    }
}

/// A free text a person writes into a step (a reason, an answer, a question): trimmed, 1 to
/// `max` characters; otherwise the refusal's message, naming `field`.
pub fn bounded(text: &str, field: &str, max: usize) -> Result<String, String> {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > max {
        return Err(format!("{field}: between 1 and {max} characters"));
    }
    Ok(t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_and_direction_changing_characters_are_refused_in_lines_and_prose() {
        for spoof in [
            "沈阳\u{200B}建设",
            "\u{FEFF}沈阳建设",
            "沈阳\u{202E}设建",
            "沈阳\u{2066}建设\u{2069}",
            "沈阳\u{200D}建设",
        ] {
            assert_eq!(
                Line::<1, 100>::parse(spoof).unwrap_err().rule,
                "invisible_character",
                "{spoof:?}"
            );
            assert_eq!(
                Prose::<100>::parse(spoof).unwrap_err().rule,
                "invisible_character"
            );
        }
        assert!(Line::<1, 100>::parse("沈阳·建设（集团）有限公司 Ltd.").is_ok());
    }

    #[test]
    fn lines_are_trimmed_and_bounded() {
        assert_eq!(
            Line::<1, 5>::parse("  道路工程 ").unwrap().as_str(),
            "道路工程"
        );
        assert_eq!(
            Line::<1, 3>::parse("道路工程").unwrap_err().rule,
            "too_long"
        );
        assert_eq!(Line::<1, 3>::parse("   ").unwrap_err().rule, "required");
        assert_eq!(
            Line::<1, 9>::parse("a\nb").unwrap_err().rule,
            "control_character"
        );
    }

    #[test]
    fn prose_keeps_newlines_and_markup_as_typed() {
        let p = Prose::<100>::parse("<script>x</script>\nline two").unwrap();
        assert_eq!(p.as_str(), "<script>x</script>\nline two");
        assert!(Prose::<100>::parse("bell\u{7}").is_err());
    }
}
