//! Where a value came from: a sheet and an A1 cell, shown as `自评表!H29`.

use std::fmt;
use std::sync::Arc;

use serde::{Serialize, Serializer};

/// A cell position, 0-based internally, A1 when shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pos {
    pub row: u32,
    pub col: u32,
}

impl Pos {
    pub const fn new(row: u32, col: u32) -> Self {
        Self { row, col }
    }

    /// `H29` for row 28, column 7.
    pub fn a1(self) -> String {
        self.to_string()
    }

    /// Parses `H29` (no sheet, no `$`).
    pub fn parse_a1(s: &str) -> Option<Self> {
        Self::parse_a1_bytes(s.as_bytes())
    }

    /// [`Pos::parse_a1`] on bytes, as a sheet's XML holds the address.
    pub fn parse_a1_bytes(s: &[u8]) -> Option<Self> {
        let split = s.iter().position(u8::is_ascii_digit)?;
        let (letters, digits) = s.split_at(split);
        if letters.is_empty() {
            return None;
        }
        let mut col: u32 = 0;
        for &c in letters {
            if !c.is_ascii_uppercase() {
                return None;
            }
            col = col.checked_mul(26)?.checked_add(u32::from(c - b'A') + 1)?;
        }
        let mut row: u32 = 0;
        for &d in digits {
            if !d.is_ascii_digit() {
                return None;
            }
            row = row.checked_mul(10)?.checked_add(u32::from(d - b'0'))?;
        }
        (row >= 1).then(|| Self::new(row - 1, col - 1))
    }
}

/// Where a sheet's rows and cells stand, as its XML gives them: by their `r` attribute, or,
/// when that is missing or unreadable, right after the row or cell before (some producers
/// leave `r` out). The reader and the writer place cells by this one rule, so that the
/// writer corrects the cell the reader read.
#[derive(Debug, Default)]
pub struct Placement {
    row: u32,
    next_row: u32,
    next_col: u32,
}

impl Placement {
    /// The row a `<row>` with the attribute `r` starts.
    pub fn row(&mut self, r: Option<&[u8]>) -> u32 {
        let written = r
            .and_then(|r| std::str::from_utf8(r).ok())
            .and_then(|r| r.parse::<u32>().ok())
            .and_then(|r| r.checked_sub(1));
        self.row = written.unwrap_or(self.next_row);
        self.next_row = self.row.saturating_add(1);
        self.next_col = 0;
        self.row
    }

    /// Where a `<c>` with the attribute `r` stands.
    pub fn cell(&mut self, r: Option<&[u8]>) -> Pos {
        let pos = r
            .and_then(Pos::parse_a1_bytes)
            .unwrap_or(Pos::new(self.row, self.next_col));
        self.next_col = pos.col.saturating_add(1);
        pos
    }
}

/// Shown in A1 style, without allocating: addresses are written into every finding, note and
/// copied sheet.
impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut letters = Letters::new();
        f.write_str(letters.of(self.col))?;
        write!(f, "{}", u64::from(self.row) + 1)
    }
}

/// `A`, `Z`, `AA`… for a 0-based column.
pub fn col_letters(col: u32) -> String {
    Letters::new().of(col).to_string()
}

/// Room for a column's letters: `u32::MAX` takes seven.
struct Letters([u8; 7]);

impl Letters {
    fn new() -> Self {
        Self([0; 7])
    }

    fn of(&mut self, col: u32) -> &str {
        let mut n = u64::from(col) + 1;
        let mut start = self.0.len();
        while n > 0 {
            start -= 1;
            self.0[start] = b'A' + ((n - 1) % 26) as u8;
            n = (n - 1) / 26;
        }
        std::str::from_utf8(&self.0[start..]).unwrap_or_default()
    }
}

/// A cell of a named sheet. The sheet name is shared by every cell of the sheet.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CellRef {
    pub sheet: Arc<str>,
    pub pos: Pos,
}

impl CellRef {
    pub fn new(sheet: &Arc<str>, pos: Pos) -> Self {
        Self {
            sheet: Arc::clone(sheet),
            pos,
        }
    }

    pub fn a1(&self) -> String {
        self.pos.a1()
    }
}

impl fmt::Display for CellRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}!{}", self.sheet, self.pos)
    }
}

impl Serialize for CellRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a1_round_trips() {
        for (pos, a1) in [
            (Pos::new(28, 7), "H29"),
            (Pos::new(0, 0), "A1"),
            (Pos::new(9, 25), "Z10"),
            (Pos::new(0, 26), "AA1"),
            (Pos::new(99, 701), "ZZ100"),
            (Pos::new(0, 702), "AAA1"),
        ] {
            assert_eq!(pos.a1(), a1);
            assert_eq!(Pos::parse_a1(a1), Some(pos));
        }
        assert_eq!(Pos::new(u32::MAX, u32::MAX).a1(), "MWLQKWV4294967296");
        assert_eq!(Pos::parse_a1("h29"), None);
        assert_eq!(Pos::parse_a1("H0"), None);
        assert_eq!(Pos::parse_a1("29"), None);
    }

    #[test]
    fn shows_sheet_and_cell() {
        let sheet: Arc<str> = Arc::from("自评表");
        assert_eq!(
            CellRef::new(&sheet, Pos::new(28, 7)).to_string(),
            "自评表!H29"
        );
    }
}
