//! The rewrite: new markup spliced into the places [`super::scan`] found.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::super::super::recalc::FormulaFate;
use quick_xml::events::BytesStart;

use super::super::xml::{Tag, attr, esc, free_rel_prefix, retag, tag_at, text_element, xml_error};
use super::{CellPatch, RowSite, SheetScan, Sites};
use crate::cell::Pos;
use crate::writer::fit_cell;
use crate::writer::{NewValue, WriteError};

/// New markup for `[start, end)` of the original; `start == end` inserts.
struct Splice {
    start: usize,
    end: usize,
    markup: Vec<u8>,
}

struct Rewrite<'a> {
    xml: &'a [u8],
    part: &'a str,
    p: &'a str,
    patches: &'a BTreeMap<Pos, CellPatch>,
    splices: Vec<Splice>,
}

/// Whether the cell at `pos` takes a value in place of its formula.
fn replaced(patches: &BTreeMap<Pos, CellPatch>, pos: Pos) -> bool {
    patches
        .get(&pos)
        .is_some_and(|p| p.value.is_some() && p.formula == FormulaFate::Replaced)
}

/// Rewrites a sheet with `patches` applied; `legacy_rid` adds a `legacyDrawing` element.
pub fn rewrite(
    xml: &[u8],
    part: &str,
    scan: &SheetScan,
    patches: &BTreeMap<Pos, CellPatch>,
    legacy_rid: Option<&str>,
) -> Result<Vec<u8>, WriteError> {
    let s = &scan.sites;
    let mut w = Rewrite {
        xml,
        part,
        p: &s.prefix,
        patches,
        splices: Vec::new(),
    };
    if let Some(start) = s.dimension {
        w.dimension(start, patches)?;
    }
    let mut rows: BTreeMap<u32, BTreeMap<u32, &CellPatch>> = BTreeMap::new();
    for (pos, patch) in patches {
        rows.entry(pos.row).or_default().insert(pos.col, patch);
    }
    for site in &s.rows {
        let rest = rows.split_off(&site.row);
        let before = std::mem::replace(&mut rows, rest);
        w.new_rows(site.start, before)?;
        if let Some(cells) = rows.remove(&site.row) {
            w.row(site, s, cells)?;
        }
    }
    if !rows.is_empty() {
        let data = s
            .sheet_data
            .as_ref()
            .ok_or_else(|| xml_error(part, "worksheet without sheetData"))?;
        match data.end {
            Some(end) => w.new_rows(end, rows)?,
            None => {
                let tag = w.tag_at(data.start)?;
                if !tag.empty {
                    return Err(xml_error(part, "sheetData without its end tag"));
                }
                w.reopen(data.start, &tag, &[])?;
                w.new_rows(tag.after, rows)?;
                w.close_reopened(tag.after, &tag);
            }
        }
    }
    for ptr in &s.pointers {
        // A cell that takes a value is written whole, its formula with it (`formula_markup`).
        if patches.get(&ptr.pos).is_some_and(|p| p.value.is_some()) {
            continue;
        }
        if let Some(a) = s.anchored.get(&ptr.si)
            && replaced(patches, a.pos)
        {
            let markup = w.own_formula(&a.moved_to(ptr.pos));
            w.put(ptr.span.0, ptr.span.1, markup);
        }
    }
    // Last, so that where it shares its place with the end of a `<sheetData/>` opened for new
    // rows, it comes after it, as the schema orders them.
    if let Some(rid) = legacy_rid
        && !s.has_legacy_drawing
    {
        w.legacy_drawing(s, rid)?;
    }
    w.finish()
}

impl<'a> Rewrite<'a> {
    fn put(&mut self, start: usize, end: usize, markup: Vec<u8>) {
        self.splices.push(Splice { start, end, markup });
    }

    fn tag_at(&self, start: usize) -> Result<Tag<'a>, WriteError> {
        tag_at(self.xml, start, self.part)
    }

    /// The original with every splice applied. Insertions at one place keep the order they
    /// were made in, and go before a replacement that starts there.
    fn finish(mut self) -> Result<Vec<u8>, WriteError> {
        self.splices.sort_by_key(|s| (s.start, s.end));
        let extra: usize = self.splices.iter().map(|s| s.markup.len()).sum();
        let mut out = Vec::with_capacity(self.xml.len() + extra);
        let mut copied = 0;
        for s in &self.splices {
            // Sites are whole tags and elements, so two never overlap in a sheet that scans.
            let kept = self
                .xml
                .get(copied..s.start)
                .ok_or_else(|| xml_error(self.part, "overlapping edits"))?;
            out.extend_from_slice(kept);
            out.extend_from_slice(&s.markup);
            copied = s.end;
        }
        out.extend_from_slice(&self.xml[copied..]);
        Ok(out)
    }

    /// Adds `legacyDrawing`, declaring the relationships prefix on the root when it has none.
    fn legacy_drawing(&mut self, s: &Sites, rid: &str) -> Result<(), WriteError> {
        let at = s
            .legacy_at
            .ok_or_else(|| xml_error(self.part, "unexpected end of sheet"))?;
        let prefix = match &s.rel_prefix {
            Some(p) => p.clone(),
            None => {
                let p = free_rel_prefix(&s.declared);
                let decl = format!(" xmlns:{p}=\"{}\"", s.flavour.rel_ns());
                self.put(s.root_gt, s.root_gt, decl.into_bytes());
                p
            }
        };
        let markup = format!("<{}legacyDrawing {prefix}:id=\"{}\"/>", self.p, esc(rid));
        self.put(at, at, markup.into_bytes());
        Ok(())
    }

    /// Widens the used range to cover new cells.
    fn dimension(
        &mut self,
        start: usize,
        patches: &BTreeMap<Pos, CellPatch>,
    ) -> Result<(), WriteError> {
        let tag = self.tag_at(start)?;
        let Some(r) = attr(&tag.e, "ref", self.part)? else {
            return Ok(());
        };
        let clean = r.replace('$', "");
        let (a, b) = clean.split_once(':').unwrap_or((&clean, &clean));
        let (Some(mut lo), Some(mut hi)) = (Pos::parse_a1(a), Pos::parse_a1(b)) else {
            return Ok(());
        };
        for pos in patches.keys() {
            lo = Pos::new(lo.row.min(pos.row), lo.col.min(pos.col));
            hi = Pos::new(hi.row.max(pos.row), hi.col.max(pos.col));
        }
        let widened = format!("{lo}:{hi}");
        if widened == clean || (a == b && lo == hi) {
            return Ok(());
        }
        let set = [("ref", widened.as_str())];
        let markup = tag.retag(&set, &[], tag.empty, self.part)?;
        self.put(start, tag.after, markup.into_bytes());
        Ok(())
    }

    /// Inserts whole new rows at `at`.
    fn new_rows(
        &mut self,
        at: usize,
        rows: BTreeMap<u32, BTreeMap<u32, &CellPatch>>,
    ) -> Result<(), WriteError> {
        let p = self.p;
        for (r, cells) in rows {
            let mut markup = format!("<{p}row r=\"{}\">", u64::from(r) + 1).into_bytes();
            for (col, patch) in cells {
                markup.extend(self.new_cell(Pos::new(r, col), patch, None, None)?);
            }
            markup.extend(format!("</{p}row>").into_bytes());
            self.put(at, at, markup);
        }
        Ok(())
    }

    /// Applies the patches of one existing row.
    fn row(
        &mut self,
        site: &RowSite,
        s: &Sites,
        cells: BTreeMap<u32, &CellPatch>,
    ) -> Result<(), WriteError> {
        let tag = self.tag_at(site.start)?;
        // `spans` is only a loading hint; a new cell may fall outside it.
        self.reopen(site.start, &tag, &["spans"])?;
        let end = match (site.empty, site.end) {
            (true, _) => tag.after,
            (false, Some(end)) => end,
            (false, None) => return Err(xml_error(self.part, "unexpected end of sheet")),
        };
        for (col, patch) in cells {
            let pos = Pos::new(site.row, col);
            match s.cells.get(&pos) {
                Some(&(start, after)) => {
                    let original = self.tag_at(start)?;
                    if patch.value.is_some() {
                        let formula = self.formula_markup(s, pos, patch);
                        let markup = self.new_cell(pos, patch, Some(&original), formula)?;
                        self.put(start, after, markup);
                    } else {
                        let xf = patch.xf.to_string();
                        let set = [("s", xf.as_str())];
                        let markup = original.retag(&set, &[], original.empty, self.part)?;
                        self.put(start, original.after, markup.into_bytes());
                    }
                }
                None => {
                    let at = site
                        .cells
                        .iter()
                        .find(|(c, _)| *c > col)
                        .map_or(end, |(_, start)| *start);
                    let markup = self.new_cell(pos, patch, None, None)?;
                    self.put(at, at, markup);
                }
            }
        }
        if site.empty {
            self.close_reopened(tag.after, &tag);
        }
        Ok(())
    }

    /// Writes a start tag again without the attributes in `drop`; a self-closed one is
    /// written open, for [`Self::close_reopened`] to close after what goes in it.
    fn reopen(&mut self, start: usize, tag: &Tag<'_>, drop: &[&str]) -> Result<(), WriteError> {
        let dropped = tag
            .e
            .attributes()
            .flatten()
            .any(|a| drop.contains(&a.key.0));
        if tag.empty || dropped {
            let markup = tag.retag(&[], drop, false, self.part)?;
            self.put(start, tag.after, markup.into_bytes());
        }
        Ok(())
    }

    /// Inserts the end tag of a self-closed element that [`Self::reopen`] opened.
    fn close_reopened(&mut self, at: usize, tag: &Tag<'_>) {
        let markup = format!("</{}>", tag.qname());
        self.put(at, at, markup.into_bytes());
    }

    /// `<f>formula</f>` in the sheet's prefix.
    fn own_formula(&self, formula: &str) -> Vec<u8> {
        let p = self.p;
        format!("<{p}f>{}</{p}f>", esc(formula)).into_bytes()
    }

    /// The `<f>` a cell whose formula is kept goes on holding: its own, as written, unless it
    /// only points to a shared formula whose anchor loses it, when it gets its own copy.
    fn formula_markup(&self, s: &Sites, pos: Pos, patch: &CellPatch) -> Option<Vec<u8>> {
        if patch.formula != FormulaFate::Kept {
            return None;
        }
        let site = s.formulas.get(&pos)?;
        if let Some(si) = &site.pointer
            && let Some(a) = s.anchored.get(si)
            && a.pos != pos
            && replaced(self.patches, a.pos)
        {
            return Some(self.own_formula(&a.moved_to(pos)));
        }
        self.xml.get(site.span.0..site.span.1).map(<[u8]>::to_vec)
    }

    /// A whole cell holding the patch; `original` supplies the attributes to keep, `formula`
    /// the `<f>` element it keeps.
    fn new_cell(
        &self,
        pos: Pos,
        patch: &CellPatch,
        original: Option<&Tag<'_>>,
        formula: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, WriteError> {
        let p = self.p;
        let xf = patch.xf.to_string();
        let r = pos.a1();
        let mut set = vec![("r", r.as_str()), ("s", xf.as_str())];
        if matches!(patch.value, Some(NewValue::Text(_))) {
            set.push(("t", "inlineStr"));
        }
        // The old type and metadata describe the old value.
        let drop: &[&str] = match patch.value {
            Some(_) => &["t", "cm", "vm"],
            None => &[],
        };
        let fresh = BytesStart::new(format!("{p}c"));
        let e = original.map_or(&fresh, |t| &t.e);
        let content = match &patch.value {
            None => return Ok(retag(e, &set, drop, true, self.part)?.into_bytes()),
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
        let mut markup = retag(e, &set, drop, false, self.part)?.into_bytes();
        markup.extend(formula.unwrap_or_default());
        markup.extend_from_slice(content.as_bytes());
        markup.extend_from_slice(format!("</{}>", e.name().0).as_bytes());
        Ok(markup)
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
