//! Notes on edited cells: the sheet's comments part and the VML drawing that shows them.
//!
//! Excel keeps a note's text in `xl/commentsN.xml` but draws its box from a legacy VML shape;
//! a note without a shape is not shown, so both are kept in step.

use std::collections::{BTreeMap, BTreeSet};

use quick_xml::events::{BytesStart, Event};

use super::super::WriteError;
use super::package::Package;
use super::xml::{
    DECL, Flavour, XmlIn, XmlOut, attr, end_name, name_of, prefix_of, push_text, ref_text,
    text_element, xml_error,
};
use crate::cell::Pos;
use crate::writer::{MAX_NOTE_UNITS, clip_units};

pub const AUTHOR: &str = "selfeval";
const COMMENTS_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml";
const VML_TYPE: &str = "application/vnd.openxmlformats-officedocument.vmlDrawing";

/// Adds `notes` to the sheet's comments, creating the comments part and the drawing when the
/// sheet has none. Returns the relationship id of a newly created drawing, which the sheet
/// must then reference from a `legacyDrawing` element.
pub fn attach(
    pkg: &mut Package<'_>,
    sheet_part: &str,
    legacy_rid: Option<&str>,
    notes: &BTreeMap<Pos, String>,
    ns: Flavour,
) -> Result<Option<String>, WriteError> {
    if notes.is_empty() {
        return Ok(None);
    }
    let rels = pkg.rels(sheet_part)?;
    let existing = rels.iter().find(|r| r.is("comments"));
    // Cells that get a new comment, and every cell with a comment afterwards.
    let (added, all) = match existing {
        Some(rel) => {
            let part = rel.part.clone();
            let xml = pkg.read(&part)?;
            let merged = merge(&xml, &part, notes)?;
            pkg.put(&part, merged.xml);
            (merged.added, merged.all)
        }
        None => {
            let part = pkg.unused_name("xl/comments", ".xml");
            pkg.put(&part, new_comments(notes, ns).into_bytes());
            pkg.add_rel(sheet_part, &ns.rel_type("comments"), &part)?;
            pkg.add_override_type(&part, COMMENTS_TYPE);
            let cells: Vec<Pos> = notes.keys().copied().collect();
            (cells.clone(), cells)
        }
    };
    if let Some(rid) = legacy_rid {
        let rel = rels
            .iter()
            .find(|r| r.id == rid && !r.external)
            .ok_or_else(|| {
                xml_error(
                    sheet_part,
                    format!("legacyDrawing {rid} has no relationship"),
                )
            })?;
        let part = rel.part.clone();
        let vml = pkg.read(&part)?;
        pkg.put(&part, extend_vml(&vml, &added));
        return Ok(None);
    }
    let idmap = unused_idmap(pkg)?;
    let part = pkg.unused_name("xl/drawings/vmlDrawing", ".vml");
    pkg.put(&part, new_vml(idmap, &all).into_bytes());
    pkg.add_default_type("vml", VML_TYPE);
    Ok(Some(pkg.add_rel(
        sheet_part,
        &ns.rel_type("vmlDrawing"),
        &part,
    )?))
}

/// The two runs a note adds: the author in bold, then the text.
fn note_runs(p: &str, note: &str, after_text: bool) -> String {
    let props = format!("<{p}sz val=\"9\"/><{p}rFont val=\"宋体\"/><{p}charset val=\"134\"/>");
    let t = format!("{p}t");
    let lead = if after_text { "\n" } else { "" };
    format!(
        "<{p}r><{p}rPr><{p}b/>{props}</{p}rPr>{}</{p}r><{p}r><{p}rPr>{props}</{p}rPr>{}</{p}r>",
        text_element(&t, &format!("{lead}{AUTHOR}:")),
        text_element(&t, &format!("\n{}", clip_units(note, MAX_NOTE_UNITS))),
    )
}

fn comment_markup(p: &str, pos: Pos, author: usize, note: &str) -> String {
    format!(
        "<{p}comment ref=\"{}\" authorId=\"{author}\"><{p}text>{}</{p}text></{p}comment>",
        pos,
        note_runs(p, note, false)
    )
}

fn new_comments(notes: &BTreeMap<Pos, String>, ns: Flavour) -> String {
    let list: String = notes
        .iter()
        .map(|(pos, note)| comment_markup("", *pos, 0, note))
        .collect();
    format!(
        "{DECL}<comments xmlns=\"{main}\"><authors><author>{AUTHOR}</author></authors><commentList>{list}</commentList></comments>",
        main = ns.main(),
    )
}

struct Merged {
    xml: Vec<u8>,
    added: Vec<Pos>,
    all: Vec<Pos>,
}

/// What a comments part already holds.
struct Existing {
    authors: Vec<String>,
    cells: BTreeSet<Pos>,
}

fn read_existing(xml: &[u8], part: &str) -> Result<Existing, WriteError> {
    let mut rd = XmlIn::new(xml, part);
    let mut found = Existing {
        authors: Vec::new(),
        cells: BTreeSet::new(),
    };
    let mut author: Option<String> = None;
    loop {
        match rd.next()? {
            Event::Start(e) if name_of(&e) == "author" => author = Some(String::new()),
            Event::Empty(e) if name_of(&e) == "author" => found.authors.push(String::new()),
            Event::Text(t) => {
                if let Some(a) = &mut author {
                    push_text(a, &t);
                }
            }
            Event::GeneralRef(r) => {
                if let Some(a) = &mut author {
                    a.push_str(&ref_text(&r).unwrap_or_default());
                }
            }
            Event::End(e) if end_name(&e) == "author" => {
                found.authors.extend(author.take());
            }
            Event::Start(e) | Event::Empty(e) if name_of(&e) == "comment" => {
                if let Some(pos) = comment_pos(&e, part)? {
                    found.cells.insert(pos);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(found)
}

fn comment_pos(e: &BytesStart<'_>, part: &str) -> Result<Option<Pos>, WriteError> {
    Ok(attr(e, "ref", part)?.and_then(|r| Pos::parse_a1(&r.replace('$', ""))))
}

/// Keeps every existing comment; a note on a cell that already has one is appended to its
/// text, other notes become new comments.
fn merge(xml: &[u8], part: &str, notes: &BTreeMap<Pos, String>) -> Result<Merged, WriteError> {
    let existing = read_existing(xml, part)?;
    let (author, new_author) = match existing.authors.iter().position(|a| a == AUTHOR) {
        Some(i) => (i, false),
        None => (existing.authors.len(), true),
    };
    let added: Vec<Pos> = notes
        .keys()
        .filter(|p| !existing.cells.contains(p))
        .copied()
        .collect();
    let mut all: BTreeSet<Pos> = existing.cells.clone();
    all.extend(notes.keys().copied());

    let mut rd = XmlIn::new(xml, part);
    let mut out = XmlOut::new();
    let mut p = String::new();
    let mut depth = 0usize;
    // The note being appended to the current comment, until written.
    let mut pending: Option<&String> = None;
    // Inside a bare `<t>` of a comment being extended, which gets wrapped in a run.
    let mut wrapping = false;
    let mut list_done = false;
    let author_markup = |p: &str| format!("<{p}author>{AUTHOR}</{p}author>");
    let new_list = |p: &str| -> String {
        added
            .iter()
            .filter_map(|pos| Some(comment_markup(p, *pos, author, notes.get(pos)?)))
            .collect()
    };
    loop {
        let (e, start) = match rd.next()? {
            Event::Start(e) => (e, true),
            Event::Empty(e) => (e, false),
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                match (depth, end_name(&e)) {
                    (0, _) if !list_done => {
                        out.raw(&format!(
                            "<{p}commentList>{}</{p}commentList>",
                            new_list(&p)
                        ));
                    }
                    (1, "authors") if new_author => out.raw(&author_markup(&p)),
                    (1, "commentList") => {
                        out.raw(&new_list(&p));
                        list_done = true;
                    }
                    (2, "comment") => {
                        if let Some(note) = pending.take() {
                            out.raw(&format!(
                                "<{p}text>{}</{p}text>",
                                note_runs(&p, note, false)
                            ));
                        }
                    }
                    (3, "text") => {
                        if let Some(note) = pending.take() {
                            out.raw(&note_runs(&p, note, true));
                        }
                    }
                    (4, "t") if wrapping => {
                        out.event(Event::End(e.borrow()))?;
                        out.raw(&format!("</{p}r>"));
                        wrapping = false;
                        continue;
                    }
                    _ => {}
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
        let name = name_of(&e).to_string();
        match (depth, name.as_str(), start) {
            (0, _, true) => p = prefix_of(e.name().0).to_string(),
            (0, _, false) => return Err(xml_error(part, "empty comments element")),
            (1, "authors", false) if new_author => {
                out.event(Event::Start(e.borrow()))?;
                out.raw(&author_markup(&p));
                out.event(Event::End(e.to_end()))?;
                continue;
            }
            (1, "commentList", false) => {
                out.event(Event::Start(e.borrow()))?;
                out.raw(&new_list(&p));
                out.event(Event::End(e.to_end()))?;
                list_done = true;
                continue;
            }
            (2, "comment", _) => {
                pending = comment_pos(&e, part)?.and_then(|pos| notes.get(&pos));
                if !start && let Some(note) = pending.take() {
                    out.event(Event::Start(e.borrow()))?;
                    out.raw(&format!(
                        "<{p}text>{}</{p}text>",
                        note_runs(&p, note, false)
                    ));
                    out.event(Event::End(e.to_end()))?;
                    continue;
                }
            }
            (3, "text", false) if pending.is_some() => {
                if let Some(note) = pending.take() {
                    out.event(Event::Start(e.borrow()))?;
                    out.raw(&note_runs(&p, note, false));
                    out.event(Event::End(e.to_end()))?;
                }
                continue;
            }
            (4, "t", _) if pending.is_some() => {
                // Runs and a bare `<t>` do not mix well in readers, so the old text becomes
                // a run of its own before the new ones.
                out.raw(&format!("<{p}r>"));
                if !start {
                    out.event(Event::Empty(e))?;
                    out.raw(&format!("</{p}r>"));
                    continue;
                }
                wrapping = true;
            }
            (4, "rPh" | "phoneticPr", _) => {
                // Phonetic runs must follow the text runs.
                if let Some(note) = pending.take() {
                    out.raw(&note_runs(&p, note, true));
                }
            }
            _ => {}
        }
        if start {
            depth += 1;
            out.event(Event::Start(e))?;
        } else {
            out.event(Event::Empty(e))?;
        }
    }
    Ok(Merged {
        xml: out.into_bytes(),
        added,
        all: all.into_iter().collect(),
    })
}

/// One note box, hidden until the cell is hovered, placed to the right of the cell.
fn shape(id: u64, pos: Pos, z: usize) -> String {
    let Pos { row, col } = pos;
    let top = row.saturating_sub(1);
    format!(
        concat!(
            "<v:shape id=\"_x0000_s{id}\" type=\"#_x0000_t202\" style=\"position:absolute;",
            "margin-left:80pt;margin-top:2pt;width:240pt;height:90pt;z-index:{z};visibility:hidden\" ",
            "fillcolor=\"#ffffe1\" o:insetmode=\"auto\">",
            "<v:fill color2=\"#ffffe1\"/><v:shadow on=\"t\" color=\"black\" obscured=\"t\"/>",
            "<v:path o:connecttype=\"none\"/>",
            "<v:textbox style=\"mso-direction-alt:auto\"><div style=\"text-align:left\"></div></v:textbox>",
            "<x:ClientData ObjectType=\"Note\"><x:MoveWithCells/><x:SizeWithCells/>",
            "<x:Anchor>{c1}, 15, {top}, 10, {c2}, 15, {bottom}, 4</x:Anchor>",
            "<x:AutoFill>False</x:AutoFill><x:Row>{row}</x:Row><x:Column>{col}</x:Column>",
            "</x:ClientData></v:shape>"
        ),
        id = id,
        z = z,
        c1 = u64::from(col) + 1,
        c2 = u64::from(col) + 4,
        top = top,
        bottom = u64::from(top) + 6,
        row = row,
        col = col,
    )
}

const SHAPE_TYPE: &str = concat!(
    "<v:shapetype id=\"_x0000_t202\" coordsize=\"21600,21600\" o:spt=\"202\" ",
    "path=\"m,l,21600r21600,l21600,xe\"><v:stroke joinstyle=\"miter\"/>",
    "<v:path gradientshapeok=\"t\" o:connecttype=\"rect\"/></v:shapetype>"
);

fn new_vml(idmap: u64, cells: &[Pos]) -> String {
    let shapes: String = cells
        .iter()
        .enumerate()
        .map(|(i, pos)| {
            let id = idmap.saturating_mul(1024).saturating_add(1 + i as u64);
            shape(id, *pos, i + 1)
        })
        .collect();
    format!(
        concat!(
            "<xml xmlns:v=\"urn:schemas-microsoft-com:vml\" ",
            "xmlns:o=\"urn:schemas-microsoft-com:office:office\" ",
            "xmlns:x=\"urn:schemas-microsoft-com:office:excel\">",
            "<o:shapelayout v:ext=\"edit\"><o:idmap v:ext=\"edit\" data=\"{idmap}\"/></o:shapelayout>",
            "{shapetype}{shapes}</xml>"
        ),
        idmap = idmap,
        shapetype = SHAPE_TYPE,
        shapes = shapes
    )
}

/// Adds shapes to an existing drawing. VML written by Excel is not always well-formed XML,
/// so the shapes are inserted as text before the closing `</xml>` rather than by parsing.
fn extend_vml(vml: &[u8], cells: &[Pos]) -> Vec<u8> {
    if cells.is_empty() {
        return vml.to_vec();
    }
    let text = String::from_utf8_lossy(vml);
    let mut next = numbers_after(&text, "_x0000_s")
        .max()
        .unwrap_or(1024)
        .saturating_add(1);
    let mut insert = String::new();
    if !text.contains("_x0000_t202") {
        insert.push_str(SHAPE_TYPE);
    }
    let z0 = text.matches("<v:shape ").count();
    for (i, pos) in cells.iter().enumerate() {
        insert.push_str(&shape(next, *pos, z0 + i + 1));
        next = next.saturating_add(1);
    }
    let lower = vml.to_ascii_lowercase();
    let at = find_last(&lower, b"</xml>").unwrap_or(vml.len());
    let mut out = Vec::with_capacity(vml.len() + insert.len());
    out.extend_from_slice(&vml[..at]);
    out.extend_from_slice(insert.as_bytes());
    out.extend_from_slice(&vml[at..]);
    out
}

fn find_last(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// The numbers that directly follow each occurrence of `marker`.
fn numbers_after<'t>(text: &'t str, marker: &'t str) -> impl Iterator<Item = u64> + 't {
    text.match_indices(marker).filter_map(move |(i, _)| {
        let digits: String = text[i + marker.len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    })
}

/// A shape-id block (`o:idmap data`) that no drawing of the workbook uses, so that shape ids
/// stay unique across sheets.
fn unused_idmap(pkg: &mut Package<'_>) -> Result<u64, WriteError> {
    let mut used = BTreeSet::new();
    for part in pkg.names_ending(".vml") {
        let vml = pkg.read(&part)?;
        let text = String::from_utf8_lossy(&vml);
        for (i, _) in text.match_indices("idmap") {
            let rest = &text[i..];
            let Some(start) = rest.find("data=") else {
                continue;
            };
            let value: String = rest[start + 5..]
                .chars()
                .skip(1)
                .take_while(|c| c.is_ascii_digit() || *c == ',' || *c == ' ')
                .collect();
            used.extend(
                value
                    .split(',')
                    .filter_map(|n| n.trim().parse::<u64>().ok()),
            );
        }
        // Shapes without an idmap still claim their block.
        used.extend(numbers_after(&text, "_x0000_s").map(|n| n / 1024));
    }
    Ok((1..).find(|n| !used.contains(n)).unwrap_or(1))
}
