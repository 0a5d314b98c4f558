//! Moving a formula to another cell, as Excel does when it fills one down or across.
//!
//! Needed for shared formulas: the cells of a filled-down range store only a pointer to the
//! first cell's formula. When the patch overwrites that first cell, the other cells get their
//! own copy of the formula, with relative references shifted by their distance from it.

use crate::cell::col_letters;
use crate::writer::{LAST_COL, LAST_ROW};

/// Rows and columns counted from 1, as references write them.
const MAX_ROW: i64 = LAST_ROW as i64 + 1;
const MAX_COL: i64 = LAST_COL as i64 + 1;

/// `formula` as written in a cell `rows` below and `cols` right of the cell it was written
/// for. References that fall off the sheet become `#REF!`.
pub fn shift(formula: &str, rows: i64, cols: i64) -> String {
    let chars: Vec<char> = formula.chars().collect();
    let mut out = String::with_capacity(formula.len());
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            // String literals and quoted sheet names are copied as they are.
            '"' | '\'' => {
                let end = quoted_end(&chars, i, c);
                out.extend(&chars[i..end]);
                i = end;
            }
            // Structured references and external-book indices.
            '[' => {
                let end = bracket_end(&chars, i);
                out.extend(&chars[i..end]);
                i = end;
            }
            c if is_token_char(c) => {
                let end = token_end(&chars, i);
                let token: String = chars[i..end].iter().collect();
                let next = chars.get(end).copied();
                // A range `A:B` or `1:3` only makes sense as a pair, so look at both sides.
                if next == Some(':') && chars.get(end + 1).is_some_and(|&c| is_token_char(c)) {
                    let end2 = token_end(&chars, end + 1);
                    let second: String = chars[end + 1..end2].iter().collect();
                    let follows = chars.get(end2).copied();
                    if !matches!(follows, Some('(' | '!'))
                        && let Some(pair) = shift_range(&token, &second, rows, cols)
                    {
                        out.push_str(&pair);
                        i = end2;
                        continue;
                    }
                }
                if matches!(next, Some('(' | '!')) {
                    // A function name or an unquoted sheet name.
                    out.push_str(&token);
                } else {
                    out.push_str(&shift_cell(&token, rows, cols).unwrap_or(token));
                }
                i = end;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

fn is_token_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '$' | '_' | '.' | '\\')
}

fn token_end(chars: &[char], start: usize) -> usize {
    let mut end = start;
    while chars.get(end).is_some_and(|&c| is_token_char(c)) {
        end += 1;
    }
    end
}

/// The index after a literal opened by `quote` at `start`; a doubled quote is an escaped one.
fn quoted_end(chars: &[char], start: usize, quote: char) -> usize {
    let mut i = start + 1;
    while let Some(&c) = chars.get(i) {
        i += 1;
        if c == quote {
            if chars.get(i) == Some(&quote) {
                i += 1;
            } else {
                return i;
            }
        }
    }
    i
}

fn bracket_end(chars: &[char], start: usize) -> usize {
    let mut depth = 0usize;
    let mut i = start;
    while let Some(&c) = chars.get(i) {
        i += 1;
        match c {
            '[' => depth += 1,
            ']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    i
}

/// One side of a reference: optional `$`, then letters for a column or digits for a row.
struct Part {
    absolute: bool,
    value: i64,
}

fn split_col(s: &str) -> Option<(Part, &str)> {
    let (absolute, rest) = match s.strip_prefix('$') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let len = rest.chars().take_while(|c| c.is_ascii_alphabetic()).count();
    if len == 0 || len > 3 {
        return None;
    }
    let value = rest[..len].chars().fold(0i64, |n, c| {
        n * 26 + (c.to_ascii_uppercase() as i64 - 'A' as i64 + 1)
    });
    (value <= MAX_COL).then_some((Part { absolute, value }, &rest[len..]))
}

fn split_row(s: &str) -> Option<Part> {
    let (absolute, rest) = match s.strip_prefix('$') {
        Some(r) => (true, r),
        None => (false, s),
    };
    if rest.is_empty() || rest.len() > 7 || !rest.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let value: i64 = rest.parse().ok()?;
    (1..=MAX_ROW)
        .contains(&value)
        .then_some(Part { absolute, value })
}

fn moved(part: &Part, by: i64, max: i64) -> Option<i64> {
    let v = if part.absolute {
        part.value
    } else {
        part.value + by
    };
    (1..=max).contains(&v).then_some(v)
}

fn col_text(part: &Part, by: i64) -> Option<String> {
    let v = moved(part, by, MAX_COL)?;
    let dollar = if part.absolute { "$" } else { "" };
    Some(format!(
        "{dollar}{}",
        col_letters(u32::try_from(v - 1).ok()?)
    ))
}

fn row_text(part: &Part, by: i64) -> Option<String> {
    let v = moved(part, by, MAX_ROW)?;
    let dollar = if part.absolute { "$" } else { "" };
    Some(format!("{dollar}{v}"))
}

/// `Some` when `token` is a cell reference (`B2`, `$B$2`).
fn shift_cell(token: &str, rows: i64, cols: i64) -> Option<String> {
    let (col, rest) = split_col(token)?;
    let row = split_row(rest)?;
    match (col_text(&col, cols), row_text(&row, rows)) {
        (Some(c), Some(r)) => Some(format!("{c}{r}")),
        _ => Some("#REF!".to_string()),
    }
}

/// `Some` when `a:b` is a range of cells, whole columns or whole rows.
fn shift_range(a: &str, b: &str, rows: i64, cols: i64) -> Option<String> {
    if let (Some(x), Some(y)) = (shift_cell(a, rows, cols), shift_cell(b, rows, cols)) {
        return Some(join_range(x, y));
    }
    let whole_col = |s: &str| {
        split_col(s)
            .filter(|(_, rest)| rest.is_empty())
            .map(|(p, _)| p)
    };
    if let (Some(x), Some(y)) = (whole_col(a), whole_col(b)) {
        return Some(join_range_opt(col_text(&x, cols), col_text(&y, cols)));
    }
    if let (Some(x), Some(y)) = (split_row(a), split_row(b)) {
        return Some(join_range_opt(row_text(&x, rows), row_text(&y, rows)));
    }
    None
}

fn join_range(a: String, b: String) -> String {
    if a == "#REF!" || b == "#REF!" {
        "#REF!".to_string()
    } else {
        format!("{a}:{b}")
    }
}

fn join_range_opt(a: Option<String>, b: Option<String>) -> String {
    match (a, b) {
        (Some(a), Some(b)) => format!("{a}:{b}"),
        _ => "#REF!".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::shift;

    #[test]
    fn shifts_relative_references_only() {
        assert_eq!(shift("G11/F11*10", 2, 0), "G13/F13*10");
        assert_eq!(shift("$G$11+G$11+$G11", 1, 1), "$G$11+H$11+$G12");
        assert_eq!(shift("SUM(H11:H30)", 0, 1), "SUM(I11:I30)");
        assert_eq!(shift("SUM(A:A)+SUM(3:4)", 1, 1), "SUM(B:B)+SUM(4:5)");
    }

    #[test]
    fn leaves_names_strings_and_sheets_alone() {
        assert_eq!(
            shift("IF(A1>0,\"A1\",LOG10(A1))", 1, 0),
            "IF(A2>0,\"A1\",LOG10(A2))"
        );
        assert_eq!(
            shift("'自评表'!H29+Sheet1!B2", 1, 0),
            "'自评表'!H30+Sheet1!B3"
        );
        assert_eq!(shift("'It''s A1'!A1", 1, 0), "'It''s A1'!A2");
        assert_eq!(shift("Table1[Col A1]+TRUE", 1, 0), "Table1[Col A1]+TRUE");
        assert_eq!(shift("1.5E+3*A1", 1, 0), "1.5E+3*A2");
    }

    #[test]
    fn references_off_the_sheet_become_ref_errors() {
        assert_eq!(shift("XFD1", 0, 1), "#REF!");
        assert_eq!(shift("A1048576+1", 1, 0), "#REF!+1");
    }
}
