//! A worksheet part: the edited cells, and the note drawing reference.
//!
//! [`scan`] walks the sheet once with quick-xml, where comments, CDATA and processing
//! instructions are tokens of their own, never tags, and notes by the reader's byte offsets
//! where a patch must touch it: the root's start tag, the used range, the rows it edits or
//! adds rows before, each edited cell, and the shared formulas anchored in an edited cell.
//! [`rewrite`] splices new markup into those places and copies every other byte as it was, so
//! elements, attributes and spacing it does not touch survive unchanged. Cells and rows that do
//! not exist yet go where their position requires (rows ascending, cells ascending within a row).

mod splice;
mod walk;

use std::collections::BTreeMap;

use super::super::NewValue;
use super::super::recalc::FormulaFate;
use super::formula;
use super::xml::Flavour;
use crate::cell::Pos;

pub use splice::rewrite;
pub use walk::scan;

/// What a cell becomes.
pub struct CellPatch {
    /// Index of its new cell format.
    pub xf: u32,
    /// `None` keeps the value (and formula) the cell has.
    pub value: Option<NewValue>,
    /// With a value: whether a formula the cell holds stays, the value becoming its cached
    /// result, or goes.
    pub formula: FormulaFate,
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
struct Sites {
    /// Element prefix of the root (`x:` when the producer used one).
    prefix: String,
    /// Where the `>` that ends the root's start tag is.
    root_gt: usize,
    /// The prefix the root binds to the relationships namespace, and every prefix it binds.
    rel_prefix: Option<String>,
    declared: Vec<String>,
    /// The namespaces the sheet is written in.
    flavour: Flavour,
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
    /// The `<f>` element of each edited cell that has one, which a kept formula keeps.
    formulas: BTreeMap<Pos, FormulaSite>,
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

impl Anchor {
    fn moved_to(&self, pos: Pos) -> String {
        let rows = i64::from(pos.row) - i64::from(self.pos.row);
        let cols = i64::from(pos.col) - i64::from(self.pos.col);
        formula::shift(&self.formula, rows, cols)
    }
}

/// An edited cell's `<f>`, from its `<` to just after its end, and the `si` of the shared
/// formula it points to, when that is all it holds.
struct FormulaSite {
    span: (usize, usize),
    pointer: Option<String>,
}

/// `<f t="shared" si="…"/>` in the cell at `pos`, from its `<` to just after its end.
struct Pointer {
    pos: Pos,
    si: String,
    span: (usize, usize),
}
