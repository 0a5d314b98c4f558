//! Patching the department's own `.xlsx`/`.xlsm` package.
//!
//! Only the parts that must change are rewritten — the edited sheets, the styles, the notes,
//! the workbook's sheet list and relationships — and every other zip entry is copied with its
//! original compressed bytes, so layout, print setup, validations, macros and anything this
//! crate does not understand come through untouched.

mod comments;
mod findings;
mod formula;
mod package;
mod sheet;
mod styles;
#[cfg(test)]
mod tests;
mod workbook;
mod xml;

use std::collections::BTreeMap;

use super::recalc::{self, FormulaFate};
use super::{
    CellEdit, Corrections, FINDINGS_SHEET, Mark, NewValue, WriteError, findings_table_row,
};
use crate::cell::Pos;
use crate::opc::Inflated;
use crate::reader::{BookFormat, RawBook, RawSheet};
use package::{Package, Rel};
use sheet::CellPatch;
use styles::Styles;
use workbook::{Book, NewSheet};
use xml::Flavour;

const WORKSHEET_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml";
const STYLES_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml";

/// Returns the corrected package for the `.xlsx`/`.xlsm` bytes `input`: every edit applied
/// with its fill and note, the sheet 核查结果 listing the findings, and the workbook set to
/// recalculate when opened. The values that tell whether a formula stays are read from
/// `input`; where it cannot be read, every formula that an edit overwrites is replaced.
pub fn patch_xlsx(input: &[u8], corrections: &Corrections) -> Result<Vec<u8>, WriteError> {
    let (book, inflated) =
        crate::reader::read_package(input, BookFormat::Xlsx).unwrap_or_else(|_| {
            let unread = RawBook {
                format: BookFormat::Xlsx,
                sheets: Vec::new(),
            };
            (unread, Inflated::default())
        });
    patch_inflated(input, &inflated, &book, corrections)
}

/// [`patch_xlsx`], taking the parts in `inflated` instead of inflating them again, and the
/// cell values from `read`, the workbook as read.
pub fn patch_inflated(
    input: &[u8],
    inflated: &Inflated,
    read: &RawBook,
    corrections: &Corrections,
) -> Result<Vec<u8>, WriteError> {
    let opc = crate::opc::Package::open_workbook(input).map_err(package::opc_error)?;
    patch_opened(opc, inflated, read, corrections)
}

/// [`patch_inflated`] for the package intake opened and resolved
/// ([`crate::intake::admit_package`]): its directory is not read again.
pub fn patch_opened(
    opc: crate::opc::Package<'_>,
    inflated: &Inflated,
    read: &RawBook,
    corrections: &Corrections,
) -> Result<Vec<u8>, WriteError> {
    let mut pkg = Package::open(opc, inflated)?;
    let wb_part = &pkg.workbook()?;
    let wb_xml = pkg.read(wb_part)?;
    let ns = Flavour::of_workbook(&wb_xml, wb_part);
    let book = workbook::parse(&wb_xml, wb_part)?;
    let wb_rels = pkg.rels(wb_part)?;

    // Every sheet is resolved first, so an unknown sheet fails before any work is done.
    let groups = group_edits(&corrections.edits);
    let mut targets = Vec::with_capacity(groups.len());
    for (name, cells) in &groups {
        let values = read.sheets.iter().find(|s| *s.name == **name);
        targets.push((sheet_part(&book, &wb_rels, wb_part, name)?, cells, values));
    }

    let (mut styles, styles_part) = load_styles(&mut pkg, wb_part, &wb_rels, ns)?;
    for (part, cells, values) in targets {
        patch_sheet(&mut pkg, &mut styles, &part, cells, values, ns)?;
    }
    let new_sheet = put_findings(
        &mut pkg,
        &mut styles,
        &book,
        &wb_rels,
        wb_part,
        corrections,
        ns,
    )?;
    pkg.put(&styles_part, styles.finish()?);
    drop_calc_chain(&mut pkg, wb_part, &wb_rels);
    let new_sheet = new_sheet.as_ref().map(|(rid, sheet_id)| NewSheet {
        name: FINDINGS_SHEET,
        sheet_id: *sheet_id,
        rid,
    });
    let titles = workbook::PrintTitles {
        sheet_index: book
            .sheets
            .iter()
            .position(|s| s.name == FINDINGS_SHEET)
            .unwrap_or(book.sheets.len()),
        sheet_name: FINDINGS_SHEET,
        row: findings_table_row(&corrections.head),
    };
    let wb_xml = workbook::rewrite(&wb_xml, wb_part, new_sheet.as_ref(), Some(&titles))?;
    pkg.put(wb_part, wb_xml);
    pkg.finish()
}

/// All edits of one cell, combined.
struct CellChange {
    mark: Mark,
    value: Option<NewValue>,
    notes: Vec<String>,
}

/// Edits by sheet and cell. Should the caller send several edits for one cell, the error
/// mark wins, the last value wins, and the notes are kept in order.
fn group_edits(edits: &[CellEdit]) -> BTreeMap<String, BTreeMap<Pos, CellChange>> {
    let mut groups: BTreeMap<String, BTreeMap<Pos, CellChange>> = BTreeMap::new();
    for edit in edits {
        let change = groups
            .entry(edit.cell.sheet.to_string())
            .or_default()
            .entry(edit.cell.pos)
            .or_insert(CellChange {
                mark: edit.mark,
                value: None,
                notes: Vec::new(),
            });
        // An error outranks a warning, and either a note alone.
        if edit.mark == Mark::Error || change.mark == Mark::Note {
            change.mark = edit.mark;
        }
        if edit.value.is_some() {
            change.value = edit.value.clone();
        }
        if !edit.note.trim().is_empty() {
            change.notes.push(edit.note.clone());
        }
    }
    groups
}

fn sheet_part(
    book: &Book,
    wb_rels: &[Rel],
    wb_part: &str,
    name: &str,
) -> Result<String, WriteError> {
    let entry = book
        .find(name)
        .ok_or_else(|| WriteError::NoSheet(name.to_string()))?;
    let rel = wb_rels
        .iter()
        .find(|r| r.id == entry.rid && !r.external)
        .ok_or_else(|| WriteError::MissingPart(format!("{wb_part} → {}", entry.rid)))?;
    Ok(rel.part.clone())
}

/// The workbook's stylesheet, or a minimal one when the package has none.
fn load_styles(
    pkg: &mut Package<'_>,
    wb_part: &str,
    wb_rels: &[Rel],
    ns: Flavour,
) -> Result<(Styles, String), WriteError> {
    let part = match wb_rels.iter().find(|r| r.is("styles")) {
        Some(rel) => rel.part.clone(),
        None => {
            let part = if pkg.exists("xl/styles.xml") {
                pkg.unused_name("xl/styles", ".xml")
            } else {
                "xl/styles.xml".to_string()
            };
            pkg.add_rel(wb_part, &ns.rel_type("styles"), &part)?;
            part
        }
    };
    let xml = match pkg.read_optional(&part)? {
        Some(xml) => xml,
        None => {
            pkg.add_override_type(&part, STYLES_TYPE);
            styles::DEFAULT_STYLES
                .replace(xml::MAIN_NS, ns.main())
                .into_bytes()
        }
    };
    Ok((Styles::parse(xml, &part)?, part))
}

/// Patches one sheet; `values` are its cells as read, which tell whether a formula stays.
fn patch_sheet(
    pkg: &mut Package<'_>,
    styles: &mut Styles,
    part: &str,
    cells: &BTreeMap<Pos, CellChange>,
    values: Option<&RawSheet>,
    ns: Flavour,
) -> Result<(), WriteError> {
    let xml = pkg.read(part)?;
    let scan = sheet::scan(&xml, part, cells)?;
    // The copy's cells once every change is made: what a kept formula would recalculate from.
    let corrected = recalc::corrected(values, |p| cells.get(&p).and_then(|c| c.value.as_ref()));
    let mut patches = BTreeMap::new();
    let mut notes = BTreeMap::new();
    for (pos, change) in cells {
        let base = scan.styles.get(pos).copied().unwrap_or(0);
        let xf = match (change.mark, &change.value) {
            (Mark::Note, None) => base,
            _ => styles.mark_xf(base, change.mark, change.value.as_ref())?,
        };
        let formula = match (&change.value, scan.formulas.get(pos)) {
            (Some(value), Some(f)) => recalc::fate(f, *pos, value, &corrected),
            _ => FormulaFate::Replaced,
        };
        patches.insert(
            *pos,
            CellPatch {
                xf,
                value: change.value.clone(),
                formula,
            },
        );
        let mut note = change.notes.join("\n");
        // An overwritten formula is quoted so that the author can restore it.
        if let (Some(_), Some(f), FormulaFate::Replaced) =
            (&change.value, scan.formulas.get(pos), formula)
            && !note.contains(f.as_str())
        {
            if !note.is_empty() {
                note.push('\n');
            }
            note.push_str(&format!("原公式 ={f}"));
        }
        if !note.is_empty() {
            notes.insert(*pos, note);
        }
    }
    let new_drawing = comments::attach(pkg, part, scan.legacy_rid.as_deref(), &notes, ns)?;
    let patched = sheet::rewrite(&xml, part, &scan, &patches, new_drawing.as_deref())?;
    pkg.put(part, patched);
    Ok(())
}

/// Writes the findings sheet, replacing the one a previous run added. Returns the
/// relationship id and sheet id of a sheet that `workbook.xml` must list.
fn put_findings(
    pkg: &mut Package<'_>,
    styles: &mut Styles,
    book: &Book,
    wb_rels: &[Rel],
    wb_part: &str,
    corrections: &Corrections,
    ns: Flavour,
) -> Result<Option<(String, u32)>, WriteError> {
    let st = findings::SheetStyles {
        bold: styles.header_xf()?,
        link: styles.link_xf()?,
        wrap: styles.wrap_xf(),
    };
    let xml = findings::sheet_xml(corrections, &st, ns);
    if book.sheets.iter().any(|s| s.name == FINDINGS_SHEET) {
        let part = sheet_part(book, wb_rels, wb_part, FINDINGS_SHEET)?;
        pkg.put(&part, xml.into_bytes());
        return Ok(None);
    }
    let part = pkg.unused_name("xl/worksheets/sheet", ".xml");
    pkg.put(&part, xml.into_bytes());
    pkg.add_override_type(&part, WORKSHEET_TYPE);
    let rid = pkg.add_rel(wb_part, &ns.rel_type("worksheet"), &part)?;
    Ok(Some((rid, book.max_sheet_id.saturating_add(1))))
}

/// The calculation chain lists formula cells in evaluation order; cells that lost their
/// formula would make it invalid, and Excel rebuilds it when it is missing.
fn drop_calc_chain(pkg: &mut Package<'_>, wb_part: &str, wb_rels: &[Rel]) {
    for rel in wb_rels.iter().filter(|r| r.is("calcChain")) {
        let part = rel.part.clone();
        pkg.remove(&part);
        pkg.remove_override_type(&part);
        pkg.remove_rel(wb_part, &rel.id);
    }
}
