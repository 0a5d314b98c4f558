//! A worksheet part: the edited cells, and the note drawing reference.
//!
//! The rewrite streams the sheet once. Cells and rows that do not exist yet are written at
//! the place their position requires (rows ascending, cells ascending within a row), so
//! every other element, attribute and byte of the sheet stays as it was.

use std::collections::BTreeMap;

use quick_xml::events::{BytesEnd, BytesStart, Event};
use rust_decimal::Decimal;

use super::super::{NewValue, WriteError};
use super::formula;
use super::xml::{
    XmlIn, XmlOut, attr, end_name, ensure_rel_prefix, esc, fit_cell, name_of, prefix_of, rebuild,
    ref_text, rel_id, text_element, xml_error,
};
use crate::cell::Pos;

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

/// What a cell becomes.
pub struct CellPatch {
    /// Index of its new cell format.
    pub xf: u32,
    /// `None` keeps the value (and formula) the cell has.
    pub value: Option<NewValue>,
}

/// What the patch needs to know about a sheet before rewriting it.
pub struct SheetScan {
    /// Current cell format of each edited cell that exists.
    pub styles: BTreeMap<Pos, u32>,
    /// Formula of each edited cell that has one, as written in the cell.
    pub formulas: BTreeMap<Pos, String>,
    /// `r:id` of the sheet's note drawing.
    pub legacy_rid: Option<String>,
}

fn cell_pos(e: &BytesStart<'_>, part: &str) -> Result<Pos, WriteError> {
    let r = attr(e, "r", part)?.ok_or_else(|| xml_error(part, "cell without r attribute"))?;
    Pos::parse_a1(&r.replace('$', ""))
        .ok_or_else(|| xml_error(part, format!("bad cell reference {r}")))
}

fn row_number(e: &BytesStart<'_>, part: &str) -> Result<u32, WriteError> {
    let r = attr(e, "r", part)?.ok_or_else(|| xml_error(part, "row without r attribute"))?;
    match r.trim().parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n - 1),
        _ => Err(xml_error(part, format!("bad row number {r}"))),
    }
}

pub fn scan<T>(
    xml: &[u8],
    part: &str,
    targets: &BTreeMap<Pos, T>,
) -> Result<SheetScan, WriteError> {
    let mut rd = XmlIn::new(xml, part);
    let mut found = SheetScan {
        styles: BTreeMap::new(),
        formulas: BTreeMap::new(),
        legacy_rid: None,
    };
    let mut depth = 0usize;
    let mut cell: Option<Pos> = None;
    // Every shared formula's anchor, so that a target that only points to one can be quoted.
    let mut anchors: BTreeMap<String, Anchor> = BTreeMap::new();
    let mut formula: Option<FormulaRead> = None;
    loop {
        let event = rd.next()?;
        let (e, start) = match &event {
            Event::Start(e) => (e, true),
            Event::Empty(e) => (e, false),
            Event::Text(t) => {
                if let Some(f) = &mut formula {
                    f.text.push_str(&t.xml10_content());
                }
                continue;
            }
            Event::GeneralRef(r) => {
                if let Some(f) = &mut formula {
                    f.text.push_str(&ref_text(r).unwrap_or_default());
                }
                continue;
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                if let (4, "f", Some(pos), Some(f)) = (depth, end_name(e), cell, formula.take()) {
                    found.formula(pos, f, &mut anchors, targets);
                }
                if depth == 3 {
                    cell = None;
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        match (depth, name_of(e)) {
            (1, "legacyDrawing") => found.legacy_rid = rel_id(e, part)?,
            (3, "c") => {
                let pos = cell_pos(e, part)?;
                if targets.contains_key(&pos) {
                    let s = attr(e, "s", part)?
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0);
                    found.styles.insert(pos, s);
                }
                cell = start.then_some(pos);
            }
            (4, "f") => {
                let f = FormulaRead {
                    text: String::new(),
                    anchor: shared_anchor(e, part)?,
                    pointer: shared_pointer(e, part)?,
                };
                match (start, cell) {
                    (true, _) => formula = Some(f),
                    (false, Some(pos)) => found.formula(pos, f, &mut anchors, targets),
                    (false, None) => {}
                }
            }
            _ => {}
        }
        if start {
            depth += 1;
        }
    }
    Ok(found)
}

/// A cell's `<f>` element as read.
struct FormulaRead {
    text: String,
    /// `si` when it anchors a shared formula.
    anchor: Option<String>,
    /// `si` when it points to a shared formula anchored elsewhere.
    pointer: Option<String>,
}

impl SheetScan {
    /// Records the formula of a cell: as an anchor for later cells, and as the quoted
    /// formula of a target. A cell that only points to a shared formula quotes the formula
    /// as it applies to that cell.
    fn formula<T>(
        &mut self,
        pos: Pos,
        f: FormulaRead,
        anchors: &mut BTreeMap<String, Anchor>,
        targets: &BTreeMap<Pos, T>,
    ) {
        let text = match (&f.pointer, f.text.is_empty()) {
            (Some(si), true) => match anchors.get(si) {
                Some(a) => {
                    let rows = i64::from(pos.row) - i64::from(a.pos.row);
                    let cols = i64::from(pos.col) - i64::from(a.pos.col);
                    formula::shift(&a.formula, rows, cols)
                }
                None => return,
            },
            (_, true) => return,
            (_, false) => f.text,
        };
        if let Some(si) = f.anchor {
            anchors.insert(
                si,
                Anchor {
                    pos,
                    formula: text.clone(),
                },
            );
        }
        if targets.contains_key(&pos) {
            self.formulas.insert(pos, text);
        }
    }
}

/// The plain decimal text of a number (`2`, `99.97`, never an exponent).
fn number_text(d: &Decimal) -> String {
    let n = d.normalize();
    if n.is_zero() {
        "0".to_string()
    } else {
        n.to_string()
    }
}

/// A shared formula whose anchor cell the patch overwrote.
struct Anchor {
    pos: Pos,
    formula: String,
}

/// Skipping the original content of an element: the depth at which it ends.
enum Skip {
    /// An overwritten cell; its shared formula (if it anchors one) is collected on the way.
    Cell {
        depth: usize,
        pos: Pos,
        shared: Option<(String, String)>,
    },
    /// The empty pointer of a shared formula, already written out in full.
    Formula { depth: usize },
}

struct Rewrite<'p> {
    part: &'p str,
    out: XmlOut,
    /// Element prefix of the sheet (`x:` when the producer used one).
    p: String,
    rows: BTreeMap<u32, BTreeMap<u32, &'p CellPatch>>,
    /// The row being written, and its patches not written yet.
    row: u32,
    row_cells: BTreeMap<u32, &'p CellPatch>,
    anchors: BTreeMap<String, Anchor>,
    legacy: Option<(&'p str, String)>,
}

/// Rewrites a sheet with `patches` applied; `legacy_rid` adds a `legacyDrawing` element.
pub fn rewrite(
    xml: &[u8],
    part: &str,
    patches: &BTreeMap<Pos, CellPatch>,
    legacy_rid: Option<&str>,
) -> Result<Vec<u8>, WriteError> {
    let mut rows: BTreeMap<u32, BTreeMap<u32, &CellPatch>> = BTreeMap::new();
    for (pos, patch) in patches {
        rows.entry(pos.row).or_default().insert(pos.col, patch);
    }
    let mut w = Rewrite {
        part,
        out: XmlOut::new(),
        p: String::new(),
        rows,
        row: 0,
        row_cells: BTreeMap::new(),
        anchors: BTreeMap::new(),
        legacy: None,
    };
    let mut rd = XmlIn::new(xml, part);
    let mut depth = 0usize;
    let mut in_data = false;
    let mut cell: Option<Pos> = None;
    let mut skip: Option<Skip> = None;
    loop {
        let event = rd.next()?;
        if let Some(s) = &mut skip {
            match (&event, s) {
                (Event::Start(e), Skip::Cell { shared, .. }) => {
                    depth += 1;
                    if name_of(e) == "f" {
                        *shared = shared_anchor(e, part)?.map(|si| (si, String::new()));
                    }
                }
                (Event::Start(_), Skip::Formula { .. }) => depth += 1,
                (
                    Event::Text(t),
                    Skip::Cell {
                        shared: Some((_, f)),
                        ..
                    },
                ) => {
                    f.push_str(&t.xml10_content());
                }
                (
                    Event::GeneralRef(r),
                    Skip::Cell {
                        shared: Some((_, f)),
                        ..
                    },
                ) => {
                    f.push_str(&ref_text(r).unwrap_or_default());
                }
                (
                    Event::End(e),
                    Skip::Cell {
                        depth: d,
                        pos,
                        shared,
                    },
                ) => {
                    depth = depth.saturating_sub(1);
                    if end_name(e) == "f"
                        && let Some((si, formula)) = shared.take()
                    {
                        w.anchors.insert(si, Anchor { pos: *pos, formula });
                    }
                    if depth == *d {
                        skip = None;
                    }
                }
                (Event::End(_), Skip::Formula { depth: d }) => {
                    depth = depth.saturating_sub(1);
                    if depth == *d {
                        skip = None;
                    }
                }
                (Event::Eof, _) => return Err(xml_error(part, "unexpected end of sheet")),
                _ => {}
            }
            continue;
        }
        let (e, start) = match event {
            Event::Start(e) => (e, true),
            Event::Empty(e) => (e, false),
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                w.end(&e, depth, &mut in_data, &mut cell)?;
                continue;
            }
            Event::Eof => break,
            other => {
                w.out.event(other)?;
                continue;
            }
        };
        let name = name_of(&e).to_string();
        match (depth, name.as_str()) {
            (0, _) => {
                if !start {
                    return Err(xml_error(part, "empty worksheet"));
                }
                w.p = prefix_of(e.name().0).to_string();
                let e = match legacy_rid {
                    Some(rid) => {
                        let (root, prefix) = ensure_rel_prefix(e, part)?;
                        w.legacy = Some((rid, prefix));
                        root
                    }
                    None => e.into_owned(),
                };
                w.out.event(Event::Start(e))?;
            }
            (1, n) => {
                if AFTER_LEGACY_DRAWING.contains(&n) {
                    w.legacy_drawing()?;
                }
                match n {
                    "legacyDrawing" => w.legacy = None,
                    "dimension" => {
                        let e = w.dimension(&e)?;
                        w.element(e, start)?;
                        if start {
                            depth += 1;
                        }
                        continue;
                    }
                    "sheetData" if !start => {
                        w.out.event(Event::Start(e.borrow()))?;
                        w.rows_before(u32::MAX)?;
                        w.out.event(Event::End(e.to_end()))?;
                        continue;
                    }
                    "sheetData" => in_data = true,
                    _ => {}
                }
                w.element(e, start)?;
            }
            (2, "row") if in_data => {
                let row = row_number(&e, part)?;
                w.rows_before(row)?;
                w.row = row;
                w.row_cells = w.rows.remove(&row).unwrap_or_default();
                let e = if w.row_cells.is_empty() {
                    e.into_owned()
                } else {
                    // `spans` is only a loading hint; a new cell may fall outside it.
                    rebuild(&e, &[], &["spans"], part)?
                };
                if !start {
                    w.out.event(Event::Start(e.borrow()))?;
                    w.cells_before(u32::MAX)?;
                    w.out.event(Event::End(e.to_end()))?;
                    continue;
                }
                w.out.event(Event::Start(e))?;
            }
            (3, "c") if in_data => {
                let pos = cell_pos(&e, part)?;
                w.cells_before(pos.col)?;
                match w.row_cells.remove(&pos.col) {
                    Some(patch) if patch.value.is_some() => {
                        w.new_cell(pos, patch, Some(&e))?;
                        if start {
                            skip = Some(Skip::Cell {
                                depth,
                                pos,
                                shared: None,
                            });
                            depth += 1;
                        }
                        continue;
                    }
                    Some(patch) => {
                        let xf = patch.xf.to_string();
                        let e = rebuild(&e, &[("s", &xf)], &[], part)?;
                        w.element(e, start)?;
                    }
                    None => w.element(e.into_owned(), start)?,
                }
                if start {
                    cell = Some(pos);
                }
            }
            (4, "f") if cell.is_some() => {
                let translated = match (cell, shared_pointer(&e, part)?) {
                    (Some(pos), Some(si)) => w.anchors.get(&si).map(|a| {
                        let rows = i64::from(pos.row) - i64::from(a.pos.row);
                        let cols = i64::from(pos.col) - i64::from(a.pos.col);
                        formula::shift(&a.formula, rows, cols)
                    }),
                    _ => None,
                };
                match translated {
                    Some(f) => {
                        let p = w.p.clone();
                        w.out.raw(&format!("<{p}f>{}</{p}f>", esc(&f)));
                        if start {
                            skip = Some(Skip::Formula { depth });
                            depth += 1;
                        }
                        continue;
                    }
                    None => w.element(e.into_owned(), start)?,
                }
            }
            _ => w.element(e.into_owned(), start)?,
        }
        if start {
            depth += 1;
        }
    }
    if !w.rows.is_empty() {
        return Err(xml_error(part, "worksheet without sheetData"));
    }
    Ok(w.out.into_bytes())
}

/// The `si` of a shared formula's anchor (`<f t="shared" ref="…" si="…">`).
fn shared_anchor(e: &BytesStart<'_>, part: &str) -> Result<Option<String>, WriteError> {
    if attr(e, "t", part)?.as_deref() != Some("shared") || attr(e, "ref", part)?.is_none() {
        return Ok(None);
    }
    attr(e, "si", part)
}

/// The `si` of a shared formula's other cells (`<f t="shared" si="…"/>`).
fn shared_pointer(e: &BytesStart<'_>, part: &str) -> Result<Option<String>, WriteError> {
    if attr(e, "t", part)?.as_deref() != Some("shared") || attr(e, "ref", part)?.is_some() {
        return Ok(None);
    }
    attr(e, "si", part)
}

impl Rewrite<'_> {
    fn element(&mut self, e: BytesStart<'_>, start: bool) -> Result<(), WriteError> {
        if start {
            self.out.event(Event::Start(e))
        } else {
            self.out.event(Event::Empty(e))
        }
    }

    fn end(
        &mut self,
        e: &BytesEnd<'_>,
        depth: usize,
        in_data: &mut bool,
        cell: &mut Option<Pos>,
    ) -> Result<(), WriteError> {
        match (depth, end_name(e)) {
            (0, _) => self.legacy_drawing()?,
            (1, "sheetData") if *in_data => {
                self.rows_before(u32::MAX)?;
                *in_data = false;
            }
            (2, "row") if *in_data => self.cells_before(u32::MAX)?,
            (3, "c") => *cell = None,
            _ => {}
        }
        self.out.event(Event::End(e.borrow()))
    }

    /// Writes the `legacyDrawing` element once, if one is wanted and none was seen.
    fn legacy_drawing(&mut self) -> Result<(), WriteError> {
        if let Some((rid, prefix)) = self.legacy.take() {
            let p = &self.p;
            self.out
                .raw(&format!("<{p}legacyDrawing {prefix}:id=\"{}\"/>", esc(rid)));
        }
        Ok(())
    }

    /// Widens the used range to cover new cells.
    fn dimension(&self, e: &BytesStart<'_>) -> Result<BytesStart<'static>, WriteError> {
        let Some(r) = attr(e, "ref", self.part)? else {
            return Ok(e.to_owned());
        };
        let clean = r.replace('$', "");
        let (a, b) = clean.split_once(':').unwrap_or((&clean, &clean));
        let (Some(mut lo), Some(mut hi)) = (Pos::parse_a1(a), Pos::parse_a1(b)) else {
            return Ok(e.to_owned());
        };
        for (row, cells) in &self.rows {
            for col in cells.keys() {
                lo = Pos::new(lo.row.min(*row), lo.col.min(*col));
                hi = Pos::new(hi.row.max(*row), hi.col.max(*col));
            }
        }
        let widened = format!("{}:{}", lo.a1(), hi.a1());
        if widened == clean || (a == b && lo == hi) {
            return Ok(e.to_owned());
        }
        rebuild(e, &[("ref", &widened)], &[], self.part)
    }

    /// Writes the new rows that come before row `row`.
    fn rows_before(&mut self, row: u32) -> Result<(), WriteError> {
        let rest = self.rows.split_off(&row);
        let before = std::mem::replace(&mut self.rows, rest);
        let p = self.p.clone();
        for (r, cells) in before {
            self.out
                .raw(&format!("<{p}row r=\"{}\">", u64::from(r) + 1));
            for (col, patch) in cells {
                self.new_cell(Pos::new(r, col), patch, None)?;
            }
            self.out.raw(&format!("</{p}row>"));
        }
        Ok(())
    }

    /// Writes the new cells of the current row that come before column `col`.
    fn cells_before(&mut self, col: u32) -> Result<(), WriteError> {
        let rest = self.row_cells.split_off(&col);
        let before = std::mem::replace(&mut self.row_cells, rest);
        for (c, patch) in before {
            self.new_cell(Pos::new(self.row, c), patch, None)?;
        }
        Ok(())
    }

    /// Writes a whole cell holding the patch; `original` supplies attributes to keep.
    fn new_cell(
        &mut self,
        pos: Pos,
        patch: &CellPatch,
        original: Option<&BytesStart<'_>>,
    ) -> Result<(), WriteError> {
        let xf = patch.xf.to_string();
        let r = pos.a1();
        let text = matches!(patch.value, Some(NewValue::Text(_)));
        let mut set = vec![("r", r.as_str()), ("s", xf.as_str())];
        if text {
            set.push(("t", "inlineStr"));
        }
        // The old type and metadata describe the old value.
        let drop: &[&str] = if patch.value.is_some() {
            &["t", "cm", "vm"]
        } else {
            &[]
        };
        let name = format!("{}c", self.p);
        let base = match original {
            Some(e) => e.to_owned(),
            None => BytesStart::new(name.clone()),
        };
        let e = rebuild(&base, &set, drop, self.part)?;
        let p = &self.p;
        let content = match &patch.value {
            None => return self.out.event(Event::Empty(e)),
            Some(NewValue::Number { value, .. }) => format!("<{p}v>{}</{p}v>", number_text(value)),
            Some(NewValue::Percent { fraction, .. }) => {
                format!("<{p}v>{}</{p}v>", number_text(fraction))
            }
            Some(NewValue::Text(s)) => {
                format!(
                    "<{p}is>{}</{p}is>",
                    text_element(&format!("{p}t"), fit_cell(s))
                )
            }
        };
        self.out.event(Event::Start(e.borrow()))?;
        self.out.raw(&content);
        self.out.event(Event::End(e.to_end()))
    }
}
