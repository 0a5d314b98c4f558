//! The corrected workbook: the department's own form, changed only where it was wrong.
//!
//! `.xlsx`/`.xlsm` input is patched part by part ([`patch`]); `.xls`/`.ods` input, which no
//! Rust crate writes, is rebuilt as a clean `.xlsx` from its values ([`rebuild`]).

mod patch;
mod rebuild;
mod recalc;

pub use patch::{patch_inflated, patch_opened, patch_xlsx};
pub use rebuild::rebuild_xlsx;

/// The value a corrected cell takes: the scorer decides it, the writer writes it.
pub use crate::finding::NewValue;

use crate::cell::CellRef;

/// The names a corrected copy of `stem.ext` may take, best first: `a.checked.xlsx`, then
/// `a.xls.checked.xlsx`, `a.xls.3.checked.xlsx`… (`a.2.checked.xlsx`… without an extension).
/// An `.xlsm` keeps its macros as `.checked.xlsm` unless it is `rebuilt` from a legacy
/// workbook. Every front end names copies this way; each takes the first name it has not
/// given yet in its run.
fn copy_names(
    stem: &std::ffi::OsStr,
    ext: &str,
    rebuilt: bool,
) -> impl Iterator<Item = std::ffi::OsString> {
    let ext = ext.to_ascii_lowercase();
    let out = if ext == "xlsm" && !rebuilt {
        "xlsm"
    } else {
        "xlsx"
    };
    let stem = stem.to_os_string();
    (1u64..).map(move |n| {
        let tail = match (n, ext.is_empty()) {
            (1, _) => format!(".checked.{out}"),
            (n, true) => format!(".{n}.checked.{out}"),
            (2, false) => format!(".{ext}.checked.{out}"),
            (n, false) => format!(".{ext}.{n}.checked.{out}"),
        };
        let mut name = stem.clone();
        name.push(tail);
        name
    })
}

/// The names already given to outputs of one run or answer. Names are compared ignoring
/// case, as Windows and macOS file systems, and Windows unzipping, do; a name that is not
/// UTF-8 is compared by its bytes, ASCII case folded.
#[derive(Debug, Default)]
pub struct TakenNames(std::collections::BTreeSet<std::ffi::OsString>);

impl TakenNames {
    /// Takes `path` for an output; false when it, or a name differing only in case, was
    /// taken already.
    pub fn take(&mut self, path: &std::path::Path) -> bool {
        let key = match path.to_str() {
            Some(s) => s.to_lowercase().into(),
            None => path.as_os_str().to_ascii_lowercase(),
        };
        self.0.insert(key)
    }
}

/// The first of [`copy_names`] in `dir` not yet `taken`, which it takes.
pub fn free_copy_name(
    dir: &std::path::Path,
    stem: &std::ffi::OsStr,
    ext: &str,
    rebuilt: bool,
    taken: &mut TakenNames,
) -> std::path::PathBuf {
    copy_names(stem, ext, rebuilt)
        .map(|name| dir.join(name))
        .find(|candidate| taken.take(candidate))
        .expect("the names never run out")
}

/// How a changed or questioned cell is highlighted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Red fill; the cell holds the recomputed value.
    Error,
    /// Yellow fill; the written value is kept.
    Warning,
    /// A note alone, the cell as it was: what the bureau's own books say of it (a ledger
    /// may be wrong too, so the department's cell is not marked).
    Note,
}

/// One cell to highlight, and possibly to overwrite.
#[derive(Debug, Clone, PartialEq)]
pub struct CellEdit {
    pub cell: CellRef,
    pub mark: Mark,
    /// `None` keeps the written value (warnings). A formula in the cell stays where it
    /// recalculates to the new value from the corrected cells, its cached value updated, and
    /// is replaced and quoted in the note elsewhere (SPEC §6). The writer decides, because
    /// only it reads the formulas of an `.xlsx` (see `recalc`).
    pub value: Option<NewValue>,
    /// The note text: `原填报 X；应为 Y；依据 …`. Several findings on one cell are joined
    /// by the caller into one note.
    pub note: String,
}

/// One row of the 核查结果 sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct FindingRow {
    pub cell: CellRef,
    /// The indicator of the finding's row, where it is on one.
    pub indicator: String,
    pub code: crate::finding::Code,
    /// 错误 / 警告 / 提示
    pub severity: String,
    pub claimed: String,
    pub expected: String,
    pub message: String,
}

impl FindingRow {
    /// The row's cells in [`FINDINGS_HEADERS`] order, the cell's sheet called `sheet` (a
    /// rebuilt copy may rename it); the first is the link to the cell.
    pub fn texts(&self, sheet: &str) -> [String; 7] {
        [
            format!("{sheet}!{}", self.cell.pos),
            self.indicator.clone(),
            self.severity.clone(),
            self.claimed.clone(),
            self.expected.clone(),
            self.message.clone(),
            format!("{}（{}）", self.code.name(), self.code),
        ]
    }
}

/// Everything the writer changes in a workbook.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Corrections {
    pub edits: Vec<CellEdit>,
    /// The lines above the findings sheet's table, the first its title: what was checked,
    /// the totals and grades, the rules, the tool and the date.
    pub head: Vec<String>,
    pub findings: Vec<FindingRow>,
}

/// The 0-based row of the findings table's header, below the head lines and a blank row:
/// the row repeated on every printed page.
pub fn findings_table_row(head: &[String]) -> u32 {
    head.len() as u32 + u32::from(!head.is_empty())
}

/// What the findings sheet's table says when there is nothing to list.
pub const NO_FINDINGS: &str = "未发现问题";

/// Excel's last row and column, 0-based: a sheet holds no cell beyond them.
pub const LAST_ROW: u32 = 1_048_575;
pub const LAST_COL: u32 = 16_383;

/// Excel's longest text in a cell, in UTF-16 units: it refuses a workbook holding a longer one,
/// and rust_xlsxwriter refuses to write one.
pub const MAX_CELL_UNITS: usize = 32_767;

/// A note's own text at most, leaving room for the author line that heads it.
pub const MAX_NOTE_UNITS: usize = MAX_CELL_UNITS - 60;

/// The longest prefix of `text` within `max` UTF-16 units, Excel's measure of a string.
pub fn clip_units(text: &str, max: usize) -> &str {
    // No character takes more UTF-16 units than UTF-8 bytes.
    if text.len() <= max {
        return text;
    }
    let mut units = 0;
    for (i, c) in text.char_indices() {
        units += c.len_utf16();
        if units > max {
            return &text[..i];
        }
    }
    text
}

/// The longest prefix of `text` that one cell holds. A form's cell may hold more than Excel
/// allows (another program wrote it), and a finding may quote such a cell.
pub fn fit_cell(text: &str) -> &str {
    clip_units(text, MAX_CELL_UNITS)
}

pub use crate::finding::FINDINGS_SHEET;

/// Headers of the findings sheet, in order.
pub const FINDINGS_HEADERS: [&str; 7] = [
    "单元格",
    "指标",
    "级别",
    "原填报",
    "应为",
    "说明",
    "问题类型",
];

/// Column widths of the findings sheet, in characters, for [`FINDINGS_HEADERS`]: the patched
/// copy and the rebuilt one lay it out alike, landscape on one page's width.
pub const FINDINGS_WIDTHS: [u32; 7] = [14, 18, 6, 12, 12, 60, 24];

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("无法读取工作簿包 (cannot read the workbook package): {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("工作簿包缺少部件 {0} (the package has no part {0})")]
    MissingPart(String),
    #[error("工作簿包的部件 {0} 解压后过大 (the package part {0} is too large)")]
    TooLarge(String),
    #[error("无法复制部件 {part} (cannot copy part {part}): {reason}")]
    Copy { part: String, reason: String },
    #[error("无法解析部件 {part} (cannot parse part {part}): {reason}")]
    Xml { part: String, reason: String },
    #[error("工作簿中没有工作表“{0}” (no sheet named {0})")]
    NoSheet(String),
    #[error("写入失败 (write failed): {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("读写错误 (I/O error): {0}")]
    Io(#[from] std::io::Error),
}

/// The corrected workbook's bytes: the input package patched when it is `.xlsx`/`.xlsm`,
/// a rebuilt `.xlsx` otherwise. `inflated` holds the package parts the reader inflated.
pub fn write_corrected(
    input: &[u8],
    book: &crate::reader::RawBook,
    inflated: &crate::opc::Inflated,
    corrections: &Corrections,
) -> Result<Vec<u8>, WriteError> {
    match book.format {
        crate::reader::BookFormat::Xlsx => patch_inflated(input, inflated, book, corrections),
        crate::reader::BookFormat::Xls | crate::reader::BookFormat::Ods => {
            rebuild_xlsx(book, corrections)
        }
    }
}
