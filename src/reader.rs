//! Cells → raw located values. Opens any workbook calamine reads and keeps, per sheet, a
//! grid of cells with their shown precision, formulas and merged ranges. Knows nothing of
//! the form.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::Arc;

use calamine::{Data, Ods, Reader, SheetVisible, Xls, Xlsx};
use rust_decimal::Decimal;

use crate::cell::Pos;
use crate::number::{Shown, decimal_from_f64};

/// The container a workbook came in; decides how the corrected copy is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BookFormat {
    /// `.xlsx` or `.xlsm`: patched in place.
    Xlsx,
    /// Legacy BIFF `.xls`: rebuilt.
    Xls,
    /// OpenDocument `.ods`: rebuilt.
    Ods,
}

impl BookFormat {
    /// Decides by content, not by name: renamed files are common.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        const CFB: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        if bytes.starts_with(&CFB) {
            return Some(Self::Xls);
        }
        if bytes.starts_with(b"PK\x03\x04") {
            // An ODS package stores its mimetype uncompressed as the first entry.
            let head = &bytes[..bytes.len().min(128)];
            let is_ods = head
                .windows(b"opendocument.spreadsheet".len())
                .any(|w| w == b"opendocument.spreadsheet");
            return Some(if is_ods { Self::Ods } else { Self::Xlsx });
        }
        None
    }
}

/// A cell's value, converted once from calamine's types.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum RawValue {
    #[default]
    Empty,
    Text(String),
    Number(Shown),
    Bool(bool),
    /// A date cell, as its spreadsheet serial number.
    Date(Decimal),
    /// A formula error such as `#DIV/0!`.
    Error(String),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawCell {
    pub value: RawValue,
    /// The formula, without the leading `=`, when the cell held one.
    pub formula: Option<String>,
}

impl RawCell {
    /// The text as the form shows it.
    pub fn shown(&self) -> String {
        match &self.value {
            RawValue::Empty => String::new(),
            RawValue::Text(t) => t.clone(),
            RawValue::Number(n) => n.to_string(),
            RawValue::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
            RawValue::Date(d) => d.to_string(),
            RawValue::Error(e) => e.clone(),
        }
    }

    pub fn is_empty(&self) -> bool {
        match &self.value {
            RawValue::Empty => true,
            RawValue::Text(t) => t.trim().is_empty(),
            _ => false,
        }
    }
}

/// A merged range, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Merge {
    pub first: Pos,
    pub last: Pos,
}

#[derive(Debug, Clone)]
pub struct RawSheet {
    pub name: Arc<str>,
    pub hidden: bool,
    /// Row count and column count of the grid, which starts at A1.
    pub rows: u32,
    pub cols: u32,
    cells: Vec<RawCell>,
    pub merges: Vec<Merge>,
    anchors: HashMap<Pos, Pos>,
}

static EMPTY: RawCell = RawCell {
    value: RawValue::Empty,
    formula: None,
};

impl RawSheet {
    pub fn new(name: &str, rows: u32, cols: u32) -> Self {
        Self {
            name: Arc::from(name),
            hidden: false,
            rows,
            cols,
            cells: vec![RawCell::default(); rows as usize * cols as usize],
            merges: Vec::new(),
            anchors: HashMap::new(),
        }
    }

    fn index(&self, pos: Pos) -> Option<usize> {
        (pos.row < self.rows && pos.col < self.cols)
            .then(|| pos.row as usize * self.cols as usize + pos.col as usize)
    }

    /// The cell exactly at `pos`, ignoring merges.
    pub fn own(&self, pos: Pos) -> &RawCell {
        self.index(pos).map_or(&EMPTY, |i| &self.cells[i])
    }

    /// Every cell that holds a value or a formula, row by row.
    pub fn cells(&self) -> impl Iterator<Item = (Pos, &RawCell)> {
        let cols = self.cols.max(1) as usize;
        self.cells
            .iter()
            .enumerate()
            .filter(|(_, c)| !matches!(c.value, RawValue::Empty) || c.formula.is_some())
            .map(move |(i, c)| (Pos::new((i / cols) as u32, (i % cols) as u32), c))
    }

    pub fn set(&mut self, pos: Pos, cell: RawCell) {
        if let Some(i) = self.index(pos) {
            self.cells[i] = cell;
        }
    }

    pub fn add_merge(&mut self, merge: Merge) {
        for row in merge.first.row..=merge.last.row {
            for col in merge.first.col..=merge.last.col {
                let p = Pos::new(row, col);
                if p != merge.first {
                    self.anchors.insert(p, merge.first);
                }
            }
        }
        self.merges.push(merge);
    }

    /// Where the value shown at `pos` lives: the top-left cell of its merged range.
    pub fn anchor(&self, pos: Pos) -> Pos {
        self.anchors.get(&pos).copied().unwrap_or(pos)
    }

    /// Whether `pos` is covered by a merged range without being its top-left cell.
    pub fn is_merged_away(&self, pos: Pos) -> bool {
        self.anchors.contains_key(&pos)
    }

    /// The value shown at `pos`: a merged range's value belongs to each of its cells.
    pub fn get(&self, pos: Pos) -> (Pos, &RawCell) {
        let own = self.own(pos);
        if own.is_empty() {
            let a = self.anchor(pos);
            return (a, self.own(a));
        }
        (pos, own)
    }
}

#[derive(Debug, Clone)]
pub struct RawBook {
    pub format: BookFormat,
    pub sheets: Vec<RawSheet>,
}

/// Why a workbook could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("不是 Excel 或 ODS 工作簿（文件内容无法识别）(not a spreadsheet: unknown content)")]
    NotAWorkbook,
    #[error(
        "工作簿设置了打开密码，请取消密码后重新提交 (the workbook is password-protected; remove the password)"
    )]
    Password,
    #[error("工作簿已损坏或格式不正确：{0} (the workbook is damaged or malformed)")]
    Damaged(String),
    #[error("工作表“{sheet}”无法读取：{reason} (sheet cannot be read)")]
    Sheet { sheet: String, reason: String },
}

/// Opens a workbook from its bytes.
pub fn read_book(bytes: &[u8]) -> Result<RawBook, ReadError> {
    let format = BookFormat::sniff(bytes).ok_or(ReadError::NotAWorkbook)?;
    let cursor = Cursor::new(bytes);
    match format {
        BookFormat::Xlsx => {
            let mut wb = Xlsx::new(cursor).map_err(xlsx_error)?;
            read_sheets(&mut wb, format, |wb, name| {
                let merges = wb
                    .merge_cells_by_sheet_name(name)
                    .map_err(|e| e.to_string())?;
                let styles = wb.worksheet_style(name).map_err(|e| e.to_string())?;
                Ok((merges, Some(styles)))
            })
        }
        BookFormat::Xls => {
            let mut wb = Xls::new(cursor).map_err(|e| match e {
                calamine::XlsError::Password => ReadError::Password,
                other => ReadError::Damaged(other.to_string()),
            })?;
            read_sheets(&mut wb, format, |wb, name| {
                let merges = wb
                    .merge_cells_by_sheet_name(name)
                    .map_err(|e| e.to_string())?;
                Ok((merges, None))
            })
        }
        BookFormat::Ods => {
            let mut wb = Ods::new(cursor).map_err(|e| match e {
                calamine::OdsError::Password => ReadError::Password,
                other => ReadError::Damaged(other.to_string()),
            })?;
            // calamine does not report merged ranges for ODS; the model tolerates
            // level-1/level-2 labels written once with blanks below.
            read_sheets(&mut wb, format, |_, _| Ok((Vec::new(), None)))
        }
    }
}

fn xlsx_error(e: calamine::XlsxError) -> ReadError {
    match e {
        calamine::XlsxError::Password => ReadError::Password,
        other => ReadError::Damaged(other.to_string()),
    }
}

type Extras = (Vec<calamine::Dimensions>, Option<calamine::StyleRange>);

fn read_sheets<R, RS>(
    wb: &mut R,
    format: BookFormat,
    extras: impl Fn(&mut R, &str) -> Result<Extras, String>,
) -> Result<RawBook, ReadError>
where
    R: Reader<RS>,
    RS: std::io::Read + std::io::Seek,
    R::Error: std::fmt::Display,
{
    let metas: Vec<(String, bool)> = wb
        .sheets_metadata()
        .iter()
        .filter(|s| s.typ == calamine::SheetType::WorkSheet)
        .map(|s| (s.name.clone(), s.visible != SheetVisible::Visible))
        .collect();
    let mut sheets = Vec::with_capacity(metas.len());
    for (name, hidden) in metas {
        let sheet_err = |reason: String| ReadError::Sheet {
            sheet: name.clone(),
            reason,
        };
        let range = wb
            .worksheet_range(&name)
            .map_err(|e| sheet_err(e.to_string()))?;
        let formulas = wb.worksheet_formula(&name).ok();
        let (merges, styles) = extras(wb, &name).map_err(sheet_err)?;
        let mut sheet = build_sheet(&name, &range, formulas.as_ref(), styles.as_ref());
        sheet.hidden = hidden;
        for m in merges {
            sheet.add_merge(Merge {
                first: Pos::new(m.start.0, m.start.1),
                last: Pos::new(m.end.0, m.end.1),
            });
        }
        sheets.push(sheet);
    }
    Ok(RawBook { format, sheets })
}

fn build_sheet(
    name: &str,
    range: &calamine::Range<Data>,
    formulas: Option<&calamine::Range<String>>,
    styles: Option<&calamine::StyleRange>,
) -> RawSheet {
    let (rows, cols) = range.end().map_or((0, 0), |(r, c)| (r + 1, c + 1));
    let mut sheet = RawSheet::new(name, rows, cols);
    for (r, c, data) in range.used_cells() {
        let (row, col) = match range.start() {
            Some((r0, c0)) => (r0 + r as u32, c0 + c as u32),
            None => continue,
        };
        let format = styles
            .and_then(|s| s.get((row, col)))
            .and_then(|st| st.number_format.as_ref());
        let value = convert(data, format);
        sheet.set(
            Pos::new(row, col),
            RawCell {
                value,
                formula: None,
            },
        );
    }
    if let Some(f) = formulas {
        for (r, c, text) in f.used_cells() {
            let Some((r0, c0)) = f.start() else { break };
            let pos = Pos::new(r0 + r as u32, c0 + c as u32);
            if !text.is_empty()
                && let Some(i) = sheet.index(pos)
            {
                sheet.cells[i].formula = Some(text.clone());
            }
        }
    }
    sheet
}

fn convert(data: &Data, format: Option<&calamine::NumberFormat>) -> RawValue {
    match data {
        Data::Empty => RawValue::Empty,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => RawValue::Text(s.clone()),
        Data::Bool(b) => RawValue::Bool(*b),
        Data::Error(e) => RawValue::Error(e.to_string()),
        Data::DateTime(dt) => decimal_from_f64(dt.as_f64()).map_or(RawValue::Empty, RawValue::Date),
        Data::Int(i) => number(Decimal::from(*i), format),
        Data::Float(f) => match decimal_from_f64(*f) {
            Some(d) => number(d, format),
            // Beyond what an exact decimal holds: kept as text so the model can report it.
            None => RawValue::Text(format!("{f}")),
        },
    }
}

fn number(value: Decimal, format: Option<&calamine::NumberFormat>) -> RawValue {
    let shape = format.map(NumberShape::of).unwrap_or_default();
    let own = value.normalize().scale();
    RawValue::Number(Shown {
        value,
        decimals: match (shape.decimals, shape.percent) {
            (Some(d), true) => d + 2,
            (Some(d), false) => d,
            (None, _) => own,
        },
        percent: shape.percent,
    })
}

/// What a number format code says about display: decimals and percent.
#[derive(Debug, Default, PartialEq, Eq)]
struct NumberShape {
    decimals: Option<u32>,
    percent: bool,
}

impl NumberShape {
    fn of(format: &calamine::NumberFormat) -> Self {
        match format.format_id {
            Some(1) | Some(3) => return Self::fixed(0, false),
            Some(2) | Some(4) => return Self::fixed(2, false),
            Some(9) => return Self::fixed(0, true),
            Some(10) => return Self::fixed(2, true),
            _ => {}
        }
        Self::parse(&format.format_code)
    }

    fn fixed(d: u32, percent: bool) -> Self {
        Self {
            decimals: Some(d),
            percent,
        }
    }

    /// Reads the first section of a format code such as `0.00%` or `#,##0.0_ `.
    fn parse(code: &str) -> Self {
        let section = code.split(';').next().unwrap_or("");
        if section.is_empty() || section.eq_ignore_ascii_case("general") || section == "@" {
            return Self::default();
        }
        let mut in_quote = false;
        let mut seen_digit = false;
        let mut after_point: Option<u32> = None;
        let mut percent = false;
        let mut chars = section.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => in_quote = !in_quote,
                _ if in_quote => {}
                '\\' | '_' | '*' => {
                    chars.next();
                }
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
        if !seen_digit {
            return Self::default();
        }
        Self {
            decimals: Some(after_point.unwrap_or(0)),
            percent,
        }
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
        assert_eq!(NumberShape::parse("General"), NumberShape::default());
        assert_eq!(NumberShape::parse("@"), NumberShape::default());
    }

    #[test]
    fn sniffs_by_content() {
        assert_eq!(BookFormat::sniff(b""), None);
        assert_eq!(BookFormat::sniff(b"<html>"), None);
        assert_eq!(BookFormat::sniff(b"PK\x03\x04xxxx"), Some(BookFormat::Xlsx));
        assert_eq!(
            BookFormat::sniff(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]),
            Some(BookFormat::Xls)
        );
    }

    #[test]
    fn merged_value_belongs_to_every_cell() {
        let mut s = RawSheet::new("t", 3, 3);
        s.set(
            Pos::new(0, 0),
            RawCell {
                value: RawValue::Text("产出指标".into()),
                formula: None,
            },
        );
        s.add_merge(Merge {
            first: Pos::new(0, 0),
            last: Pos::new(2, 0),
        });
        assert_eq!(s.get(Pos::new(2, 0)).0, Pos::new(0, 0));
        assert_eq!(s.get(Pos::new(2, 0)).1.shown(), "产出指标");
        assert!(s.is_merged_away(Pos::new(1, 0)));
        assert!(!s.is_merged_away(Pos::new(0, 0)));
        assert_eq!(s.get(Pos::new(2, 2)).1.shown(), "");
    }
}
