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

/// Children of `workbook` that come before `definedNames` in the schema.
const BEFORE_DEFINED_NAMES: [&str; 9] = [
    "fileVersion",
    "fileSharing",
    "workbookPr",
    "workbookProtection",
    "bookViews",
    "sheets",
    "functionGroups",
    "externalReferences",
    "definedNames",
];

/// The rows a sheet repeats at the top of every printed page (`_xlnm.Print_Titles`): the
/// findings sheet's table header.
pub struct PrintTitles<'a> {
    /// The sheet's 0-based place in `<sheets>`.
    pub sheet_index: usize,
    pub sheet_name: &'a str,
    /// The 0-based row.
    pub row: u32,
}

impl PrintTitles<'_> {
    fn markup(&self, prefix: &str) -> String {
        let row = self.row + 1;
        format!(
            "<{prefix}definedName name=\"_xlnm.Print_Titles\" localSheetId=\"{}\">{}</{prefix}definedName>",
            self.sheet_index,
            esc(&format!(
                "'{}'!${row}:${row}",
                self.sheet_name.replace('\'', "''")
            ))
        )
    }

    /// Whether a `<definedName>` is the one these titles replace.
    fn replaces(
        &self,
        e: &quick_xml::events::BytesStart<'_>,
        part: &str,
    ) -> Result<bool, WriteError> {
        Ok(
            attr(e, "name", part)?.as_deref() == Some("_xlnm.Print_Titles")
                && attr(e, "localSheetId", part)?.and_then(|v| v.parse().ok())
                    == Some(self.sheet_index),
        )
    }
}

/// Sets `fullCalcOnLoad` (adding `calcPr` where the schema wants it), appends `new_sheet`,
/// and names the rows `titles` repeats on every printed page (replacing a name a previous
/// run gave them).
pub fn rewrite(
    xml: &[u8],
    part: &str,
    new_sheet: Option<&NewSheet<'_>>,
    titles: Option<&PrintTitles<'_>>,
) -> Result<Vec<u8>, WriteError> {
    let rel_ns = Flavour::of_workbook(xml, part).rel_ns();
    let mut rd = XmlIn::new(xml, part);
    let mut out = XmlOut::new();
    let mut depth = 0usize;
    let mut prefix = String::new();
    let mut rel_prefix = String::from("r");
    let mut calc_done = false;
    let mut names_done = titles.is_none();
    // Inside a `<definedName>` being replaced: its events are dropped to its end.
    let mut dropping = false;
    loop {
        let event = rd.next()?;
        if dropping {
            if let Event::End(e) = &event
                && end_name(e) == "definedName"
            {
                dropping = false;
                depth = depth.saturating_sub(1);
            }
            continue;
        }
        let (e, is_start) = match event {
            Event::Start(e) => (e, true),
            Event::Empty(e) => (e, false),
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                if depth == 0 && !names_done {
                    out.raw(&defined_names(titles, &prefix));
                    names_done = true;
                }
                if depth == 0 && !calc_done {
                    out.raw(&calc_markup(&prefix));
                    calc_done = true;
                }
                if depth == 1 && end_name(&e) == "sheets" {
                    out.raw(&sheet_markup(new_sheet, &prefix, &rel_prefix));
                }
                if depth == 1
                    && end_name(&e) == "definedNames"
                    && let Some(t) = titles
                {
                    out.raw(&t.markup(&prefix));
                    names_done = true;
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
        if depth == 2
            && name_of(&e) == "definedName"
            && let Some(t) = titles
            && t.replaces(&e, part)?
        {
            if is_start {
                dropping = true;
                depth += 1;
            }
            continue;
        }
        if depth == 1 && !names_done {
            let name = name_of(&e);
            if name == "definedNames" && !is_start {
                // `<definedNames/>`: open it for the titles.
                out.event(Event::Start(e.borrow()))?;
                out.raw(&titles.map(|t| t.markup(&prefix)).unwrap_or_default());
                out.event(Event::End(e.to_end()))?;
                names_done = true;
                continue;
            }
            if !BEFORE_DEFINED_NAMES.contains(&name) {
                out.raw(&defined_names(titles, &prefix));
                names_done = true;
            }
        }
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

fn defined_names(titles: Option<&PrintTitles<'_>>, prefix: &str) -> String {
    match titles {
        Some(t) => format!(
            "<{prefix}definedNames>{}</{prefix}definedNames>",
            t.markup(prefix)
        ),
        None => String::new(),
    }
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
