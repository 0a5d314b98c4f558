//! `.xlsx` and `.xlsm`, read straight from the package: each part the check needs is
//! inflated and parsed once (workbook, its relationships, shared strings, the number formats
//! of the styles, and each worksheet with its merged ranges). Fonts, fills, borders and the
//! theme, which a general reader resolves for every workbook, are never opened.

mod merges;
#[cfg(test)]
mod oracle;
mod sheet;

use std::collections::{HashMap, HashSet};
use std::io::Cursor;

use super::format::NumberShape;
use super::{BookFormat, Limits, RawBook, RawSheet, ReadError};
use crate::intake::limits::MAX_HELD_PART_BYTES;
use crate::opc::{Inflated, RawEntry, WORKBOOK, part_key};
use crate::scan::{self, ScanError, attr_text, next_tag};

type Zip<'b> = zip::ZipArchive<Cursor<&'b [u8]>>;

/// Sheet bytes a workbook's reading keeps for the writer, in all: a form's sheet is tens of
/// KB, and a sheet past what is left is streamed as before.
const KEEP_SHEET_BYTES: u64 = 4 * 1024 * 1024;

/// Reads every worksheet of an admitted `.xlsx` package. With `for_copy`, it also returns
/// the parts it inflated whole that a corrected copy rewrites; without, it keeps none and
/// streams every sheet.
pub(super) fn read(
    bytes: &[u8],
    limits: &Limits,
    for_copy: bool,
) -> Result<(RawBook, Inflated), ReadError> {
    let mut package = Package::open(bytes, for_copy)?;
    let book = package
        .parse(WORKBOOK, Keep::Yes, workbook)?
        .ok_or(ReadError::NoWorkbookPart)?;
    if book.sheets.len() > limits.sheets {
        return Err(ReadError::TooManySheets {
            count: book.sheets.len(),
            limit: limits.sheets,
        });
    }
    let rels = package
        .parse(
            &crate::opc::rels_part_for(WORKBOOK),
            Keep::Yes,
            relationships,
        )?
        .unwrap_or_default();
    // The first relationship of a kind, in document order.
    let target = |kind: &str| {
        rels.iter()
            .find(|r| r.kind.rsplit('/').next() == Some(kind))
            .map(|r| r.path.clone())
    };
    let strings_part = target("sharedStrings").unwrap_or_else(|| "xl/sharedStrings.xml".into());
    let strings = package
        .parse(&strings_part, Keep::No, shared_strings)?
        .unwrap_or_default();
    let styles_part = target("styles").unwrap_or_else(|| "xl/styles.xml".into());
    let shapes = package
        .parse(&styles_part, Keep::Yes, number_shapes)?
        .unwrap_or_default();
    let shared = sheet::Shared {
        strings: &strings,
        shapes: &shapes,
        date1904: book.date1904,
    };
    let mut budget = sheet::Budget::of(limits);
    let mut keep_left = if for_copy { KEEP_SHEET_BYTES } else { 0 };
    let mut read_parts = HashSet::new();
    let mut sheets = Vec::with_capacity(book.sheets.len());
    for entry in &book.sheets {
        let rel = rels.iter().find(|r| r.id == entry.rel);
        // Chart sheets, dialog sheets and macro sheets hold no form.
        if rel.is_some_and(|r| !r.kind.ends_with("/worksheet")) {
            continue;
        }
        let sheet_err = |reason: String| ReadError::Sheet {
            sheet: entry.name.clone(),
            reason,
        };
        let Some(rel) = rel else {
            return Err(sheet_err(
                "工作簿未指明该表的部件 (the sheet's part is not named)".into(),
            ));
        };
        // Two sheets naming one part are one sheet twice: only a crafted package does that.
        if !read_parts.insert(part_key(&rel.path)) {
            continue;
        }
        let cells = match package.whole(&rel.path, keep_left) {
            Some(bytes) => {
                let cells =
                    sheet::read(&bytes[..], bytes.len() as u64, &shared, limits, &mut budget);
                keep_left -= bytes.len() as u64;
                package.kept.keep(&rel.path, bytes);
                cells
            }
            None => {
                let part = package
                    .stream(&rel.path)?
                    .ok_or_else(|| sheet_err(format!("缺少部件 {} (part missing)", rel.path)))?;
                let declared = part.size();
                sheet::read(part, declared, &shared, limits, &mut budget)
            }
        }
        .map_err(|e| sheet_err(e.to_string()))?;
        sheets.push(build(&entry.name, entry.hidden, cells));
    }
    let book = RawBook {
        format: BookFormat::Xlsx,
        sheets,
    };
    Ok((book, package.kept))
}

fn build(name: &str, hidden: bool, mut cells: sheet::Cells) -> RawSheet {
    // In address order each cell is appended; a crafted sheet listing them backwards would
    // otherwise shift every row at every cell. The sort is stable: a repeated address keeps
    // its last value.
    cells.found.sort_by_key(|c| (c.pos.row, c.pos.col));
    let rows = cells.found.last().map_or(0, |c| c.pos.row + 1);
    let cols = cells.found.iter().map(|c| c.pos.col + 1).max().unwrap_or(0);
    let mut out = RawSheet::new(name, rows, cols);
    out.hidden = hidden;
    out.formats = true;
    for found in cells.found {
        if found.fixed {
            out.fix_decimals(found.pos);
        }
        out.set(
            found.pos,
            super::RawCell {
                value: found.value,
                formula: None,
            },
        );
    }
    for m in cells.merges {
        out.add_merge(m);
    }
    out
}

/// The zip, with its part names looked up the way OOXML means them: ignoring case, with `\`
/// read as `/` (some exporters write either).
struct Package<'b> {
    bytes: &'b [u8],
    zip: Zip<'b>,
    names: HashMap<String, usize>,
    /// The parts read whole that the writer rewrites, when a copy is to be written.
    kept: Inflated,
    keeping: bool,
}

/// Whether a part read whole is kept for the writer.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keep {
    Yes,
    No,
}

impl<'b> Package<'b> {
    fn open(bytes: &'b [u8], keeping: bool) -> Result<Self, ReadError> {
        let zip = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| ReadError::Damaged(e.to_string()))?;
        let mut names = HashMap::new();
        for i in 0..zip.len() {
            let Some(Ok(name)) = zip.name_for_index(i) else {
                continue;
            };
            // Two entries one name apart only by case: the reader and the writer could take
            // different ones, and check one sheet while correcting another.
            if names.insert(part_key(&name), i).is_some() {
                return Err(ReadError::Damaged(format!(
                    "压缩包中有重名的部件“{name}” (two package parts share a name)"
                )));
            }
        }
        Ok(Self {
            bytes,
            zip,
            names,
            kept: Inflated::default(),
            keeping,
        })
    }

    /// Part `name` as a stream; `None` when the package has no such part.
    fn stream(
        &mut self,
        name: &str,
    ) -> Result<Option<zip::read::ZipFile<'_, Cursor<&'b [u8]>>>, ReadError> {
        let Some(&index) = self.names.get(&part_key(name)) else {
            return Ok(None);
        };
        let file = self
            .zip
            .by_index(index)
            .map_err(|e| ReadError::Damaged(format!("{name}: {e}")))?;
        Ok(Some(file))
    }

    /// Part `name` inflated in one call, when it is a plain entry that declares at most `cap`
    /// bytes and holds what it declares ([`RawEntry::inflate`]).
    fn at_once(&mut self, name: &str, cap: u64) -> Option<Vec<u8>> {
        let &index = self.names.get(&part_key(name))?;
        RawEntry::of(self.bytes, &mut self.zip, index)?.inflate(cap)
    }

    /// Runs `parse` over part `name`, read whole (at most [`MAX_HELD_PART_BYTES`], where
    /// the package's other parts are streamed); `None` when the package has no such part.
    fn parse<T>(
        &mut self,
        name: &str,
        keep: Keep,
        parse: impl FnOnce(&[u8]) -> Result<T, ScanError>,
    ) -> Result<Option<T>, ReadError> {
        let read = match self.at_once(name, MAX_HELD_PART_BYTES) {
            Some(bytes) => Ok(Some(bytes)),
            // Streamed, a damaged or oversized part fails with the zip crate's reason.
            None => {
                let Some(file) = self.stream(name)? else {
                    return Ok(None);
                };
                let declared = file.size();
                crate::opc::read_whole(file, declared, MAX_HELD_PART_BYTES)
            }
        };
        let bytes = match read {
            Err(e) => return Err(ReadError::Damaged(format!("{name}: {e}"))),
            Ok(None) => {
                return Err(ReadError::Oversized {
                    part: name.to_string(),
                });
            }
            Ok(Some(bytes)) => bytes,
        };
        let parsed = parse(&bytes).map_err(|e| ReadError::Damaged(format!("{name}: {e}")))?;
        if self.keeping && keep == Keep::Yes {
            self.kept.keep(name, bytes);
        }
        Ok(Some(parsed))
    }

    /// Part `name` inflated whole when it declares and holds at most `cap` bytes. `None`
    /// otherwise, and when it cannot be inflated: streamed instead, it then fails or is read
    /// as far as it goes exactly as before.
    fn whole(&mut self, name: &str, cap: u64) -> Option<Vec<u8>> {
        if cap == 0 {
            return None;
        }
        if let Some(bytes) = self.at_once(name, cap) {
            return Some(bytes);
        }
        let file = self.stream(name).ok()??;
        let declared = file.size();
        if declared > cap {
            return None;
        }
        crate::opc::read_whole(file, declared, cap).ok()?
    }
}

struct SheetEntry {
    name: String,
    hidden: bool,
    /// The relationship id naming its part.
    rel: String,
}

struct Workbook {
    sheets: Vec<SheetEntry>,
    date1904: bool,
}

fn workbook(xml: &[u8]) -> Result<Workbook, ScanError> {
    let mut book = Workbook {
        sheets: Vec::new(),
        date1904: false,
    };
    let mut at = 0;
    while let Some(tag) = next_tag(xml, at)? {
        at = tag.after;
        match (tag.name, tag.closing) {
            // Names are compared without their prefix, and Excel 2013 writes an
            // `x15:workbookPr` of its own: only the attribute decides.
            (b"workbookPr", false) => {
                if let Some(flag) = attr_text(tag.attrs, b"date1904")? {
                    book.date1904 = flag == "1" || flag == "true";
                }
            }
            (b"sheet", false) => {
                let required = |name: &'static str| {
                    attr_text(tag.attrs, name.as_bytes())?.ok_or(ScanError::MissingAttribute {
                        element: "sheet",
                        attribute: name,
                    })
                };
                let (name, rel) = (required("name")?, required("id")?);
                let state = attr_text(tag.attrs, b"state")?;
                book.sheets.push(SheetEntry {
                    name: name.into_owned(),
                    hidden: state.is_some_and(|s| s != "visible"),
                    rel: rel.into_owned(),
                });
            }
            _ => {}
        }
    }
    Ok(book)
}

struct Relationship {
    id: String,
    kind: String,
    /// The part's name in the package.
    path: String,
}

/// The workbook's relationships in document order, targets resolved against its folder.
fn relationships(xml: &[u8]) -> Result<Vec<Relationship>, ScanError> {
    let mut rels = Vec::new();
    let mut at = 0;
    while let Some(tag) = next_tag(xml, at)? {
        at = tag.after;
        if tag.name != b"Relationship" || tag.closing {
            continue;
        }
        let (Some(id), Some(kind), Some(target)) = (
            attr_text(tag.attrs, b"Id")?,
            attr_text(tag.attrs, b"Type")?,
            attr_text(tag.attrs, b"Target")?,
        ) else {
            continue;
        };
        // A link out of the package names no part of it (the writer skips these too).
        if attr_text(tag.attrs, b"TargetMode")?.is_some_and(|m| m == "External") {
            continue;
        }
        rels.push(Relationship {
            id: id.into_owned(),
            kind: kind.into_owned(),
            path: crate::opc::resolve_target(WORKBOOK, &target),
        });
    }
    Ok(rels)
}

fn shared_strings(xml: &[u8]) -> Result<Vec<String>, ScanError> {
    let mut strings = Vec::new();
    let mut at = 0;
    while let Some(tag) = next_tag(xml, at)? {
        at = tag.after;
        match (tag.name, tag.closing, tag.empty) {
            (b"si", false, true) => strings.push(String::new()),
            (b"si", false, false) => {
                let (text, after) = scan::rich_text(xml, at, b"si")?;
                strings.push(text);
                at = after;
            }
            _ => {}
        }
    }
    Ok(strings)
}

/// What each cell style (`cellXfs`, by index) shows a number as.
fn number_shapes(xml: &[u8]) -> Result<Vec<NumberShape>, ScanError> {
    let mut custom: HashMap<u32, String> = HashMap::new();
    let mut ids: Vec<Option<u32>> = Vec::new();
    let (mut in_formats, mut in_cell_xfs) = (false, false);
    let id_of = |attrs: &[u8]| -> Result<Option<u32>, ScanError> {
        Ok(attr_text(attrs, b"numFmtId")?.and_then(|v| v.parse().ok()))
    };
    let mut at = 0;
    while let Some(tag) = next_tag(xml, at)? {
        at = tag.after;
        let opens = !tag.closing && !tag.empty;
        match tag.name {
            b"numFmts" => in_formats = opens,
            b"cellXfs" => in_cell_xfs = opens,
            b"numFmt" if in_formats && !tag.closing => {
                if let (Some(id), Some(code)) =
                    (id_of(tag.attrs)?, attr_text(tag.attrs, b"formatCode")?)
                {
                    custom.insert(id, code.into_owned());
                }
            }
            b"xf" if in_cell_xfs && !tag.closing => ids.push(id_of(tag.attrs)?),
            _ => {}
        }
    }
    Ok(ids
        .into_iter()
        .map(|id| {
            id.map_or_else(NumberShape::default, |id| {
                NumberShape::of(id, custom.get(&id).map(String::as_str))
            })
        })
        .collect())
}
