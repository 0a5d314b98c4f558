//! `.xls`/`.ods` input rebuilt as a clean `.xlsx` from its values and merged ranges.
//!
//! None of the original styling survives, so the layout is re-derived: column widths from
//! the text (CJK counted double, since autofit under-sizes it), wrapped text, thin borders
//! over the table, and heights for rows whose text wraps (see `row_heights`).

use std::collections::{BTreeMap, HashMap, HashSet};

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Formula, Note, Url,
    Workbook, Worksheet, XlsxError,
};

use super::recalc::{self, FormulaFate};
use super::{
    CellEdit, Corrections, FINDINGS_HEADERS, FINDINGS_SHEET, FINDINGS_WIDTHS, Mark, NO_FINDINGS,
    findings_table_row,
};
use super::{LAST_COL, LAST_ROW, MAX_NOTE_UNITS, NewValue, WriteError, clip_units, fit_cell};
use crate::cell::Pos;
use crate::number::Shown;
use crate::reader::{Merge, RawBook, RawCell, RawSheet, RawValue};

const ERROR_FILL: u32 = 0xFFC7CE;
const WARNING_FILL: u32 = 0xFFEB9C;
const MAX_BORDERED: u64 = 100_000;
/// Points per wrapped line at the default 11pt font, and Excel's tallest row.
const LINE_HEIGHT: f64 = 15.0;
const MAX_HEIGHT: f64 = 409.0;

/// All edits that land on one cell: an error outranks a warning, notes are joined.
#[derive(Default)]
struct Edit<'a> {
    error: bool,
    /// Whether any edit marks the cell (not a note alone).
    marked: bool,
    value: Option<&'a NewValue>,
    notes: Vec<&'a str>,
}

/// Writes every sheet of `book` with the edits applied, then the 核查结果 sheet.
pub fn rebuild_xlsx(book: &RawBook, corrections: &Corrections) -> Result<Vec<u8>, WriteError> {
    let edits = group_edits(book, &corrections.edits)?;
    let mut workbook = Workbook::new();
    // A fixed creation time: the same input must give byte-identical output.
    let created = ExcelDateTime::from_ymd(2000, 1, 1)?;
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&created));
    // Excel reserves "History"; names compare case-insensitively.
    let mut taken = HashSet::from(["history".to_string()]);
    let mut names = HashMap::new();
    let mut active = false;
    for (sheet, edits) in book.sheets.iter().zip(&edits) {
        let name = unique_name(&sanitize(&sheet.name), &mut taken);
        let ws = workbook.add_worksheet().set_name(&name)?;
        write_sheet(ws, sheet, edits)?;
        // The sheet that opens must be a visible one.
        if sheet.hidden {
            ws.set_hidden(true);
        } else if !active {
            ws.set_active(true);
            active = true;
        }
        names.insert(sheet.name.as_ref(), name);
    }
    let findings_name = unique_name(FINDINGS_SHEET, &mut taken);
    let ws = workbook.add_worksheet().set_name(findings_name)?;
    write_findings(ws, corrections, &names)?;
    ws.set_active(!active);
    Ok(workbook.save_to_buffer()?)
}

/// Edits per sheet in book order, keyed by the merge anchor that shows the edited cell.
fn group_edits<'a>(
    book: &RawBook,
    edits: &'a [CellEdit],
) -> Result<Vec<BTreeMap<Pos, Edit<'a>>>, WriteError> {
    let mut out: Vec<BTreeMap<Pos, Edit>> = book.sheets.iter().map(|_| BTreeMap::new()).collect();
    for e in edits {
        let Some(i) = book.sheets.iter().position(|s| s.name == e.cell.sheet) else {
            return Err(WriteError::NoSheet(e.cell.sheet.to_string()));
        };
        let slot = out[i].entry(book.sheets[i].anchor(e.cell.pos)).or_default();
        slot.error |= e.mark == Mark::Error;
        slot.marked |= e.mark != Mark::Note;
        slot.value = e.value.as_ref().or(slot.value);
        slot.notes.push(&e.note);
    }
    Ok(out)
}

fn write_sheet(
    ws: &mut Worksheet,
    sheet: &RawSheet,
    edits: &BTreeMap<Pos, Edit>,
) -> Result<(), WriteError> {
    let merges = valid_merges(sheet);
    let table = Format::new()
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin);
    // Borders first, as blank cells over the used range (unless absurdly large: some .ods
    // files carry a stray cell far away); values overwrite them.
    let (rows, cols) = used_range(sheet, &merges);
    for row in (0..rows).filter(|_| rows as u64 * cols as u64 <= MAX_BORDERED) {
        for col in 0..cols {
            ws.write_blank(row, col as u16, &table)?;
        }
    }
    for m in &merges {
        let (r0, c0, r1) = (m.first.row, m.first.col as u16, m.last.row);
        ws.merge_range(r0, c0, r1, m.last.col as u16, "", &table)?;
        // merge_range leaves an empty string in the anchor; an empty anchor stays blank.
        ws.write_blank(r0, c0, &table)?;
    }
    for (pos, cell) in sheet.cells().filter(|(p, _)| !edits.contains_key(p)) {
        write_raw(ws, pos, cell, &table)?;
    }
    // The copy's cells once every edit is made: what a kept formula recalculates from.
    let corrected = recalc::corrected(Some(sheet), |p| edits.get(&p).and_then(|e| e.value));
    for (&pos, edit) in edits.iter().filter(|(p, _)| fits(**p)) {
        let formula = sheet
            .own(pos)
            .formula
            .as_deref()
            .filter(|f| !f.trim().is_empty());
        // As the patch writer does for .xlsx: a formula that recalculates to the new value
        // stays, with the value as its cached result.
        let fate = match (edit.value, formula) {
            (Some(value), Some(f)) => recalc::fate(f, pos, value, &corrected),
            _ => FormulaFate::Replaced,
        };
        // A warning keeps the cell as it was, formula included.
        let cell = match edit.value {
            None => sheet.own(pos).clone(),
            Some(value) => RawCell {
                formula: formula
                    .filter(|_| fate == FormulaFate::Kept)
                    .map(str::to_string),
                ..raw_cell(value)
            },
        };
        let format = match (edit.marked, edit.error) {
            (false, _) => table.clone(),
            (true, true) => table.clone().set_background_color(Color::RGB(ERROR_FILL)),
            (true, false) => table.clone().set_background_color(Color::RGB(WARNING_FILL)),
        };
        write_raw(ws, pos, &cell, &format)?;
        let mut text = edit.notes.join("\n");
        // An overwritten formula is quoted so that the author can restore it.
        if let (Some(_), Some(f), FormulaFate::Replaced) = (edit.value, formula, fate) {
            text.push_str(&format!("\n原公式 ={f}"));
        }
        let text = clip_units(&text, MAX_NOTE_UNITS).to_string();
        let note = Note::new(text)
            .set_author("selfeval")
            .set_width(320)
            .set_height(140);
        ws.insert_note(pos.row, pos.col as u16, &note)?;
    }
    let widths = column_widths(sheet, &merges);
    for (col, width) in widths.iter().enumerate() {
        if let Some(w) = width {
            ws.set_column_width(col as u16, *w)?;
        }
    }
    for (row, height) in row_heights(sheet, &merges, &widths) {
        ws.set_row_height(row, height)?;
    }
    print_setup(ws);
    Ok(())
}

/// These forms are printed: landscape A4, one page wide.
fn print_setup(ws: &mut Worksheet) {
    ws.set_landscape().set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
}

fn fits(pos: Pos) -> bool {
    pos.row <= LAST_ROW && pos.col <= LAST_COL
}

/// Merges Excel accepts: ordered, more than one cell, in bounds, not overlapping a kept one.
fn valid_merges(sheet: &RawSheet) -> Vec<Merge> {
    let mut kept: Vec<Merge> = Vec::new();
    for m in &sheet.merges {
        let ordered = m.first.row <= m.last.row && m.first.col <= m.last.col;
        let overlaps = kept.iter().any(|k| {
            let rows = k.first.row <= m.last.row && m.first.row <= k.last.row;
            rows && k.first.col <= m.last.col && m.first.col <= k.last.col
        });
        if ordered && m.first != m.last && fits(m.last) && !overlaps {
            kept.push(*m);
        }
    }
    kept
}

fn covering(merges: &[Merge], pos: Pos) -> Option<&Merge> {
    merges.iter().find(|m| {
        (m.first.row..=m.last.row).contains(&pos.row)
            && (m.first.col..=m.last.col).contains(&pos.col)
    })
}

/// Row and column counts covering every value and merge that Excel can hold.
fn used_range(sheet: &RawSheet, merges: &[Merge]) -> (u32, u32) {
    let cells = sheet.cells().map(|(p, _)| p).filter(|p| fits(*p));
    let corners = merges.iter().map(|m| m.last);
    let grow = |(r, c): (u32, u32), p: Pos| (r.max(p.row + 1), c.max(p.col + 1));
    cells.chain(corners).fold((0, 0), grow)
}

/// A corrected value as a cell of the reader's kind. A percentage's `Shown` decimals count
/// the fraction's places: 99.73% is 0.9973 with 4.
fn raw_cell(value: &NewValue) -> RawCell {
    let value = match value {
        NewValue::Number { value, decimals } => RawValue::Number(Shown::plain(*value, *decimals)),
        NewValue::Percent { fraction, decimals } => {
            let mut shown = Shown::plain(*fraction, decimals + 2);
            shown.percent = true;
            RawValue::Number(shown)
        }
        NewValue::Text(t) => RawValue::Text(t.clone()),
    };
    RawCell {
        value,
        formula: None,
    }
}

/// `0`, `0.00`, `0%`, `0.00%` for a value shown with `shown` decimals.
fn num_format(shown: &Shown) -> String {
    let places = shown
        .decimals
        .saturating_sub(if shown.percent { 2 } else { 0 });
    // Past 15 places a double has nothing left to show.
    let mut code = match places.min(15) as usize {
        0 => "0".to_string(),
        n => format!("0.{}", "0".repeat(n)),
    };
    if shown.percent {
        code.push('%');
    }
    code
}

fn write_raw(ws: &mut Worksheet, pos: Pos, cell: &RawCell, base: &Format) -> Result<(), XlsxError> {
    if !fits(pos) {
        return Ok(());
    }
    let (row, col) = (pos.row, pos.col as u16);
    let format = match &cell.value {
        RawValue::Number(n) => base.clone().set_num_format(num_format(n)),
        RawValue::Date(_) => base.clone().set_num_format("yyyy-mm-dd"),
        _ => base.clone(),
    };
    if let Some(f) = cell.formula.as_deref().filter(|f| !f.trim().is_empty()) {
        let cached = match &cell.value {
            RawValue::Number(n) => n.value.normalize().to_string(),
            _ => cell.shown(),
        };
        ws.write_formula_with_format(row, col, Formula::new(f).set_result(cached), &format)?;
        return Ok(());
    }
    let number = |d: &Decimal| d.to_f64().ok_or_else(|| d.to_string());
    match &cell.value {
        RawValue::Empty => ws.write_blank(row, col, &format)?,
        RawValue::Text(t) | RawValue::Error(t) => {
            ws.write_string_with_format(row, col, fit_cell(t), &format)?
        }
        RawValue::Bool(b) => ws.write_boolean_with_format(row, col, *b, &format)?,
        RawValue::Number(Shown { value: d, .. }) | RawValue::Date(d) => match number(d) {
            Ok(f) => ws.write_number_with_format(row, col, f, &format)?,
            Err(text) => ws.write_string_with_format(row, col, text, &format)?,
        },
    };
    Ok(())
}

/// Width of the longest line in column units: CJK and full-width characters take two.
fn text_units(text: &str) -> usize {
    let wide = |c: char| {
        matches!(c as u32, 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
    };
    let line = |l: &str| l.chars().map(|c| if wide(c) { 2 } else { 1 }).sum();
    text.lines().map(line).max().unwrap_or(0)
}

/// Per column, the longest shown text + 2, clamped to [6, 50]; `None` where nothing counts.
/// Neither merges spanning columns (a title would widen its first column) nor text alone in
/// its row (a footnote) count.
fn column_widths(sheet: &RawSheet, merges: &[Merge]) -> Vec<Option<f64>> {
    let mut per_row: HashMap<u32, usize> = HashMap::new();
    for (pos, _) in sheet.cells().filter(|(_, c)| !c.is_empty()) {
        *per_row.entry(pos.row).or_default() += 1;
    }
    let mut widths = vec![None; used_range(sheet, merges).1 as usize];
    let shared_row = |p: &Pos| per_row.get(&p.row).is_some_and(|n| *n > 1);
    for (pos, cell) in sheet.cells().filter(|(p, _)| fits(*p) && shared_row(p)) {
        if covering(merges, pos).is_some_and(|m| m.first.col != m.last.col) {
            continue;
        }
        let units = (text_units(&cell.shown()) + 2).clamp(6, 50) as f64;
        let w: &mut Option<f64> = &mut widths[pos.col as usize];
        *w = Some(w.map_or(units, |old| old.max(units)));
    }
    widths
}

/// Heights for rows whose text needs several lines: every cell's text wrapped in its width
/// (a merged cell's across its columns, its lines shared by its rows). A height is set for
/// every such row: spreadsheets autofit a wrapped cell only in a row without merged text,
/// and a row autofitted beside one set too low overlaps the next when printed. Widths are
/// estimates, so a line holds a tenth less than the width says, erring towards a taller row.
fn row_heights(sheet: &RawSheet, merges: &[Merge], widths: &[Option<f64>]) -> Vec<(u32, f64)> {
    let width = |c: u32| widths.get(c as usize).copied().flatten().unwrap_or(8.43);
    let lines = |text: &str, w: f64| -> usize {
        let per_line = ((w - 1.0) * 0.9).max(1.0);
        text.lines()
            .map(|l| ((text_units(l) as f64 / per_line).ceil() as usize).max(1))
            .sum()
    };
    let mut heights: BTreeMap<u32, f64> = BTreeMap::new();
    for (pos, cell) in sheet.cells().filter(|(p, c)| fits(*p) && !c.is_empty()) {
        let (cols, rows) = match covering(merges, pos) {
            Some(m) if m.first != pos => continue,
            Some(m) => (m.first.col..=m.last.col, m.first.row..=m.last.row),
            None => (pos.col..=pos.col, pos.row..=pos.row),
        };
        let span: f64 = cols.map(width).sum();
        let count = rows.clone().count().max(1) as f64;
        let need = lines(&cell.shown(), span) as f64 * LINE_HEIGHT / count;
        for row in rows {
            let h = heights.entry(row).or_insert(LINE_HEIGHT);
            *h = h.max(need);
        }
    }
    heights
        .into_iter()
        .filter(|(_, h)| *h > LINE_HEIGHT)
        .map(|(row, h)| (row, h.ceil().min(MAX_HEIGHT)))
        .collect()
}

/// A name Excel accepts: no `[]:*?/\`, no apostrophe at either end, 1 to 31 UTF-16 units.
fn sanitize(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .collect();
    let cleaned = clip_units(cleaned.trim_matches('\''), 31).trim_end_matches('\'');
    let fallback = if cleaned.is_empty() { "Sheet" } else { cleaned };
    fallback.to_string()
}

/// `wanted`, or `wanted(2)`, `wanted(3)`… shortened to fit, whichever is still free.
fn unique_name(wanted: &str, taken: &mut HashSet<String>) -> String {
    let mut name = wanted.to_string();
    let mut n = 1;
    while taken.contains(&name.to_lowercase()) {
        n += 1;
        let suffix = format!("({n})");
        let stem = clip_units(wanted, 31 - suffix.len()).trim_end_matches('\'');
        name = format!("{stem}{suffix}");
    }
    taken.insert(name.to_lowercase());
    name
}

/// The head lines, then one row per finding, its cell a link back to the (renamed) sheet;
/// printed as the patched copy's is (see `patch::findings`).
fn write_findings(
    ws: &mut Worksheet,
    c: &Corrections,
    names: &HashMap<&str, String>,
) -> Result<(), WriteError> {
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    for (row, line) in (0u32..).zip(&c.head) {
        match row {
            0 => ws.write_string_with_format(row, 0, fit_cell(line), &bold)?,
            _ => ws.write_string(row, 0, fit_cell(line))?,
        };
    }
    let table = findings_table_row(&c.head);
    for (col, (header, width)) in FINDINGS_HEADERS
        .iter()
        .zip(FINDINGS_WIDTHS.map(f64::from))
        .enumerate()
    {
        ws.write_string_with_format(table, col as u16, *header, &bold)?;
        ws.set_column_width(col as u16, width)?;
    }
    let room = (LAST_ROW - table) as usize;
    let findings = &c.findings[..c.findings.len().min(room)];
    if findings.is_empty() {
        ws.write_string(table + 1, 0, NO_FINDINGS)?;
    }
    for (row, f) in (table + 1..).zip(findings) {
        let sheet = names.get(f.cell.sheet.as_ref());
        let texts = f.texts(sheet.map_or(f.cell.sheet.as_ref(), String::as_str));
        for (col, text) in (0..).zip(&texts) {
            ws.write_string_with_format(row, col, fit_cell(text), &wrap)?;
        }
        // A link only to a sheet that exists: Excel reports a broken one as an error.
        if let Some(name) = sheet {
            let target = format!("internal:'{}'!{}", name.replace('\'', "''"), f.cell.pos);
            ws.write_url(row, 0, Url::new(target).set_text(&texts[0]))?;
        }
    }
    ws.set_freeze_panes(table + 1, 0)?;
    print_setup(ws);
    ws.set_repeat_rows(table, table)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read};
    use std::sync::Arc;

    use calamine::{Data, Reader, Xlsx};

    use super::*;
    use crate::cell::CellRef;
    use crate::reader::{BookFormat, read_book};

    fn at(a1: &str) -> Pos {
        Pos::parse_a1(a1).expect("test literal")
    }

    fn put(sheet: &mut RawSheet, a1: &str, value: RawValue, formula: Option<&str>) {
        let formula = formula.map(str::to_string);
        sheet.set(at(a1), RawCell { value, formula });
    }

    fn num(v: &str, decimals: u32) -> Shown {
        Shown::plain(v.parse().expect("test literal"), decimals)
    }

    fn merge(first: &str, last: &str) -> Merge {
        let (first, last) = (at(first), at(last));
        Merge { first, last }
    }

    fn edit(sheet: &str, a1: &str, value: Option<NewValue>, note: &str) -> CellEdit {
        let cell = CellRef::new(&Arc::from(sheet), at(a1));
        let mark = value.as_ref().map_or(Mark::Warning, |_| Mark::Error);
        let note = note.to_string();
        CellEdit {
            cell,
            mark,
            value,
            note,
        }
    }

    /// One part of the written package, as text.
    fn part(bytes: &[u8], name: &str) -> String {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
        let mut out = String::new();
        let mut file = zip.by_name(name).expect(name);
        file.read_to_string(&mut out).expect("utf-8");
        out
    }

    #[test]
    fn an_overwritten_formula_is_quoted_in_the_note() {
        let mut s = RawSheet::new("表", 3, 3);
        put(
            &mut s,
            "B3",
            RawValue::Number(num("12.74", 2)),
            Some("C2/2"),
        );
        let book = RawBook {
            format: BookFormat::Xls,
            sheets: vec![s],
        };
        let value = NewValue::Number {
            value: "13.00".parse().unwrap(),
            decimals: 2,
        };
        let corrections = Corrections {
            edits: vec![edit("表", "B3", Some(value), "应为 13.00")],
            head: Vec::new(),
            findings: vec![],
        };
        let bytes = rebuild_xlsx(&book, &corrections).expect("rebuild");
        let comments = part(&bytes, "xl/comments1.xml");
        assert!(comments.contains("原公式 =C2/2"), "{comments}");
        assert!(!part(&bytes, "xl/worksheets/sheet1.xml").contains("<f>"));
    }

    #[test]
    fn a_formula_that_recalculates_to_its_new_value_stays() {
        let mut s = RawSheet::new("表", 6, 3);
        put(&mut s, "A1", RawValue::Number(num("1.5", 2)), None);
        put(&mut s, "A2", RawValue::Number(num("1.98", 2)), None);
        // Right once A2 is corrected; wrong whatever A2 holds.
        put(
            &mut s,
            "A3",
            RawValue::Number(num("3.48", 2)),
            Some("A1+SUM(A2:A2)"),
        );
        put(&mut s, "A4", RawValue::Number(num("7.5", 2)), Some("A1*5"));
        let book = RawBook {
            format: BookFormat::Xls,
            sheets: vec![s],
        };
        let two = |v: &str| {
            Some(NewValue::Number {
                value: v.parse().unwrap(),
                decimals: 2,
            })
        };
        let corrections = Corrections {
            edits: vec![
                edit("表", "A2", two("2.00"), "应为 2.00"),
                edit("表", "A3", two("3.50"), "应为 3.50"),
                edit("表", "A4", two("9.00"), "应为 9.00"),
            ],
            head: Vec::new(),
            findings: vec![],
        };
        let bytes = rebuild_xlsx(&book, &corrections).expect("rebuild");
        let sheet = part(&bytes, "xl/worksheets/sheet1.xml");
        assert!(sheet.contains("<f>A1+SUM(A2:A2)</f><v>3.5</v>"), "{sheet}");
        assert!(!sheet.contains("A1*5"), "{sheet}");
        let comments = part(&bytes, "xl/comments1.xml");
        assert!(comments.contains("原公式 =A1*5"), "{comments}");
        assert!(!comments.contains("原公式 =A1+"), "{comments}");
        let mut xlsx: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(&bytes)).expect("open");
        let range = xlsx.worksheet_range("表").expect("sheet");
        assert_eq!(range.get_value((2, 0)), Some(&Data::Float(3.5)));
        assert_eq!(range.get_value((3, 0)), Some(&Data::Float(9.0)));
    }

    #[test]
    fn values_formats_merges_and_names_survive() {
        let mut s = RawSheet::new("表", 4, 4);
        let mut pct = num("0.9971", 4);
        pct.percent = true;
        put(&mut s, "A1", RawValue::Text("项目名称".into()), None);
        put(&mut s, "B2", RawValue::Number(pct), None);
        put(&mut s, "C2", RawValue::Number(num("25.48", 2)), None);
        put(&mut s, "D2", RawValue::Bool(true), None);
        put(&mut s, "A3", RawValue::Date(45291.into()), None);
        let formula = Some("C2/2");
        put(&mut s, "B3", RawValue::Number(num("12.74", 2)), formula);
        put(&mut s, "C4", RawValue::Error("#DIV/0!".into()), None);
        // Kept, overlapping, single-cell, reversed.
        for (first, last) in [("A1", "B1"), ("A1", "A2"), ("C3", "C3"), ("D4", "C4")] {
            s.add_merge(merge(first, last));
        }
        let mut hidden = RawSheet::new("隐藏", 1, 1);
        hidden.hidden = true;
        let odd = RawSheet::new("'a[b]:c*?/d' with a name far too long", 1, 1);
        let sheets = vec![s.clone(), hidden, odd, RawSheet::new("核查结果", 1, 1)];
        let book = RawBook {
            format: BookFormat::Ods,
            sheets,
        };
        let edits = vec![
            edit("表", "B1", None, "合并单元格"),
            edit("表", "C2", None, "请核实"),
            edit("表", "D3", Some(NewValue::Text("优".into())), "应为 优"),
        ];
        let corrections = Corrections {
            edits,
            head: Vec::new(),
            findings: vec![],
        };
        let bytes = rebuild_xlsx(&book, &corrections).expect("rebuild");

        let back = read_book(&bytes).expect("read back");
        let names: Vec<_> = back.sheets.iter().map(|s| (&*s.name, s.hidden)).collect();
        let odd = ("a_b__c___d' with a name far too", false);
        let ours = [("核查结果", false), ("核查结果(2)", false)];
        assert_eq!(
            names,
            [("表", false), ("隐藏", true), odd, ours[0], ours[1]]
        );
        let t = &back.sheets[0];
        for a1 in ["A1", "B2", "C2", "D2", "A3", "B3"] {
            assert_eq!(t.own(at(a1)).value, s.own(at(a1)).value, "{a1}");
        }
        // The reader leaves .xlsx formulas to the writer; the rebuilt sheet keeps them.
        assert!(part(&bytes, "xl/worksheets/sheet1.xml").contains("<f>C2/2</f>"));
        assert_eq!(t.own(at("C4")).value, RawValue::Text("#DIV/0!".into()));
        assert_eq!(t.own(at("D3")).value, RawValue::Text("优".into()));
        assert_eq!(t.merges, [merge("A1", "B1")]);
        let comments = part(&bytes, "xl/comments1.xml");
        assert!(comments.contains("合并单元格") && comments.contains("应为 优"));
        // The note on a merged-away cell goes to the merge's anchor.
        assert!(comments.contains(r#"ref="A1""#) && !comments.contains(r#"ref="B1""#));
        let styles = part(&bytes, "xl/styles.xml");
        assert!(styles.contains("FFFFC7CE") && styles.contains("FFFFEB9C"));
        assert!(styles.contains(r#"formatCode="0.00%""#));
    }

    /// Text that wraps sets its row's height, a merged cell's shared by its rows: the
    /// rebuilt copy prints without lines running into the row below.
    #[test]
    fn rows_are_tall_enough_for_their_wrapped_text() {
        let mut sheet = RawSheet::new("自评表", 6, 3);
        let text = |t: &str| RawCell {
            value: RawValue::Text(t.to_string()),
            formula: None,
        };
        // Row 2 holds sixty CJK characters; rows 4–5 share a merged note of three lines.
        sheet.set(at("A1"), text("项目名称"));
        sheet.set(at("B1"), text("金融发展服务"));
        sheet.set(at("C1"), text("备注"));
        sheet.set(at("A2"), text("三级指标"));
        sheet.set(at("B2"), text(&"按时完成州政府下达的工作".repeat(5)));
        sheet.set(
            at("A4"),
            text("联系人：王某\n联系电话：0854-0000000\n填报日期：2024年1月"),
        );
        sheet.add_merge(Merge {
            first: at("A4"),
            last: at("A5"),
        });
        sheet.set(at("B4"), text("绩效结论"));
        let book = RawBook {
            format: BookFormat::Xls,
            sheets: vec![sheet],
        };
        let bytes = rebuild_xlsx(&book, &Corrections::default()).expect("rebuild");
        let xml = part(&bytes, "xl/worksheets/sheet1.xml");
        let height = |row: u32| -> f64 {
            let tag = xml
                .split("<row ")
                .find(|r| r.starts_with(&format!("r=\"{row}\"")))
                .unwrap_or_default();
            tag.split("ht=\"")
                .nth(1)
                .and_then(|h| h.split('"').next())
                .and_then(|h| h.parse().ok())
                .unwrap_or(LINE_HEIGHT)
        };
        assert_eq!(height(1), LINE_HEIGHT, "{xml}");
        // Sixty CJK characters, 120 units, in a column 50 wide: three lines at least.
        assert!(height(2) >= 3.0 * LINE_HEIGHT, "sixty characters: {xml}");
        assert!(
            height(4) + height(5) >= 3.0 * LINE_HEIGHT,
            "three lines: {xml}"
        );
    }

    #[test]
    fn corrects_the_sample_and_lists_findings() {
        let bytes = std::fs::read("fixtures/qiannan-finance-2023.xls").expect("fixture");
        let book = read_book(&bytes).expect("sample");
        let two = |v| {
            Some(NewValue::Number {
                value: num(v, 2).value,
                decimals: 2,
            })
        };
        let edits = vec![
            edit(
                "自评表",
                "H29",
                two("2.00"),
                "原填报 1.98；应为 2.00；依据 I3",
            ),
            edit("自评表", "H38", two("99.97"), "原填报 99.95；应为 99.97"),
        ];
        let finding = |e: &CellEdit| crate::writer::FindingRow {
            cell: e.cell.clone(),
            indicator: String::new(),
            code: crate::finding::Code::ScoreFormula,
            severity: "错误".into(),
            claimed: "1.98".into(),
            expected: "2.00".into(),
            message: e.note.clone(),
        };
        let findings = edits.iter().map(finding).collect();
        let head = vec!["自评表核查结果".to_string(), "核查规则：测试".to_string()];
        let corrections = Corrections {
            edits,
            head,
            findings,
        };
        let bytes = rebuild_xlsx(&book, &corrections).expect("rebuild");
        let again = rebuild_xlsx(&book, &corrections).expect("rebuild again");
        assert!(bytes == again, "the same input must give the same bytes");

        let mut xlsx: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(&bytes)).expect("open");
        let range = xlsx.worksheet_range("自评表").expect("sheet");
        assert_eq!(range.get_value((28, 7)), Some(&Data::Float(2.0)));
        assert_eq!(range.get_value((37, 7)), Some(&Data::Float(99.97)));
        let merges = xlsx.merge_cells_by_sheet_name("自评表").expect("merges");
        assert_eq!(merges.len(), book.sheets[0].merges.len());
        let found = xlsx.worksheet_range(FINDINGS_SHEET).expect("findings");
        let row = |r| {
            (0..7)
                .map(|c| found.get((r, c)).map(Data::to_string))
                .collect::<Vec<_>>()
        };
        assert_eq!(row(0)[0].as_deref(), Some("自评表核查结果"));
        assert_eq!(row(3), FINDINGS_HEADERS.map(|h| Some(h.to_string())));
        let first = [
            "自评表!H29",
            "",
            "错误",
            "1.98",
            "2.00",
            "原填报 1.98；应为 2.00；依据 I3",
            "指标得分计算有误（score-formula）",
        ];
        assert_eq!(row(4), first.map(|t| Some(t.to_string())));
        assert_eq!(row(5)[0].as_deref(), Some("自评表!H38"));
        // Printed landscape on one page's width, the table's header on every page.
        let workbook = part(&bytes, "xl/workbook.xml");
        assert!(
            workbook.contains("_xlnm.Print_Titles") && workbook.contains("!$4:$4"),
            "{workbook}"
        );
        let sheet = part(&bytes, "xl/worksheets/sheet2.xml");
        assert!(
            sheet.contains(r#"orientation="landscape""#) && sheet.contains(r#"fitToHeight="0""#),
            "{sheet}"
        );
        let link = r#"location="'自评表'!H29""#;
        assert!(part(&bytes, "xl/worksheets/sheet2.xml").contains(link));
        assert!(part(&bytes, "xl/comments1.xml").contains("原填报 99.95；应为 99.97"));

        // Everything else reads back as it was, merges included.
        let back = read_book(&bytes).expect("read back");
        let (before, after) = (&book.sheets[0], &back.sheets[0]);
        let sorted = |s: &RawSheet| {
            let mut m: Vec<_> = s.merges.iter().map(|m| (m.first, m.last)).collect();
            m.sort();
            m
        };
        assert_eq!(sorted(before), sorted(after));
        for (pos, cell) in before
            .cells()
            .filter(|(p, _)| ![at("H29"), at("H38")].contains(p))
        {
            assert_eq!(after.own(pos), cell, "{}", pos.a1());
        }
    }

    #[test]
    fn measures_text_and_names_sheets() {
        assert_eq!(text_units("≤8.9万元"), 8);
        assert_eq!(text_units("目标1\n长一些的第二行"), 14);
        let mut pct = num("1", 4);
        pct.percent = true;
        assert_eq!(num_format(&pct), "0.00%");
        pct.decimals = 2;
        assert_eq!(num_format(&pct), "0%");
        assert_eq!(num_format(&num("1", 0)), "0");
        assert_eq!(sanitize("''"), "Sheet");
        let long = sanitize(&"长".repeat(40));
        let mut taken = HashSet::new();
        assert_eq!(unique_name(&long, &mut taken), "长".repeat(31));
        assert_eq!(
            unique_name(&long, &mut taken),
            format!("{}(2)", "长".repeat(28))
        );
    }
}
