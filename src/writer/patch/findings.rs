//! The 核查结果 sheet of a patched copy: the head lines, then one row per finding, each with
//! a link to its cell, printed landscape on one page's width with the table's header row on
//! every page (the workbook part names that row: see `workbook::rewrite`).

use std::fmt::Write;

use super::super::{
    Corrections, FINDINGS_HEADERS, FINDINGS_WIDTHS, FindingRow, NO_FINDINGS, findings_table_row,
};
use super::xml::{DECL, Flavour, push_esc, push_text_element};
use crate::cell::{Pos, col_letters};
use crate::writer::fit_cell;

/// The styles the sheet uses, by `xf` index.
pub struct SheetStyles {
    pub bold: u32,
    pub link: u32,
    /// Wrapped and at the top, so that a long message prints whole.
    pub wrap: u32,
}

/// `'自评表'!H29`: always quoted, so any sheet name works.
fn location(row: &FindingRow) -> String {
    format!("'{}'!{}", row.cell.sheet.replace('\'', "''"), row.cell.pos)
}

fn push_cell(out: &mut String, pos: Pos, xf: Option<u32>, text: &str) {
    // Writing into a String cannot fail.
    let _ = write!(out, "<c r=\"{pos}\"");
    if let Some(s) = xf {
        let _ = write!(out, " s=\"{s}\"");
    }
    out.push_str(" t=\"inlineStr\"><is>");
    push_text_element(out, "t", fit_cell(text));
    out.push_str("</is></c>");
}

/// The whole worksheet part.
pub fn sheet_xml(c: &Corrections, st: &SheetStyles, ns: Flavour) -> String {
    let findings = &c.findings;
    let last_col = col_letters(FINDINGS_HEADERS.len() as u32 - 1);
    let table = findings_table_row(&c.head);
    let last_row = table + 1 + findings.len().max(1) as u32;
    let first_body = Pos::new(table + 1, 0);
    let mut out = String::with_capacity(2048 + 400 * findings.len());
    let _ = write!(
        out,
        concat!(
            "{decl}<worksheet xmlns=\"{main}\" xmlns:r=\"{rel}\">",
            "<sheetPr><pageSetUpPr fitToPage=\"1\"/></sheetPr>",
            "<dimension ref=\"A1:{last_col}{last_row}\"/>",
            "<sheetViews><sheetView workbookViewId=\"0\">",
            "<pane ySplit=\"{split}\" topLeftCell=\"{first}\" activePane=\"bottomLeft\" state=\"frozen\"/>",
            "<selection pane=\"bottomLeft\" activeCell=\"{first}\" sqref=\"{first}\"/>",
            "</sheetView></sheetViews>",
            "<sheetFormatPr defaultRowHeight=\"15\"/><cols>",
        ),
        decl = DECL,
        main = ns.main(),
        rel = ns.rel_ns(),
        last_col = last_col,
        last_row = last_row,
        split = table + 1,
        first = first_body,
    );
    for (i, w) in FINDINGS_WIDTHS.iter().enumerate() {
        let _ = write!(
            out,
            "<col min=\"{n}\" max=\"{n}\" width=\"{w}\" customWidth=\"1\"/>",
            n = i + 1
        );
    }
    out.push_str("</cols><sheetData>");
    for (row, line) in (0u32..).zip(&c.head) {
        let _ = write!(out, "<row r=\"{}\">", row + 1);
        let xf = (row == 0).then_some(st.bold);
        push_cell(&mut out, Pos::new(row, 0), xf, line);
        out.push_str("</row>");
    }
    let _ = write!(out, "<row r=\"{}\">", table + 1);
    for (col, header) in FINDINGS_HEADERS.iter().enumerate() {
        push_cell(&mut out, Pos::new(table, col as u32), Some(st.bold), header);
    }
    out.push_str("</row>");
    if findings.is_empty() {
        let _ = write!(out, "<row r=\"{}\">", table + 2);
        push_cell(&mut out, first_body, None, NO_FINDINGS);
        out.push_str("</row>");
    }
    // The links follow the rows in the part; they are gathered in the same pass.
    let mut links = String::new();
    for (row, f) in (table + 1..).zip(findings) {
        let texts = f.texts(&f.cell.sheet);
        let _ = write!(out, "<row r=\"{}\">", u64::from(row) + 1);
        for (col, text) in (0u32..).zip(&texts) {
            let xf = if col == 0 { st.link } else { st.wrap };
            push_cell(&mut out, Pos::new(row, col), Some(xf), text);
        }
        out.push_str("</row>");
        let _ = write!(links, "<hyperlink ref=\"{}\" location=\"", Pos::new(row, 0));
        push_esc(&mut links, &location(f));
        links.push_str("\" display=\"");
        push_esc(&mut links, &texts[0]);
        links.push_str("\"/>");
    }
    out.push_str("</sheetData>");
    if !links.is_empty() {
        out.push_str("<hyperlinks>");
        out.push_str(&links);
        out.push_str("</hyperlinks>");
    }
    out.push_str(concat!(
        "<pageMargins left=\"0.5\" right=\"0.5\" top=\"0.6\" bottom=\"0.6\" header=\"0.3\" footer=\"0.3\"/>",
        "<pageSetup paperSize=\"9\" orientation=\"landscape\" fitToWidth=\"1\" fitToHeight=\"0\"/>",
        "</worksheet>"
    ));
    out
}
