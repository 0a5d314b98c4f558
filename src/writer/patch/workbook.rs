//! `xl/workbook.xml`: the sheet list, the added findings sheet, and recalculation on opening.

use quick_xml::events::Event;

use super::super::WriteError;
use super::xml::{
    Flavour, XmlIn, XmlOut, attr, end_name, ensure_rel_prefix, esc, name_of, prefix_of, rebuild,
    rel_id, xml_error,
};

/// Children of `workbook` that come after `calcPr` in the schema.
const AFTER_CALC_PR: [&str; 9] = [
    "oleSize",
    "customWorkbookViews",
    "pivotCaches",
    "smartTagPr",
    "smartTagTypes",
    "webPublishing",
    "fileRecoveryPr",
    "webPublishObjects",
    "extLst",
];

pub struct SheetEntry {
    pub name: String,
    pub rid: String,
}

pub struct Book {
    pub sheets: Vec<SheetEntry>,
    pub max_sheet_id: u32,
}

impl Book {
    /// Excel treats sheet names case-insensitively, so an exact match wins and a
    /// case-insensitive one is accepted.
    pub fn find(&self, name: &str) -> Option<&SheetEntry> {
        self.sheets.iter().find(|s| s.name == name).or_else(|| {
            let lower = name.to_lowercase();
            self.sheets.iter().find(|s| s.name.to_lowercase() == lower)
        })
    }
}

pub fn parse(xml: &[u8], part: &str) -> Result<Book, WriteError> {
    let mut rd = XmlIn::new(xml, part);
    let mut book = Book {
        sheets: Vec::new(),
        max_sheet_id: 0,
    };
    loop {
        match rd.next()? {
            Event::Start(e) | Event::Empty(e) if name_of(&e) == "sheet" => {
                let (Some(name), Some(rid)) = (attr(&e, "name", part)?, rel_id(&e, part)?) else {
                    continue;
                };
                if let Some(id) = attr(&e, "sheetId", part)?.and_then(|v| v.parse().ok()) {
                    book.max_sheet_id = book.max_sheet_id.max(id);
                }
                book.sheets.push(SheetEntry { name, rid });
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(book)
}

/// A sheet to append to `<sheets>`.
pub struct NewSheet<'a> {
    pub name: &'a str,
    pub sheet_id: u32,
    pub rid: &'a str,
}

/// Sets `fullCalcOnLoad` (adding `calcPr` where the schema wants it) and appends `new_sheet`.
pub fn rewrite(
    xml: &[u8],
    part: &str,
    new_sheet: Option<&NewSheet<'_>>,
) -> Result<Vec<u8>, WriteError> {
    let rel_ns = Flavour::of_workbook(xml, part).rel_ns();
    let mut rd = XmlIn::new(xml, part);
    let mut out = XmlOut::new();
    let mut depth = 0usize;
    let mut prefix = String::new();
    let mut rel_prefix = String::from("r");
    let mut calc_done = false;
    loop {
        let event = rd.next()?;
        let (e, is_start) = match event {
            Event::Start(e) => (e, true),
            Event::Empty(e) => (e, false),
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                if depth == 0 && !calc_done {
                    out.raw(&calc_markup(&prefix));
                    calc_done = true;
                }
                if depth == 1 && end_name(&e) == "sheets" {
                    out.raw(&sheet_markup(new_sheet, &prefix, &rel_prefix));
                }
                out.event(Event::End(e))?;
                continue;
            }
            Event::Eof => break,
            other => {
                out.event(other)?;
                continue;
            }
        };
        if depth == 0 {
            if !is_start {
                return Err(xml_error(part, "empty workbook element"));
            }
            prefix = prefix_of(e.name().0).to_string();
            let (root, p) = if new_sheet.is_some() {
                ensure_rel_prefix(e, part, rel_ns)?
            } else {
                (e.into_owned(), String::new())
            };
            rel_prefix = p;
            out.event(Event::Start(root))?;
            depth += 1;
            continue;
        }
        let e = if depth == 1 {
            let name = name_of(&e);
            if !calc_done && AFTER_CALC_PR.contains(&name) {
                out.raw(&calc_markup(&prefix));
                calc_done = true;
            }
            if name == "calcPr" {
                calc_done = true;
                rebuild(&e, &[("fullCalcOnLoad", "1")], &[], part)?
            } else if name == "sheets" && !is_start {
                // `<sheets/>`: open it so the new sheet has a place.
                out.event(Event::Start(e.borrow()))?;
                out.raw(&sheet_markup(new_sheet, &prefix, &rel_prefix));
                out.event(Event::End(e.to_end()))?;
                continue;
            } else {
                e.into_owned()
            }
        } else {
            e.into_owned()
        };
        if is_start {
            depth += 1;
            out.event(Event::Start(e))?;
        } else {
            out.event(Event::Empty(e))?;
        }
    }
    Ok(out.into_bytes())
}

fn calc_markup(prefix: &str) -> String {
    format!("<{prefix}calcPr fullCalcOnLoad=\"1\"/>")
}

fn sheet_markup(new_sheet: Option<&NewSheet<'_>>, prefix: &str, rel_prefix: &str) -> String {
    match new_sheet {
        Some(s) => format!(
            "<{prefix}sheet name=\"{}\" sheetId=\"{}\" {rel_prefix}:id=\"{}\"/>",
            esc(s.name),
            s.sheet_id,
            esc(s.rid)
        ),
        None => String::new(),
    }
}
