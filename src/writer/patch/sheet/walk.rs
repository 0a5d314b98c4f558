//! The one walk over a sheet's events that finds where the patch touches it.
//!
//! quick-xml tokenizes the sheet, so a comment, CDATA section or processing instruction is one
//! event whatever it holds (`<!-- </row> -->` ends no row, a commented-out element is no
//! element), and every offset is the reader's own position before and after an event.

use std::collections::{BTreeMap, BTreeSet};

use quick_xml::events::Event;

use super::super::xml::{
    self, Flavour, Tag, XmlIn, attr_lenient, local, prefix_of, push_text, ref_text, xml_error,
};
use super::{Anchor, FormulaSite, Pointer, RowSite, SheetDataSite, SheetScan, Sites};
use crate::cell::{Placement, Pos};
use crate::writer::WriteError;

/// Children of `worksheet` that the schema places after `legacyDrawing`. Excel wraps
/// `oleObjects` and `controls` in `mc:AlternateContent`, hence the last entry.
const AFTER_LEGACY_DRAWING: [&str; 9] = [
    "legacyDrawingHF",
    "drawingHF",
    "picture",
    "oleObjects",
    "controls",
    "webPublishItems",
    "tableParts",
    "extLst",
    "AlternateContent",
];

/// A shared formula's role in a cell's `<f>`.
enum Shared {
    /// `<f t="shared" ref="…" si="…">`: the formula is written here.
    Anchor(String),
    /// `<f t="shared" si="…"/>`: the formula is the anchor's, moved.
    Pointer(String),
}

/// A cell's `<f>` being read: its cell, where it starts, its shared role and its text so far.
struct OpenFormula {
    pos: Pos,
    start: usize,
    shared: Option<Shared>,
    text: String,
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
            sites: Sites::new(),
        },
        anchors: BTreeMap::new(),
        depth: 0,
        in_data: false,
        place: Placement::default(),
        row: None,
        cell: None,
        formula: None,
    };
    let mut rd = XmlIn::new(xml, part);
    loop {
        let (event, start, after) = rd.located()?;
        match event {
            Event::Start(e) => walk.open(
                Tag {
                    e,
                    start,
                    after,
                    empty: false,
                },
                part,
            )?,
            Event::Empty(e) => walk.open(
                Tag {
                    e,
                    start,
                    after,
                    empty: true,
                },
                part,
            )?,
            Event::End(e) => walk.close(local(e.name().0), start, after),
            Event::Text(t) => {
                if let Some(f) = &mut walk.formula {
                    push_text(&mut f.text, &t);
                }
            }
            Event::CData(c) => {
                if let Some(f) = &mut walk.formula {
                    f.text.push_str(&c);
                }
            }
            Event::GeneralRef(r) => {
                if let Some(f) = &mut walk.formula {
                    let text = ref_text(&r)
                        .ok_or_else(|| xml_error(part, format!("unknown entity &{};", &*r)))?;
                    f.text.push_str(&text);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if walk.depth != 0 {
        return Err(xml_error(part, "unexpected end of sheet"));
    }
    Ok(walk.found)
}

/// Where [`scan`] stands in the sheet, and what it has found so far.
struct Walk<'t, T> {
    targets: &'t BTreeMap<Pos, T>,
    target_rows: BTreeSet<u32>,
    /// Rows with an edited cell that no row seen so far holds or follows.
    unplaced_rows: BTreeSet<u32>,
    found: SheetScan,
    /// Every shared formula's anchor, so that a target that only points to one can be quoted.
    anchors: BTreeMap<String, Anchor>,
    /// How many elements are open, the root included: a cell is opened at depth 3.
    depth: usize,
    in_data: bool,
    /// Where rows and cells stand, as the reader placed them.
    place: Placement,
    /// The open row, as an index into `found.sites.rows`, when the rewrite touches it.
    row: Option<usize>,
    /// The open cell and where its `<` is.
    cell: Option<(Pos, usize)>,
    /// The open cell's `<f>`, while it is read.
    formula: Option<OpenFormula>,
}

impl<T> Walk<'_, T> {
    /// Takes in the end tag of `name` that lies at `[start, after)`.
    fn close(&mut self, name: &str, start: usize, after: usize) {
        // quick-xml has checked that it closes the element open last.
        self.depth = self.depth.saturating_sub(1);
        let s = &mut self.found.sites;
        match (self.depth, name) {
            (0, _) => {
                s.legacy_at.get_or_insert(start);
            }
            (1, "sheetData") if self.in_data => {
                if let Some(d) = &mut s.sheet_data {
                    d.end = Some(start);
                }
                self.in_data = false;
            }
            (2, "row") if self.in_data => {
                if let Some(r) = self.row.take() {
                    s.rows[r].end = Some(start);
                }
            }
            (3, "c") if self.in_data => {
                if let Some((pos, cell_start)) = self.cell.take()
                    && self.targets.contains_key(&pos)
                {
                    s.cells.insert(pos, (cell_start, after));
                }
            }
            (4, "f") => {
                if let Some(f) = self.formula.take() {
                    self.formula_read(f, after);
                }
            }
            _ => {}
        }
    }

    /// Takes in a start tag (or a self-closed one).
    fn open(&mut self, tag: Tag<'_>, part: &str) -> Result<(), WriteError> {
        let s = &mut self.found.sites;
        match (self.depth, tag.name()) {
            (0, _) => {
                if tag.empty {
                    return Err(xml_error(part, "empty worksheet"));
                }
                s.root(&tag, part)?;
            }
            (1, name) => {
                if AFTER_LEGACY_DRAWING.contains(&name) {
                    s.legacy_at.get_or_insert(tag.start);
                }
                match name {
                    "legacyDrawing" => {
                        s.has_legacy_drawing = true;
                        self.found.legacy_rid = xml::rel_id(&tag.e, part)?;
                    }
                    "dimension" => s.dimension = Some(tag.start),
                    "sheetData" => {
                        s.sheet_data = Some(SheetDataSite {
                            start: tag.start,
                            end: None,
                        });
                        self.in_data = !tag.empty;
                    }
                    _ => {}
                }
            }
            (2, "row") if self.in_data => {
                let r = attr_lenient(&tag.e, "r");
                let row = self.place.row(r.as_deref().map(str::as_bytes));
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
                if touched {
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
            (3, "c") if self.in_data => {
                let r = attr_lenient(&tag.e, "r");
                let pos = self.place.cell(r.as_deref().map(str::as_bytes));
                if let Some(r) = self.row
                    && self.target_rows.contains(&pos.row)
                {
                    s.rows[r].cells.push((pos.col, tag.start));
                }
                if self.targets.contains_key(&pos) {
                    let style = attr_lenient(&tag.e, "s")
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
            (4, "f") => {
                if let Some((pos, _)) = self.cell {
                    let f = OpenFormula {
                        pos,
                        start: tag.start,
                        shared: shared(&tag),
                        text: String::new(),
                    };
                    match tag.empty {
                        true => self.formula_read(f, tag.after),
                        false => self.formula = Some(f),
                    }
                }
            }
            _ => {}
        }
        if !tag.empty {
            self.depth += 1;
        }
        Ok(())
    }

    /// Takes in a cell's `<f>`, read whole; `after` is just after its end.
    fn formula_read(&mut self, f: OpenFormula, after: usize) {
        let OpenFormula {
            pos,
            start,
            shared,
            text,
        } = f;
        let s = &mut self.found.sites;
        if let Some(Shared::Pointer(si)) = &shared
            && s.anchored.contains_key(si)
        {
            s.pointers.push(Pointer {
                pos,
                si: si.clone(),
                span: (start, after),
            });
        }
        let target = self.targets.contains_key(&pos);
        if target {
            // A pointer with text of its own holds that formula, as [`as_written`] reads it.
            let pointer = match (&shared, text.is_empty()) {
                (Some(Shared::Pointer(si)), true) => Some(si.clone()),
                _ => None,
            };
            let span = (start, after);
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
    }
}

impl Sites {
    fn new() -> Sites {
        Sites {
            prefix: String::new(),
            root_gt: 0,
            rel_prefix: None,
            declared: Vec::new(),
            flavour: Flavour::Transitional,
            dimension: None,
            has_legacy_drawing: false,
            legacy_at: None,
            sheet_data: None,
            rows: Vec::new(),
            cells: BTreeMap::new(),
            formulas: BTreeMap::new(),
            anchored: BTreeMap::new(),
            pointers: Vec::new(),
        }
    }

    fn root(&mut self, tag: &Tag<'_>, part: &str) -> Result<(), WriteError> {
        self.prefix = prefix_of(tag.qname()).to_string();
        self.root_gt = tag.after - 1;
        let prefixes = xml::prefixes(&tag.e, part)?;
        self.flavour = Flavour::of_root(&tag.e);
        self.rel_prefix = prefixes.rel;
        self.declared = prefixes.declared;
        Ok(())
    }
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

fn shared(tag: &Tag<'_>) -> Option<Shared> {
    if attr_lenient(&tag.e, "t").as_deref() != Some("shared") {
        return None;
    }
    let si = attr_lenient(&tag.e, "si")?;
    Some(match attr_lenient(&tag.e, "ref") {
        Some(_) => Shared::Anchor(si),
        None => Shared::Pointer(si),
    })
}
