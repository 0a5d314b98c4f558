//! One worksheet part, inflated once and in pieces: its cells as their formats show them,
//! then the merged ranges that follow the cells.

use std::borrow::Cow;
use std::io::{Cursor, Read};

use super::merges;
use crate::cell::{Placement, Pos};
use crate::reader::format::{NumberShape, float_value};
use crate::reader::{Limits, Merge, RawValue, serial_of_iso};
use crate::scan::{self, Attrs, ScanError, attr, rich_text, unescape_ooxml};

/// What the workbook tells every sheet.
pub(super) struct Shared<'a> {
    pub strings: &'a [String],
    /// Per style index (`s="…"`), what its number format shows.
    pub shapes: &'a [NumberShape],
    /// The 1904 date system: serials count from 1904-01-01, 1462 days later.
    pub date1904: bool,
}

/// A value the sheet holds, where, and whether its format fixes the decimals shown.
pub(super) struct Found {
    pub pos: Pos,
    pub value: RawValue,
    pub fixed: bool,
}

pub(super) struct Cells {
    pub found: Vec<Found>,
    pub merges: Vec<Merge>,
}

/// Why a sheet could not be read.
#[derive(Debug, thiserror::Error)]
pub(super) enum SheetError {
    #[error(transparent)]
    Scan(#[from] ScanError),
    #[error("解压失败 (cannot inflate the sheet): {0}")]
    Inflate(#[from] std::io::Error),
    #[error(
        "单元格 {} 引用的共享字符串不存在 (the cell names a shared string the workbook does not hold)",
        .0.a1()
    )]
    MissingString(Pos),
}

/// Inflated bytes taken at a time. The cells are scanned up to the last complete row, and
/// what follows waits for the next piece.
const PIECE: usize = 64 * 1024;
/// Bytes held waiting for a row to end; a row longer than this is no form's, and the sheet
/// is read up to it.
const MAX_ROW_BYTES: usize = 32 * 1024 * 1024;

/// Cells and text left to read: in the workbook (see [`Limits`]), or in one sheet.
#[derive(Debug, Clone, Copy)]
pub(super) struct Budget {
    cells: usize,
    text_bytes: usize,
}

impl Budget {
    /// What the workbook may spend in all.
    pub fn of(limits: &Limits) -> Self {
        Self {
            cells: limits.book_cells,
            text_bytes: limits.book_text_bytes,
        }
    }

    /// What one sheet may spend: its own limits, within what the workbook has left.
    fn sheet(&self, limits: &Limits) -> Self {
        Self {
            cells: self.cells.min(limits.cells),
            text_bytes: self.text_bytes.min(limits.text_bytes),
        }
    }

    fn spend(&mut self, spent: &Budget) {
        self.cells = self.cells.saturating_sub(spent.cells);
        self.text_bytes = self.text_bytes.saturating_sub(spent.text_bytes);
    }
}

/// Reads the sheet's cells, stopping at [`Limits`] and at what `budget` leaves, and its
/// merged ranges.
pub(super) fn read(
    mut part: impl Read,
    declared: u64,
    shared: &Shared<'_>,
    limits: &Limits,
    book: &mut Budget,
) -> Result<Cells, SheetError> {
    let mut budget = book.sheet(limits);
    let allowed = budget;
    let mut rows = Rows::new(shared, limits, &mut budget);
    // Most sheets fit one piece: no more is zeroed than the sheet says it holds.
    let piece = (declared as usize).clamp(PIECE / 4, PIECE);
    // Inflated bytes, of which the first `filled` are read. The buffer is zeroed once and
    // reused; a read into a small spare space would send the inflater down its slow path.
    let mut buf: Vec<u8> = Vec::new();
    let mut filled = 0;
    let rest = loop {
        if buf.len() - filled < piece / 4 {
            buf.resize(buf.len() + piece, 0);
        }
        let old = filled;
        let n = part.read(&mut buf[filled..])?;
        filled += n;
        let cut = match n {
            0 => Some(filled),
            _ => rows_end(&buf[..filled], old.saturating_sub(scan::STRADDLE)),
        };
        let Some(cut) = cut else {
            if filled > MAX_ROW_BYTES {
                break filled;
            }
            continue;
        };
        if let Some(stop) = rows.scan(&buf[..cut])? {
            break stop;
        }
        if n == 0 {
            // No `</sheetData>`: whatever merged ranges there are stand in these bytes.
            break 0;
        }
        buf.copy_within(cut..filled, 0);
        filled -= cut;
    };
    // The merged ranges stand after the cells: found in the bytes that remain, which are
    // searched, not parsed.
    let tail = merges::sheet_tail(Cursor::new(&buf[rest..filled]).chain(part));
    let found = rows.found;
    book.spend(&Budget {
        cells: allowed.cells - budget.cells,
        text_bytes: allowed.text_bytes - budget.text_bytes,
    });
    Ok(Cells {
        found,
        merges: tail.map(|t| merges::merges_in(&t)).unwrap_or_default(),
    })
}

/// Where the whole rows in `xml` end, searching from `from`: after the last `</row>`, before
/// the last `<row` (empty rows close themselves), or after `</sheetData>`.
fn rows_end(xml: &[u8], from: usize) -> Option<usize> {
    let at = |found: Option<usize>| found.map(|i| i + from);
    let new = &xml[from..];
    [
        at(scan::after_last_closing(new, b"row")),
        at(scan::before_last_opening(new, b"row")),
        at(scan::after_last_closing(new, b"sheetData")),
    ]
    .into_iter()
    .flatten()
    .max()
}

/// The cells scanned so far, and where the next row or cell goes when it does not say.
struct Rows<'s> {
    shared: &'s Shared<'s>,
    limits: &'s Limits,
    budget: &'s mut Budget,
    found: Vec<Found>,
    place: Placement,
}

/// What scanning a `<c>` leaves the rows to do.
enum Next {
    /// Go on from this byte.
    From(usize),
    /// The cells end here (a limit).
    Stop(usize),
}

impl<'s> Rows<'s> {
    fn new(shared: &'s Shared<'s>, limits: &'s Limits, budget: &'s mut Budget) -> Self {
        Self {
            shared,
            limits,
            budget,
            found: Vec::new(),
            place: Placement::default(),
        }
    }

    /// Scans whole rows. `Some(at)` when the cells end (`</sheetData>` or a limit) at `at`.
    fn scan(&mut self, xml: &[u8]) -> Result<Option<usize>, SheetError> {
        let mut at = 0;
        while let Some(tag) = scan::next_tag(xml, at)? {
            at = tag.after;
            match (tag.name, tag.closing) {
                (b"sheetData", true) => return Ok(Some(tag.start)),
                (b"row", false) => {
                    let row = self.place.row(attr(tag.attrs, b"r"));
                    // Rows come in order: the rest of a long sheet need not be scanned.
                    if row >= self.limits.rows {
                        return Ok(Some(tag.start));
                    }
                }
                (b"c", false) => match self.cell(xml, &tag)? {
                    Next::From(after) => at = after,
                    Next::Stop(stop) => return Ok(Some(stop)),
                },
                _ => {}
            }
        }
        Ok(None)
    }

    /// Reads one `<c>` and keeps its value.
    fn cell(&mut self, xml: &[u8], tag: &scan::Tag<'_>) -> Result<Next, SheetError> {
        let (mut r, mut style, mut kind) = (None, 0, Kind::Number);
        for (key, value) in Attrs(tag.attrs) {
            match key {
                b"r" => r = Some(value),
                b"s" => style = number::<usize>(value).unwrap_or(0),
                b"t" => kind = Kind::of(value),
                _ => {}
            }
        }
        let pos = self.place.cell(r);
        if pos.row >= self.limits.rows {
            return Ok(Next::Stop(tag.start));
        }
        if tag.empty {
            return Ok(Next::From(tag.after));
        }
        let (value, after) = cell_value(xml, tag.after, kind)?;
        let Some(value) = value else {
            return Ok(Next::From(after));
        };
        if pos.col >= self.limits.cols {
            return Ok(Next::From(after));
        }
        if self.budget.cells == 0 || self.budget.text_bytes == 0 {
            return Ok(Next::Stop(tag.start));
        }
        self.place(pos, style, value)?;
        Ok(Next::From(after))
    }

    fn place(&mut self, pos: Pos, style: usize, value: Value) -> Result<(), SheetError> {
        let shared = self.shared;
        let shape = shared.shapes.get(style).copied().unwrap_or_default();
        let spend = |budget: &mut Budget, text: &str| {
            budget.text_bytes = budget.text_bytes.saturating_sub(text.len());
        };
        let value = match value {
            Value::Text(t) => {
                spend(self.budget, &t);
                RawValue::Text(t)
            }
            Value::SharedString(index) => {
                let s = shared
                    .strings
                    .get(index)
                    .ok_or(SheetError::MissingString(pos))?;
                spend(self.budget, s);
                RawValue::Text(s.clone())
            }
            Value::Number(f) if shape.date && shared.date1904 => {
                float_value(f + DAYS_1900_TO_1904, shape)
            }
            Value::Number(f) => float_value(f, shape),
            Value::Raw(v) => {
                if let RawValue::Error(text) | RawValue::Text(text) = &v {
                    spend(self.budget, text);
                }
                v
            }
        };
        self.budget.cells -= 1;
        self.found.push(Found {
            pos,
            value,
            fixed: shape.decimals.is_some(),
        });
        Ok(())
    }
}

fn number<T: std::str::FromStr>(digits: &[u8]) -> Option<T> {
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// Days from 1899-12-30 to 1904-01-01: a 1904-system serial plus this is a 1900-system one.
const DAYS_1900_TO_1904: f64 = 1462.0;

/// The `t` attribute of a cell.
#[derive(Clone, Copy)]
enum Kind {
    Shared,
    Inline,
    /// A formula's text result.
    Str,
    Bool,
    Error,
    /// An ISO 8601 date, `t="d"`.
    IsoDate,
    /// A number, `t="n"` or no `t` at all.
    Number,
}

impl Kind {
    fn of(t: &[u8]) -> Self {
        match t {
            b"s" => Self::Shared,
            b"inlineStr" => Self::Inline,
            b"str" => Self::Str,
            b"b" => Self::Bool,
            b"e" => Self::Error,
            b"d" => Self::IsoDate,
            _ => Self::Number,
        }
    }
}

/// A cell's content before the workbook's tables give it meaning.
enum Value {
    Text(String),
    /// An index into the shared strings.
    SharedString(usize),
    Number(f64),
    Raw(RawValue),
}

/// Reads a `<c>` element's body from `from` up to `</c>`: the value (`None` when it holds
/// none) and where the byte after `</c>` is. A formula is passed over: the writer sees it in
/// the package it patches.
fn cell_value(xml: &[u8], from: usize, kind: Kind) -> Result<(Option<Value>, usize), ScanError> {
    if let Some((text, after)) = plain_value(xml, from)? {
        return Ok((from_text(kind, text), after));
    }
    let mut at = from;
    let mut v: Option<Cow<'_, str>> = None;
    let mut inline: Option<String> = None;
    loop {
        let tag = scan::next_tag(xml, at)?.ok_or_else(|| ScanError::NoEndTag("c".into()))?;
        at = tag.after;
        match (tag.name, tag.closing, tag.empty) {
            (b"c", true, _) => break,
            (b"v", false, false) => {
                let (text, after) = scan::text(xml, at)?;
                v = Some(text);
                at = after;
            }
            (b"v", false, true) => v = Some(Cow::Borrowed("")),
            (b"is", false, false) => {
                let (text, after) = rich_text(xml, at, b"is")?;
                inline = Some(text);
                at = after;
            }
            (b"is", false, true) => inline = Some(String::new()),
            _ => {}
        }
    }
    // An inline string is read wherever `<is>` stands, even without `t="inlineStr"`.
    let value = match (kind, v, inline) {
        (_, None, Some(text)) | (Kind::Inline, _, Some(text)) => Some(Value::Text(text)),
        (_, None, None) | (Kind::Inline, _, None) => None,
        (kind, Some(text), _) => from_text(kind, text),
    };
    Ok((value, at))
}

/// The body of almost every cell a program writes, `<v>…</v></c>` after an optional
/// `<f>…</f>` or `<f …/>`, without prefixes: read without visiting each tag. `None` for any
/// other body, which [`cell_value`] then reads tag by tag.
fn plain_value(xml: &[u8], from: usize) -> Result<Option<(Cow<'_, str>, usize)>, ScanError> {
    let mut at = from;
    if xml[at..].starts_with(b"<f") && matches!(xml.get(at + 2), Some(b'>' | b' ' | b'/')) {
        let Some(gt) = scan::tag_end(&xml[at + 1..]).map(|i| i + at + 1) else {
            return Ok(None);
        };
        at = match xml[gt - 1] {
            b'/' => gt + 1,
            // A formula's text holds no `<`: the next one must open `</f>`.
            _ => match memchr::memchr(b'<', &xml[gt + 1..]).map(|i| i + gt + 1) {
                Some(end) if xml[end..].starts_with(b"</f>") => end + 4,
                _ => return Ok(None),
            },
        };
    }
    let Some(body) = xml[at..].strip_prefix(b"<v>") else {
        return Ok(None);
    };
    let Some(lt) = memchr::memchr(b'<', body) else {
        return Ok(None);
    };
    if !body[lt..].starts_with(b"</v></c>") {
        return Ok(None);
    }
    Ok(Some((scan::decode(&body[..lt])?, at + 3 + lt + 8)))
}

/// A `<v>` as its cell type reads it.
fn from_text(kind: Kind, text: Cow<'_, str>) -> Option<Value> {
    match kind {
        // Read from `<is>`, never from `<v>`.
        Kind::Inline => None,
        Kind::Shared if text.is_empty() => None,
        // An index that is no number names no string either.
        Kind::Shared => Some(Value::SharedString(
            text.trim().parse().unwrap_or(usize::MAX),
        )),
        Kind::Str => Some(Value::Text(unescape_ooxml(&text).into_owned())),
        Kind::Bool => match text.trim() {
            "" => None,
            "1" => Some(Value::Raw(RawValue::Bool(true))),
            "0" => Some(Value::Raw(RawValue::Bool(false))),
            t if t.eq_ignore_ascii_case("true") => Some(Value::Raw(RawValue::Bool(true))),
            t if t.eq_ignore_ascii_case("false") => Some(Value::Raw(RawValue::Bool(false))),
            _ => Some(Value::Text(text.into_owned())),
        },
        Kind::Error => Some(Value::Raw(RawValue::Error(text.into_owned()))),
        Kind::IsoDate => Some(Value::Raw(
            serial_of_iso(&text).map_or_else(|| RawValue::Text(text.into_owned()), RawValue::Date),
        )),
        Kind::Number if text.is_empty() => None,
        Kind::Number => Some(match text.parse::<f64>() {
            Ok(f) => Value::Number(f),
            // Not a number after all: kept as the text it is, for the model to report.
            Err(_) => Value::Text(text.into_owned()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet_xml(rows: u32) -> Vec<u8> {
        let mut xml = b"<worksheet><x:sheetData>".to_vec();
        for r in 1..=rows {
            // Empty styled rows close themselves, as WPS writes them; every tenth holds cells.
            let row = match r % 10 {
                0 => format!(
                    r#"<x:row r="{r}"><x:c r="A{r}"><x:v>{r}</x:v></x:c><x:c r="B{r}"><x:f>A{r}*2</x:f><x:v>{}</x:v></x:c></x:row>"#,
                    r * 2
                ),
                _ => format!(r#"<x:row r="{r}" s="3" customFormat="1"/>"#),
            };
            xml.extend(row.bytes());
        }
        xml.extend(
            b"</x:sheetData><mergeCells><mergeCell ref=\"A1:B2\"/></mergeCells></worksheet>",
        );
        xml
    }

    #[test]
    fn a_sheet_read_in_small_pieces_keeps_every_cell_and_its_merges() {
        let xml = sheet_xml(30_000);
        let shared = Shared {
            strings: &[],
            shapes: &[],
            date1904: false,
        };
        let limits = crate::reader::LIMITS;
        for step in [4093, 65_536] {
            let mut budget = Budget::of(&limits);
            let cells = read(
                scan::Trickle(&xml, step),
                xml.len() as u64,
                &shared,
                &limits,
                &mut budget,
            )
            .expect("read");
            // Rows 10, 20, … 20 000 are within the 20 000 rows read; two cells each.
            assert_eq!(cells.found.len(), 2 * 2000, "read {step} bytes at a time");
            let last = cells.found.last().expect("cells");
            assert_eq!(last.pos, Pos::new(19_999, 1));
            assert!(matches!(&last.value, RawValue::Number(n) if n.value == 40_000.into()));
            assert_eq!(cells.merges.len(), 1, "the merged range after the limit");
            assert_eq!(budget.cells, limits.book_cells - 2 * 2000);
        }
    }
}
