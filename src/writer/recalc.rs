//! Recalculating a corrected cell's formula, to tell whether the formula may stay.
//!
//! SPEC §6: a correct formula stays a formula in the corrected copy, its cached value updated,
//! so that it goes on recalculating from the cells the copy corrects; a formula is replaced by
//! the value only where the formula itself is wrong. "Correct" is decided here, by evaluating
//! the formula over the copy's cells (the values read, each corrected cell holding its new
//! value) and comparing the result, as the cell shows it, with the cell's new value.
//!
//! Only the arithmetic of score forms is understood: numbers, percentages, references to
//! cells of the same sheet (`H29`, `$H$29`) and ranges of them, `+ - * /`, signs,
//! parentheses, and `SUM`, `MIN`, `MAX`, `AVERAGE`, `ROUND`. Anything else — another sheet,
//! a name, text, a comparison, any other function — is "cannot tell", and the formula is
//! replaced and quoted, as a wrong one is: a quoted formula can be restored by hand, while a
//! kept wrong one would show a number that the note does not.
//!
//! All arithmetic is exact ([`Decimal`], checked: an overflow is "cannot tell" too), and the
//! one rounding is [`round_half_away`], as everywhere in the crate.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::{LAST_COL, LAST_ROW, NewValue};
use crate::cell::Pos;
use crate::number::round_half_away;
use crate::reader::{RawSheet, RawValue};

/// What becomes of the formula of a cell that takes a new value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormulaFate {
    /// The value replaces the formula (wrong, or not understood), and the note quotes it; also
    /// the fate of a cell that holds no formula.
    Replaced,
    /// The formula recalculates to the new value from the corrected cells: it stays, and only
    /// its cached value becomes the new value.
    Kept,
}

/// A cell as a formula sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    Blank,
    Number(Decimal),
    /// Text or a logical value: skipped where a range is summed, and not taken as a number on
    /// its own (Excel converts some text, by locale rules not guessed at here).
    Text,
    /// An error value, or a cell whose value is not known: nothing computed from it is known.
    Unknown,
}

impl Seen {
    fn of_new(value: &NewValue) -> Self {
        match value {
            NewValue::Number { value, .. } => Self::Number(*value),
            NewValue::Percent { fraction, .. } => Self::Number(*fraction),
            NewValue::Text(_) => Self::Text,
        }
    }

    fn of_raw(value: &RawValue) -> Self {
        match value {
            RawValue::Empty => Self::Blank,
            // A percentage is read as its fraction, which is what the cell stores.
            RawValue::Number(shown) => Self::Number(shown.value),
            // A date is its serial number to a formula.
            RawValue::Date(serial) => Self::Number(*serial),
            RawValue::Text(_) | RawValue::Bool(_) => Self::Text,
            RawValue::Error(_) => Self::Unknown,
        }
    }
}

/// The cells of one sheet of the corrected copy: the new value of each cell that takes one
/// (`new_value`), the value read elsewhere. Without the sheet's values (`sheet` is `None`)
/// every other cell is unknown.
///
/// A value read is the value as its cell shows it (the reader keeps no hidden digits), and a
/// formula cell that is not corrected reads as its cached result.
pub fn corrected<'a>(
    sheet: Option<&'a RawSheet>,
    new_value: impl Fn(Pos) -> Option<&'a NewValue> + 'a,
) -> impl Fn(Pos) -> Seen + 'a {
    move |pos| match new_value(pos) {
        Some(value) => Seen::of_new(value),
        // A merged-away cell holds nothing of its own, as a formula reading it finds.
        None => sheet.map_or(Seen::Unknown, |s| Seen::of_raw(&s.own(pos).value)),
    }
}

/// Whether the cell at `at`, holding `formula` and taking `value`, keeps its formula: the
/// formula, recalculated over `cells`, shows `value` at the decimals the value is shown with.
pub fn fate(formula: &str, at: Pos, value: &NewValue, cells: &dyn Fn(Pos) -> Seen) -> FormulaFate {
    let (target, places) = match value {
        NewValue::Number { value, decimals } => (*value, *decimals),
        NewValue::Percent { fraction, decimals } => (*fraction, decimals + 2),
        // No formula this evaluator follows yields a grade.
        NewValue::Text(_) => return FormulaFate::Replaced,
    };
    // A formula that reads its own cell is circular: no spreadsheet computes it.
    let others = |pos: Pos| match pos == at {
        true => Seen::Unknown,
        false => cells(pos),
    };
    let shows =
        |result: Decimal| round_half_away(result, places) == round_half_away(target, places);
    match evaluate(formula, &others) {
        Some(result) if shows(result) => FormulaFate::Kept,
        _ => FormulaFate::Replaced,
    }
}

/// Cells one formula may read in all: a form's ranges hold a few dozen, and a range over a
/// whole sheet in a crafted file must not cost billions of lookups.
const MAX_CELLS: u64 = 100_000;

/// Parentheses, calls and signs nested at most: the parser recurses once per level, and a
/// crafted formula must not exhaust the stack.
const MAX_DEPTH: u32 = 64;

/// The value of `formula` (with or without its leading `=`) over `cells`; `None` when it
/// cannot be told.
pub fn evaluate(formula: &str, cells: &dyn Fn(Pos) -> Seen) -> Option<Decimal> {
    let text = formula.trim();
    let text = text.strip_prefix('=').unwrap_or(text);
    let mut parser = Parser {
        s: text.as_bytes(),
        at: 0,
        depth: 0,
        read: 0,
        cells,
    };
    let result = parser.expr()?;
    parser.skip_spaces();
    if parser.at != parser.s.len() {
        return None;
    }
    parser.value(result)
}

/// What an operand is before an operator or a function takes it: a reference stays one until
/// then, because `SUM(H5)` skips a text H5 where `H5+1` cannot.
enum Operand {
    Number(Decimal),
    /// Top-left and bottom-right cells, inclusive.
    Area(Pos, Pos),
}

/// A recursive-descent parser that evaluates as it goes, by Excel's precedence: signs, then
/// `%`, then `* /`, then `+ -`.
struct Parser<'a> {
    s: &'a [u8],
    at: usize,
    depth: u32,
    /// Cells read so far, against [`MAX_CELLS`].
    read: u64,
    cells: &'a dyn Fn(Pos) -> Seen,
}

impl<'a> Parser<'a> {
    fn skip_spaces(&mut self) {
        while self.s.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    /// The next byte after spaces, not taken.
    fn peek(&mut self) -> Option<u8> {
        self.skip_spaces();
        self.s.get(self.at).copied()
    }

    fn deeper(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    fn expr(&mut self) -> Option<Operand> {
        let mut acc = self.term()?;
        while let Some(op @ (b'+' | b'-')) = self.peek() {
            self.at += 1;
            let a = self.value(acc)?;
            let b = self.term()?;
            let b = self.value(b)?;
            acc = Operand::Number(match op {
                b'+' => a.checked_add(b)?,
                _ => a.checked_sub(b)?,
            });
        }
        Some(acc)
    }

    fn term(&mut self) -> Option<Operand> {
        let mut acc = self.signed()?;
        while let Some(op @ (b'*' | b'/')) = self.peek() {
            self.at += 1;
            let a = self.value(acc)?;
            let b = self.signed()?;
            let b = self.value(b)?;
            acc = Operand::Number(match op {
                b'*' => a.checked_mul(b)?,
                // `checked_div` is `None` for a zero divisor: Excel's #DIV/0!.
                _ => a.checked_div(b)?,
            });
        }
        Some(acc)
    }

    fn signed(&mut self) -> Option<Operand> {
        match self.peek() {
            Some(sign @ (b'-' | b'+')) => {
                self.at += 1;
                self.deeper()?;
                let inner = self.signed()?;
                self.depth -= 1;
                let v = self.value(inner)?;
                Some(Operand::Number(if sign == b'-' { -v } else { v }))
            }
            _ => self.percent(),
        }
    }

    fn percent(&mut self) -> Option<Operand> {
        let mut v = self.primary()?;
        while self.peek() == Some(b'%') {
            self.at += 1;
            v = Operand::Number(self.value(v)?.checked_div(Decimal::ONE_HUNDRED)?);
        }
        Some(v)
    }

    fn primary(&mut self) -> Option<Operand> {
        match self.peek()? {
            b'(' => {
                self.at += 1;
                self.deeper()?;
                // A parenthesised reference is still a reference: `SUM((H5))` is `SUM(H5)`.
                let inner = self.expr()?;
                self.close()?;
                self.depth -= 1;
                Some(inner)
            }
            b'0'..=b'9' | b'.' => self.number().map(Operand::Number),
            c if c.is_ascii_alphabetic() || c == b'$' => {
                let name = self.word();
                match self.s.get(self.at) {
                    Some(b'(') => {
                        self.at += 1;
                        self.call(name)
                    }
                    Some(b':') => {
                        self.at += 1;
                        let first = cell_ref(name)?;
                        let last = cell_ref(self.word())?;
                        let top_left = Pos::new(first.row.min(last.row), first.col.min(last.col));
                        let bottom_right =
                            Pos::new(first.row.max(last.row), first.col.max(last.col));
                        Some(Operand::Area(top_left, bottom_right))
                    }
                    // Another sheet's cell: not followed.
                    Some(b'!') => None,
                    // A name or `TRUE` is no cell.
                    _ => cell_ref(name).map(|p| Operand::Area(p, p)),
                }
            }
            _ => None,
        }
    }

    fn close(&mut self) -> Option<()> {
        (self.peek()? == b')').then(|| self.at += 1)
    }

    /// A run of the characters of names and references, as written.
    fn word(&mut self) -> &'a [u8] {
        let start = self.at;
        while self
            .s
            .get(self.at)
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'$' | b'_' | b'.'))
        {
            self.at += 1;
        }
        &self.s[start..self.at]
    }

    /// `12`, `1.5`, `.5`, `1.5E+3`.
    fn number(&mut self) -> Option<Decimal> {
        let start = self.at;
        let digits = |p: &mut Self| {
            while p.s.get(p.at).is_some_and(u8::is_ascii_digit) {
                p.at += 1;
            }
        };
        digits(self);
        if self.s.get(self.at) == Some(&b'.') {
            self.at += 1;
            digits(self);
        }
        let mantissa_end = self.at;
        if matches!(self.s.get(self.at), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.s.get(self.at), Some(b'+' | b'-')) {
                self.at += 1;
            }
            digits(self);
        }
        let text = std::str::from_utf8(&self.s[start..self.at]).ok()?;
        match mantissa_end == self.at {
            true => text.parse().ok(),
            false => Decimal::from_scientific(text).ok(),
        }
    }

    /// The function `name` applied to its arguments, which follow its `(`.
    fn call(&mut self, name: &[u8]) -> Option<Operand> {
        self.deeper()?;
        let mut args = Vec::new();
        if self.peek() == Some(b')') {
            self.at += 1;
        } else {
            loop {
                args.push(self.expr()?);
                match self.peek()? {
                    b',' => self.at += 1,
                    b')' => {
                        self.at += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        let name = name.to_ascii_uppercase();
        let result = match name.as_slice() {
            b"ROUND" => {
                let [x, places] = <[Operand; 2]>::try_from(args).ok()?;
                let (x, places) = (self.value(x)?, self.value(places)?);
                round_to(x, places.trunc().to_i64()?)?
            }
            b"SUM" | b"MIN" | b"MAX" | b"AVERAGE" if !args.is_empty() => {
                let numbers = self.numbers(args)?;
                match name.as_slice() {
                    b"SUM" => sum(&numbers)?,
                    // Excel gives 0 for the MIN and MAX of no numbers at all.
                    b"MIN" => numbers.iter().copied().min().unwrap_or_default(),
                    b"MAX" => numbers.iter().copied().max().unwrap_or_default(),
                    _ => sum(&numbers)?.checked_div(Decimal::from(numbers.len()))?,
                }
            }
            _ => return None,
        };
        Some(Operand::Number(result))
    }

    /// The numbers that `SUM` and the like take from their arguments: every number given, and
    /// the number cells of each reference (blank and text cells skipped, an error spoiling all).
    fn numbers(&mut self, args: Vec<Operand>) -> Option<Vec<Decimal>> {
        let mut out = Vec::new();
        for arg in args {
            let (first, last) = match arg {
                Operand::Number(n) => {
                    out.push(n);
                    continue;
                }
                Operand::Area(first, last) => (first, last),
            };
            let size = u64::from(last.row - first.row + 1) * u64::from(last.col - first.col + 1);
            self.read = self.read.saturating_add(size);
            if self.read > MAX_CELLS {
                return None;
            }
            for row in first.row..=last.row {
                for col in first.col..=last.col {
                    match (self.cells)(Pos::new(row, col)) {
                        Seen::Number(n) => out.push(n),
                        Seen::Blank | Seen::Text => {}
                        Seen::Unknown => return None,
                    }
                }
            }
        }
        Some(out)
    }

    /// An operand as a number: a reference must be to one cell, blank (0) or a number.
    fn value(&mut self, operand: Operand) -> Option<Decimal> {
        match operand {
            Operand::Number(n) => Some(n),
            Operand::Area(first, last) if first == last => {
                self.read += 1;
                match (self.cells)(first) {
                    Seen::Blank => Some(Decimal::ZERO),
                    Seen::Number(n) => Some(n),
                    Seen::Text | Seen::Unknown => None,
                }
            }
            // A range where a number is wanted (Excel's implicit intersection): not followed.
            Operand::Area(..) => None,
        }
    }
}

fn sum(numbers: &[Decimal]) -> Option<Decimal> {
    numbers
        .iter()
        .try_fold(Decimal::ZERO, |acc, n| acc.checked_add(*n))
}

/// `ROUND(x, places)`: half away from zero, to tens and hundreds where `places` is negative.
fn round_to(x: Decimal, places: i64) -> Option<Decimal> {
    if let Ok(places) = u32::try_from(places) {
        // Past 28 places a Decimal holds no more digits to round.
        return Some(round_half_away(x, places.min(28)));
    }
    let mut unit = Decimal::ONE;
    for _ in 0..places.checked_neg()?.min(29) {
        unit = unit.checked_mul(Decimal::TEN)?;
    }
    round_half_away(x.checked_div(unit)?, 0).checked_mul(unit)
}

/// `H29`, `$H$29`, `h29` as a position; `None` for anything else (a name, a whole column).
fn cell_ref(word: &[u8]) -> Option<Pos> {
    let word = word.strip_prefix(b"$").unwrap_or(word);
    let letters = word.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    if !(1..=3).contains(&letters) {
        return None;
    }
    let (col, rest) = word.split_at(letters);
    let rest = rest.strip_prefix(b"$").unwrap_or(rest);
    if rest.is_empty() || rest.len() > 7 || !rest.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let col = col.iter().fold(0u32, |n, c| {
        n * 26 + u32::from(c.to_ascii_uppercase() - b'A') + 1
    });
    let row: u32 = std::str::from_utf8(rest).ok()?.parse().ok()?;
    let inside = (1..=LAST_COL + 1).contains(&col) && (1..=LAST_ROW + 1).contains(&row);
    inside.then(|| Pos::new(row - 1, col - 1))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("test decimal")
    }

    fn at(a1: &str) -> Pos {
        Pos::parse_a1(a1).expect("test cell")
    }

    /// A grid from `A1=value` pairs; `"t"` is a text cell, `"e"` an error, other cells blank.
    fn grid(cells: &[(&str, &str)]) -> impl Fn(Pos) -> Seen {
        let map: BTreeMap<Pos, Seen> = cells
            .iter()
            .map(|(a1, v)| {
                let seen = match *v {
                    "t" => Seen::Text,
                    "e" => Seen::Unknown,
                    n => Seen::Number(d(n)),
                };
                (at(a1), seen)
            })
            .collect();
        move |pos| map.get(&pos).cloned().unwrap_or(Seen::Blank)
    }

    fn eval(formula: &str, cells: &[(&str, &str)]) -> Option<String> {
        evaluate(formula, &grid(cells)).map(|v| v.normalize().to_string())
    }

    #[test]
    fn computes_the_arithmetic_of_score_forms() {
        let cells = [("F11", "120"), ("G11", "113.4"), ("H11", "10")];
        assert_eq!(eval("1+2*3", &[]).as_deref(), Some("7"));
        assert_eq!(eval("=(1+2)*3", &[]).as_deref(), Some("9"));
        assert_eq!(eval("10-4-3", &[]).as_deref(), Some("3"));
        assert_eq!(eval("8/4/2", &[]).as_deref(), Some("1"));
        assert_eq!(eval("-2*-3", &[]).as_deref(), Some("6"));
        assert_eq!(eval("--1+ +2", &[]).as_deref(), Some("3"));
        assert_eq!(eval("50%*H11", &cells).as_deref(), Some("5"));
        assert_eq!(eval("1.5E+2+.5", &[]).as_deref(), Some("150.5"));
        // Exact decimals, no float residue.
        assert_eq!(eval("0.1+0.2", &[]).as_deref(), Some("0.3"));
        assert_eq!(eval("G11/F11", &cells).as_deref(), Some("0.945"));
        assert_eq!(
            eval("ROUND(G11/F11*H11, 2)", &cells).as_deref(),
            Some("9.45")
        );
        assert_eq!(eval(" $G$11 / G$11 * $H11 ", &cells).as_deref(), Some("10"));
        assert_eq!(eval("g11-h11", &cells).as_deref(), Some("103.4"));
    }

    #[test]
    fn sums_ranges_as_a_spreadsheet_does() {
        let cells = [
            ("H5", "9.97"),
            ("H11", "2"),
            ("H12", "t"),
            ("H13", "8"),
            ("I11", "1"),
        ];
        // H12 holds text and H14.. are blank: skipped in a range.
        let total = "H5+SUM(H11:H37)";
        assert_eq!(eval(total, &cells).as_deref(), Some("19.97"));
        assert_eq!(eval("SUM(H13:H11,5)", &cells).as_deref(), Some("15"));
        assert_eq!(eval("SUM(H11:I12)", &cells).as_deref(), Some("3"));
        assert_eq!(eval("sum((H11),H12)", &cells).as_deref(), Some("2"));
        assert_eq!(eval("MIN(H11:H13)", &cells).as_deref(), Some("2"));
        assert_eq!(eval("MAX(H11:H13,9)", &cells).as_deref(), Some("9"));
        assert_eq!(eval("MAX(H20:H30)", &cells).as_deref(), Some("0"));
        assert_eq!(eval("AVERAGE(H11:H13)", &cells).as_deref(), Some("5"));
        // A blank cell is 0 on its own; a text cell is not a number.
        assert_eq!(eval("H20+1", &cells).as_deref(), Some("1"));
        assert_eq!(eval("H12+1", &cells), None);
    }

    #[test]
    fn rounds_half_away_from_zero_at_any_place() {
        assert_eq!(eval("ROUND(2.345,2)", &[]).as_deref(), Some("2.35"));
        assert_eq!(eval("ROUND(-2.345,2)", &[]).as_deref(), Some("-2.35"));
        assert_eq!(eval("ROUND(2.5,0.9)", &[]).as_deref(), Some("3"));
        assert_eq!(eval("ROUND(1250,-2)", &[]).as_deref(), Some("1300"));
        assert_eq!(eval("ROUND(1.5,40)", &[]).as_deref(), Some("1.5"));
        assert_eq!(eval("ROUND(1.5)", &[]), None);
    }

    #[test]
    fn cannot_tell_what_it_does_not_understand() {
        let cells = [("A1", "1"), ("A2", "e")];
        for formula in [
            "",
            "Sheet2!A1",
            "'自评表'!A1",
            "IF(A1>0,1,2)",
            "A1>0",
            "\"1\"+1",
            "A1&A1",
            "2^2",
            "TRUE+1",
            "total",
            "A:A",
            "SUM(A:A)",
            "SUM()",
            "AVERAGE(B1:B9)",
            "A1:A3+1",
            "A2+1",
            "SUM(A1:A2)",
            "1/0",
            "1/(A1-1)",
            "(1+2",
            "1+2)",
            "1 2",
            "SUM(A1,)",
            "A1048577",
            "XFE1",
            "79228162514264337593543950335*10",
            "1E+4294967296",
            "1E+99",
            "1E",
            ".",
        ] {
            assert_eq!(eval(formula, &cells), None, "{formula}");
        }
    }

    #[test]
    fn a_crafted_formula_costs_little_and_cannot_overflow_the_stack() {
        let deep = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
        assert_eq!(eval(&deep, &[]), None);
        let signs = format!("{}1", "-".repeat(10_000));
        assert_eq!(eval(&signs, &[]), None);
        let calls = format!("{}1{}", "SUM(".repeat(10_000), ")".repeat(10_000));
        assert_eq!(eval(&calls, &[]), None);
        assert_eq!(
            eval(&format!("{}1{}", "(".repeat(60), ")".repeat(60)), &[]).as_deref(),
            Some("1")
        );
        assert_eq!(eval("SUM(A1:XFD1048576)", &[]), None);
        assert_eq!(eval("SUM(A1:A60000)+SUM(B1:B60000)", &[]), None);
        assert_eq!(eval("SUM(A1:A60000)", &[]).as_deref(), Some("0"));
    }

    #[test]
    fn no_formula_makes_it_panic() {
        // Random formulas from the characters that matter to the parser, over cells of every
        // kind: the answer may be anything, but an answer it must be.
        let alphabet = b"0123456789.eE+-*/%()$:,!AHSUMINRDVXGOL \"^&<>='";
        let cells = [
            ("A1", "1"),
            ("A2", "t"),
            ("A3", "e"),
            ("H1", "0"),
            ("H2", "-7.5"),
        ];
        let cells = grid(&cells);
        let mut state: u64 = 0x5EED;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize
        };
        for _ in 0..20_000 {
            let len = next() % 24;
            let text: String = (0..len)
                .map(|_| char::from(alphabet[next() % alphabet.len()]))
                .collect();
            let _ = evaluate(&text, &cells);
        }
        for text in [
            "1E-99999",
            "1E+28*1E+28",
            "ROUND(1,-99)",
            "ROUND(1E+28,-28)",
        ] {
            let _ = evaluate(text, &cells);
        }
    }

    fn number(value: &str, decimals: u32) -> NewValue {
        NewValue::Number {
            value: d(value),
            decimals,
        }
    }

    #[test]
    fn a_formula_stays_where_it_shows_the_new_value() {
        let cells = grid(&[("H5", "9.97"), ("H11", "88"), ("H29", "2")]);
        let total = at("H38");
        let judge = |f: &str, v: &NewValue| fate(f, total, v, &cells);
        assert_eq!(
            judge("H5+SUM(H11:H37)", &number("99.97", 2)),
            FormulaFate::Kept
        );
        assert_eq!(
            judge("SUM(H11:H36)", &number("99.97", 2)),
            FormulaFate::Replaced
        );
        // Compared as shown: 99.9666… shows as 99.97.
        assert_eq!(
            judge("H5+SUM(H11:H37)-1/300", &number("99.97", 2)),
            FormulaFate::Kept
        );
        assert_eq!(
            judge("H5+SUM(H11:H37)-0.01", &number("99.97", 2)),
            FormulaFate::Replaced
        );
        // A percentage's decimals count its percent places.
        let rate = NewValue::Percent {
            fraction: d("0.9973"),
            decimals: 2,
        };
        assert_eq!(judge("H29/2.00536", &rate), FormulaFate::Kept);
        assert_eq!(judge("H29/2.1", &rate), FormulaFate::Replaced);
        // Circular, text and not understood: replaced.
        assert_eq!(judge("H38+0", &number("0", 0)), FormulaFate::Replaced);
        assert_eq!(
            judge("\"优\"", &NewValue::Text("优".into())),
            FormulaFate::Replaced
        );
        assert_eq!(
            judge("IF(H5>9,99.97,0)", &number("99.97", 2)),
            FormulaFate::Replaced
        );
    }

    #[test]
    fn the_corrected_sheet_holds_each_new_value() {
        let mut sheet = RawSheet::new("表", 40, 10);
        let put = |s: &mut RawSheet, a1: &str, value: RawValue| {
            s.set(
                at(a1),
                crate::reader::RawCell {
                    value,
                    formula: None,
                },
            );
        };
        let shown = |v: &str| RawValue::Number(crate::number::Shown::plain(d(v), 2));
        put(&mut sheet, "H5", shown("9.97"));
        put(&mut sheet, "H29", shown("1.98"));
        put(&mut sheet, "H30", RawValue::Text("2".into()));
        put(&mut sheet, "H31", RawValue::Error("#N/A".into()));
        let new = BTreeMap::from([(at("H29"), number("2.00", 2))]);
        let cells = corrected(Some(&sheet), |p| new.get(&p));
        assert_eq!(cells(at("H5")), Seen::Number(d("9.97")));
        assert_eq!(cells(at("H29")), Seen::Number(d("2")));
        assert_eq!(cells(at("H30")), Seen::Text);
        assert_eq!(cells(at("H31")), Seen::Unknown);
        assert_eq!(cells(at("H32")), Seen::Blank);
        let unknown = corrected(None, |p| new.get(&p));
        assert_eq!(unknown(at("H5")), Seen::Unknown);
        assert_eq!(unknown(at("H29")), Seen::Number(d("2")));
    }
}
