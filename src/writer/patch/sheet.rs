//! A worksheet part: the edited cells, and the note drawing reference.
//!
//! [`scan`] walks the sheet's tags once with the byte scanner and notes where a patch must
//! touch it: the root's start tag, the used range, each row, each edited cell, and the shared
//! formulas anchored in an edited cell. [`rewrite`] splices new markup into those places and
//! copies every other byte as it was, so elements, attributes and spacing it does not touch
//! survive unchanged. Cells and rows that do not exist yet go where their position requires
//! (rows ascending, cells ascending within a row).

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use super::super::{NewValue, WriteError};
use super::formula;
use super::xml::{esc, fit_cell, free_rel_prefix, is_rel_ns, prefix_of, text_element, xml_error};
use crate::cell::Pos;
use crate::scan::{self, Tag};

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
    /// Every row of `sheetData`, in document order.
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
    let bad = |e: scan::ScanError| xml_error(part, e);
    let target_rows: BTreeSet<u32> = targets.keys().map(|p| p.row).collect();
    let mut found = SheetScan {
        styles: BTreeMap::new(),
        formulas: BTreeMap::new(),
        legacy_rid: None,
        sites: Sites::default(),
    };
    let mut s = Sites::default();
    // Every shared formula's anchor, so that a target that only points to one can be quoted.
    let mut anchors: BTreeMap<String, Anchor> = BTreeMap::new();
    let mut depth = 0usize;
    let mut in_data = false;
    let mut row: Option<usize> = None;
    let mut cell: Option<(Pos, usize)> = None;
    let mut at = 0;
    while let Some(tag) = scan::next_tag(xml, at).map_err(bad)? {
        at = tag.after;
        if tag.closing {
            depth = depth.saturating_sub(1);
            match (depth, tag.name) {
                (0, _) => {
                    s.legacy_at.get_or_insert(tag.start);
                }
                (1, b"sheetData") if in_data => {
                    if let Some(d) = &mut s.sheet_data {
                        d.end = Some(tag.start);
                    }
                    in_data = false;
                }
                (2, b"row") if in_data => {
                    if let Some(r) = row.take() {
                        s.rows[r].end = Some(tag.start);
                    }
                }
                (3, b"c") => {
                    if let Some((pos, start)) = cell.take()
                        && targets.contains_key(&pos)
                    {
                        s.cells.insert(pos, (start, tag.after));
                    }
                }
                _ => {}
            }
            continue;
        }
        match (depth, tag.name) {
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
                    b"legacyDrawing" => {
                        s.has_legacy_drawing = true;
                        found.legacy_rid = rel_id(&tag).map_err(bad)?;
                    }
                    b"dimension" => s.dimension = Some(tag.start),
                    b"sheetData" => {
                        s.sheet_data = Some(SheetDataSite {
                            start: tag.start,
                            end: None,
                        });
                        in_data = !tag.empty;
                    }
                    _ => {}
                }
            }
            (2, b"row") if in_data => {
                s.rows.push(RowSite {
                    row: row_number(&tag, part)?,
                    start: tag.start,
                    empty: tag.empty,
                    end: None,
                    cells: Vec::new(),
                });
                row = (!tag.empty).then_some(s.rows.len() - 1);
            }
            (3, b"c") if in_data => {
                let pos = cell_pos(&tag, part)?;
                if target_rows.contains(&pos.row)
                    && let Some(r) = row
                {
                    s.rows[r].cells.push((pos.col, tag.start));
                }
                if targets.contains_key(&pos) {
                    let style = scan::attr(tag.attrs, b"s")
                        .and_then(|v| std::str::from_utf8(v).ok())
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    found.styles.insert(pos, style);
                    if tag.empty {
                        s.cells.insert(pos, (tag.start, tag.after));
                    }
                }
                if !tag.empty {
                    cell = Some((pos, tag.start));
                }
            }
            (4, b"f") => {
                if let Some((pos, _)) = cell {
                    let (text, after) = match tag.empty {
                        true => (String::new(), tag.after),
                        false => {
                            let (text, after) = scan::text(xml, tag.after).map_err(bad)?;
                            (text.into_owned(), after)
                        }
                    };
                    // The formula's end tag was read with its text.
                    at = after;
                    let shared = shared(&tag).map_err(bad)?;
                    if let Some(Shared::Pointer(si)) = &shared
                        && s.anchored.contains_key(si)
                    {
                        s.pointers.push(Pointer {
                            pos,
                            si: si.clone(),
                            span: (tag.start, after),
                        });
                    }
                    let text = quoted(pos, text, &shared, &anchors);
                    if let (Some(text), Some(Shared::Anchor(si))) = (&text, shared) {
                        let anchor = Anchor {
                            pos,
                            formula: text.clone(),
                        };
                        if targets.contains_key(&pos) {
                            s.anchored.insert(si.clone(), anchor.clone());
                        }
                        anchors.insert(si, anchor);
                    }
                    if let Some(text) = text
                        && targets.contains_key(&pos)
                    {
                        found.formulas.insert(pos, text);
                    }
                    continue;
                }
            }
            _ => {}
        }
        if !tag.empty {
            depth += 1;
        }
    }
    if let Some((pos, _)) = cell
        && targets.contains_key(&pos)
    {
        return Err(xml_error(part, "unexpected end of sheet"));
    }
    found.sites = s;
    Ok(found)
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
fn rel_id(tag: &Tag<'_>) -> Result<Option<String>, scan::ScanError> {
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

fn shared(tag: &Tag<'_>) -> Result<Option<Shared>, scan::ScanError> {
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
