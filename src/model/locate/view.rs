//! A sheet seen through its labels: each normalised once and indexed, and each value read
//! with the cell it came from.

use foldhash::HashMap;

use crate::cell::{CellRef, Pos};
use crate::finding::{Code, Finding};
use crate::model::{Located, Num};
use crate::number::{NumText, parse_number_text};
use crate::reader::{RawSheet, RawValue};
use crate::template::{Aliases, Layout, normalize_label};

/// A sheet with its labels normalised and indexed once: a form is located by dozens of
/// lookups, each of which would otherwise compare every label on the sheet.
pub(super) struct View<'a> {
    pub(super) sheet: &'a RawSheet,
    pub(super) layout: &'a Layout,
    /// Each normalised label and where it stands, row by row.
    index: HashMap<String, Vec<Pos>>,
    /// Cells whose label holds a title word (`绩效自评表`), row by row.
    pub(super) titles: Vec<Pos>,
}

impl<'a> View<'a> {
    pub(super) fn new(sheet: &'a RawSheet, layout: &'a Layout) -> Self {
        let mut index: HashMap<String, Vec<Pos>> = HashMap::default();
        let mut titles = Vec::new();
        for (pos, cell) in sheet.cells() {
            let RawValue::Text(t) = &cell.value else {
                continue;
            };
            let label = normalize_label(t);
            if label.is_empty() {
                continue;
            }
            if layout.header.title.found_in(&label).is_some() {
                titles.push(pos);
            }
            index.entry(label).or_default().push(pos);
        }
        Self {
            sheet,
            layout,
            index,
            titles,
        }
    }

    pub(super) fn cell(&self, pos: Pos) -> CellRef {
        CellRef::new(&self.sheet.name, pos)
    }

    /// Cells whose label is one of `aliases`, row by row.
    pub(super) fn find(&self, aliases: &Aliases) -> impl Iterator<Item = Pos> + use<> {
        let mut hits: Vec<Pos> = aliases
            .iter()
            .filter_map(|a| self.index.get(a))
            .flatten()
            .copied()
            .collect();
        hits.sort_unstable();
        hits.into_iter()
    }

    pub(super) fn find_in_row(&self, row: u32, aliases: &Aliases) -> Option<Pos> {
        aliases
            .iter()
            .filter_map(|a| self.index.get(a))
            .flatten()
            .filter(|p| p.row == row)
            .min()
            .copied()
    }

    /// The text shown at `pos`, merged ranges resolved.
    pub(super) fn text(&self, pos: Pos) -> Located<String> {
        let (at, raw) = self.sheet.get(pos);
        let shown = raw.shown();
        Located {
            value: shown.trim().to_string(),
            cell: self.cell(at),
            shown,
            formula: raw.formula.clone(),
            number_cell: matches!(raw.value, RawValue::Number(_)),
        }
    }

    /// A numeric field at `pos`; an unreadable one is reported in `findings`.
    pub(super) fn num(&self, pos: Pos, what: &str, findings: &mut Vec<Finding>) -> Num {
        let (at, raw) = self.sheet.get(pos);
        let value = match &raw.value {
            RawValue::Empty => NumText::Absent,
            RawValue::Number(s) => NumText::Number(*s),
            RawValue::Text(t) => parse_number_text(t),
            other => NumText::Invalid(
                crate::reader::RawCell {
                    value: other.clone(),
                    formula: None,
                }
                .shown(),
            ),
        };
        if let NumText::Invalid(text) = &value {
            findings.push(
                Finding::new(
                    Code::BadNumber,
                    self.cell(at),
                    format!("{what}“{text}”不是可识别的数字，本项无法核算"),
                )
                .claimed(text.clone()),
            );
        }
        Located {
            value,
            cell: self.cell(at),
            shown: raw.shown(),
            formula: raw.formula.clone(),
            number_cell: matches!(raw.value, RawValue::Number(_)),
        }
    }

    /// An amount of the funding block. Money is kept to the cent: an amount stored as a number
    /// that no format rounds shows its whole value, and a 0 is exactly 0, so either is read to
    /// at least 2 decimals — `30` typed into a General cell is 30.00, not anything from 29.5 to
    /// 30.5 (SPEC §4 widens only what the form rounded). A `0` format is respected.
    pub(super) fn amount(&self, pos: Pos, what: &str, findings: &mut Vec<Finding>) -> Num {
        let n = self.num(pos, what, findings);
        let widen = self.stored_whole(&n) || n.number().is_some_and(|s| s.value.is_zero());
        at_least_two_decimals(n, widen)
    }

    /// The 执行率 of the funding block, a percentage. A fraction stored as a number that no
    /// format rounds is exact, so 0.9 is read as 90% at least to the whole percent, not as
    /// anything from 85% to 95%.
    pub(super) fn rate(&self, pos: Pos, findings: &mut Vec<Finding>) -> Num {
        let n = self.num(pos, "执行率", findings);
        let widen = self.stored_whole(&n) && n.number().is_some_and(|s| s.is_fraction_rate());
        at_least_two_decimals(n, widen)
    }

    /// Whether the form keeps `n`'s whole value: a number cell that no format rounds.
    fn stored_whole(&self, n: &Num) -> bool {
        n.number_cell && !self.sheet.format_fixes_decimals(n.cell.pos)
    }

    /// The first non-empty value right of a label, within the same row.
    pub(super) fn value_right_of(&self, label: Pos) -> Option<Located<String>> {
        let label_anchor = self.sheet.anchor(label);
        (label.col + 1..self.sheet.cols)
            .map(|c| Pos::new(label.row, c))
            .filter(|p| self.sheet.anchor(*p) != label_anchor && !self.sheet.is_merged_away(*p))
            .map(|p| self.text(p))
            .find(|t| !t.value.is_empty())
    }

    /// The cell right of a label that holds, or should hold, its value.
    pub(super) fn slot_right_of(&self, label: Pos) -> Option<Located<String>> {
        self.value_right_of(label).or_else(|| {
            let anchor = self.sheet.anchor(label);
            let end = self
                .sheet
                .merges
                .iter()
                .find(|m| m.first == anchor)
                .map_or(label.col, |m| m.last.col);
            (end + 1 < self.sheet.cols.max(end + 2))
                .then(|| self.text(Pos::new(label.row, end + 1)))
        })
    }
}

/// `n` read to at least 2 decimals when `widen`: 30 in a General cell is 30.00, 0.9 is 90%.
fn at_least_two_decimals(mut n: Num, widen: bool) -> Num {
    if let NumText::Number(s) = &mut n.value
        && widen
    {
        s.decimals = s.decimals.max(2);
    }
    n
}

pub(super) fn absent(view: &View, pos: Pos) -> Num {
    Located {
        value: NumText::Absent,
        cell: view.cell(pos),
        shown: String::new(),
        formula: None,
        number_cell: false,
    }
}

pub(super) fn absent_text(view: &View, pos: Pos) -> Located<String> {
    Located {
        value: String::new(),
        cell: view.cell(pos),
        shown: String::new(),
        formula: None,
        number_cell: false,
    }
}
