//! A sheet seen through its labels: each normalised once and indexed, and each value read
//! with the cell it came from.

use std::cell::OnceCell;

use foldhash::HashMap;
use rust_decimal::Decimal;

use crate::cell::{CellRef, Pos};
use crate::finding::{Code, Finding};
use crate::model::{Located, Num};
use crate::number::{NumText, Shown, parse_amount_with_unit, parse_number_text};
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
    /// Labels that begin a header's alias (`全年执行`), by position; found on first use.
    cuts: OnceCell<Vec<(Pos, String)>>,
}

/// The money unit a funding block's amounts are read in (`万元`) and its value in 元.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct MoneyUnit {
    pub(super) name: String,
    pub(super) scale: Decimal,
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
            cuts: OnceCell::new(),
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

    /// Cells whose label begins with one of `aliases`, with what follows it (`项目总得分99分`
    /// gives `99分`; the label alone gives an empty rest), row by row.
    pub(super) fn find_prefixed(&self, aliases: &Aliases) -> Vec<(Pos, String)> {
        let mut hits: Vec<(Pos, String)> = self
            .index
            .iter()
            .filter_map(|(label, at)| {
                let alias = aliases.iter().find(|a| label.starts_with(*a))?;
                Some(
                    at.iter()
                        .map(move |p| (*p, label[alias.len()..].to_string())),
                )
            })
            .flatten()
            .collect();
        hits.sort_unstable();
        hits
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

    /// Labels that are some header's alias cut short, by position.
    fn cuts(&self) -> &[(Pos, String)] {
        self.cuts.get_or_init(|| {
            let fields = header_fields(self.layout);
            let mut cuts: Vec<(Pos, String)> = self
                .index
                .iter()
                .filter(|(label, _)| fields.iter().any(|f| f.cut_short(label)))
                .flat_map(|(label, at)| at.iter().map(|p| (*p, label.clone())))
                .collect();
            cuts.sort_unstable();
            cuts
        })
    }

    fn cuts_in_row(&self, row: u32) -> &[(Pos, String)] {
        let cuts = self.cuts();
        let from = cuts.partition_point(|(p, _)| p.row < row);
        let to = cuts.partition_point(|(p, _)| p.row <= row);
        &cuts[from..to]
    }

    /// Rows where a header of `field` stands, as its label or cut short, top to bottom.
    pub(super) fn header_rows(&self, field: &Aliases) -> Vec<u32> {
        let mut rows: Vec<u32> = self.find(field).map(|p| p.row).collect();
        rows.extend(
            self.cuts()
                .iter()
                .filter(|(_, label)| field.cut_short(label))
                .map(|(p, _)| p.row),
        );
        rows.sort_unstable();
        rows.dedup();
        rows
    }

    /// The column of each of `fields` in the header row `row`, in order. A field takes the
    /// leftmost cell that holds one of its labels; failing that, the one cell of the row whose
    /// header is cut short from its label (`全年执行`) and begins no other field's label, nor
    /// is another field's label itself. One header never stands for two fields, nor a field
    /// for two headers.
    pub(super) fn header_columns<const N: usize>(
        &self,
        row: u32,
        fields: [&Aliases; N],
    ) -> [Option<u32>; N] {
        let mut cols = fields.map(|f| self.find_in_row(row, f).map(|p| p.col));
        // A header on two rows: a label merged down from the row above belongs to this one.
        // A sheet read without its merged ranges (`.ods`) shows such a label above an empty
        // cell.
        let unmerged = self.sheet.merges.is_empty();
        if let Some(up) = row.checked_sub(1) {
            for (col, field) in cols.iter_mut().zip(fields) {
                if col.is_none() {
                    *col = self
                        .find_in_row(up, field)
                        .filter(|p| {
                            let below = Pos::new(row, p.col);
                            self.sheet.anchor(below) == *p
                                || (unmerged && self.sheet.own(below).is_empty())
                        })
                        .map(|p| p.col);
                }
            }
        }
        let cuts = self.cuts_in_row(row);
        if cuts.is_empty() {
            return cols;
        }
        for (i, col) in cols.iter_mut().enumerate().filter(|(_, c)| c.is_none()) {
            let mut stand_for_this = cuts.iter().filter(|(_, label)| {
                fields
                    .iter()
                    .enumerate()
                    .all(|(j, f)| !f.matches_normalized(label) && (f.cut_short(label) == (j == i)))
            });
            *col = match (stand_for_this.next(), stand_for_this.next()) {
                (Some((p, _)), None) => Some(p.col),
                _ => None,
            };
        }
        cols
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

    /// The money unit an amount at `pos` is written with (`300万元`), if any.
    pub(super) fn unit_of_amount(&self, pos: Pos) -> Option<MoneyUnit> {
        let RawValue::Text(t) = &self.sheet.get(pos).1.value else {
            return None;
        };
        if matches!(parse_number_text(t), NumText::Number(_)) {
            return None;
        }
        parse_amount_with_unit(t, &self.layout.units.money).map(|(_, name, scale)| MoneyUnit {
            name: name.to_string(),
            scale,
        })
    }

    /// An amount of the funding block, in the block's money unit `unit`. Money is kept to the
    /// cent: an amount stored as a number that no format rounds shows its whole value, and a 0
    /// is exactly 0, so either is read to at least 2 decimals — `30` typed into a General cell
    /// is 30.00, not anything from 29.5 to 30.5 (SPEC §4 widens only what the form rounded). A
    /// `0` format is respected. An amount that writes its unit (`4753.66万元`) is read in the
    /// block's unit: as written when it is that unit, converted exactly when it is a smaller
    /// one (`300元` is 0.0300 万元); a larger one that the shown decimals cannot carry into
    /// the block's unit (`2.38万元` where the block counts 元: 23800 ± 50) is reported and not
    /// used, since reading it to the 元 would claim a precision the form never showed.
    pub(super) fn amount(
        &self,
        pos: Pos,
        what: &str,
        unit: Option<&MoneyUnit>,
        findings: &mut Vec<Finding>,
    ) -> Num {
        let n = match self.amount_with_unit(pos, what, unit, findings) {
            Some(n) => n,
            None => self.num(pos, what, findings),
        };
        let widen = self.stored_whole(&n) || n.number().is_some_and(|s| s.value.is_zero());
        at_least_two_decimals(n, widen)
    }

    /// An amount written with its money unit, read in the block's `unit`; `None` for any other
    /// cell.
    fn amount_with_unit(
        &self,
        pos: Pos,
        what: &str,
        unit: Option<&MoneyUnit>,
        findings: &mut Vec<Finding>,
    ) -> Option<Num> {
        let (at, raw) = self.sheet.get(pos);
        let RawValue::Text(text) = &raw.value else {
            return None;
        };
        if matches!(parse_number_text(text), NumText::Number(_)) {
            return None;
        }
        let (shown, written, scale) = parse_amount_with_unit(text, &self.layout.units.money)?;
        let value = match unit {
            None => NumText::Number(shown),
            Some(unit) => match in_unit(shown, scale, unit.scale) {
                Some(s) => NumText::Number(s),
                None => {
                    let text = text.trim().to_string();
                    findings.push(
                        Finding::new(
                            Code::BadNumber,
                            self.cell(at),
                            format!(
                                "{what}“{text}”以{written}填写，本表金额单位为{}，换算为{}会超出原填报的精度，本项无法核算；请以{}填写",
                                unit.name, unit.name, unit.name
                            ),
                        )
                        .claimed(text.clone()),
                    );
                    NumText::Invalid(text)
                }
            },
        };
        Some(Located {
            value,
            cell: self.cell(at),
            shown: raw.shown(),
            formula: raw.formula.clone(),
            number_cell: false,
        })
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

/// The fields of the funding and indicator header rows, whose headers may be cut short.
fn header_fields(layout: &Layout) -> [&Aliases; 19] {
    let (f, i) = (&layout.funding, &layout.indicators);
    [
        &f.source,
        &f.initial_budget,
        &f.budget,
        &f.adjusted_budget,
        &f.executed,
        &f.weight,
        &f.rate,
        &f.score,
        &f.reason,
        &i.level1,
        &i.level2,
        &i.level3,
        &i.target,
        &i.operator,
        &i.unit,
        &i.actual,
        &i.weight,
        &i.score,
        &i.reason,
    ]
}

/// An amount shown in a unit worth `scale` 元, in the unit worth `to` 元. Money units are
/// powers of ten apart: a smaller unit converts exactly with more decimals (`300` 元 →
/// 0.0300 万元); a larger one only where its decimals reach the smaller unit (`2.3812` 万元 →
/// 23812 元). `None` where they do not, or the units are not powers of ten apart.
fn in_unit(shown: Shown, scale: Decimal, to: Decimal) -> Option<Shown> {
    if scale == to {
        return Some(shown);
    }
    let ten = Decimal::TEN;
    let (mut ratio, larger) = if scale > to {
        (scale.checked_div(to)?, true)
    } else {
        (to.checked_div(scale)?, false)
    };
    let mut places = 0u32;
    while ratio > Decimal::ONE && (ratio % ten).is_zero() {
        ratio /= ten;
        places += 1;
    }
    if ratio != Decimal::ONE {
        return None;
    }
    let (value, decimals) = if larger {
        (
            shown.value.checked_mul(scale.checked_div(to)?)?,
            shown.decimals.checked_sub(places)?,
        )
    } else {
        (
            shown.value.checked_div(to.checked_div(scale)?)?,
            shown.decimals + places,
        )
    };
    Some(Shown {
        value,
        decimals,
        percent: false,
    })
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
