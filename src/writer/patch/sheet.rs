//! A worksheet part: the edited cells, and the note drawing reference.
//!
//! [`scan`] walks the sheet's tags once with the byte scanner and notes where a patch must
//! touch it: the root's start tag, the used range, each row, each edited cell, and the shared
//! formulas anchored in an edited cell. [`rewrite`] splices new markup into those places and
//! copies every other byte as it was, so elements, attributes and spacing it does not touch
//! survive unchanged. Cells and rows that do not exist yet go where their position requires
//! (rows ascending, cells ascending within a row).

use std::collections::{BTreeMap, BTreeSet};

use memchr::memmem;
use rust_decimal::Decimal;

use super::super::{NewValue, WriteError};
use super::formula;
use super::xml::{esc, fit_cell, free_rel_prefix, is_rel_ns, prefix_of, text_element, xml_error};
use crate::cell::Pos;
use crate::scan::{self, ScanError, Tag};

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
    sites: Sites,
}

/// Where a patch touches the sheet, as byte offsets into its XML.
#[derive(Default)]
struct Sites {
    /// Element prefix of the root (`x:` when the producer used one).
    prefix: String,
    /// Where the `>` that ends the root's start tag is.
    root_gt: usize,
    /// The prefix the root binds to the relationships namespace, and every prefix it binds.
    rel_prefix: Option<String>,
    declared: Vec<String>,
    /// The `dimension` element's start.
    dimension: Option<usize>,
    has_legacy_drawing: bool,
    /// Before the first child the schema places after `legacyDrawing`, or the root's end tag.
    legacy_at: Option<usize>,
    sheet_data: Option<SheetDataSite>,
    /// The rows of `sheetData` that the rewrite touches, in document order.
    rows: Vec<RowSite>,
    /// Each edited cell that exists: from its `<` to just after its end.
    cells: BTreeMap<Pos, (usize, usize)>,
    /// Shared formulas anchored in an edited cell, by `si`.
    anchored: BTreeMap<String, Anchor>,
    /// Later cells' pointers to those shared formulas.
    pointers: Vec<Pointer>,
}

struct SheetDataSite {
    start: usize,
    /// Where `</sheetData>` begins; `None` for `<sheetData/>`.
    end: Option<usize>,
}

struct RowSite {
    row: u32,
    start: usize,
    empty: bool,
    /// Where `</row>` begins.
    end: Option<usize>,
    /// Column and start of each cell, kept only for rows that hold an edited cell.
    cells: Vec<(u32, usize)>,
}

/// A shared formula and the cell it is written in.
#[derive(Clone)]
struct Anchor {
    pos: Pos,
    formula: String,
}

/// `<f t="shared" si="…"/>` in the cell at `pos`, from its `<` to just after its end.
struct Pointer {
    pos: Pos,
    si: String,
    span: (usize, usize),
}

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
        depth: 0,
        in_data: false,
        row: None,
        cell: None,
    };
    let mut at = 0;
    while let Some(tag) = scan::next_tag(xml, at).map_err(|e| xml_error(part, e))? {
        at = match tag.closing {
            true => walk.close(&tag),
            false => walk.open(xml, &tag, part)?,
        };
    }
    if let Some((pos, _)) = walk.cell
        && targets.contains_key(&pos)
    {
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
    /// How many elements are open: the root is at 0, `sheetData` at 1, a cell at 3.
    depth: usize,
    in_data: bool,
    /// The open row, as an index into `found.sites.rows`, when the rewrite touches it.
    row: Option<usize>,
    /// The open cell and where its `<` is.
    cell: Option<(Pos, usize)>,
}

impl<T> Walk<'_, T> {
    /// Takes in an end tag; returns where the walk goes on.
    fn close(&mut self, tag: &Tag<'_>) -> usize {
        let s = &mut self.found.sites;
        self.depth = self.depth.saturating_sub(1);
        match (self.depth, tag.name) {
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
        tag.after
    }

    /// Takes in a start tag (or a self-closed one); returns where the walk goes on.
    fn open(&mut self, xml: &[u8], tag: &Tag<'_>, part: &str) -> Result<usize, WriteError> {
        let s = &mut self.found.sites;
        match (self.depth, tag.name) {
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
                        self.found.legacy_rid = rel_id(tag).map_err(|e| xml_error(part, e))?;
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
                let row = row_number(tag, part)?;
                self.row = None;
                // Only rows that the rewrite touches are kept (a sheet may run on for a
                // million rows): a row with an edited cell, and the first row after new
                // rows, which go before it.
                let mut rest = self.unplaced_rows.split_off(&row);
                let touched = !self.unplaced_rows.is_empty() || rest.remove(&row);
                self.unplaced_rows = rest;
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
                let pos = cell_pos(tag, part)?;
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
            self.depth += 1;
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
        let text = quoted(pos, text, &shared, &self.anchors);
        let target = self.targets.contains_key(&pos);
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
        let mut rest = tag.attrs;
        while let Some((key, quoted, after)) = scan::split_attr(rest) {
            rest = after;
            if let Some(p) = key.strip_prefix(b"xmlns:") {
                let p = String::from_utf8_lossy(p).into_owned();
                if self.rel_prefix.is_none() && is_rel_ns(&quoted[1..quoted.len() - 1]) {
                    self.rel_prefix = Some(p.clone());
                }
                self.declared.push(p);
            }
        }
        Ok(())
    }
}

/// Just after the end tag of a row the rewrite does not touch, when nothing in it matters to
/// the patch either: no shared formula, whose anchor a target may need or whose pointer may
/// need the overwritten anchor's formula, and no comment or CDATA, which may hide an end tag.
/// Most of a sheet is such rows, and finding the end of one costs less than walking its tags.
fn plain_row_end(xml: &[u8], row: &Tag<'_>) -> Option<usize> {
    if row.empty {
        return None;
    }
    let mut end_tag = Vec::with_capacity(row.qname.len() + 3);
    end_tag.extend_from_slice(b"</");
    end_tag.extend_from_slice(row.qname);
    end_tag.push(b'>');
    let inner = &xml[row.after..];
    let end = memmem::find(inner, &end_tag)?;
    let content = &inner[..end];
    let plain =
        memmem::find(content, b"shared").is_none() && memchr::memchr(b'!', content).is_none();
    plain.then_some(row.after + end + end_tag.len())
}

/// The formula a cell holds, as its author would see it: a cell that only points to a shared
/// formula holds the anchor's formula, moved to the cell.
fn quoted(
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

impl Anchor {
    fn moved_to(&self, pos: Pos) -> String {
        let rows = i64::from(pos.row) - i64::from(self.pos.row);
        let cols = i64::from(pos.col) - i64::from(self.pos.col);
        formula::shift(&self.formula, rows, cols)
    }
}

fn cell_pos(tag: &Tag<'_>, part: &str) -> Result<Pos, WriteError> {
    let r =
        scan::attr(tag.attrs, b"r").ok_or_else(|| xml_error(part, "cell without r attribute"))?;
    let text = String::from_utf8_lossy(r);
    Pos::parse_a1(&text.replace('$', ""))
        .ok_or_else(|| xml_error(part, format!("bad cell reference {text}")))
}

fn row_number(tag: &Tag<'_>, part: &str) -> Result<u32, WriteError> {
    let r =
        scan::attr(tag.attrs, b"r").ok_or_else(|| xml_error(part, "row without r attribute"))?;
    let text = String::from_utf8_lossy(r);
    match text.trim().parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n - 1),
        _ => Err(xml_error(part, format!("bad row number {text}"))),
    }
}

/// The value of a prefixed `id` attribute (`r:id`): on `legacyDrawing` the only prefixed `id`
/// is the relationship id, whatever prefix the producer bound to it.
fn rel_id(tag: &Tag<'_>) -> Result<Option<String>, ScanError> {
    let mut rest = tag.attrs;
    while let Some((key, quoted, after)) = scan::split_attr(rest) {
        rest = after;
        if let Some(colon) = key.iter().rposition(|&b| b == b':')
            && &key[colon + 1..] == b"id"
            && !key.starts_with(b"xmlns")
        {
            return Ok(Some(
                scan::decode(&quoted[1..quoted.len() - 1])?.into_owned(),
            ));
        }
    }
    Ok(None)
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
    splices: Vec<Splice>,
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
        splices: Vec::new(),
    };
    if let Some(rid) = legacy_rid
        && !s.has_legacy_drawing
    {
        w.legacy_drawing(s, rid)?;
    }
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
                // `<sheetData/>` opens to hold the new rows.
                let tag = w.tag_at(data.start)?;
                w.open(data.start, &tag, &[])?;
                w.new_rows(tag.after, rows)?;
                w.close(tag.after, &tag);
            }
        }
    }
    for ptr in &s.pointers {
        let overwritten = |pos| patches.get(pos).is_some_and(|p| p.value.is_some());
        if overwritten(&ptr.pos) {
            continue;
        }
        if let Some(a) = s.anchored.get(&ptr.si)
            && overwritten(&a.pos)
        {
            let f = a.moved_to(ptr.pos);
            let p = w.p;
            let markup = format!("<{p}f>{}</{p}f>", esc(&f)).into_bytes();
            w.put(ptr.span.0, ptr.span.1, markup);
        }
    }
    w.finish()
}

impl<'a> Rewrite<'a> {
    fn put(&mut self, start: usize, end: usize, markup: Vec<u8>) {
        self.splices.push(Splice { start, end, markup });
    }

    fn tag_at(&self, start: usize) -> Result<Tag<'a>, WriteError> {
        scan::next_tag(self.xml, start)
            .map_err(|e| xml_error(self.part, e))?
            .ok_or_else(|| xml_error(self.part, "unexpected end of sheet"))
    }

    /// The original with every splice applied. Splices at one place keep the order they were
    /// made in, and an insertion goes before a replacement that starts where it is.
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
                let decl = format!(" xmlns:{p}=\"{}\"", super::xml::REL_NS);
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
        let Some(r) = scan::attr_text(tag.attrs, b"ref").map_err(|e| xml_error(self.part, e))?
        else {
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
        let widened = format!("{}:{}", lo.a1(), hi.a1());
        if widened == clean || (a == b && lo == hi) {
            return Ok(());
        }
        let markup = retag(&tag, &[("ref", &widened)], &[], tag.empty, self.part)?;
        self.put(start, tag.after, markup);
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
                markup.extend(self.new_cell(Pos::new(r, col), patch, None)?);
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
        self.open(site.start, &tag, &["spans"])?;
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
                        let markup = self.new_cell(pos, patch, Some(&original))?;
                        self.put(start, after, markup);
                    } else {
                        let xf = patch.xf.to_string();
                        let markup =
                            retag(&original, &[("s", &xf)], &[], original.empty, self.part)?;
                        self.put(start, original.after, markup);
                    }
                }
                None => {
                    let at = site
                        .cells
                        .iter()
                        .find(|(c, _)| *c > col)
                        .map_or(end, |(_, start)| *start);
                    let markup = self.new_cell(pos, patch, None)?;
                    self.put(at, at, markup);
                }
            }
        }
        if site.empty {
            self.close(tag.after, &tag);
        }
        Ok(())
    }

    /// Writes a start tag again without the attributes in `drop`, opening it if it was
    /// self-closed.
    fn open(&mut self, start: usize, tag: &Tag<'_>, drop: &[&str]) -> Result<(), WriteError> {
        if tag.empty || drop.iter().any(|d| has_attr(tag, d)) {
            let markup = retag(tag, &[], drop, false, self.part)?;
            self.put(start, tag.after, markup);
        }
        Ok(())
    }

    /// Inserts the end tag of a self-closed element opened by [`Self::open`].
    fn close(&mut self, at: usize, tag: &Tag<'_>) {
        let mut markup = b"</".to_vec();
        markup.extend_from_slice(tag.qname);
        markup.push(b'>');
        self.put(at, at, markup);
    }

    /// A whole cell holding the patch; `original` supplies the attributes to keep.
    fn new_cell(
        &self,
        pos: Pos,
        patch: &CellPatch,
        original: Option<&Tag<'_>>,
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
        let qname = format!("{p}c");
        let fresh = Tag {
            start: 0,
            name: b"c",
            qname: qname.as_bytes(),
            attrs: b"",
            closing: false,
            empty: true,
            after: 0,
        };
        let base = original.unwrap_or(&fresh);
        let content = match &patch.value {
            None => return retag(base, &set, drop, true, self.part),
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
        let mut markup = retag(base, &set, drop, false, self.part)?;
        markup.extend_from_slice(content.as_bytes());
        markup.extend_from_slice(b"</");
        markup.extend_from_slice(base.qname);
        markup.push(b'>');
        Ok(markup)
    }
}

fn has_attr(tag: &Tag<'_>, qualified: &str) -> bool {
    let mut rest = tag.attrs;
    while let Some((key, _, after)) = scan::split_attr(rest) {
        if key == qualified.as_bytes() {
            return true;
        }
        rest = after;
    }
    false
}

/// `tag` written again with the attributes in `set` replaced (or appended when absent) and
/// those in `drop` removed; every other attribute keeps its place and its text as written.
fn retag(
    tag: &Tag<'_>,
    set: &[(&str, &str)],
    drop: &[&str],
    empty: bool,
    part: &str,
) -> Result<Vec<u8>, WriteError> {
    let mut out = Vec::with_capacity(tag.qname.len() + tag.attrs.len() + 32);
    out.push(b'<');
    out.extend_from_slice(tag.qname);
    let mut done = vec![false; set.len()];
    let mut rest = tag.attrs;
    while !rest.trim_ascii().is_empty() {
        let (key, quoted, after) =
            scan::split_attr(rest).ok_or_else(|| xml_error(part, "malformed attribute"))?;
        rest = after;
        let replaced = set.iter().position(|(k, _)| k.as_bytes() == key);
        if drop.iter().any(|d| d.as_bytes() == key) || replaced.is_some_and(|i| done[i]) {
            continue;
        }
        out.push(b' ');
        out.extend_from_slice(key);
        out.push(b'=');
        match replaced {
            Some(i) => {
                done[i] = true;
                out.extend_from_slice(format!("\"{}\"", esc(set[i].1)).as_bytes());
            }
            None => out.extend_from_slice(quoted),
        }
    }
    for ((k, v), done) in set.iter().zip(done) {
        if !done {
            out.extend_from_slice(format!(" {k}=\"{}\"", esc(v)).as_bytes());
        }
    }
    out.extend_from_slice(if empty { b"/>" } else { b">" });
    Ok(out)
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
