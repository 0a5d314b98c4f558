//! Cells → raw located values. Opens any workbook calamine reads and keeps, per sheet, a
//! grid of cells with their shown precision, formulas and merged ranges. Knows nothing of
//! the form.

mod merges;

use std::collections::HashSet;
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
    /// Whether number formats were read. calamine reports none for `.xls` and `.ods`, so
    /// there a percentage typed as `95%` arrives as a bare 0.95.
    pub formats: bool,
    /// Row count and column count of the grid, which starts at A1.
    pub rows: u32,
    pub cols: u32,
    /// Each row's cells that hold something, by column. Sparse, so that one far-off cell in
    /// a crafted sheet costs that cell, not the whole grid up to it.
    grid: Vec<Vec<(u32, RawCell)>>,
    /// At most [`MAX_MERGES`]; each is kept as a range, never expanded cell by cell (one
    /// `A1:XFD1048576` would be seventeen billion cells).
    pub merges: Vec<Merge>,
    /// Number cells whose format fixes the decimals shown (`0.00`, `0%`); elsewhere a number
    /// shows its whole stored value.
    fixed_decimals: HashSet<Pos>,
}

/// Merged ranges kept per sheet; a form has a few hundred at most.
const MAX_MERGES: usize = 10_000;

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
            grid: vec![Vec::new(); rows as usize],
            merges: Vec::new(),
            fixed_decimals: HashSet::new(),
        }
    }

    /// The cell exactly at `pos`, ignoring merges.
    pub fn own(&self, pos: Pos) -> &RawCell {
        let Some(row) = self.grid.get(pos.row as usize) else {
            return &EMPTY;
        };
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
            // Only the band's own rows are copied: the others stay empty, not cloned.
            grid: (0..self.rows)
                .map(|r| match inside(r) {
                    true => self.grid[r as usize].clone(),
                    false => Vec::new(),
                })
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
        self.grid.iter().enumerate().flat_map(|(r, row)| {
            row.iter()
                .filter(|(_, c)| !c.is_vacant())
                .map(move |(col, c)| (Pos::new(r as u32, *col), c))
        })
    }

    /// Puts `cell` at `pos`, within the grid; an empty cell leaves no trace.
    pub fn set(&mut self, pos: Pos, cell: RawCell) {
        if pos.col >= self.cols {
            return;
        }
        let Some(row) = self.grid.get_mut(pos.row as usize) else {
            return;
        };
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
        if self.merges.len() < MAX_MERGES && merge.first != merge.last {
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
    /// or `.xls`/`.ods` whose formats are not read) a number cell shows its value in full.
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
    #[error("工作表“{sheet}”无法读取：{reason} (sheet cannot be read)")]
    Sheet { sheet: String, reason: String },
}

/// Opens a workbook from its bytes.
pub fn read_book(bytes: &[u8]) -> Result<RawBook, ReadError> {
    let format = crate::intake::admit(bytes)?;
    let cursor = Cursor::new(bytes);
    match format {
        BookFormat::Xlsx => {
            let mut wb = Xlsx::new(cursor).map_err(xlsx_error)?;
            read_xlsx(&mut wb, bytes)
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
                Ok(merges)
            })
        }
        BookFormat::Ods => {
            let mut wb = Ods::new(cursor).map_err(|e| match e {
                calamine::OdsError::Password => ReadError::Password,
                other => ReadError::Damaged(other.to_string()),
            })?;
            // calamine does not report merged ranges for ODS; the model tolerates
            // level-1/level-2 labels written once with blanks below.
            read_sheets(&mut wb, format, |_, _| Ok(Vec::new()))
        }
    }
}

/// Cells beyond these are no part of any form; a sheet that reaches them is read up to them.
const MAX_ROWS: u32 = 20_000;
const MAX_COLS: u32 = 512;
/// Cells read from one sheet at most, so that a crafted sheet cannot exhaust memory.
const MAX_CELLS: usize = 200_000;
/// Text read from one sheet at most: a form holds well under 100 KB, and every label is
/// copied a few times on its way through the model.
const MAX_TEXT_BYTES: usize = 16 * 1024 * 1024;

/// `.xlsx`: values and their number formats in one pass over each sheet (the floor a
/// checker is measured against reads each sheet once), then the merged ranges from the
/// sheets' bytes. Formulas are left to the writer, which sees them in the package it patches.
fn read_xlsx<RS: std::io::Read + std::io::Seek>(
    wb: &mut Xlsx<RS>,
    bytes: &[u8],
) -> Result<RawBook, ReadError> {
    let mut merges = merges::merges_by_sheet(bytes);
    let metas = worksheets(wb.sheets_metadata());
    let mut sheets = Vec::with_capacity(metas.len());
    for (name, hidden) in metas {
        let sheet_err = |reason: String| ReadError::Sheet {
            sheet: name.clone(),
            reason,
        };
        let mut found: Vec<(Pos, Data, usize)> = Vec::new();
        let mut text_bytes = 0usize;
        let mut reader = wb
            .worksheet_cells_reader(&name)
            .map_err(|e| sheet_err(e.to_string()))?;
        while let Some((cell, style)) = reader
            .next_cell_with_style_id()
            .map_err(|e| sheet_err(e.to_string()))?
        {
            let (row, col) = cell.get_position();
            // Rows come in order: the rest of a million-row sheet need not even be parsed.
            if row >= MAX_ROWS {
                break;
            }
            if col >= MAX_COLS || *cell.get_value() == calamine::DataRef::Empty {
                continue;
            }
            if found.len() >= MAX_CELLS || text_bytes > MAX_TEXT_BYTES {
                break;
            }
            let data: Data = cell.get_value().clone().into();
            if let Data::String(s) = &data {
                text_bytes += s.len();
            }
            found.push((Pos::new(row, col), data, style));
        }
        // What each style's number format shows, worked out once per style, not per cell.
        let shapes: Vec<NumberShape> = reader
            .styles()
            .iter()
            .map(|s| {
                s.number_format
                    .as_ref()
                    .map(NumberShape::of)
                    .unwrap_or_default()
            })
            .collect();
        drop(reader);
        let rows = found.iter().map(|c| c.0.row + 1).max().unwrap_or(0);
        let cols = found.iter().map(|c| c.0.col + 1).max().unwrap_or(0);
        let mut sheet = RawSheet::new(&name, rows, cols);
        sheet.hidden = hidden;
        sheet.formats = true;
        for (pos, data, style) in found {
            place(
                &mut sheet,
                pos,
                data,
                shapes.get(style).copied().unwrap_or_default(),
            );
        }
        for m in merges.remove(&name).unwrap_or_default() {
            sheet.add_merge(m);
        }
        sheets.push(sheet);
    }
    Ok(RawBook {
        format: BookFormat::Xlsx,
        sheets,
    })
}

/// Puts one value into the grid as its format shows it.
fn place(sheet: &mut RawSheet, pos: Pos, data: Data, shape: NumberShape) {
    let value = convert(data, shape);
    if shape.decimals.is_some() {
        sheet.fix_decimals(pos);
    }
    sheet.set(
        pos,
        RawCell {
            value,
            formula: None,
        },
    );
}

/// The worksheets (not chart sheets) in workbook order, each with whether it is hidden.
fn worksheets(meta: &[calamine::Sheet]) -> Vec<(String, bool)> {
    meta.iter()
        .filter(|s| s.typ == calamine::SheetType::WorkSheet)
        .map(|s| (s.name.clone(), s.visible != SheetVisible::Visible))
        .collect()
}

fn xlsx_error(e: calamine::XlsxError) -> ReadError {
    match e {
        calamine::XlsxError::Password => ReadError::Password,
        other => ReadError::Damaged(other.to_string()),
    }
}

/// `.xls` and `.ods`: values and formulas through calamine's ranges, merged ranges from
/// `merges`. calamine reads no number formats for these, so `formats` stays false.
fn read_sheets<R, RS>(
    wb: &mut R,
    format: BookFormat,
    merges: impl Fn(&mut R, &str) -> Result<Vec<calamine::Dimensions>, String>,
) -> Result<RawBook, ReadError>
where
    R: Reader<RS>,
    RS: std::io::Read + std::io::Seek,
    R::Error: std::fmt::Display,
{
    let metas = worksheets(wb.sheets_metadata());
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
        let merged = merges(wb, &name).map_err(sheet_err)?;
        let mut sheet = build_sheet(&name, &range, formulas.as_ref());
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
) -> RawSheet {
    let (rows, cols) = range.end().map_or((0, 0), |(r, c)| (r + 1, c + 1));
    let mut sheet = RawSheet::new(name, rows, cols);
    for (r, c, data) in range.used_cells() {
        let (row, col) = match range.start() {
            Some((r0, c0)) => (r0 + r as u32, c0 + c as u32),
            None => continue,
        };
        place(
            &mut sheet,
            Pos::new(row, col),
            data.clone(),
            NumberShape::default(),
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

fn convert(data: Data, shape: NumberShape) -> RawValue {
    match data {
        Data::Empty => RawValue::Empty,
        // ODS gives dates as ISO text: kept as the date they are.
        Data::DateTimeIso(s) => serial_of_iso(&s).map_or(RawValue::Text(s), RawValue::Date),
        Data::String(s) | Data::DurationIso(s) => RawValue::Text(s),
        Data::Bool(b) => RawValue::Bool(b),
        Data::Error(e) => RawValue::Error(e.to_string()),
        Data::DateTime(dt) => decimal_from_f64(dt.as_f64()).map_or(RawValue::Empty, RawValue::Date),
        Data::Int(i) => number(Decimal::from(i), shape),
        Data::Float(f) => match decimal_from_f64(f) {
            Some(d) => number(d, shape),
            // Beyond what an exact decimal holds: kept as text so the model can report it.
            None => RawValue::Text(format!("{f}")),
        },
    }
}

/// A number as its format shows it. A formula's 9.6842105 in a `0.00` cell is the 9.68 the
/// department saw and wrote about; the value behind it is only known to lie within half a
/// unit of that (SPEC §4), which is how the scorer treats every shown number.
fn number(value: Decimal, shape: NumberShape) -> RawValue {
    let value = if shape.decimals.is_none() {
        general(value)
    } else {
        value
    };
    let own = value.normalize().scale();
    let decimals = match (shape.decimals, shape.percent) {
        (Some(d), true) => d + 2,
        (Some(d), false) => d,
        (None, _) => own,
    };
    RawValue::Number(Shown {
        value: crate::number::round_half_away(value, decimals).normalize(),
        decimals,
        percent: shape.percent,
    })
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
fn serial_of_iso(iso: &str) -> Option<Decimal> {
    let date = iso.split('T').next()?;
    let mut parts = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Civil date to days, after H. Hinnant's `days_from_civil`.
    let y = if m <= 2 { y - 1 } else { y };
    let (era, yoe) = (y.div_euclid(400), y.rem_euclid(400));
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(Decimal::from(era * 146_097 + doe - 719_468 + SERIAL_1970))
}

/// Significant digits a spreadsheet's General format shows at most (Excel: 11 characters).
const GENERAL_DIGITS: u32 = 10;

/// A number without a format that fixes its decimals, as General shows it: a formula's
/// 17.416666666666668 is 17.41666667; the float's last digits were never on the form.
fn general(value: Decimal) -> Decimal {
    let int_digits = value.abs().trunc().normalize().to_string().len() as u32;
    let places = GENERAL_DIGITS.saturating_sub(int_digits);
    if value.scale() > places {
        crate::number::round_half_away(value, places).normalize()
    } else {
        value
    }
}

/// What a number format code says about display: decimals and percent.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
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
    fn a_number_is_what_its_format_shows() {
        let format = |code: &str| {
            let mut f = calamine::NumberFormat::default();
            f.format_code = code.to_string();
            f.format_id = None;
            f
        };
        let shown = |v: &str, code: &str| match number(
            v.parse().unwrap(),
            NumberShape::of(&format(code)),
        ) {
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
