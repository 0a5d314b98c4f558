//! Numbers as the form shows them, and the one place where rounding happens.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Serialize, Serializer};

/// Rounds half away from zero (四舍五入). The only rounding in the crate.
pub fn round_half_away(value: Decimal, decimals: u32) -> Decimal {
    value.round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero)
}

/// `value` rounded and printed with exactly `decimals` places: `2.00`.
pub fn fixed(value: Decimal, decimals: u32) -> String {
    let mut r = round_half_away(value, decimals);
    r.rescale(decimals);
    r.to_string()
}

/// A number read from the form, with the precision it was shown at.
///
/// A percentage is kept as a fraction (`99.71%` is 0.9971 with 4 decimals) so that
/// arithmetic never has to ask which scale a value is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown {
    pub value: Decimal,
    pub decimals: u32,
    pub percent: bool,
}

/// A rate written without a percent sign is a fraction up to this, a percentage above it:
/// `0.95` is 95%, `99.71` is 99.71%.
const LARGEST_FRACTION_RATE: Decimal = Decimal::from_parts(15, 0, 0, false, 1);

impl Shown {
    /// Whether a rate shown this way is already on the fraction scale: a percentage with its
    /// sign, or a bare number up to 1.5 (0.95), not a percentage without its sign (95).
    pub fn is_fraction_rate(&self) -> bool {
        self.percent || self.value <= LARGEST_FRACTION_RATE
    }

    /// The rate on the fraction scale: a percentage written without its sign (95) becomes
    /// 0.95 at two more decimals.
    pub fn as_fraction_rate(self) -> Self {
        if self.is_fraction_rate() {
            self
        } else {
            Self {
                value: self.value / Decimal::ONE_HUNDRED,
                decimals: self.decimals + 2,
                percent: true,
            }
        }
    }

    pub fn plain(value: Decimal, decimals: u32) -> Self {
        Self {
            value,
            decimals,
            percent: false,
        }
    }

    /// A number whose shown precision is its own (`9.97` → 2 decimals).
    pub fn exact(value: Decimal) -> Self {
        let value = value.normalize();
        Self::plain(value, value.scale())
    }

    /// The values that display as this one: [v − h, v + h] with h half a unit of the last
    /// shown place. Closed on both ends: a boundary is given the benefit of the doubt.
    pub fn interval(&self) -> (Decimal, Decimal) {
        let half = Decimal::new(5, self.decimals + 1);
        (self.value - half, self.value + half)
    }
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.percent {
            let pct_decimals = self.decimals.saturating_sub(2);
            write!(
                f,
                "{}%",
                fixed(self.value * Decimal::ONE_HUNDRED, pct_decimals)
            )
        } else {
            f.write_str(&fixed(self.value, self.decimals))
        }
    }
}

impl Serialize for Shown {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// 10^15. Magnitudes above this are not amounts, scores or rates on any form; they are refused as
/// numbers so that decimal arithmetic (which panics on overflow) never sees them, and surface
/// as `bad-number` with the text quoted.
pub const MAX_MAGNITUDE: Decimal = Decimal::from_parts(0x_a4c6_8000, 0x38d7e, 0, false, 0);

fn within_range(d: Decimal) -> Option<Decimal> {
    (d.abs() <= MAX_MAGNITUDE).then_some(d)
}

/// Converts a float from the spreadsheet reader once, at the boundary: the shortest decimal
/// that reads back as the same float (`9.97`, never `9.9700000000000006`).
pub fn decimal_from_f64(f: f64) -> Option<Decimal> {
    if !f.is_finite() {
        return None;
    }
    let text = format!("{f}");
    Decimal::from_str(&text)
        .ok()
        .and_then(within_range)
        .map(|d| d.normalize())
}

/// What a cell meant to hold as a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumText {
    /// Blank, `—`, `-`, `/`, `无`: nothing was written.
    Absent,
    Number(Shown),
    /// Something was written that is not a number; the text is kept to quote it.
    Invalid(String),
}

/// Folds full-width ASCII (`０-９`, `．`, `，`, `％`, `（）`, `＝`…) to half width, other
/// compatibility forms by NFKC (`﹦` → `=`), look-alike characters as the layout's
/// `[lookalikes]` table says (`≧` → `≥`, `。` → `.`), and drops every kind of whitespace.
/// Used on labels and on values alike: the one place where characters are made comparable.
pub fn fold_width(s: &str) -> String {
    s.chars().filter_map(fold_char).collect()
}

/// One character as [`fold_width`] folds it; `None` for whitespace and zero-width marks.
pub fn fold_char(c: char) -> Option<char> {
    if c.is_whitespace() || ZERO_WIDTH.contains(&c) {
        return None;
    }
    // Most characters of a form are ASCII or CJK ideographs, which nothing below changes.
    if c.is_ascii() || ('\u{4e00}'..='\u{9fff}').contains(&c) {
        return Some(c);
    }
    let c = match c {
        '\u{ff01}'..='\u{ff5e}' => return char::from_u32(c as u32 - 0xfee0),
        _ => compatibility_form(c)?,
    };
    Some(crate::template::lookalike(c).unwrap_or(c))
}

/// Marks that take no room and mean nothing: zero-width space, non-joiner and joiner, word
/// joiner, byte-order mark, soft hyphen.
const ZERO_WIDTH: [char; 6] = [
    '\u{200b}', '\u{200c}', '\u{200d}', '\u{2060}', '\u{feff}', '\u{ad}',
];

/// `c` by NFKC where that is one character (`﹦` → `=`, `⼀` → `一`); `None` where it is
/// whitespace. A character whose NFKC is several (`㎡` → `m2`, `…` → `...`) or a digit it did
/// not show (`²`, `①`) stays as written: a unit `m²` is not the number 2.
fn compatibility_form(c: char) -> Option<char> {
    use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};
    if is_nfkc_quick(std::iter::once(c)) == IsNormalized::Yes {
        return Some(c);
    }
    let mut folded = std::iter::once(c).nfkc();
    match (folded.next(), folded.next()) {
        (Some(d), None) if d.is_whitespace() => None,
        (Some(d), None) if !d.is_ascii_digit() => Some(d),
        _ => Some(c),
    }
}

const ABSENT: [&str; 8] = ["", "—", "-", "/", "无", "——", "--", "\\"];

/// Reads a number written as text: `25.48`, `25. 48`, `1,234.5`, `10分`, `95%`, `95％`.
pub fn parse_number_text(text: &str) -> NumText {
    let folded = fold_width(text);
    if ABSENT.contains(&folded.as_str()) || folded.chars().all(|c| c == '—' || c == '-') {
        return NumText::Absent;
    }
    let (body, percent) = match folded.strip_suffix('%') {
        Some(b) => (b, true),
        None => (folded.as_str(), false),
    };
    let body = body.strip_suffix('分').unwrap_or(body);
    match parse_plain(body) {
        Some(d) => NumText::Number(to_shown(d, percent)),
        None => NumText::Invalid(text.trim().to_string()),
    }
}

/// An amount written with its money unit (`4753.66万元`, `2.38 万元`, `300（万元）`): the number as
/// shown, the unit (one of `money`'s names, the longest that ends the text) and its value in 元.
/// `None` for anything else, a bare number included.
pub fn parse_amount_with_unit<'u>(
    text: &str,
    money: &'u BTreeMap<String, Decimal>,
) -> Option<(Shown, &'u str, Decimal)> {
    let folded = fold_width(text);
    let (inner, bracketed) = match folded.strip_suffix(')') {
        Some(inner) => (inner, true),
        None => (folded.as_str(), false),
    };
    let (unit, scale) = money
        .iter()
        .filter(|(unit, _)| inner.ends_with(unit.as_str()))
        .max_by_key(|(unit, _)| unit.len())?;
    let body = &inner[..inner.len() - unit.len()];
    let body = if bracketed {
        body.strip_suffix('(')?
    } else {
        body
    };
    let value = parse_plain(body)?;
    Some((Shown::plain(value, value.scale()), unit.as_str(), *scale))
}

/// A bare decimal with optional sign and thousands separators; nothing else.
pub(crate) fn parse_plain(body: &str) -> Option<Decimal> {
    let cleaned: String = body.chars().filter(|c| *c != ',').collect();
    let digits = cleaned.strip_prefix(['+', '-']).unwrap_or(&cleaned);
    let ok = !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.matches('.').count() <= 1
        && digits.chars().any(|c| c.is_ascii_digit())
        && !digits.ends_with('.');
    if !ok {
        return None;
    }
    // Thousands separators must group by three, or `1,5` would read as 15.
    if body.contains(',') && !thousands_well_formed(body) {
        return None;
    }
    Decimal::from_str(&cleaned).ok().and_then(within_range)
}

fn thousands_well_formed(body: &str) -> bool {
    let int_part = body
        .trim_start_matches(['+', '-'])
        .split('.')
        .next()
        .unwrap_or("");
    let groups: Vec<&str> = int_part.split(',').collect();
    groups[0].len() <= 3 && !groups[0].is_empty() && groups[1..].iter().all(|g| g.len() == 3)
}

/// A parsed number and whether it carried a percent sign, as a [`Shown`].
pub(crate) fn to_shown(d: Decimal, percent: bool) -> Shown {
    let decimals = d.scale();
    if percent {
        Shown {
            value: d / Decimal::ONE_HUNDRED,
            decimals: decimals + 2,
            percent: true,
        }
    } else {
        Shown::plain(d, decimals)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().expect("test literal")
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(round_half_away(dec("2.345"), 2), dec("2.35"));
        assert_eq!(round_half_away(dec("2.355"), 2), dec("2.36"));
        assert_eq!(round_half_away(dec("-2.345"), 2), dec("-2.35"));
        assert_eq!(round_half_away(dec("0.125"), 2), dec("0.13"));
        assert_eq!(fixed(dec("2"), 2), "2.00");
        assert_eq!(fixed(dec("99.965"), 2), "99.97");
    }

    #[test]
    fn reads_numbers_written_as_text() {
        let n = |s: &str| match parse_number_text(s) {
            NumText::Number(sh) => (sh.value, sh.decimals, sh.percent),
            other => panic!("{s}: {other:?}"),
        };
        assert_eq!(n("25.48"), (dec("25.48"), 2, false));
        assert_eq!(n("25. 48"), (dec("25.48"), 2, false));
        assert_eq!(n("1,234.5"), (dec("1234.5"), 1, false));
        assert_eq!(n("10分"), (dec("10"), 0, false));
        assert_eq!(n("95%"), (dec("0.95"), 2, true));
        assert_eq!(n("95％"), (dec("0.95"), 2, true));
        assert_eq!(n("99.71%"), (dec("0.9971"), 4, true));
        assert_eq!(n("１２．５"), (dec("12.5"), 1, false));
        assert_eq!(n("100.00"), (dec("100.00"), 2, false));
        for absent in ["", " ", "—", "-", "/", "——"] {
            assert_eq!(parse_number_text(absent), NumText::Absent, "{absent:?}");
        }
        for bad in ["二十", "约95%", "9.5.1", "1,5", "abc", "."] {
            assert!(
                matches!(parse_number_text(bad), NumText::Invalid(_)),
                "{bad}"
            );
        }
    }

    #[test]
    fn folds_lookalikes_and_compatibility_forms_but_keeps_units() {
        for (raw, want) in [
            ("≧4次", "≥4次"),
            ("⩾4次", "≥4次"),
            ("≦8.9万元", "≤8.9万元"),
            ("⩽8.9万元", "≤8.9万元"),
            ("═100%", "=100%"),
            ("﹦100%", "=100%"),
            ("＝100%", "=100%"),
            ("＞＝95%", ">=95%"),
            ("＜＝ 8.9万元", "<=8.9万元"),
            ("90%〜95%", "90%~95%"),
            ("25。48", "25.48"),
            ("项目名称∶", "项目名称:"),
            // Kangxi radical 目 (U+2F6C) copied out of a PDF.
            ("项\u{2f6c}名称", "项目名称"),
            ("总\u{200d}分\u{ad}", "总分"),
            // NFKC would make these digits or several characters: they stay as written.
            ("5000m²", "5000m²"),
            ("5000㎡", "5000㎡"),
            ("①培训", "①培训"),
            ("……", "……"),
        ] {
            assert_eq!(fold_width(raw), want, "{raw}");
        }
    }

    #[test]
    fn reads_amounts_that_carry_their_unit() {
        let money = &crate::template::Layout::bundled().units.money;
        let read = |s: &str| {
            parse_amount_with_unit(s, money)
                .map(|(sh, unit, scale)| (sh.value, sh.decimals, unit, scale))
        };
        let wan = dec("10000");
        assert_eq!(read("4753.66万元"), Some((dec("4753.66"), 2, "万元", wan)));
        assert_eq!(read("300万元"), Some((dec("300"), 0, "万元", wan)));
        assert_eq!(read("2.38 万元"), Some((dec("2.38"), 2, "万元", wan)));
        assert_eq!(read("２．３８万"), Some((dec("2.38"), 2, "万", wan)));
        assert_eq!(read("300（万元）"), Some((dec("300"), 0, "万元", wan)));
        assert_eq!(
            read("1,850,000元"),
            Some((dec("1850000"), 0, "元", Decimal::ONE))
        );
        assert_eq!(
            read("1.2亿元"),
            Some((dec("1.2"), 1, "亿元", dec("100000000")))
        );
        for not_an_amount in [
            "25.48",
            "万元",
            "约300万元",
            "300人次",
            "95%万元",
            "300万元整",
            "",
        ] {
            assert_eq!(read(not_an_amount), None, "{not_an_amount}");
        }
    }

    #[test]
    fn shows_percent_with_its_own_decimals() {
        let NumText::Number(s) = parse_number_text("99.71%") else {
            panic!()
        };
        assert_eq!(s.to_string(), "99.71%");
        assert_eq!(s.interval(), (dec("0.99705"), dec("0.99715")));
    }

    #[test]
    fn converts_floats_to_their_shortest_decimal() {
        assert_eq!(decimal_from_f64(9.97), Some(dec("9.97")));
        assert_eq!(
            decimal_from_f64(0.1 + 0.2),
            Some(dec("0.30000000000000004"))
        );
        assert_eq!(decimal_from_f64(f64::NAN), None);
        assert_eq!(decimal_from_f64(1e300), None);
        assert_eq!(decimal_from_f64(1e20), None);
        assert_eq!(decimal_from_f64(-1e20), None);
        assert_eq!(decimal_from_f64(1e15), Some(dec("1000000000000000")));
    }

    #[test]
    fn refuses_magnitudes_no_form_holds() {
        assert_eq!(MAX_MAGNITUDE, dec("1000000000000000"));
        for huge in [
            "99999999999999999999",
            "1e20",
            "1000000000000001",
            "-99999999999999999999",
        ] {
            assert!(
                matches!(parse_number_text(huge), NumText::Invalid(_)),
                "{huge}"
            );
        }
        assert!(matches!(
            parse_number_text("999,999,999,999,999"),
            NumText::Number(_)
        ));
    }
}
