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
        format!("{}{}", col_letters(self.col), self.row + 1)
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

/// `A`, `Z`, `AA`… for a 0-based column.
pub fn col_letters(col: u32) -> String {
    let mut n = col + 1;
    let mut out = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        out.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII letters")
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
        write!(f, "{}!{}", self.sheet, self.pos.a1())
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
