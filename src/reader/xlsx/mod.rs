//! `.xlsx` and `.xlsm`, read straight from the package: each part the check needs is
//! inflated and parsed once (workbook, its relationships, shared strings, the number formats
//! of the styles, and each worksheet with its merged ranges). Fonts, fills, borders and the
//! theme, which a general reader resolves for every workbook, are never opened.

#[cfg(test)]
mod oracle;
mod sheet;
mod xml;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Cursor};

use quick_xml::Reader;
use quick_xml::events::Event;

use super::format::NumberShape;
use super::{BookFormat, Limits, RawBook, RawSheet, ReadError};
use xml::{XmlResult, attr, local, rich_text};

type Zip<'b> = zip::ZipArchive<Cursor<&'b [u8]>>;

/// Reads every worksheet of an admitted `.xlsx` package.
// The part parsers are passed as closures: a generic fn item is not general enough over the
// lifetime of the part being read.
#[allow(clippy::redundant_closure)]
pub(super) fn read(bytes: &[u8], limits: &Limits) -> Result<RawBook, ReadError> {
    let mut package = Package::open(bytes)?;
    let damaged = |part: &str, e: quick_xml::Error| ReadError::Damaged(format!("{part}: {e}"));
    let book = package
        .parse(WORKBOOK, |xml| workbook(xml))?
        .ok_or(ReadError::NoWorkbookPart)?
        .map_err(|e| damaged(WORKBOOK, e))?;
    let rels = package
        .parse(WORKBOOK_RELS, |xml| relationships(xml))?
        .transpose()
        .map_err(|e| damaged(WORKBOOK_RELS, e))?
        .unwrap_or_default();
    let target = |kind: &str| {
        rels.values()
            .find(|r| r.kind.rsplit('/').next() == Some(kind))
            .map(|r| r.path.clone())
    };
    let strings_part = target("sharedStrings").unwrap_or_else(|| "xl/sharedStrings.xml".into());
    let strings = package
        .parse(&strings_part, |xml| shared_strings(xml))?
        .transpose()
        .map_err(|e| damaged(&strings_part, e))?
        .unwrap_or_default();
    let styles_part = target("styles").unwrap_or_else(|| "xl/styles.xml".into());
    let shapes = package
        .parse(&styles_part, |xml| number_shapes(xml))?
        .transpose()
        .map_err(|e| damaged(&styles_part, e))?
        .unwrap_or_default();
    let shared = sheet::Shared {
        strings: &strings,
        shapes: &shapes,
        date1904: book.date1904,
    };
    let mut sheets = Vec::with_capacity(book.sheets.len());
    for entry in &book.sheets {
        let rel = rels.get(&entry.rel);
        // Chart sheets, dialog sheets and macro sheets hold no form.
        if rel.is_some_and(|r| !r.kind.ends_with("/worksheet")) {
            continue;
        }
        let sheet_err = |reason: String| ReadError::Sheet {
            sheet: entry.name.clone(),
            reason,
        };
        let Some(rel) = rel else {
            return Err(sheet_err(
                "工作簿未指明该表的部件 (the sheet's part is not named)".into(),
            ));
        };
        let cells = package
            .parse(&rel.path, |xml| Ok(sheet::read(xml, &shared, limits)))?
            .ok_or_else(|| sheet_err(format!("缺少部件 {} (part missing)", rel.path)))?
            .map_err(|e| sheet_err(e.to_string()))?
            .map_err(|e| match e {
                sheet::SheetError::Xml(e) => sheet_err(e.to_string()),
                sheet::SheetError::MissingString { pos } => sheet_err(format!(
                    "单元格 {} 引用的共享字符串不存在 (the cell names a shared string the workbook does not hold)",
                    pos.a1()
                )),
            })?;
        sheets.push(build(&entry.name, entry.hidden, cells));
    }
    Ok(RawBook {
        format: BookFormat::Xlsx,
        sheets,
    })
}

const WORKBOOK: &str = "xl/workbook.xml";
const WORKBOOK_RELS: &str = "xl/_rels/workbook.xml.rels";

fn build(name: &str, hidden: bool, cells: sheet::Cells) -> RawSheet {
    let rows = cells.found.iter().map(|c| c.pos.row + 1).max().unwrap_or(0);
    let cols = cells.found.iter().map(|c| c.pos.col + 1).max().unwrap_or(0);
    let mut out = RawSheet::new(name, rows, cols);
    out.hidden = hidden;
    out.formats = true;
    for found in cells.found {
        if found.fixed {
            out.fix_decimals(found.pos);
        }
        out.set(
            found.pos,
            super::RawCell {
                value: found.value,
                formula: None,
            },
        );
    }
    for m in cells.merges {
        out.add_merge(m);
    }
    out
}

/// The zip, with its part names looked up the way OOXML means them: ignoring case, with `\`
/// read as `/` (some exporters write either).
struct Package<'b> {
    zip: Zip<'b>,
    names: HashMap<String, usize>,
}

impl<'b> Package<'b> {
    fn open(bytes: &'b [u8]) -> Result<Self, ReadError> {
        let zip = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| ReadError::Damaged(e.to_string()))?;
        let names = (0..zip.len())
            .filter_map(|i| Some((part_key(&zip.name_for_index(i)?.ok()?), i)))
            .collect();
        Ok(Self { zip, names })
    }

    /// Runs `parse` over part `name`, streamed; `None` when the package has no such part.
    fn parse<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(
            &mut Reader<BufReader<zip::read::ZipFile<'_, Cursor<&'b [u8]>>>>,
        ) -> XmlResult<T>,
    ) -> Result<Option<XmlResult<T>>, ReadError> {
        let Some(&index) = self.names.get(&part_key(name)) else {
            return Ok(None);
        };
        let file = self
            .zip
            .by_index(index)
            .map_err(|e| ReadError::Damaged(format!("{name}: {e}")))?;
        // A buffer no larger than the part: std zeroes it before the first read.
        let capacity = (file.size() as usize).clamp(1024, 64 * 1024);
        let mut xml = Reader::from_reader(BufReader::with_capacity(capacity, file));
        Ok(Some(parse(&mut xml)))
    }
}

fn part_key(name: &str) -> String {
    name.trim_start_matches(['/', '\\'])
        .replace('\\', "/")
        .to_lowercase()
}

struct SheetEntry {
    name: String,
    hidden: bool,
    /// The relationship id naming its part.
    rel: String,
}

struct Workbook {
    sheets: Vec<SheetEntry>,
    date1904: bool,
}

fn workbook<R: BufRead>(xml: &mut Reader<R>) -> XmlResult<Workbook> {
    let mut book = Workbook {
        sheets: Vec::new(),
        date1904: false,
    };
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf)? {
            Event::Start(e) | Event::Empty(e) => match local(&e) {
                "workbookPr" => {
                    book.date1904 = attr(&e, "date1904").is_some_and(|v| v == "1" || v == "true");
                }
                "sheet" => {
                    let (Some(name), Some(rel)) = (attr(&e, "name"), attr(&e, "id")) else {
                        continue;
                    };
                    let state = attr(&e, "state");
                    book.sheets.push(SheetEntry {
                        name: name.into_owned(),
                        hidden: state.is_some_and(|s| s != "visible"),
                        rel: rel.into_owned(),
                    });
                }
                _ => {}
            },
            Event::Eof => return Ok(book),
            _ => {}
        }
    }
}

struct Relationship {
    kind: String,
    /// The part's name in the package.
    path: String,
}

/// The workbook's relationships by id, targets resolved against `xl/`.
fn relationships<R: BufRead>(xml: &mut Reader<R>) -> XmlResult<HashMap<String, Relationship>> {
    let mut rels = HashMap::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf)? {
            Event::Start(e) | Event::Empty(e) if local(&e) == "Relationship" => {
                let (Some(id), Some(kind), Some(target)) =
                    (attr(&e, "Id"), attr(&e, "Type"), attr(&e, "Target"))
                else {
                    continue;
                };
                let path = match target.strip_prefix('/') {
                    Some(absolute) => absolute.to_string(),
                    None => format!("xl/{target}"),
                };
                rels.insert(
                    id.into_owned(),
                    Relationship {
                        kind: kind.into_owned(),
                        path,
                    },
                );
            }
            Event::Eof => return Ok(rels),
            _ => {}
        }
    }
}

fn shared_strings<R: BufRead>(xml: &mut Reader<R>) -> XmlResult<Vec<String>> {
    let mut strings = Vec::new();
    let (mut buf, mut a, mut b) = (Vec::new(), Vec::new(), Vec::new());
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf)? {
            Event::Start(e) if local(&e) == "si" => {
                strings.push(rich_text(xml, &mut a, &mut b, "si")?)
            }
            Event::Empty(e) if local(&e) == "si" => strings.push(String::new()),
            Event::Eof => return Ok(strings),
            _ => {}
        }
    }
}

/// What each cell style (`cellXfs`, by index) shows a number as.
fn number_shapes<R: BufRead>(xml: &mut Reader<R>) -> XmlResult<Vec<NumberShape>> {
    let mut custom: HashMap<u32, String> = HashMap::new();
    let mut ids: Vec<Option<u32>> = Vec::new();
    let (mut in_formats, mut in_cell_xfs) = (false, false);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf)? {
            Event::Start(e) | Event::Empty(e) => match local(&e) {
                "numFmts" => in_formats = true,
                "cellXfs" => in_cell_xfs = true,
                "numFmt" if in_formats => {
                    let id = attr(&e, "numFmtId").and_then(|v| v.parse().ok());
                    if let (Some(id), Some(code)) = (id, attr(&e, "formatCode")) {
                        custom.insert(id, code.into_owned());
                    }
                }
                "xf" if in_cell_xfs => ids.push(attr(&e, "numFmtId").and_then(|v| v.parse().ok())),
                _ => {}
            },
            Event::End(e) => match e.local_name().into_inner() {
                "numFmts" => in_formats = false,
                "cellXfs" => in_cell_xfs = false,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(ids
        .into_iter()
        .map(|id| {
            id.map_or_else(NumberShape::default, |id| {
                NumberShape::of(id, custom.get(&id).map(String::as_str))
            })
        })
        .collect())
}
