//! The 核查结果 sheet: one row per finding, each with a link to its cell.

use super::super::{FINDINGS_HEADERS, FINDINGS_WIDTHS, FindingRow};
use std::fmt::Write;

use super::xml::{DECL, Flavour, push_esc, push_text_element};
use crate::cell::{Pos, col_letters};
use crate::writer::fit_cell;

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
pub fn sheet_xml(findings: &[FindingRow], header_xf: u32, link_xf: u32, ns: Flavour) -> String {
    let last_col = col_letters(FINDINGS_HEADERS.len() as u32 - 1);
    let last_row = findings.len() + 1;
    let mut out = String::with_capacity(1024 + 400 * findings.len());
    let _ = write!(
        out,
        concat!(
            "{decl}<worksheet xmlns=\"{main}\" xmlns:r=\"{rel}\">",
            "<dimension ref=\"A1:{last_col}{last_row}\"/>",
            "<sheetViews><sheetView workbookViewId=\"0\">",
            "<pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/>",
            "<selection pane=\"bottomLeft\" activeCell=\"A2\" sqref=\"A2\"/>",
            "</sheetView></sheetViews>",
            "<sheetFormatPr defaultRowHeight=\"15\"/><cols>",
        ),
        decl = DECL,
        main = ns.main(),
        rel = ns.rel_ns(),
        last_col = last_col,
        last_row = last_row,
    );
    for (i, w) in FINDINGS_WIDTHS.iter().enumerate() {
        let _ = write!(
            out,
            "<col min=\"{n}\" max=\"{n}\" width=\"{w}\" customWidth=\"1\"/>",
            n = i + 1
        );
    }
    out.push_str("</cols><sheetData><row r=\"1\">");
    for (col, header) in FINDINGS_HEADERS.iter().enumerate() {
        push_cell(&mut out, Pos::new(0, col as u32), Some(header_xf), header);
    }
    out.push_str("</row>");
    // The links follow the rows in the part; they are gathered in the same pass.
    let mut links = String::new();
    for (i, f) in findings.iter().enumerate() {
        let row = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let a1 = f.cell.a1();
        let values: [(&str, Option<u32>); 7] = [
            (f.cell.sheet.as_ref(), None),
            (&a1, Some(link_xf)),
            (&f.code, None),
            (&f.severity, None),
            (&f.claimed, None),
            (&f.expected, None),
            (&f.message, None),
        ];
        let _ = write!(out, "<row r=\"{}\">", u64::from(row) + 1);
        for (col, (text, xf)) in values.iter().enumerate() {
            push_cell(&mut out, Pos::new(row, col as u32), *xf, text);
        }
        out.push_str("</row>");
        let _ = write!(links, "<hyperlink ref=\"{}\" location=\"", Pos::new(row, 1));
        push_esc(&mut links, &location(f));
        links.push_str("\" display=\"");
        push_esc(&mut links, &a1);
        links.push_str("\"/>");
    }
    out.push_str("</sheetData>");
    if !links.is_empty() {
        out.push_str("<hyperlinks>");
        out.push_str(&links);
        out.push_str("</hyperlinks>");
    }
    out.push_str(concat!(
        "<pageMargins left=\"0.7\" right=\"0.7\" top=\"0.75\" bottom=\"0.75\" header=\"0.3\" footer=\"0.3\"/>",
        "</worksheet>"
    ));
    out
}
