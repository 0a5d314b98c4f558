//! Reads a corrected copy as a reviewer does: each note beside the cell it sits on, so that
//! a test can hold every 应为 against the value the cell shows.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx};
use quick_xml::XmlVersion;
use quick_xml::events::Event;

/// One note of a copy: its sheet, its cell (`H29`), its text.
#[derive(Debug, Clone)]
pub struct Note {
    pub sheet: String,
    pub cell: String,
    pub text: String,
}

fn part(zip: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Option<String> {
    let mut f = zip.by_name(name).ok()?;
    let mut s = String::new();
    f.read_to_string(&mut s).ok()?;
    Some(s)
}

/// Each element named `tag` with its attributes, in document order.
fn elements(xml: &str, tag: &str) -> Vec<BTreeMap<String, String>> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == tag => {
                let attrs = e
                    .attributes()
                    .flatten()
                    .map(|a| {
                        let key = a.key.local_name().as_ref().to_string();
                        let value = a
                            .normalized_value(XmlVersion::Implicit1_0)
                            .map(|v| v.into_owned())
                            .unwrap_or_default();
                        (key, value)
                    })
                    .collect();
                out.push(attrs);
            }
            Ok(Event::Eof) | Err(_) => return out,
            _ => {}
        }
    }
}

/// The text of each `<comment>`, by its cell.
fn comments(xml: &str) -> Vec<(String, String)> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) if e.local_name().as_ref() == "comment" => {
                let cell = e
                    .attributes()
                    .flatten()
                    .find(|a| a.key.local_name().as_ref() == "ref")
                    .and_then(|a| a.normalized_value(XmlVersion::Implicit1_0).ok())
                    .map(|v| v.into_owned())
                    .unwrap_or_default();
                current = Some((cell, String::new()));
            }
            Ok(Event::Text(t)) => {
                if let Some((_, text)) = current.as_mut() {
                    text.push_str(&t.xml10_content());
                }
            }
            Ok(Event::GeneralRef(r)) => {
                if let Some((_, text)) = current.as_mut() {
                    text.push_str(match r.as_ref() {
                        "lt" => "<",
                        "gt" => ">",
                        "amp" => "&",
                        "quot" => "\"",
                        "apos" => "'",
                        _ => "",
                    });
                }
            }
            Ok(Event::End(e)) if e.local_name().as_ref() == "comment" => {
                out.extend(current.take());
            }
            Ok(Event::Eof) | Err(_) => return out,
            _ => {}
        }
    }
}

/// `xl/worksheets/sheet1.xml` and a relationship target `../comments1.xml` →
/// `xl/comments1.xml`.
fn resolve(from: &str, target: &str) -> String {
    if let Some(abs) = target.strip_prefix('/') {
        return abs.to_string();
    }
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for seg in target.split('/') {
        match seg {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            s => parts.push(s),
        }
    }
    parts.join("/")
}

/// Every note of a copy, with its sheet.
pub fn notes(copy: &[u8]) -> Vec<Note> {
    let mut zip = zip::ZipArchive::new(Cursor::new(copy)).expect("the copy is a zip");
    // The workbook part is the one the package relationship names (`xl/book.xml` is legal).
    let package_rels = part(&mut zip, "_rels/.rels").unwrap_or_default();
    let main = elements(&package_rels, "Relationship")
        .into_iter()
        .find(|r| {
            r.get("Type")
                .is_some_and(|t| t.ends_with("/officeDocument"))
        })
        .and_then(|r| r.get("Target").map(|t| resolve("", t)))
        .unwrap_or_else(|| "xl/workbook.xml".to_string());
    let workbook = part(&mut zip, &main).expect("the workbook part");
    let rels_part = match main.rsplit_once('/') {
        Some((dir, file)) => format!("{dir}/_rels/{file}.rels"),
        None => format!("_rels/{main}.rels"),
    };
    let rels = part(&mut zip, &rels_part).unwrap_or_default();
    let targets: BTreeMap<String, String> = elements(&rels, "Relationship")
        .into_iter()
        .filter_map(|r| Some((r.get("Id")?.clone(), r.get("Target")?.clone())))
        .collect();
    let mut out = Vec::new();
    for sheet in elements(&workbook, "sheet") {
        let (Some(name), Some(id)) = (sheet.get("name"), sheet.get("id")) else {
            continue;
        };
        let Some(target) = targets.get(id) else {
            continue;
        };
        let path = resolve(&main, target);
        let (dir, file) = path.rsplit_once('/').unwrap_or(("", &path));
        let sheet_rels = part(&mut zip, &format!("{dir}/_rels/{file}.rels")).unwrap_or_default();
        for r in elements(&sheet_rels, "Relationship") {
            let is_comments = r.get("Type").is_some_and(|t| t.ends_with("/comments"));
            let Some(target) = r.get("Target").filter(|_| is_comments) else {
                continue;
            };
            let xml = part(&mut zip, &resolve(&path, target)).unwrap_or_default();
            out.extend(comments(&xml).into_iter().map(|(cell, text)| Note {
                sheet: name.clone(),
                cell,
                text,
            }));
        }
    }
    out
}

/// `H29` → (row 28, column 7).
fn position(a1: &str) -> (u32, u32) {
    let letters: String = a1.chars().take_while(char::is_ascii_alphabetic).collect();
    let row: u32 = a1[letters.len()..].parse().expect("row");
    let col = letters
        .bytes()
        .fold(0u32, |n, b| n * 26 + u32::from(b - b'A' + 1));
    (row - 1, col - 1)
}

/// Whether a cell's value shows `claimed` (`2.00`, `99.73%`, `良`).
fn shows(value: Option<&Data>, claimed: &str) -> bool {
    let number = |s: &str| -> Option<f64> {
        match s.strip_suffix('%') {
            Some(p) => p.trim().parse::<f64>().ok().map(|v| v / 100.0),
            None => s.trim().parse().ok(),
        }
    };
    match value {
        Some(Data::Float(f)) => number(claimed).is_some_and(|c| (f - c).abs() < 1e-9),
        Some(Data::Int(i)) => number(claimed).is_some_and(|c| (*i as f64 - c).abs() < 1e-9),
        Some(Data::String(s)) => s.trim() == claimed,
        _ => false,
    }
}

/// Every way a copy's notes disagree with its cells: a 应为 the cell does not hold, or two
/// different 应为 on one cell. Empty when the copy agrees with itself.
pub fn disagreements(copy: &[u8]) -> Vec<String> {
    let mut book = Xlsx::new(Cursor::new(copy)).expect("the copy opens");
    let mut out = Vec::new();
    for note in notes(copy) {
        // Each paragraph opens `【级别】原填报 X；应为 Y；…`: the claim is the field that
        // starts with 应为.
        let claims: Vec<&str> = note
            .text
            .lines()
            .flat_map(|p| {
                p.split('；')
                    .filter_map(|field| field.strip_prefix("应为 "))
            })
            .collect();
        let Some(first) = claims.first() else {
            continue;
        };
        if claims.iter().any(|c| c != first) {
            out.push(format!(
                "{}!{}: two values claimed {claims:?}",
                note.sheet, note.cell
            ));
        }
        let range = book.worksheet_range(&note.sheet).expect("the note's sheet");
        let value = range.get_value(position(&note.cell));
        if !shows(value, first) {
            out.push(format!(
                "{}!{}: the note says 应为 {first} but the cell holds {value:?}",
                note.sheet, note.cell
            ));
        }
    }
    out
}
