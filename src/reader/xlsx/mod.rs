//! `.xlsx` and `.xlsm`, read by calamine from the package as [`crate::opc::Package`]
//! resolves it: the workbook part the package relationship names, each sheet its
//! relationship names, and the shared strings and styles the workbook's relationships name.
//!
//! calamine looks parts up by names of its own (`xl/sharedStrings.xml` beside the workbook,
//! a sheet's target appended to the workbook's folder) and reads every part as UTF-8. So it
//! is handed a [`View`] of the package: a small zip whose few entries are the parts resolved
//! here, under the names calamine looks for, copied as stored (or, for a part stored as
//! UTF-16, transcoded). Both therefore read the same parts, whatever the package calls them.

#[cfg(test)]
mod oracle;

use std::collections::HashSet;
use std::io::{Cursor, Write};

use calamine::{DataRef, Reader, Xlsx};

use super::format::{NumberShape, float_value, number};
use super::{BookFormat, Limits, Merge, RawBook, RawCell, RawSheet, RawValue, ReadError};
use crate::cell::Pos;
use crate::limits::{MAX_CELL_FORMATS, MAX_ENTRY_BYTES, MAX_HELD_PART_BYTES, MAX_MERGES};
use crate::opc::{Inflated, OpcError, Package, part_key};

/// Sheet bytes a workbook's reading keeps for the writer, in all: a form's sheet is tens of
/// KB; a sheet past what is left the writer inflates itself.
const KEEP_SHEET_BYTES: u64 = 4 * 1024 * 1024;

/// Days from 1899-12-30 to 1904-01-01: a 1904-system serial plus this is a 1900-system one.
const DAYS_1900_TO_1904: f64 = 1462.0;

/// What each of a workbook's cell styles does to a number, by style id, from the number
/// format calamine reports for it.
fn shapes_of(styles: &[calamine::Style]) -> Vec<NumberShape> {
    styles
        .iter()
        .map(|s| {
            s.number_format
                .as_ref()
                .map_or_else(NumberShape::default, |f| {
                    NumberShape::of(f.format_id.unwrap_or(0), Some(&f.format_code))
                })
        })
        .collect()
}

/// Reads every worksheet of an admitted `.xlsx` package. With `for_copy`, it also returns
/// the parts that a corrected copy rewrites (workbook, its relationships, styles, sheets),
/// inflated once here and in UTF-8.
pub(super) fn read(
    bytes: &[u8],
    limits: &Limits,
    for_copy: bool,
) -> Result<(RawBook, Inflated), ReadError> {
    read_opened(&mut Package::open_workbook(bytes)?, limits, for_copy)
}

/// [`read`] for a package already opened and resolved.
pub(super) fn read_opened(
    package: &mut Package<'_>,
    limits: &Limits,
    for_copy: bool,
) -> Result<(RawBook, Inflated), ReadError> {
    let view = View::of(package, for_copy)?;
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(&view.bytes[..])).map_err(|e| match e {
        calamine::XlsxError::Password => ReadError::Password,
        e => ReadError::Damaged(format!("{}: {e}", view.workbook)),
    })?;
    let metas = super::worksheets(wb.sheets_metadata());
    if wb.sheets_metadata().len() > limits.sheets {
        return Err(ReadError::TooManySheets {
            count: wb.sheets_metadata().len(),
            limit: limits.sheets,
        });
    }
    let date1904 = wb.has_1904_epoch();
    let mut budget = Budget {
        cells: limits.book_cells,
        text_bytes: limits.book_text_bytes,
    };
    let mut shapes: Option<Vec<NumberShape>> = None;
    let mut sheets = Vec::with_capacity(metas.len());
    for (_, name, hidden) in metas {
        if view.repeated.contains(&name) {
            continue;
        }
        let sheet_err = |e: calamine::XlsxError| ReadError::Sheet {
            sheet: name.clone(),
            reason: e.to_string(),
        };
        let mut cells = Vec::new();
        let mut reader = wb.worksheet_cells_reader(&name).map_err(sheet_err)?;
        let shapes = shapes.get_or_insert_with(|| shapes_of(reader.styles()));
        let mut left = Budget {
            cells: budget.cells.min(limits.cells),
            text_bytes: budget.text_bytes.min(limits.text_bytes),
        };
        let allowed = left;
        while left.cells > 0 && left.text_bytes > 0 {
            let Some((cell, style)) = reader.next_cell_with_style_id().map_err(sheet_err)? else {
                break;
            };
            let (row, col) = cell.get_position();
            // Rows come in order: the rest of a long sheet is not read.
            if row >= limits.rows {
                break;
            }
            let shape = shapes.get(style).copied().unwrap_or_default();
            let Some(value) = value(cell.get_value(), shape, date1904) else {
                continue;
            };
            if col >= limits.cols {
                continue;
            }
            if let RawValue::Text(t) | RawValue::Error(t) = &value {
                left.text_bytes = left.text_bytes.saturating_sub(t.len());
            }
            left.cells -= 1;
            cells.push((Pos::new(row, col), value, shape.decimals.is_some()));
        }
        drop(reader);
        budget.cells -= allowed.cells - left.cells;
        budget.text_bytes -= allowed.text_bytes - left.text_bytes;
        let merges = wb.merge_cells_by_sheet_name(&name).map_err(sheet_err)?;
        sheets.push(build(&name, hidden, cells, &merges));
    }
    let book = RawBook {
        format: BookFormat::Xlsx,
        sheets,
    };
    Ok((book, view.kept))
}

/// Cells and text left to read: in the workbook (see [`Limits`]), or in one sheet.
#[derive(Debug, Clone, Copy)]
struct Budget {
    cells: usize,
    text_bytes: usize,
}

/// A cell's value as its style's number format shows it; `None` for an empty one.
fn value(data: &DataRef<'_>, shape: NumberShape, date1904: bool) -> Option<RawValue> {
    let serial = |f: f64| match shape.date && date1904 {
        true => f + DAYS_1900_TO_1904,
        false => f,
    };
    Some(match data {
        DataRef::Empty => return None,
        DataRef::String(s) | DataRef::DurationIso(s) => RawValue::Text(s.clone()),
        DataRef::SharedString(s) => RawValue::Text((*s).to_string()),
        // The number format decides what a number shows, here as for every format.
        DataRef::Float(f) => float_value(serial(*f), shape),
        DataRef::DateTime(d) => float_value(serial(d.as_f64()), shape),
        DataRef::Int(i) => number((*i).into(), shape),
        DataRef::Bool(b) => RawValue::Bool(*b),
        DataRef::Error(e) => RawValue::Error(e.to_string()),
        DataRef::DateTimeIso(s) => {
            super::serial_of_iso(s).map_or_else(|| RawValue::Text(s.clone()), RawValue::Date)
        }
    })
}

fn build(
    name: &str,
    hidden: bool,
    mut cells: Vec<(Pos, RawValue, bool)>,
    merges: &[calamine::Dimensions],
) -> RawSheet {
    // In address order each cell is appended; a crafted sheet listing them backwards would
    // otherwise shift every row at every cell. The sort is stable: a repeated address keeps
    // its last value.
    cells.sort_by_key(|c| (c.0.row, c.0.col));
    let rows = cells.last().map_or(0, |c| c.0.row + 1);
    let cols = cells.iter().map(|c| c.0.col + 1).max().unwrap_or(0);
    let mut out = RawSheet::new(name, rows, cols);
    out.hidden = hidden;
    out.formats = true;
    for (pos, value, fixed) in cells {
        if fixed {
            out.fix_decimals(pos);
        }
        out.set(
            pos,
            RawCell {
                value,
                formula: None,
            },
        );
    }
    for m in merges {
        out.add_merge(Merge {
            first: Pos::new(m.start.0, m.start.1),
            last: Pos::new(m.end.0, m.end.1),
        });
        if out.merges.len() >= MAX_MERGES {
            break;
        }
    }
    out
}

/// What calamine is handed: the resolved parts under the names it looks for.
struct View {
    bytes: Vec<u8>,
    /// The workbook part, named in calamine's messages.
    workbook: String,
    kept: Inflated,
    /// Sheets whose part an earlier sheet names: one sheet twice, read once (only a crafted
    /// package lists a part twice, and its every listing would read the whole part again).
    repeated: HashSet<String>,
}

const REL_NS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
const DOC_REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

impl View {
    fn of(package: &mut Package<'_>, for_copy: bool) -> Result<View, ReadError> {
        let workbook = package
            .workbook()
            .ok_or(ReadError::NoWorkbookPart)?
            .to_string();
        let mut view = ViewWriter::default();
        let mut kept = Inflated::default();
        let keep = |kept: &mut Inflated, name: &str, bytes: &[u8]| {
            if for_copy {
                kept.keep(name, bytes.to_vec());
            }
        };
        view.put(
            "_rels/.rels",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{REL_NS}"><Relationship Id="rId1" Type="{DOC_REL}/officeDocument" Target="/xl/workbook.xml"/></Relationships>"#
            )
            .as_bytes(),
        )?;
        let wb_xml = package
            .read_text(&workbook, MAX_HELD_PART_BYTES)?
            .ok_or(ReadError::NoWorkbookPart)?;
        view.put("xl/workbook.xml", &wb_xml)?;
        keep(&mut kept, &workbook, &wb_xml);
        let rels_part = crate::opc::rels_part_for(&workbook);
        if let Some(xml) = package.read_text(&rels_part, MAX_HELD_PART_BYTES)? {
            keep(&mut kept, &rels_part, &xml);
        }

        // Every relationship a `<sheet>` may name is listed, so that calamine finds each id;
        // only worksheets are typed as such, each part once (a part two sheets name is one
        // sheet twice: only a crafted package does that), and copied.
        let mut rels = String::new();
        let mut seen = HashSet::new();
        let mut keep_left = if for_copy { KEEP_SHEET_BYTES } else { 0 };
        let wb_rels = package.workbook_rels().to_vec();
        for (n, rel) in wb_rels.iter().enumerate() {
            if rel.external {
                continue;
            }
            let first = seen.insert(part_key(&rel.part));
            let (kind, target) = match (rel.kind.as_str(), first) {
                ("worksheet", true) => {
                    let target = format!("s/{n}.xml");
                    view.copy_sheet(package, &rel.part, &target, &mut keep_left, &mut kept)?;
                    ("worksheet", target)
                }
                ("dialogsheet", _) => ("dialogsheet", "none.xml".to_string()),
                _ => ("chartsheet", "none.xml".to_string()),
            };
            rels += &format!(
                r#"<Relationship Id="{}" Type="{DOC_REL}/{kind}" Target="/{target}"/>"#,
                xml_escape(&rel.id)
            );
        }
        view.put(
            "xl/_rels/workbook.xml.rels",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{REL_NS}">{rels}</Relationships>"#
            )
            .as_bytes(),
        )?;
        if let Some(part) = package.workbook_part("sharedStrings", "sharedStrings.xml") {
            view.copy(package, &part, "xl/sharedStrings.xml", MAX_HELD_PART_BYTES)?;
        }
        // The styles are read whole here (a form's are a few KB) so that their cell formats
        // are counted before calamine builds one style, of a few hundred bytes, per format.
        if let Some(part) = package.workbook_part("styles", "styles.xml")
            && let Some(xml) = package.read_text(&part, MAX_HELD_PART_BYTES)?
        {
            let count =
                cell_format_count(&xml).map_err(|e| ReadError::Damaged(format!("{part}: {e}")))?;
            if count > MAX_CELL_FORMATS {
                return Err(ReadError::Damaged(format!(
                    "{part}：单元格格式 {count} 个，超过 {MAX_CELL_FORMATS} 个的上限，疑似损坏或被篡改 (too many cell formats: damaged or crafted)"
                )));
            }
            view.put("xl/styles.xml", &xml)?;
            if for_copy {
                kept.keep(&part, xml);
            }
        }
        let mut parts = HashSet::new();
        let repeated = crate::opc::sheet_rel_ids(&wb_xml)
            .map_err(|e| ReadError::Damaged(format!("{workbook}: {e}")))?
            .into_iter()
            .filter(|(_, id)| {
                let part = wb_rels.iter().find(|r| &r.id == id && !r.external);
                part.is_some_and(|r| !parts.insert(part_key(&r.part)))
            })
            .map(|(name, _)| name)
            .collect();
        Ok(View {
            bytes: view.finish()?,
            workbook,
            kept,
            repeated,
        })
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}

/// The view's zip, written as it is built.
struct ViewWriter {
    zip: zip::ZipWriter<Cursor<Vec<u8>>>,
}

impl Default for ViewWriter {
    fn default() -> Self {
        Self {
            zip: zip::ZipWriter::new(Cursor::new(Vec::new())),
        }
    }
}

fn view_err(e: impl std::fmt::Display) -> ReadError {
    ReadError::Damaged(format!(
        "无法整理工作簿包 (cannot arrange the package): {e}"
    ))
}

impl ViewWriter {
    /// Adds `bytes` stored, as part `name`.
    fn put(&mut self, name: &str, bytes: &[u8]) -> Result<(), ReadError> {
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(bytes.len() as u64 >= u64::from(u32::MAX));
        self.zip.start_file(name, stored).map_err(view_err)?;
        self.zip.write_all(bytes).map_err(view_err)
    }

    /// Adds part `from` of `package` as `to`: copied as stored when it is UTF-8, transcoded
    /// (and held whole, at most `cap` bytes) when it is UTF-16. Nothing when it is missing.
    fn copy(
        &mut self,
        package: &mut Package<'_>,
        from: &str,
        to: &str,
        cap: u64,
    ) -> Result<(), ReadError> {
        let Some(index) = package.index(from) else {
            return Ok(());
        };
        if package.is_utf16(index) {
            if let Some(xml) = package.read_text(from, cap)? {
                self.put(to, &xml)?;
            }
            return Ok(());
        }
        let entry = package.zip().by_index_raw(index).map_err(|e| {
            ReadError::from(OpcError::Part {
                part: from.to_string(),
                reason: e.to_string(),
            })
        })?;
        self.zip.raw_copy_file_rename(entry, to).map_err(view_err)
    }

    /// A worksheet: kept for the writer while `keep_left` allows (and then stored here as
    /// read), copied otherwise.
    fn copy_sheet(
        &mut self,
        package: &mut Package<'_>,
        from: &str,
        to: &str,
        keep_left: &mut u64,
        kept: &mut Inflated,
    ) -> Result<(), ReadError> {
        let declared = package
            .index(from)
            .and_then(|i| package.zip().by_index_raw(i).ok().map(|e| e.size()));
        match declared {
            Some(size) if size <= *keep_left => {
                if let Some(xml) = package.read_text(from, *keep_left)? {
                    *keep_left -= xml.len().min(*keep_left as usize) as u64;
                    self.put(to, &xml)?;
                    kept.keep(from, xml);
                }
                Ok(())
            }
            _ => self.copy(package, from, to, MAX_ENTRY_BYTES),
        }
    }

    fn finish(self) -> Result<Vec<u8>, ReadError> {
        Ok(self.zip.finish().map_err(view_err)?.into_inner())
    }
}

/// The `<xf>` entries of a styles part's `<cellXfs>`.
fn cell_format_count(xml: &[u8]) -> Result<usize, quick_xml::Error> {
    use quick_xml::events::Event;
    let mut rd = quick_xml::Reader::from_reader(xml);
    rd.config_mut().check_end_names = false;
    let (mut inside, mut count) = (false, 0);
    loop {
        match rd.read_event()? {
            Event::Start(e) if e.local_name().as_ref() == "cellXfs" => inside = true,
            Event::End(e) if e.local_name().as_ref() == "cellXfs" => inside = false,
            Event::Start(e) | Event::Empty(e) if inside && e.local_name().as_ref() == "xf" => {
                count += 1;
            }
            Event::Eof => return Ok(count),
            _ => {}
        }
    }
}
