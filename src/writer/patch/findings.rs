//! The 核查结果 sheet: one row per finding, each with a link to its cell.

use super::super::{FINDINGS_HEADERS, FindingRow};
use super::xml::{DECL, MAIN_NS, REL_NS, esc, fit_cell, text_element};
use crate::cell::{Pos, col_letters};

/// Column widths, in characters, for the columns of [`FINDINGS_HEADERS`].
const WIDTHS: [u32; 7] = [12, 10, 18, 8, 14, 14, 80];

/// `'自评表'!H29`: always quoted, so any sheet name works.
fn location(row: &FindingRow) -> String {
    format!("'{}'!{}", row.cell.sheet.replace('\'', "''"), row.cell.a1())
}

fn cell(pos: Pos, xf: Option<u32>, text: &str) -> String {
    let style = xf.map(|s| format!(" s=\"{s}\"")).unwrap_or_default();
    format!(
        "<c r=\"{}\"{style} t=\"inlineStr\"><is>{}</is></c>",
        pos.a1(),
        text_element("t", fit_cell(text))
    )
}

/// The whole worksheet part.
pub fn sheet_xml(findings: &[FindingRow], header_xf: u32, link_xf: u32) -> String {
    let last_col = col_letters(FINDINGS_HEADERS.len() as u32 - 1);
    let last_row = findings.len() + 1;
    let cols: String = WIDTHS
        .iter()
        .enumerate()
        .map(|(i, w)| {
            format!(
                "<col min=\"{n}\" max=\"{n}\" width=\"{w}\" customWidth=\"1\"/>",
                n = i + 1
            )
        })
        .collect();
    let mut rows = String::from("<row r=\"1\">");
    for (col, header) in FINDINGS_HEADERS.iter().enumerate() {
        rows += &cell(Pos::new(0, col as u32), Some(header_xf), header);
    }
    rows += "</row>";
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
        rows += &format!("<row r=\"{}\">", u64::from(row) + 1);
        for (col, (text, xf)) in values.iter().enumerate() {
            rows += &cell(Pos::new(row, col as u32), *xf, text);
        }
        rows += "</row>";
        links += &format!(
            "<hyperlink ref=\"{}\" location=\"{}\" display=\"{}\"/>",
            Pos::new(row, 1).a1(),
            esc(&location(f)),
            esc(&a1)
        );
    }
    let hyperlinks = if links.is_empty() {
        String::new()
    } else {
        format!("<hyperlinks>{links}</hyperlinks>")
    };
    format!(
        concat!(
            "{decl}<worksheet xmlns=\"{main}\" xmlns:r=\"{rel}\">",
            "<dimension ref=\"A1:{last_col}{last_row}\"/>",
            "<sheetViews><sheetView workbookViewId=\"0\">",
            "<pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/>",
            "<selection pane=\"bottomLeft\" activeCell=\"A2\" sqref=\"A2\"/>",
            "</sheetView></sheetViews>",
            "<sheetFormatPr defaultRowHeight=\"15\"/>",
            "<cols>{cols}</cols><sheetData>{rows}</sheetData>{hyperlinks}",
            "<pageMargins left=\"0.7\" right=\"0.7\" top=\"0.75\" bottom=\"0.75\" header=\"0.3\" footer=\"0.3\"/>",
            "</worksheet>"
        ),
        decl = DECL,
        main = MAIN_NS,
        rel = REL_NS,
        last_col = last_col,
        last_row = last_row,
        cols = cols,
        rows = rows,
        hyperlinks = hyperlinks,
    )
}
