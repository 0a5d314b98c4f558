//! What a target says (`≥1000人次`, `90%-95%`, `2023年底`, `有效推进`) and what an actual
//! value says, parsed into directions, quantities with units, deadlines and words.

use std::cmp::Ordering;

use rust_decimal::Decimal;

use crate::number::{Shown, fold_width, parse_plain, to_shown};
use crate::template::{Layout, Op};

/// Which way a numeric target points (SPEC I1–I5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Positive: more is better.
    AtLeast,
    /// Negative: less is better.
    AtMost,
    Equal,
    /// Inside `[lo, hi]` is full marks.
    Range,
}

impl From<Op> for Direction {
    fn from(op: Op) -> Self {
        match op {
            Op::AtLeast => Direction::AtLeast,
            Op::AtMost => Direction::AtMost,
            Op::Equal => Direction::Equal,
        }
    }
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::AtLeast => "at-least",
            Direction::AtMost => "at-most",
            Direction::Equal => "equal",
            Direction::Range => "range",
        }
    }
}

/// A unit normalised to a base and a scale: `万元` is 元 × 10000, `%` is a fraction × 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// As written: `万元`, `%`, `人次`, or empty.
    pub written: String,
    /// The dimension: `元`, `%`, `人次`, or empty for a bare number.
    pub base: String,
    pub scale: Decimal,
}

impl Unit {
    pub fn none() -> Self {
        Self {
            written: String::new(),
            base: String::new(),
            scale: Decimal::ONE,
        }
    }

    pub fn is_none(&self) -> bool {
        self.base.is_empty()
    }

    fn parse(text: &str, layout: &Layout) -> Self {
        let u = &layout.units;
        if text.is_empty() {
            return Self::none();
        }
        if let Some(scale) = u.money.get(text) {
            return Self {
                written: text.to_string(),
                base: "元".into(),
                scale: *scale,
            };
        }
        if text == "‰" {
            return Self {
                written: text.into(),
                base: "%".into(),
                scale: Decimal::new(1, 3),
            };
        }
        for (prefix, scale) in &u.scale_prefix {
            if let Some(rest) = text.strip_prefix(prefix.as_str())
                && !rest.is_empty()
            {
                return Self {
                    written: text.to_string(),
                    base: rest.to_string(),
                    scale: *scale,
                };
            }
        }
        Self {
            written: text.to_string(),
            base: text.to_string(),
            scale: Decimal::ONE,
        }
    }
}

/// A number with its unit, as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    pub shown: Shown,
    pub unit: Unit,
}

impl Quantity {
    /// The value in base units (a percentage as a fraction).
    pub fn base(&self) -> Decimal {
        self.shown.value * self.unit.scale
    }

    /// The base values that display as this quantity.
    pub fn base_interval(&self) -> (Decimal, Decimal) {
        let (lo, hi) = self.shown.interval();
        (lo * self.unit.scale, hi * self.unit.scale)
    }

    /// Parses `8.83万`, `1,850,000元`, `95%`, `0起`, `4次`.
    pub fn parse(text: &str, layout: &Layout) -> Option<Self> {
        let t = fold_width(text);
        let end = t
            .char_indices()
            .find(|(i, c)| {
                !(c.is_ascii_digit()
                    || *c == '.'
                    || *c == ','
                    || (*i == 0 && (*c == '-' || *c == '+')))
            })
            .map_or(t.len(), |(i, _)| i);
        let (num, unit) = t.split_at(end);
        let value = parse_plain(num)?;
        let unit = unit.trim_end_matches(['。', '.']);
        // A long tail is a sentence, not a unit.
        if unit.chars().count() > 6 || unit.chars().any(|c| c.is_ascii_digit()) {
            return None;
        }
        let percent = unit == "%";
        let shown = to_shown(value, percent);
        let unit = if percent {
            Unit {
                written: "%".into(),
                base: "%".into(),
                scale: Decimal::ONE,
            }
        } else {
            Unit::parse(unit, layout)
        };
        Some(Self { shown, unit })
    }

    /// The same quantity in another unit's dimension, when a bare number takes the other
    /// side's unit (SPEC I6).
    pub fn with_unit(&self, unit: &Unit) -> Self {
        let mut q = self.clone();
        if unit.base == "%" && !self.shown.percent && unit.scale == Decimal::ONE {
            q.shown = to_shown(self.shown.value, true);
            q.shown.decimals = self.shown.decimals + 2;
        }
        q.unit = unit.clone();
        q
    }
}

/// A calendar day, compared as (year, month, day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

/// What a target asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Numeric {
        direction: Direction,
        value: Quantity,
        /// Direction taken from the level-2 name, not written (SPEC I1).
        inferred: bool,
    },
    Range {
        lo: Quantity,
        hi: Quantity,
    },
    /// Done on or before this day.
    Deadline(Day),
    /// `按时`: no day given.
    OnTime,
    Qualitative(String),
    Absent,
}

impl Target {
    pub fn direction(&self) -> Option<Direction> {
        match self {
            Target::Numeric { direction, .. } => Some(*direction),
            Target::Range { .. } => Some(Direction::Range),
            _ => None,
        }
    }

    /// Parses a target; `cost` says the level-2 name is a cost indicator, where a target
    /// without an operator is a ceiling.
    pub fn parse(text: &str, cost: bool, year: Option<i32>, layout: &Layout) -> Self {
        let t = fold_width(text);
        if t.is_empty() {
            return Target::Absent;
        }
        if let Some(day) = parse_day(&t, year) {
            return Target::Deadline(day);
        }
        if layout.words.on_time.found_in(&t).is_some() && t.chars().count() <= 6 {
            return Target::OnTime;
        }
        let (direction, rest) = split_operator(&t, layout);
        if direction.is_none()
            && let Some((lo, hi)) = parse_range(rest, layout)
        {
            return Target::Range { lo, hi };
        }
        match Quantity::parse(rest, layout) {
            Some(value) => {
                let inferred = direction.is_none();
                let direction = direction.unwrap_or(if cost {
                    Direction::AtMost
                } else {
                    Direction::AtLeast
                });
                Target::Numeric {
                    direction,
                    value,
                    inferred: inferred && cost,
                }
            }
            None => Target::Qualitative(t),
        }
    }
}

/// The operator words of a target, longest first, so `不低于` is not read as `低于`. A word
/// before the number and one after it may come together (`控制在8.9万元以内`,
/// `达到90%以上`); the word before decides.
fn split_operator<'t>(t: &'t str, layout: &Layout) -> (Option<Direction>, &'t str) {
    let words = layout.words.operators();
    let before = words.iter().find_map(|(word, op)| {
        t.strip_prefix(word.as_str())
            .map(|rest| (Direction::from(*op), rest))
    });
    let rest = before.map_or(t, |b| b.1);
    let after = words.iter().find_map(|(word, op)| {
        rest.strip_suffix(word.as_str())
            .filter(|r| !r.is_empty())
            .map(|r| (Direction::from(*op), r))
    });
    match (before, after) {
        (Some((dir, _)), Some((_, core))) => (Some(dir), core),
        // `在8.9万元以内`: a plain `在` before the number says nothing more.
        (None, Some((dir, core))) => (Some(dir), core.strip_prefix('在').unwrap_or(core)),
        (Some((dir, rest)), None) => (Some(dir), rest),
        (None, None) => (None, t),
    }
}

fn parse_range(t: &str, layout: &Layout) -> Option<(Quantity, Quantity)> {
    layout.words.range_sep.iter().find_map(|sep| {
        let (a, b) = t.split_once(sep)?;
        if a.is_empty() || b.is_empty() {
            return None;
        }
        let hi = Quantity::parse(b, layout)?;
        let lo = Quantity::parse(a, layout)?;
        // `90-95%`: the unit written once, after the upper bound.
        let lo = if lo.unit.is_none() && !hi.unit.is_none() {
            lo.with_unit(&hi.unit)
        } else {
            lo
        };
        (lo.unit.base == hi.unit.base && lo.base() <= hi.base()).then_some((lo, hi))
    })
}

/// `2023年底`, `2023年12月31日前`, `12月底前`, `2023年11月`, `2023-12-31`.
pub fn parse_day(text: &str, year: Option<i32>) -> Option<Day> {
    let t = text
        .trim_end_matches("完成")
        .trim_end_matches("之前")
        .trim_end_matches("以前")
        .trim_end_matches('前');
    let digits_then = |s: &str, unit: char| -> Option<(u32, usize)> {
        let end = s.find(|c: char| !c.is_ascii_digit())?;
        if end == 0 || !s[end..].starts_with(unit) {
            return None;
        }
        Some((s[..end].parse().ok()?, end + unit.len_utf8()))
    };
    let (y, rest) = match digits_then(t, '年') {
        Some((y, n)) if (1990..2200).contains(&y) => (Some(y as i32), &t[n..]),
        Some(_) => return None,
        None => (None, t),
    };
    let last_day = |y: i32, m: u32| match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if let Some(y) = y
        && (rest.is_empty() || rest == "底" || rest == "末" || rest == "度" || rest == "年底")
    {
        return Some(Day {
            year: y,
            month: 12,
            day: 31,
        });
    }
    let (m, rest) = digits_then(rest, '月').map(|(m, n)| (m, &rest[n..]))?;
    if !(1..=12).contains(&m) {
        return None;
    }
    let year = y.or(year)?;
    let day = match digits_then(rest, '日').or_else(|| digits_then(rest, '号')) {
        Some((d, n)) if rest[n..].is_empty() && (1..=last_day(year, m)).contains(&d) => d,
        Some(_) => return None,
        None if matches!(rest, "" | "底" | "末" | "份") => last_day(year, m),
        None => return None,
    };
    Some(Day {
        year,
        month: m,
        day,
    })
}

/// What the actual-value cell says.
#[derive(Debug, Clone, PartialEq)]
pub enum Actual {
    Absent,
    Number(Quantity),
    Day(Day),
    Text(String),
}

impl Actual {
    /// Parses an actual value; an operator copied from the target (`≥266米`) is dropped.
    pub fn parse(text: &str, year: Option<i32>, layout: &Layout) -> Self {
        let t = fold_width(text);
        if t.is_empty() || matches!(t.as_str(), "—" | "-" | "/" | "——") {
            return Actual::Absent;
        }
        if let Some(day) = parse_day(&t, year) {
            return Actual::Day(day);
        }
        let (_, rest) = split_operator(&t, layout);
        match Quantity::parse(rest, layout) {
            Some(q) => Actual::Number(q),
            None => Actual::Text(t),
        }
    }
}

/// Brings a target and an actual quantity to one dimension: a missing unit takes the other
/// side's; a bare number against a percentage is read as whichever of fraction or percent
/// lies nearer the target (a percent format lost in `.xls`). `None`: incompatible units.
pub fn align(target: &Quantity, actual: &Quantity) -> Option<(Quantity, Quantity)> {
    match (target.unit.is_none(), actual.unit.is_none()) {
        (false, false) => {
            (target.unit.base == actual.unit.base).then(|| (target.clone(), actual.clone()))
        }
        (true, true) => Some((target.clone(), actual.clone())),
        (false, true) => Some((target.clone(), adopt(actual, target))),
        (true, false) => Some((adopt(target, actual), actual.clone())),
    }
}

fn adopt(bare: &Quantity, other: &Quantity) -> Quantity {
    let as_unit = bare.with_unit(&other.unit);
    if other.unit.base != "%" {
        return as_unit;
    }
    let as_fraction = Quantity {
        shown: bare.shown,
        unit: Unit {
            written: String::new(),
            base: "%".into(),
            scale: Decimal::ONE,
        },
    };
    let distance = |q: &Quantity| log_distance(q.base(), other.base());
    match distance(&as_fraction).partial_cmp(&distance(&as_unit)) {
        Some(Ordering::Less) => as_fraction,
        _ => as_unit,
    }
}

/// How many times apart two positive numbers are, as a ratio ≥ 1.
pub(super) fn log_distance(a: Decimal, b: Decimal) -> Decimal {
    if a <= Decimal::ZERO || b <= Decimal::ZERO {
        return Decimal::MAX;
    }
    // checked: a tiny divisor would overflow, and "very far apart" is the right answer then.
    let r = if a > b {
        a.checked_div(b)
    } else {
        b.checked_div(a)
    };
    r.unwrap_or(Decimal::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn target(t: &str) -> Target {
        Target::parse(t, false, Some(2023), Layout::bundled())
    }

    #[test]
    fn reads_directions() {
        let l = Layout::bundled();
        for (text, dir) in [
            ("≥1000人次", Direction::AtLeast),
            (">=95%", Direction::AtLeast),
            ("不低于90%", Direction::AtLeast),
            ("90%以上", Direction::AtLeast),
            ("≤50万元", Direction::AtMost),
            ("不超过8.9万元", Direction::AtMost),
            ("控制在8.9万元以内", Direction::AtMost),
            ("达到90%以上", Direction::AtLeast),
            ("不超过8.9万元以内", Direction::AtMost),
            ("＝100%", Direction::Equal),
            ("1000人次", Direction::AtLeast),
        ] {
            assert_eq!(
                Target::parse(text, false, None, l).direction(),
                Some(dir),
                "{text}"
            );
        }
        match Target::parse("8.9万元", true, None, l) {
            Target::Numeric {
                direction,
                inferred,
                ..
            } => {
                assert_eq!(direction, Direction::AtMost);
                assert!(inferred);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn lookalike_operators_read_as_the_sign_they_stand_for() {
        let l = Layout::bundled();
        for (text, dir) in [
            ("≧1000人次", Direction::AtLeast),
            ("⩾95%", Direction::AtLeast),
            ("＞＝95%", Direction::AtLeast),
            ("> =95%", Direction::AtLeast),
            ("≮90%", Direction::AtLeast),
            ("不小于90%", Direction::AtLeast),
            ("≦50万元", Direction::AtMost),
            ("⩽50万元", Direction::AtMost),
            ("＜＝8.9万元", Direction::AtMost),
            ("≯5%", Direction::AtMost),
            ("不大于5%", Direction::AtMost),
            ("═100%", Direction::Equal),
            ("﹦100%", Direction::Equal),
            ("＝100%", Direction::Equal),
        ] {
            // Under a level-2 成本指标 too: a written operator is never replaced by the inferred one.
            for cost in [false, true] {
                match Target::parse(text, cost, None, l) {
                    Target::Numeric {
                        direction,
                        inferred,
                        ..
                    } => assert_eq!((direction, inferred), (dir, false), "{text}"),
                    other => panic!("{text}: {other:?}"),
                }
            }
        }
        match Target::parse("≦8.9万元", false, None, l) {
            Target::Numeric { value, .. } => assert_eq!(value.base(), d("89000")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(target("90%〜95%"), Target::Range { .. }));
        assert!(matches!(target("90%–95%"), Target::Range { .. }));
        match Actual::parse("≧266米", None, l) {
            Actual::Number(q) => assert_eq!(q.base(), d("266")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn words_on_both_sides_leave_the_quantity() {
        let l = Layout::bundled();
        for (text, want) in [
            ("控制在8.9万元以内", "8.9万元"),
            ("达到90%以上", "90%"),
            ("8.9万元以内", "8.9万元"),
            ("在8.9万元以内", "8.9万元"),
            ("≥1000人次", "1000人次"),
        ] {
            assert_eq!(split_operator(text, l).1, want, "{text}");
        }
        match Target::parse("控制在8.9万元以内", false, None, l) {
            Target::Numeric {
                direction, value, ..
            } => {
                assert_eq!(direction, Direction::AtMost);
                assert_eq!((value.base(), value.unit.base.as_str()), (d("89000"), "元"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_units() {
        let l = Layout::bundled();
        let q = Quantity::parse("8.83万", l).unwrap();
        assert_eq!(q.base(), d("88300"));
        assert_eq!(q.unit.base, "元");
        let q = Quantity::parse("1,850,000元", l).unwrap();
        assert_eq!(q.base(), d("1850000"));
        let q = Quantity::parse("95%", l).unwrap();
        assert_eq!(q.base(), d("0.95"));
        let q = Quantity::parse("1.2万人次", l).unwrap();
        assert_eq!((q.base(), q.unit.base.as_str()), (d("12000"), "人次"));
        assert!(Quantity::parse("完成", l).is_none());
        assert!(Quantity::parse("4次培训会议共计十场", l).is_none());
    }

    #[test]
    fn reads_ranges_deadlines_and_words() {
        match target("90%-95%") {
            Target::Range { lo, hi } => assert_eq!((lo.base(), hi.base()), (d("0.9"), d("0.95"))),
            other => panic!("{other:?}"),
        }
        assert!(matches!(target("90%～95%"), Target::Range { .. }));
        assert!(matches!(target("90-95%"), Target::Range { .. }));
        let end = Day {
            year: 2023,
            month: 12,
            day: 31,
        };
        assert_eq!(target("2023年底"), Target::Deadline(end));
        assert_eq!(target("2023年12月31日前"), Target::Deadline(end));
        assert_eq!(target("12月底前"), Target::Deadline(end));
        assert_eq!(target("按时"), Target::OnTime);
        assert_eq!(target("有效推进"), Target::Qualitative("有效推进".into()));
        assert_eq!(
            parse_day("2023年11月", None),
            Some(Day {
                year: 2023,
                month: 11,
                day: 30
            })
        );
        assert_eq!(
            parse_day("2024年2月", None),
            Some(Day {
                year: 2024,
                month: 2,
                day: 29
            })
        );
        assert_eq!(parse_day("2023年13月", None), None);
    }

    #[test]
    fn actual_drops_a_copied_operator() {
        let a = Actual::parse("≥266米", None, Layout::bundled());
        match a {
            Actual::Number(q) => assert_eq!((q.base(), q.unit.base.as_str()), (d("266"), "米")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_bare_number_takes_the_nearer_reading_against_a_percentage() {
        let l = Layout::bundled();
        let t = Quantity::parse("95%", l).unwrap();
        let (_, a) = align(&t, &Quantity::parse("0.92", l).unwrap()).unwrap();
        assert_eq!(a.base(), d("0.92"));
        let (_, a) = align(&t, &Quantity::parse("92", l).unwrap()).unwrap();
        assert_eq!(a.base(), d("0.92"));
        assert!(
            align(
                &Quantity::parse("5人", l).unwrap(),
                &Quantity::parse("5人次", l).unwrap()
            )
            .is_none()
        );
    }
}
