//! The one walk over a sheet's tags that finds where the patch touches it.

use std::collections::{BTreeMap, BTreeSet};

use memchr::memmem;

use super::super::xml::{self, prefix_of, xml_error};
use super::{Anchor, FormulaSite, Pointer, RowSite, SheetDataSite, SheetScan, Sites};
use crate::cell::{Placement, Pos};
use crate::scan::{self, ScanError, Tag};
use crate::writer::WriteError;

/// Children of `worksheet` that the schema places after `legacyDrawing`. Excel wraps
/// `oleObjects` and `controls` in `mc:AlternateContent`, hence the last entry.
const AFTER_LEGACY_DRAWING: [&[u8]; 9] = [
    b"legacyDrawingHF",
    b"drawingHF",
    b"picture",
    b"oleObjects",
    b"controls",
    b"webPublishItems",
    b"tableParts",
    b"extLst",
    b"AlternateContent",
];

/// A shared formula's role in a cell's `<f>`.
enum Shared {
    /// `<f t="shared" ref="…" si="…">`: the formula is written here.
    Anchor(String),
    /// `<f t="shared" si="…"/>`: the formula is the anchor's, moved.
    Pointer(String),
}

pub fn scan<T>(
    xml: &[u8],
    part: &str,
    targets: &BTreeMap<Pos, T>,
) -> Result<SheetScan, WriteError> {
    let rows: BTreeSet<u32> = targets.keys().map(|p| p.row).collect();
    let mut walk = Walk {
        targets,
        unplaced_rows: rows.clone(),
        target_rows: rows,
        found: SheetScan {
            styles: BTreeMap::new(),
            formulas: BTreeMap::new(),
            legacy_rid: None,
            sites: Sites::default(),
        },
        anchors: BTreeMap::new(),
        open: Vec::new(),
        in_data: false,
        place: Placement::default(),
        row: None,
        cell: None,
    };
    let mut at = 0;
    while let Some(tag) = scan::next_tag(xml, at).map_err(|e| xml_error(part, e))? {
        at = match tag.closing {
            true => walk.close(&tag, part)?,
            false => walk.open(xml, &tag, part)?,
        };
    }
    if !walk.open.is_empty() {
        return Err(xml_error(part, "unexpected end of sheet"));
    }
    Ok(walk.found)
}

/// Where [`scan`] stands in the sheet, and what it has found so far.
struct Walk<'t, 'x, T> {
    targets: &'t BTreeMap<Pos, T>,
    target_rows: BTreeSet<u32>,
    /// Rows with an edited cell that no row seen so far holds or follows.
    unplaced_rows: BTreeSet<u32>,
    found: SheetScan,
    /// Every shared formula's anchor, so that a target that only points to one can be quoted.
    anchors: BTreeMap<String, Anchor>,
    /// The names of the open elements, the root's first: a cell is at depth 3.
    open: Vec<&'x [u8]>,
    in_data: bool,
    /// Where rows and cells stand, as the reader placed them.
    place: Placement,
    /// The open row, as an index into `found.sites.rows`, when the rewrite touches it.
    row: Option<usize>,
    /// The open cell and where its `<` is.
    cell: Option<(Pos, usize)>,
}

impl<'x, T> Walk<'_, 'x, T> {
    /// Takes in an end tag; returns where the walk goes on.
    fn close(&mut self, tag: &Tag<'x>, part: &str) -> Result<usize, WriteError> {
        if self.open.pop() != Some(tag.qname) {
            let name = String::from_utf8_lossy(tag.qname);
            return Err(xml_error(part, format!("unexpected end tag </{name}>")));
        }
        let s = &mut self.found.sites;
        match (self.open.len(), tag.name) {
            (0, _) => {
                s.legacy_at.get_or_insert(tag.start);
            }
            (1, b"sheetData") if self.in_data => {
                if let Some(d) = &mut s.sheet_data {
                    d.end = Some(tag.start);
                }
                self.in_data = false;
            }
            (2, b"row") if self.in_data => {
                if let Some(r) = self.row.take() {
                    s.rows[r].end = Some(tag.start);
                }
            }
            (3, b"c") => {
                if let Some((pos, start)) = self.cell.take()
                    && self.targets.contains_key(&pos)
                {
                    s.cells.insert(pos, (start, tag.after));
                }
            }
            _ => {}
        }
        Ok(tag.after)
    }

    /// Takes in a start tag (or a self-closed one); returns where the walk goes on.
    fn open(&mut self, xml: &'x [u8], tag: &Tag<'x>, part: &str) -> Result<usize, WriteError> {
        let s = &mut self.found.sites;
        match (self.open.len(), tag.name) {
            (0, _) => {
                if tag.empty {
                    return Err(xml_error(part, "empty worksheet"));
                }
                s.root(tag, part)?;
            }
            (1, name) => {
                if AFTER_LEGACY_DRAWING.contains(&name) {
                    s.legacy_at.get_or_insert(tag.start);
                }
                match name {
                    b"legacyDrawing" => {
                        s.has_legacy_drawing = true;
                        self.found.legacy_rid =
                            xml::rel_id_in(tag.attrs).map_err(|e| xml_error(part, e))?;
                    }
                    b"dimension" => s.dimension = Some(tag.start),
                    b"sheetData" => {
                        s.sheet_data = Some(SheetDataSite {
                            start: tag.start,
                            end: None,
                        });
                        self.in_data = !tag.empty;
                    }
                    _ => {}
                }
            }
            (2, b"row") if self.in_data => {
                let row = self.place.row(scan::attr(tag.attrs, b"r"));
                self.row = None;
                // Only rows that the rewrite touches are kept (a sheet may run on for a
                // million rows): a row with an edited cell, and the first row after new
                // rows, which go before it.
                let mut touched = false;
                while let Some(&first) = self.unplaced_rows.first()
                    && first < row
                {
                    self.unplaced_rows.pop_first();
                    touched = true;
                }
                touched |= self.unplaced_rows.remove(&row);
                if !touched {
                    if let Some(after) = plain_row_end(xml, tag) {
                        return Ok(after);
                    }
                } else {
                    s.rows.push(RowSite {
                        row,
                        start: tag.start,
                        empty: tag.empty,
                        end: None,
                        cells: Vec::new(),
                    });
                    self.row = (!tag.empty).then_some(s.rows.len() - 1);
                }
            }
            (3, b"c") if self.in_data => {
                let pos = self.place.cell(scan::attr(tag.attrs, b"r"));
                if let Some(r) = self.row
                    && self.target_rows.contains(&pos.row)
                {
                    s.rows[r].cells.push((pos.col, tag.start));
                }
                if self.targets.contains_key(&pos) {
                    let style = scan::attr(tag.attrs, b"s")
                        .and_then(|v| std::str::from_utf8(v).ok())
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    self.found.styles.insert(pos, style);
                    if tag.empty {
                        s.cells.insert(pos, (tag.start, tag.after));
                    }
                }
                if !tag.empty {
                    self.cell = Some((pos, tag.start));
                }
            }
            (4, b"f") => {
                if let Some((pos, _)) = self.cell {
                    return self.formula(xml, tag, pos).map_err(|e| xml_error(part, e));
                }
            }
            _ => {}
        }
        if !tag.empty {
            self.open.push(tag.qname);
        }
        Ok(tag.after)
    }

    /// Takes in the `<f>` of the cell at `pos`, and its text and end tag; returns where the
    /// walk goes on.
    fn formula(&mut self, xml: &[u8], tag: &Tag<'_>, pos: Pos) -> Result<usize, ScanError> {
        let (text, after) = match tag.empty {
            true => (String::new(), tag.after),
            false => {
                let (text, after) = scan::text(xml, tag.after)?;
                (text.into_owned(), after)
            }
        };
        let s = &mut self.found.sites;
        let shared = shared(tag)?;
        if let Some(Shared::Pointer(si)) = &shared
            && s.anchored.contains_key(si)
        {
            s.pointers.push(Pointer {
                pos,
                si: si.clone(),
                span: (tag.start, after),
            });
        }
        let target = self.targets.contains_key(&pos);
        if target {
            // A pointer with text of its own holds that formula, as [`as_written`] reads it.
            let pointer = match (&shared, text.is_empty()) {
                (Some(Shared::Pointer(si)), true) => Some(si.clone()),
                _ => None,
            };
            let span = (tag.start, after);
            s.formulas.insert(pos, FormulaSite { span, pointer });
        }
        let text = as_written(pos, text, &shared, &self.anchors);
        if let (Some(text), Some(Shared::Anchor(si))) = (&text, shared) {
            let anchor = Anchor {
                pos,
                formula: text.clone(),
            };
            if target {
                s.anchored.insert(si.clone(), anchor.clone());
            }
            self.anchors.insert(si, anchor);
        }
        if let Some(text) = text
            && target
        {
            self.found.formulas.insert(pos, text);
        }
        Ok(after)
    }
}

impl Sites {
    fn root(&mut self, tag: &Tag<'_>, part: &str) -> Result<(), WriteError> {
        let qname = std::str::from_utf8(tag.qname).map_err(|e| xml_error(part, e))?;
        self.prefix = prefix_of(qname).to_string();
        self.root_gt = tag.after - 1;
        let prefixes = xml::prefixes(tag.attrs);
        self.rel_prefix = prefixes.rel;
        self.declared = prefixes.declared;
        Ok(())
    }
}

/// Just after the end tag of a row the rewrite does not touch, when nothing in it matters to
/// the patch either: no shared formula, whose anchor a target may need or whose pointer may
/// need the overwritten anchor's formula; no comment, CDATA or processing instruction, which
/// may hide an end tag; and no other element of the row's name. Most of a sheet is such rows,
/// and finding the end of one costs less than walking its tags.
fn plain_row_end(xml: &[u8], row: &Tag<'_>) -> Option<usize> {
    if row.empty {
        return None;
    }
    let mut end_tag = Vec::with_capacity(row.qname.len() + 2);
    end_tag.extend_from_slice(b"</");
    end_tag.extend_from_slice(row.qname);
    let inner = &xml[row.after..];
    // The first `</row` that is the whole name: `</row>` or `</row >`, not `</rows>`.
    let (end, after) = memmem::find_iter(inner, &end_tag).find_map(|at| {
        let rest = &inner[at + end_tag.len()..];
        let spaces = rest.iter().take_while(|b| b.is_ascii_whitespace()).count();
        (rest.get(spaces) == Some(&b'>')).then_some((at, at + end_tag.len() + spaces + 1))
    })?;
    let content = &inner[..end];
    let plain = memmem::find(content, b"<!").is_none()
        && memmem::find(content, b"<?").is_none()
        && memmem::find(content, b"shared").is_none()
        && memmem::find(content, row.name).is_none();
    plain.then_some(row.after + after)
}

/// The formula a cell holds, as its author would see it: a cell that only points to a shared
/// formula holds the anchor's formula, moved to the cell.
fn as_written(
    pos: Pos,
    text: String,
    shared: &Option<Shared>,
    anchors: &BTreeMap<String, Anchor>,
) -> Option<String> {
    match (shared, text.is_empty()) {
        (Some(Shared::Pointer(si)), true) => anchors.get(si).map(|a| a.moved_to(pos)),
        (_, true) => None,
        (_, false) => Some(text),
    }
}

fn shared(tag: &Tag<'_>) -> Result<Option<Shared>, ScanError> {
    if scan::attr(tag.attrs, b"t") != Some(b"shared") {
        return Ok(None);
    }
    let Some(si) = scan::attr_text(tag.attrs, b"si")? else {
        return Ok(None);
    };
    let si = si.into_owned();
    Ok(Some(match scan::attr(tag.attrs, b"ref") {
        Some(_) => Shared::Anchor(si),
        None => Shared::Pointer(si),
    }))
}
