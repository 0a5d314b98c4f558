//! Cells → raw located values. Keeps, per sheet, a grid of cells with their shown
//! precision, formulas and merged ranges. Knows nothing of the form.
//!
//! `.xlsx` is read straight from its package ([`xlsx`]), once per part; `.xls` and `.ods`
//! through calamine, in a child process first (`sandbox`), with the number formats of an
//! `.xls` read from its records ([`xls`]).

mod format;
pub(crate) mod xls;
mod xlsx;

use std::collections::HashSet;
use std::io::Cursor;
use std::sync::Arc;

use calamine::{Data, Ods, Reader, SheetVisible, Xls};
use rust_decimal::Decimal;

use crate::cell::Pos;
use crate::number::{Shown, decimal_from_f64};
use format::{NumberShape, float_value, number};

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

/// A cell's value, as its format shows it.
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
            RawValue::Date(d) => day_of_serial(*d).unwrap_or_else(|| d.to_string()),
            RawValue::Error(e) => e.clone(),
        }
    }

    /// Holds neither a value nor a formula: not stored at all.
    fn is_vacant(&self) -> bool {
        matches!(self.value, RawValue::Empty) && self.formula.is_none()
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
    /// Whether number formats were read: for `.xlsx` and BIFF8 `.xls`, not for `.ods` (calamine
    /// reports none) nor an older `.xls`, where a percentage typed as `95%` arrives as a
    /// bare 0.95.
    pub formats: bool,
    /// Row count and column count of the grid, which starts at A1.
    pub rows: u32,
    pub cols: u32,
    /// The rows that hold something, by row, each with its cells by column. Sparse in both,
    /// so that one far-off cell in a crafted sheet costs that cell, not the grid up to it.
    grid: Vec<(u32, Vec<(u32, RawCell)>)>,
    /// At most [`crate::limits::MAX_MERGES`]; each is kept as a range, never expanded cell by cell (one
    /// `A1:XFD1048576` would be seventeen billion cells).
    pub merges: Vec<Merge>,
    /// Number cells whose format fixes the decimals shown (`0.00`, `0%`); elsewhere a number
    /// shows its whole stored value.
    fixed_decimals: HashSet<Pos>,
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
            formats: false,
            rows,
            cols,
            grid: Vec::new(),
            merges: Vec::new(),
            fixed_decimals: HashSet::new(),
        }
    }

    /// The cell exactly at `pos`, ignoring merges.
    pub fn own(&self, pos: Pos) -> &RawCell {
        let Ok(r) = self.grid.binary_search_by_key(&pos.row, |r| r.0) else {
            return &EMPTY;
        };
        let row = &self.grid[r].1;
        match row.binary_search_by_key(&pos.col, |c| c.0) {
            Ok(i) => &row[i].1,
            Err(_) => &EMPTY,
        }
    }

    /// A copy holding only the cells of `rows`, at their own addresses: one form of a sheet
    /// that holds several.
    pub fn band(&self, rows: std::ops::Range<u32>) -> RawSheet {
        let inside = |r: u32| rows.contains(&r);
        RawSheet {
            name: Arc::clone(&self.name),
            hidden: self.hidden,
            formats: self.formats,
            rows: self.rows,
            cols: self.cols,
            // Only the band's own rows are copied.
            grid: self
                .grid
                .iter()
                .filter(|(r, _)| inside(*r))
                .cloned()
                .collect(),
            merges: self
                .merges
                .iter()
                .filter(|m| inside(m.first.row) && inside(m.last.row))
                .copied()
                .collect(),
            fixed_decimals: self
                .fixed_decimals
                .iter()
                .filter(|p| inside(p.row))
                .copied()
                .collect(),
        }
    }

    /// Every cell that holds a value or a formula, row by row.
    pub fn cells(&self) -> impl Iterator<Item = (Pos, &RawCell)> {
        // `set` never stores a vacant cell.
        self.grid
            .iter()
            .flat_map(|(r, row)| row.iter().map(move |(col, c)| (Pos::new(*r, *col), c)))
    }

    /// Puts `cell` at `pos`, within the grid; an empty cell leaves no trace.
    pub fn set(&mut self, pos: Pos, cell: RawCell) {
        if pos.col >= self.cols || pos.row >= self.rows {
            return;
        }
        let r = match self.grid.binary_search_by_key(&pos.row, |r| r.0) {
            Ok(r) => r,
            Err(_) if cell.is_vacant() => return,
            Err(r) => {
                self.grid.insert(r, (pos.row, Vec::new()));
                r
            }
        };
        let row = &mut self.grid[r].1;
        match (
            row.binary_search_by_key(&pos.col, |c| c.0),
            cell.is_vacant(),
        ) {
            (Ok(i), false) => row[i].1 = cell,
            (Ok(i), true) => {
                row.remove(i);
            }
            (Err(i), false) => row.insert(i, (pos.col, cell)),
            (Err(_), true) => {}
        }
    }

    pub fn add_merge(&mut self, merge: Merge) {
        if self.merges.len() < crate::limits::MAX_MERGES && merge.first != merge.last {
            self.merges.push(merge);
        }
    }

    /// The merged range that covers `pos` without starting there.
    fn merged_over(&self, pos: Pos) -> Option<&Merge> {
        self.merges.iter().find(|m| {
            pos != m.first
                && (m.first.row..=m.last.row).contains(&pos.row)
                && (m.first.col..=m.last.col).contains(&pos.col)
        })
    }

    /// Where the value shown at `pos` lives: the top-left cell of its merged range.
    pub fn anchor(&self, pos: Pos) -> Pos {
        self.merged_over(pos).map_or(pos, |m| m.first)
    }

    /// Whether a number format rounds what `pos` shows to fixed decimals. Without one (General,
    /// or an `.ods` or pre-BIFF8 `.xls`, whose formats are not read) a number cell shows its
    /// value in full.
    pub fn format_fixes_decimals(&self, pos: Pos) -> bool {
        self.fixed_decimals.contains(&pos)
    }

    /// Records that a number format fixes the decimals `pos` shows.
    pub(crate) fn fix_decimals(&mut self, pos: Pos) {
        self.fixed_decimals.insert(pos);
    }

    /// Whether `pos` is covered by a merged range without being its top-left cell.
    pub fn is_merged_away(&self, pos: Pos) -> bool {
        self.merged_over(pos).is_some()
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
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("不是 Excel 或 ODS 工作簿（文件内容无法识别）(not a spreadsheet: unknown content)")]
    NotAWorkbook,
    #[error("文件为空 (the file is empty)")]
    Empty,
    #[error("文件过大（{mb} MB），拒绝读取 (file too large to be a self-evaluation workbook)")]
    TooLarge { mb: u64 },
    #[error("这是 PDF 文件，不是 Excel 工作簿 (this is a PDF, not an Excel workbook)")]
    Pdf,
    #[error("这是 {0} 文档，不是 Excel 工作簿 (this is a {0} document, not an Excel workbook)")]
    OfficeDocument(&'static str),
    #[error(
        "压缩包中没有 Excel 工作簿（缺少 xl/workbook.xml）(a zip archive without an Excel workbook part)"
    )]
    NoWorkbookPart,
    #[error(
        "此文件实为网页（HTML）导出，请用 Excel 打开后另存为 .xlsx (a web-page export named as a workbook; open it in Excel and save as .xlsx)"
    )]
    HtmlExport,
    #[error(
        "此文件实为文本（CSV）导出，请用 Excel 打开后另存为 .xlsx (a text/CSV export named as a workbook; open it in Excel and save as .xlsx)"
    )]
    CsvExport,
    #[error("文件不完整或已损坏 (the file is incomplete or damaged)")]
    Truncated,
    #[error(
        "工作簿部件“{part}”解压后过大或压缩比异常，拒绝读取 (a package part is too large when uncompressed: possible zip bomb)"
    )]
    Oversized { part: String },
    #[error(
        "工作簿设置了打开密码，请取消密码后重新提交 (the workbook is password-protected; remove the password)"
    )]
    Password,
    #[error("工作簿已损坏或格式不正确：{0} (the workbook is damaged or malformed)")]
    Damaged(String),
    #[error(
        "工作表的单元格范围过大（{cells} 个单元格），疑似损坏或被篡改，请删除表格以外的内容后另存 (a sheet spans {cells} cells: damaged or crafted)"
    )]
    SheetTooLarge { cells: u64 },
    #[error(
        "工作簿读取时中断（结构损坏，或内容超出读取上限），请用 Excel 或 WPS 打开后另存为 .xlsx (reading aborted: the workbook is damaged or beyond the reading limits)"
    )]
    ReaderAborted,
    #[error(
        "工作簿读取超过 {secs} 秒仍未完成，疑似损坏，请另存为 .xlsx 后重新提交 (reading took over {secs} s: damaged workbook)"
    )]
    ReadTimeout { secs: u64 },
    #[error(
        "无法启动隔离读取进程：{0} (cannot start the child process that reads legacy workbooks)"
    )]
    Sandbox(String),
    #[error(
        "工作簿列有 {count} 个工作表，超过 {limit} 个的上限，疑似损坏或被篡改 (too many sheets: damaged or crafted)"
    )]
    TooManySheets { count: usize, limit: usize },
    #[error("工作表“{sheet}”无法读取：{reason} (sheet cannot be read)")]
    Sheet { sheet: String, reason: String },
}

impl From<crate::opc::OpcError> for ReadError {
    fn from(e: crate::opc::OpcError) -> Self {
        use crate::opc::OpcError as E;
        match e {
            E::Zip(_) => ReadError::Truncated,
            E::TooManyParts { .. } | E::TooLargeInAll => ReadError::Oversized {
                part: e.to_string(),
            },
            E::Oversized(part) => ReadError::Oversized { part },
            E::NoWorkbook => ReadError::NoWorkbookPart,
            other => ReadError::Damaged(other.to_string()),
        }
    }
}

/// Opens a workbook from its bytes.
pub fn read_book(bytes: &[u8]) -> Result<RawBook, ReadError> {
    read_admitted(bytes, crate::intake::admit(bytes)?)
}

/// Opens a workbook that intake has admitted as `format`.
pub fn read_admitted(bytes: &[u8], format: BookFormat) -> Result<RawBook, ReadError> {
    read_with(bytes, format, false).map(|(book, _)| book)
}

/// [`read_admitted`] for a workbook whose corrected copy will be written: with the package
/// parts the reading inflated whole, which the writer takes instead of inflating them again
/// (none for `.xls` and `.ods`).
pub fn read_package(
    bytes: &[u8],
    format: BookFormat,
) -> Result<(RawBook, crate::opc::Inflated), ReadError> {
    read_with(bytes, format, true)
}

/// [`read_package`] for an `.xlsx`/`.xlsm` package intake has already opened and resolved
/// ([`crate::intake::admit_package`]); with `for_copy`, the parts the writer rewrites are
/// kept, as there.
pub fn read_opened(
    package: &mut crate::opc::Package<'_>,
    for_copy: bool,
) -> Result<(RawBook, crate::opc::Inflated), ReadError> {
    xlsx::read_opened(package, &crate::limits::READ, for_copy)
}

fn read_with(
    bytes: &[u8],
    format: BookFormat,
    for_copy: bool,
) -> Result<(RawBook, crate::opc::Inflated), ReadError> {
    let cursor = Cursor::new(bytes);
    let legacy = |book| (book, crate::opc::Inflated::default());
    match format {
        BookFormat::Xlsx => xlsx::read(bytes, &crate::limits::READ, for_copy),
        BookFormat::Xls => {
            let mut wb = Xls::new(cursor).map_err(|e| match e {
                calamine::XlsError::Password => ReadError::Password,
                other => ReadError::Damaged(other.to_string()),
            })?;
            // Aligned with calamine's list of sheets, or not used at all.
            let shapes = xls::read(bytes, &crate::limits::READ)
                .filter(|s| s.len() == wb.sheets_metadata().len())
                .unwrap_or_default();
            read_sheets(&mut wb, format, shapes, |wb, name| {
                let merges = wb
                    .merge_cells_by_sheet_name(name)
                    .map_err(|e| e.to_string())?;
                Ok(merges)
            })
            .map(legacy)
        }
        BookFormat::Ods => {
            let mut wb = Ods::new(cursor).map_err(|e| match e {
                calamine::OdsError::Password => ReadError::Password,
                other => ReadError::Damaged(other.to_string()),
            })?;
            // calamine does not report merged ranges for ODS; the model tolerates
            // level-1/level-2 labels written once with blanks below.
            read_sheets(&mut wb, format, Vec::new(), |_, _| Ok(Vec::new())).map(legacy)
        }
    }
}

/// How much of a workbook is read, so that a crafted one cannot exhaust memory.
pub(crate) struct Limits {
    /// Rows and columns beyond these are no part of any form; a sheet that reaches them is
    /// read up to them.
    pub rows: u32,
    pub cols: u32,
    /// Cells read at most from one sheet, and from all sheets together: a large data sheet
    /// before the form must not use up what the form needs, and a package listing many
    /// sheets must not multiply what one may cost.
    pub cells: usize,
    pub book_cells: usize,
    /// Text read at most, likewise: a form holds well under 100 KB, and every label is
    /// copied a few times on its way through the model. The cell that crosses a limit is
    /// kept whole.
    pub text_bytes: usize,
    pub book_text_bytes: usize,
    /// Worksheets an `.xlsx` may list; a form workbook has a handful.
    pub sheets: usize,
}

/// The worksheets (not chart sheets) in workbook order, each with its place in the list of
/// all sheets and whether it is hidden.
fn worksheets(meta: &[calamine::Sheet]) -> Vec<(usize, String, bool)> {
    meta.iter()
        .enumerate()
        .filter(|(_, s)| s.typ == calamine::SheetType::WorkSheet)
        .map(|(i, s)| (i, s.name.clone(), s.visible != SheetVisible::Visible))
        .collect()
}

/// `.xls` and `.ods`: values and formulas through calamine's ranges, merged ranges from
/// `merges`, and number formats from `shapes`, by the sheet's place in calamine's list of
/// all sheets. A sheet without shapes (every `.ods` sheet) keeps `formats` false.
fn read_sheets<R, RS>(
    wb: &mut R,
    format: BookFormat,
    mut shapes: Vec<Option<xls::Shapes>>,
    merges: impl Fn(&mut R, &str) -> Result<Vec<calamine::Dimensions>, String>,
) -> Result<RawBook, ReadError>
where
    R: Reader<RS>,
    RS: std::io::Read + std::io::Seek,
    R::Error: std::fmt::Display,
{
    let metas = worksheets(wb.sheets_metadata());
    let mut sheets = Vec::with_capacity(metas.len());
    for (index, name, hidden) in metas {
        let sheet_err = |reason: String| ReadError::Sheet {
            sheet: name.clone(),
            reason,
        };
        let range = wb
            .worksheet_range(&name)
            .map_err(|e| sheet_err(e.to_string()))?;
        let formulas = wb.worksheet_formula(&name).ok();
        let merged = merges(wb, &name).map_err(sheet_err)?;
        let shapes = shapes.get_mut(index).and_then(Option::take);
        let mut sheet = build_sheet(&name, &range, formulas.as_ref(), shapes.as_ref());
        sheet.hidden = hidden;
        for m in merged {
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
    shapes: Option<&xls::Shapes>,
) -> RawSheet {
    let (rows, cols) = range.end().map_or((0, 0), |(r, c)| (r + 1, c + 1));
    let mut sheet = RawSheet::new(name, rows, cols);
    sheet.formats = shapes.is_some();
    for (r, c, data) in range.used_cells() {
        let pos = match range.start() {
            Some((r0, c0)) => Pos::new(r0 + r as u32, c0 + c as u32),
            None => continue,
        };
        let shape = shapes
            .and_then(|s| s.get(&pos))
            .copied()
            .unwrap_or_default();
        if shape.decimals.is_some() && matches!(data, Data::Int(_) | Data::Float(_)) {
            sheet.fix_decimals(pos);
        }
        sheet.set(
            pos,
            RawCell {
                value: convert(data.clone(), shape),
                formula: None,
            },
        );
    }
    if let Some(f) = formulas {
        for (r, c, text) in f.used_cells() {
            let Some((r0, c0)) = f.start() else { break };
            let pos = Pos::new(r0 + r as u32, c0 + c as u32);
            if !text.is_empty() {
                let mut cell = sheet.own(pos).clone();
                cell.formula = Some(text.clone());
                sheet.set(pos, cell);
            }
        }
    }
    sheet
}

/// A value of an `.xls` or `.ods` cell, a number as `shape` shows it (calamine has already
/// made the dates it recognises dates).
fn convert(data: Data, shape: NumberShape) -> RawValue {
    match data {
        Data::Empty => RawValue::Empty,
        // ODS gives dates as ISO text: kept as the date they are.
        Data::DateTimeIso(s) => serial_of_iso(&s).map_or(RawValue::Text(s), RawValue::Date),
        Data::String(s) | Data::DurationIso(s) => RawValue::Text(s),
        Data::Bool(b) => RawValue::Bool(b),
        Data::Error(e) => RawValue::Error(e.to_string()),
        Data::DateTime(dt) => decimal_from_f64(dt.as_f64()).map_or(RawValue::Empty, RawValue::Date),
        Data::Int(i) if shape.date => RawValue::Date(Decimal::from(i)),
        Data::Int(i) => number(Decimal::from(i), shape),
        Data::Float(f) => float_value(f, shape),
    }
}

/// The spreadsheet serial of 1970-01-01 (the 1900 date system).
const SERIAL_1970: i64 = 25_569;

/// A date serial as a form writes the date, `2023年11月30日`, which the target parser reads
/// (`2023年12月31日前`). `None` for a serial outside the years a form can mean.
fn day_of_serial(serial: Decimal) -> Option<String> {
    let days = i64::try_from(serial.floor()).ok()? - SERIAL_1970;
    let (year, month, day) = crate::calendar::civil_from_days(days);
    (1990..2200)
        .contains(&year)
        .then(|| format!("{year}年{month}月{day}日"))
}

/// `2023-11-30` or `2023-11-30T00:00:00` as a date serial.
pub(crate) fn serial_of_iso(iso: &str) -> Option<Decimal> {
    let date = iso.split('T').next()?;
    let mut parts = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
    let in_range = (1..=9999).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d);
    if parts.next().is_some() || !in_range {
        return None;
    }
    // Civil date to days, after H. Hinnant's `days_from_civil`.
    let y = if m <= 2 { y - 1 } else { y };
    let (era, yoe) = (y.div_euclid(400), y.rem_euclid(400));
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(Decimal::from(era * 146_097 + doe - 719_468 + SERIAL_1970))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_show_as_a_form_writes_them() {
        let date = |serial: i64| RawCell {
            value: RawValue::Date(Decimal::from(serial)),
            formula: None,
        };
        assert_eq!(date(45260).shown(), "2023年11月30日");
        assert_eq!(date(45291).shown(), "2023年12月31日");
        assert_eq!(date(45351).shown(), "2024年2月29日");
        assert_eq!(serial_of_iso("2023-11-30"), Some(Decimal::from(45260)));
        assert_eq!(
            serial_of_iso("2024-02-29T00:00:00"),
            Some(Decimal::from(45351))
        );
        assert_eq!(serial_of_iso("2023-13-01"), None);
        assert_eq!(
            serial_of_iso("99999999999999999-01-01"),
            None,
            "no overflow"
        );
        assert_eq!(serial_of_iso("第3季度"), None);
        // A serial no form means stays a number.
        assert_eq!(date(3).shown(), "3");
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
