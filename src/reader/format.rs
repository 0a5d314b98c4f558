//! What a cell's number format does to the number it shows: fixed decimals, a percent sign,
//! or a date. Formats are worked out once per style, never per cell.

use rust_decimal::Decimal;

use super::RawValue;
use crate::number::{Shown, decimal_from_f64, round_half_away};

/// What a number format code says about display.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NumberShape {
    /// Decimals the format fixes; `None` for General, text and dates.
    pub decimals: Option<u32>,
    pub percent: bool,
    /// A date or time format: the number is a day serial.
    pub date: bool,
}

impl NumberShape {
    /// The shape of number format `id`, given the code a styles part defines for it, if any.
    pub fn of(id: u32, custom: Option<&str>) -> Self {
        match custom.or_else(|| builtin_code(id)) {
            Some(code) => Self::parse(code),
            // East Asian built-in dates, whose codes depend on the reader's locale.
            None => Self {
                date: matches!(id, 27..=36 | 50..=58),
                ..Self::default()
            },
        }
    }

    #[cfg(test)]
    pub fn fixed(d: u32, percent: bool) -> Self {
        Self {
            decimals: Some(d),
            percent,
            date: false,
        }
    }

    /// Reads the first section of a format code such as `0.00%`, `#,##0.0_ ` or `yyyy"年"m"月"`.
    pub fn parse(code: &str) -> Self {
        let section = code.split(';').next().unwrap_or("");
        if section.is_empty() || section.eq_ignore_ascii_case("general") || section == "@" {
            return Self::default();
        }
        let mut in_quote = false;
        let mut seen_digit = false;
        let mut date = false;
        let mut after_point: Option<u32> = None;
        let mut percent = false;
        let mut chars = section.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => in_quote = !in_quote,
                _ if in_quote => {}
                // `[Red]`, `[$-804]`, `[DBNum1]`; but `[h]` or `[mm]` is elapsed time, a date
                // all the same.
                '[' => {
                    let inside: String = chars.by_ref().take_while(|&c| c != ']').collect();
                    let elapsed = !inside.is_empty()
                        && inside
                            .chars()
                            .all(|c| matches!(c, 'h' | 'H' | 'm' | 'M' | 's' | 'S'));
                    date |= elapsed;
                }
                '\\' | '_' | '*' => {
                    chars.next();
                }
                'y' | 'Y' | 'm' | 'M' | 'd' | 'D' | 'h' | 'H' | 's' | 'S' => date = true,
                '0' | '#' | '?' => {
                    seen_digit = true;
                    if let Some(n) = after_point.as_mut() {
                        *n += 1;
                    }
                }
                '.' if seen_digit || after_point.is_none() => after_point = Some(0),
                '%' => percent = true,
                _ => {}
            }
        }
        if date {
            return Self {
                date,
                ..Self::default()
            };
        }
        if !seen_digit {
            return Self::default();
        }
        Self {
            // Excel allows 30 places; a float holds no more than 15 significant digits, and
            // exact arithmetic must stay well inside a Decimal's 28.
            decimals: Some(after_point.unwrap_or(0).min(MAX_DECIMALS)),
            percent,
            date: false,
        }
    }
}

/// Decimals a format is taken to fix at most.
const MAX_DECIMALS: u32 = 15;

/// The codes of the built-in formats (ECMA-376 §18.8.30) a style may name by id alone.
fn builtin_code(id: u32) -> Option<&'static str> {
    Some(match id {
        0 => "General",
        1 => "0",
        2 => "0.00",
        3 => "#,##0",
        4 => "#,##0.00",
        9 => "0%",
        10 => "0.00%",
        11 => "0.00E+00",
        12 => "# ?/?",
        13 => "# ??/??",
        14 => "mm-dd-yy",
        15 => "d-mmm-yy",
        16 => "d-mmm",
        17 => "mmm-yy",
        18 => "h:mm AM/PM",
        19 => "h:mm:ss AM/PM",
        20 => "h:mm",
        21 => "h:mm:ss",
        22 => "m/d/yy h:mm",
        37 => "#,##0 ;(#,##0)",
        38 => "#,##0 ;[Red](#,##0)",
        39 => "#,##0.00;(#,##0.00)",
        40 => "#,##0.00;[Red](#,##0.00)",
        41 => r#"_(* #,##0_);_(* \(#,##0\);_(* "-"_);_(@_)"#,
        42 => r#"_($* #,##0_);_($* \(#,##0\);_($* "-"_);_(@_)"#,
        43 => r#"_(* #,##0.00_);_(* \(#,##0.00\);_(* "-"??_);_(@_)"#,
        44 => r#"_($* #,##0.00_);_($* \(#,##0.00\);_($* "-"??_);_(@_)"#,
        45 => "mm:ss",
        46 => "[h]:mm:ss",
        47 => "mmss.0",
        48 => "##0.0E+0",
        49 => "@",
        _ => return None,
    })
}

/// A stored float as its cell shows it: a date serial, a number to the format's decimals, or,
/// beyond what an exact decimal holds, the text of the float (so the model can report it).
pub(crate) fn float_value(f: f64, shape: NumberShape) -> RawValue {
    match (decimal_from_f64(f), shape.date) {
        (Some(d), true) => RawValue::Date(d),
        (None, true) => RawValue::Empty,
        (Some(d), false) => number(d, shape),
        (None, false) => RawValue::Text(format!("{f}")),
    }
}

/// A number as its format shows it. A formula's 9.6842105 in a `0.00` cell is the 9.68 the
/// department saw and wrote about; the value behind it is only known to lie within half a
/// unit of that (SPEC §4), which is how the scorer treats every shown number.
pub(crate) fn number(value: Decimal, shape: NumberShape) -> RawValue {
    let value = if shape.decimals.is_none() {
        general(value)
    } else {
        value
    };
    let decimals = match (shape.decimals, shape.percent) {
        (Some(d), true) => d + 2,
        (Some(d), false) => d,
        (None, _) => value.normalize().scale(),
    };
    RawValue::Number(Shown {
        value: round_half_away(value, decimals).normalize(),
        decimals,
        percent: shape.percent,
    })
}

/// Significant digits a spreadsheet's General format shows at most (Excel: 11 characters).
const GENERAL_DIGITS: u32 = 10;

/// A number without a format that fixes its decimals, as General shows it: a formula's
/// 17.416666666666668 is 17.41666667; the float's last digits were never on the form.
fn general(value: Decimal) -> Decimal {
    let int_digits = value.abs().trunc().normalize().to_string().len() as u32;
    let places = GENERAL_DIGITS.saturating_sub(int_digits);
    if value.scale() > places {
        round_half_away(value, places).normalize()
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_number_format_codes() {
        assert_eq!(NumberShape::parse("0.00"), NumberShape::fixed(2, false));
        assert_eq!(NumberShape::parse("0.00%"), NumberShape::fixed(2, true));
        assert_eq!(NumberShape::parse("0%"), NumberShape::fixed(0, true));
        assert_eq!(
            NumberShape::parse("#,##0.0_ ;[Red]-#,##0.0"),
            NumberShape::fixed(1, false)
        );
        assert_eq!(
            NumberShape::parse("\"约\"0.000"),
            NumberShape::fixed(3, false)
        );
        assert_eq!(
            NumberShape::parse("[$¥-804]#,##0.00"),
            NumberShape::fixed(2, false)
        );
        assert_eq!(NumberShape::parse("General"), NumberShape::default());
        assert_eq!(
            NumberShape::parse(&format!("0.{}%", "0".repeat(30))),
            NumberShape::fixed(15, true),
            "thirty places are read as fifteen"
        );
        assert_eq!(NumberShape::parse("@"), NumberShape::default());
        assert_eq!(NumberShape::of(10, None), NumberShape::fixed(2, true));
        assert_eq!(
            NumberShape::of(164, Some("0.0")),
            NumberShape::fixed(1, false)
        );
        assert_eq!(NumberShape::of(200, None), NumberShape::default());
    }

    #[test]
    fn knows_a_date_format() {
        for code in [
            "yyyy\"年\"m\"月\"d\"日\"",
            "yyyy/m/d",
            "[$-804]yyyy年m月d日",
            "mm-dd-yy",
            "[h]:mm:ss",
        ] {
            assert!(NumberShape::parse(code).date, "{code}");
        }
        for code in [
            "0.00\"小时\"",
            "[Red]0.00",
            "#,##0_ ",
            "[DBNum1]General",
            "0.00E+00",
        ] {
            assert!(!NumberShape::parse(code).date, "{code}");
        }
        assert!(NumberShape::of(14, None).date);
        assert!(
            NumberShape::of(31, None).date,
            "an East Asian built-in date"
        );
        assert!(!NumberShape::of(2, None).date);
    }

    #[test]
    fn a_number_is_what_its_format_shows() {
        let shown = |v: &str, code: &str| match number(v.parse().unwrap(), NumberShape::parse(code))
        {
            RawValue::Number(s) => (s.value.to_string(), s.decimals, s.percent),
            other => panic!("{other:?}"),
        };
        // A formula's unrounded result, as the form displays it.
        assert_eq!(
            shown("9.684210526315789", "0.00"),
            ("9.68".into(), 2, false)
        );
        assert_eq!(shown("0.99725", "0.00%"), ("0.9973".into(), 4, true));
        assert_eq!(shown("0.945", "0%"), ("0.95".into(), 2, true));
        assert_eq!(shown("25.48", "General"), ("25.48".into(), 2, false));
        assert_eq!(shown("120", "0.00"), ("120".into(), 2, false));
        // General shows about ten significant digits; a float's tail is not on the form.
        assert_eq!(
            shown("17.416666666666668", "General"),
            ("17.41666667".into(), 8, false)
        );
        assert_eq!(
            shown("12.500000000000002", "General"),
            ("12.5".into(), 1, false)
        );
        assert_eq!(
            shown("0.30000000000000004", "General"),
            ("0.3".into(), 1, false)
        );
    }

    #[test]
    fn a_float_in_a_date_format_is_a_day() {
        let date = NumberShape::parse("yyyy/m/d");
        assert_eq!(float_value(45260.0, date), RawValue::Date(45260.into()));
        assert_eq!(
            float_value(f64::INFINITY, NumberShape::default()),
            RawValue::Text("inf".into())
        );
    }
}
