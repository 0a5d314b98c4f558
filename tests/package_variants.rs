//! The patched copy of hand-written packages that other producers write: markup hidden in
//! comments, CDATA and processing instructions, Strict Open XML, and Excel 365's threaded
//! comments. Each copy is read back by the zip crate, by calamine and by LibreOffice.

mod common;

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use rust_decimal::Decimal;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive};

use common::office::{convert, soffice_or_skip};
use common::scratch;
use selfeval::cell::{CellRef, Pos};
use selfeval::writer::{CellEdit, Corrections, FINDINGS_SHEET, Mark, NewValue, patch_xlsx};

const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const STRICT_MAIN: &str = "http://purl.oclc.org/ooxml/spreadsheetml/main";
const STRICT_REL: &str = "http://purl.oclc.org/ooxml/officeDocument/relationships";
const PKG_REL: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
const TYPES: &str = "http://schemas.openxmlformats.org/package/2006/content-types";
const THREADED_NS: &str = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments";

/// A package's parts, by name, in the order they are zipped.
type Parts = Vec<(&'static str, String)>;

/// The cell `a1` of sheet `Data` set to 42, with a note.
fn set_42(cells: &[&str]) -> Corrections {
    let sheet: Arc<str> = Arc::from("Data");
    Corrections {
        edits: cells
            .iter()
            .map(|a1| CellEdit {
                cell: CellRef::new(&sheet, Pos::parse_a1(a1).expect("test cell")),
                mark: Mark::Error,
                value: Some(NewValue::Number {
                    value: Decimal::from_str("42").expect("decimal"),
                    decimals: 0,
                }),
                note: format!("原填报有误；应为 42（{a1}）"),
            })
            .collect(),
        head: Vec::new(),
        findings: Vec::new(),
    }
}

/// A zip of `parts`, deflated, in the given order.
fn zip_of(parts: &[(&str, String)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, text) in parts {
        zip.start_file(*name, SimpleFileOptions::default()).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// Every entry of a copy, inflated by the zip crate (which checks each checksum).
fn entries(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut zip = ZipArchive::new(Cursor::new(bytes)).expect("the copy is a zip");
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).expect("entry");
            let mut data = Vec::new();
            f.read_to_end(&mut data).expect("inflates, checksum right");
            (f.name().expect("name").into_owned(), data)
        })
        .collect()
}

fn text_of(bytes: &[u8], name: &str) -> String {
    let all = entries(bytes);
    let data = all.get(name).unwrap_or_else(|| panic!("no part {name}"));
    String::from_utf8(data.clone()).expect("utf-8")
}

fn value(bytes: &[u8], a1: &str) -> Data {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("calamine");
    let range = book.worksheet_range("Data").expect("sheet Data");
    let pos = Pos::parse_a1(a1).expect("cell");
    range
        .get_value((pos.row, pos.col))
        .cloned()
        .unwrap_or(Data::Empty)
}

/// The copy `bytes` as LibreOffice opens and saves it again (as `.xlsx`).
fn through_libreoffice(soffice: &Path, dir: &Path, name: &str, bytes: &[u8]) -> Vec<u8> {
    let file = dir.join(format!("{name}.xlsx"));
    std::fs::write(&file, bytes).unwrap();
    let out = dir.join(format!("{name}-lo"));
    std::fs::create_dir_all(&out).unwrap();
    let saved = convert(soffice, &file, "xlsx:Calc MS Excel 2007 XML", &out);
    std::fs::read(saved).unwrap()
}

/// The parts of a one-sheet workbook (sheet `Data`) in the namespaces of `main` and `rel`,
/// the sheet's XML being `sheet`, and `extra` parts added or replacing these.
fn book(main: &str, rel: &str, sheet: &str, extra: &[(&'static str, String)]) -> Parts {
    let mut parts: Parts = vec![
        (
            "[Content_Types].xml",
            format!(
                concat!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n",
                    "<Types xmlns=\"{t}\">",
                    "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>",
                    "<Default Extension=\"xml\" ContentType=\"application/xml\"/>",
                    "<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>",
                    "<Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>",
                    "</Types>"
                ),
                t = TYPES
            ),
        ),
        (
            "_rels/.rels",
            format!(
                "<Relationships xmlns=\"{PKG_REL}\"><Relationship Id=\"rId1\" Type=\"{rel}/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"
            ),
        ),
        (
            "xl/workbook.xml",
            format!(
                "<workbook xmlns=\"{main}\" xmlns:r=\"{rel}\"><sheets><sheet name=\"Data\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            format!(
                "<Relationships xmlns=\"{PKG_REL}\"><Relationship Id=\"rId1\" Type=\"{rel}/worksheet\" Target=\"worksheets/sheet1.xml\"/></Relationships>"
            ),
        ),
        ("xl/worksheets/sheet1.xml", sheet.to_string()),
    ];
    for (name, text) in extra {
        match parts.iter_mut().find(|(n, _)| n == name) {
            Some(p) => p.1 = text.clone(),
            None => parts.push((name, text.clone())),
        }
    }
    parts
}

// --- Markup hidden in comments, CDATA and processing instructions.

/// Row 1 holds a text in CDATA and a comment, each with what looks like the end of the row
/// and the start of row 2; row 2 hides an end tag in a processing instruction; a merge is
/// commented out, inside and outside `mergeCells`.
fn hidden_markup_sheet() -> String {
    format!(
        concat!(
            "<worksheet xmlns=\"{m}\" xmlns:r=\"{r}\"><dimension ref=\"A1:C3\"/><sheetData>",
            "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t><![CDATA[</row><row r=\"2\"><c r=\"B2\"><v>7</v></c>]]></t></is></c>",
            "<!-- </row><row r=\"2\"><c r=\"B2\"><v>8</v></c> --></row>",
            "<row r=\"2\"><c r=\"B2\"><v>1</v></c><?keep </row><row r=\"3\">?></row>",
            "<row r=\"3\"><c r=\"C3\"><v>3</v></c></row>",
            "</sheetData>",
            "<!-- <mergeCells count=\"1\"><mergeCell ref=\"A1:C3\"/></mergeCells> -->",
            "<mergeCells count=\"1\"><!-- <mergeCell ref=\"B2:C3\"/> --><mergeCell ref=\"A3:B3\"/></mergeCells>",
            "</worksheet>"
        ),
        m = MAIN,
        r = REL
    )
}

#[test]
fn comments_cdata_and_instructions_are_tokens_not_tags() {
    let sheet = hidden_markup_sheet();
    let input = zip_of(&book(MAIN, REL, &sheet, &[]));
    let output = patch_xlsx(&input, &set_42(&["C1", "B2"])).unwrap();
    let patched = text_of(&output, "xl/worksheets/sheet1.xml");
    // The corrections land in the cells they name, and nothing else changes.
    assert_eq!(value(&output, "C1"), Data::Float(42.0));
    assert_eq!(value(&output, "B2"), Data::Float(42.0));
    assert_eq!(value(&output, "C3"), Data::Float(3.0));
    assert_eq!(
        value(&output, "A1"),
        Data::String("</row><row r=\"2\"><c r=\"B2\"><v>7</v></c>".into())
    );
    // C1 goes after A1 in its row (after the comment, before the row's real end); B2 keeps its
    // place before the instruction.
    assert!(
        patched.contains(concat!(
            "<!-- </row><row r=\"2\"><c r=\"B2\"><v>8</v></c> -->",
            "<c r=\"C1\" s=\"1\"><v>42</v></c></row>",
            "<row r=\"2\"><c r=\"B2\" s=\"1\"><v>42</v></c><?keep </row><row r=\"3\">?></row>",
            "<row r=\"3\"><c r=\"C3\"><v>3</v></c></row>"
        )),
        "{patched}"
    );
    // The CDATA, the comments and the commented-out merges survive byte for byte.
    for kept in [
        "<![CDATA[</row><row r=\"2\"><c r=\"B2\"><v>7</v></c>]]>",
        "<!-- <mergeCells count=\"1\"><mergeCell ref=\"A1:C3\"/></mergeCells> -->",
        "<mergeCells count=\"1\"><!-- <mergeCell ref=\"B2:C3\"/> --><mergeCell ref=\"A3:B3\"/></mergeCells>",
    ] {
        assert!(patched.contains(kept), "{kept} lost: {patched}");
    }
    // The legacy drawing goes after the merges, not after a commented-out element.
    assert!(
        patched.ends_with(
            "<mergeCell ref=\"A3:B3\"/></mergeCells><legacyDrawing r:id=\"rId2\"/></worksheet>"
        ),
        "{patched}"
    );
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(output)).unwrap();
    let merges: Vec<String> = book
        .merge_cells_by_sheet_name("Data")
        .unwrap()
        .iter()
        .map(|d| format!("{:?}-{:?}", d.start, d.end))
        .collect();
    assert_eq!(merges, ["(2, 0)-(2, 1)"]);
}

#[test]
fn a_formula_with_a_comment_and_cdata_is_read_as_its_text() {
    let sheet = format!(
        concat!(
            "<worksheet xmlns=\"{m}\"><sheetData>",
            "<row r=\"1\"><c r=\"A1\"><v>1</v></c><c r=\"B1\"><f>A1<!-- </f> -->+<![CDATA[1]]></f><v>2</v></c></row>",
            "</sheetData></worksheet>"
        ),
        m = MAIN
    );
    let input = zip_of(&book(MAIN, REL, &sheet, &[]));
    let output = patch_xlsx(&input, &set_42(&["B1"])).unwrap();
    // The formula (A1+1 = 2) cannot give 42: the value replaces it and the note quotes it.
    let comments = text_of(&output, "xl/comments1.xml");
    assert!(comments.contains("原公式 =A1+1"), "{comments}");
    assert_eq!(value(&output, "B1"), Data::Float(42.0));
}

// --- Strict Open XML.

fn strict_parts() -> Parts {
    let sheet = format!(
        concat!(
            "<worksheet xmlns=\"{m}\" xmlns:r=\"{r}\"><dimension ref=\"A1:B2\"/><sheetData>",
            "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>得分</t></is></c><c r=\"B1\"><v>5</v></c></row>",
            "<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>合计</t></is></c><c r=\"B2\"><v>1.98</v></c></row>",
            "</sheetData></worksheet>"
        ),
        m = STRICT_MAIN,
        r = STRICT_REL
    );
    let workbook = format!(
        concat!(
            "<workbook xmlns=\"{m}\" xmlns:r=\"{r}\" conformance=\"strict\">",
            "<sheets><sheet name=\"Data\" sheetId=\"1\" r:id=\"rId1\"/></sheets><calcPr calcId=\"191029\"/></workbook>"
        ),
        m = STRICT_MAIN,
        r = STRICT_REL
    );
    book(
        STRICT_MAIN,
        STRICT_REL,
        &sheet,
        &[("xl/workbook.xml", workbook)],
    )
}

#[test]
fn a_strict_package_gets_strict_parts_and_relationships() {
    let input = zip_of(&strict_parts());
    let output = patch_xlsx(&input, &set_42(&["B2"])).unwrap();
    assert_eq!(value(&output, "B2"), Data::Float(42.0));
    let sheet = text_of(&output, "xl/worksheets/sheet1.xml");
    assert!(
        sheet.contains("<c r=\"B2\" s=\"1\"><v>42</v></c>"),
        "{sheet}"
    );
    assert!(
        sheet.ends_with("<legacyDrawing r:id=\"rId2\"/></worksheet>"),
        "{sheet}"
    );
    // Everything added speaks the package's own namespaces, none the transitional ones.
    for name in [
        "xl/comments1.xml",
        "xl/worksheets/sheet2.xml",
        "xl/styles.xml",
        "xl/worksheets/_rels/sheet1.xml.rels",
        "xl/_rels/workbook.xml.rels",
        "xl/workbook.xml",
    ] {
        let text = text_of(&output, name);
        assert!(
            !text.contains("schemas.openxmlformats.org/spreadsheetml")
                && !text.contains("schemas.openxmlformats.org/officeDocument"),
            "{name}: {text}"
        );
    }
    let rels = text_of(&output, "xl/worksheets/_rels/sheet1.xml.rels");
    assert!(
        rels.contains(&format!("Type=\"{STRICT_REL}/comments\"")),
        "{rels}"
    );
    assert!(
        rels.contains(&format!("Type=\"{STRICT_REL}/vmlDrawing\"")),
        "{rels}"
    );
    let wb_rels = text_of(&output, "xl/_rels/workbook.xml.rels");
    assert!(
        wb_rels.contains(&format!(
            "Type=\"{STRICT_REL}/worksheet\" Target=\"worksheets/sheet2.xml\""
        )),
        "{wb_rels}"
    );
    assert!(
        wb_rels.contains(&format!("Type=\"{STRICT_REL}/styles\"")),
        "{wb_rels}"
    );
    assert!(text_of(&output, "xl/styles.xml").contains(STRICT_MAIN));
    assert!(text_of(&output, "xl/comments1.xml").contains(STRICT_MAIN));
    let findings = text_of(&output, "xl/worksheets/sheet2.xml");
    assert!(
        findings.contains(&format!("xmlns=\"{STRICT_MAIN}\"")),
        "{findings}"
    );
    let workbook = text_of(&output, "xl/workbook.xml");
    assert!(
        workbook.contains(&format!("name=\"{FINDINGS_SHEET}\"")),
        "{workbook}"
    );
    let book: Xlsx<_> = open_workbook_from_rs(Cursor::new(output)).unwrap();
    assert_eq!(book.sheet_names(), ["Data", FINDINGS_SHEET]);
}

#[test]
fn a_strict_sheet_without_a_relationships_prefix_gets_the_strict_one() {
    let mut parts = strict_parts();
    let sheet = format!(
        "<worksheet xmlns=\"{STRICT_MAIN}\"><sheetData><row r=\"2\"><c r=\"B2\"><v>1</v></c></row></sheetData></worksheet>"
    );
    parts[4].1 = sheet;
    let output = patch_xlsx(&zip_of(&parts), &set_42(&["B2"])).unwrap();
    let sheet = text_of(&output, "xl/worksheets/sheet1.xml");
    assert!(
        sheet.starts_with(&format!(
            "<worksheet xmlns=\"{STRICT_MAIN}\" xmlns:r=\"{STRICT_REL}\">"
        )),
        "{sheet}"
    );
}

// --- Threaded comments (Excel 365).

const THREAD_ID: &str = "{6A1C2D3E-0001-4A5B-8C9D-0E1F2A3B4C5D}";
const REPLY_ID: &str = "{6A1C2D3E-0002-4A5B-8C9D-0E1F2A3B4C5D}";
const PERSON_ID: &str = "{0B1C2D3E-4F50-6172-8394-A5B6C7D8E9F0}";

/// A sheet with a threaded comment (and a reply) on B2, as Excel 365 saves it: the thread in
/// `threadedComments`, its people in `persons`, and a legacy note whose text starts
/// `[Threaded comment]` for older programs.
fn threaded_parts() -> Parts {
    let sheet = format!(
        concat!(
            "<worksheet xmlns=\"{m}\" xmlns:r=\"{r}\"><dimension ref=\"A1:C3\"/><sheetData>",
            "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>得分</t></is></c></row>",
            "<row r=\"2\"><c r=\"B2\"><v>1.98</v></c></row>",
            "<row r=\"3\"><c r=\"C3\"><v>3</v></c></row>",
            "</sheetData><legacyDrawing r:id=\"rId2\"/></worksheet>"
        ),
        m = MAIN,
        r = REL
    );
    let types = format!(
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n",
            "<Types xmlns=\"{t}\">",
            "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>",
            "<Default Extension=\"xml\" ContentType=\"application/xml\"/>",
            "<Default Extension=\"vml\" ContentType=\"application/vnd.openxmlformats-officedocument.vmlDrawing\"/>",
            "<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>",
            "<Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>",
            "<Override PartName=\"/xl/comments1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml\"/>",
            "<Override PartName=\"/xl/threadedComments/threadedComment1.xml\" ContentType=\"application/vnd.ms-excel.threadedcomments+xml\"/>",
            "<Override PartName=\"/xl/persons/person.xml\" ContentType=\"application/vnd.ms-excel.person+xml\"/>",
            "</Types>"
        ),
        t = TYPES
    );
    let wb_rels = format!(
        concat!(
            "<Relationships xmlns=\"{p}\">",
            "<Relationship Id=\"rId1\" Type=\"{r}/worksheet\" Target=\"worksheets/sheet1.xml\"/>",
            "<Relationship Id=\"rId5\" Type=\"http://schemas.microsoft.com/office/2017/10/relationships/person\" Target=\"persons/person.xml\"/>",
            "</Relationships>"
        ),
        p = PKG_REL,
        r = REL
    );
    let sheet_rels = format!(
        concat!(
            "<Relationships xmlns=\"{p}\">",
            "<Relationship Id=\"rId3\" Type=\"http://schemas.microsoft.com/office/2017/10/relationships/threadedComment\" Target=\"../threadedComments/threadedComment1.xml\"/>",
            "<Relationship Id=\"rId2\" Type=\"{r}/vmlDrawing\" Target=\"../drawings/vmlDrawing1.vml\"/>",
            "<Relationship Id=\"rId1\" Type=\"{r}/comments\" Target=\"../comments1.xml\"/>",
            "</Relationships>"
        ),
        p = PKG_REL,
        r = REL
    );
    let comments = format!(
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n",
            "<comments xmlns=\"{m}\" xmlns:mc=\"http://schemas.openxmlformats.org/markup-compatibility/2006\" ",
            "mc:Ignorable=\"xr\" xmlns:xr=\"http://schemas.microsoft.com/office/spreadsheetml/2014/revision\">",
            "<authors><author>tc={id}</author></authors><commentList>",
            "<comment ref=\"B2\" authorId=\"0\" shapeId=\"0\" xr:uid=\"{id}\"><text><t>[Threaded comment]\n\n",
            "Your version of Excel allows you to read this threaded comment; however, any edits to it will get removed if the file is opened in a newer version of Excel. Learn more: https://go.microsoft.com/fwlink/?linkid=870924\n\n",
            "Comment:\n    请核对执行率\nReply:\n    已核对</t></text></comment>",
            "</commentList></comments>"
        ),
        m = MAIN,
        id = THREAD_ID
    );
    let threads = format!(
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n",
            "<ThreadedComments xmlns=\"{t}\" xmlns:x=\"{m}\">",
            "<threadedComment ref=\"B2\" dT=\"2024-03-01T08:00:00.00\" personId=\"{p}\" id=\"{id}\"><text>请核对执行率</text></threadedComment>",
            "<threadedComment ref=\"B2\" dT=\"2024-03-02T09:30:00.00\" personId=\"{p}\" id=\"{reply}\" parentId=\"{id}\"><text>已核对</text></threadedComment>",
            "</ThreadedComments>"
        ),
        t = THREADED_NS,
        m = MAIN,
        p = PERSON_ID,
        id = THREAD_ID,
        reply = REPLY_ID
    );
    let persons = format!(
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n",
            "<personList xmlns=\"{t}\" xmlns:x=\"{m}\">",
            "<person displayName=\"张三\" id=\"{p}\" userId=\"张三\" providerId=\"None\"/></personList>"
        ),
        t = THREADED_NS,
        m = MAIN,
        p = PERSON_ID
    );
    let vml = concat!(
        "<xml xmlns:v=\"urn:schemas-microsoft-com:vml\" xmlns:o=\"urn:schemas-microsoft-com:office:office\" ",
        "xmlns:x=\"urn:schemas-microsoft-com:office:excel\">",
        "<o:shapelayout v:ext=\"edit\"><o:idmap v:ext=\"edit\" data=\"1\"/></o:shapelayout>",
        "<v:shapetype id=\"_x0000_t202\" coordsize=\"21600,21600\" o:spt=\"202\" path=\"m,l,21600r21600,l21600,xe\">",
        "<v:stroke joinstyle=\"miter\"/><v:path gradientshapeok=\"t\" o:connecttype=\"rect\"/></v:shapetype>",
        "<v:shape id=\"_x0000_s1025\" type=\"#_x0000_t202\" style=\"position:absolute;margin-left:80pt;margin-top:2pt;width:108pt;height:59.25pt;z-index:1;visibility:hidden\" fillcolor=\"#ffffe1\" o:insetmode=\"auto\">",
        "<v:fill color2=\"#ffffe1\"/><v:path o:connecttype=\"none\"/>",
        "<x:ClientData ObjectType=\"Note\"><x:MoveWithCells/><x:SizeWithCells/><x:Anchor>2, 15, 0, 10, 4, 15, 4, 4</x:Anchor>",
        "<x:AutoFill>False</x:AutoFill><x:Row>1</x:Row><x:Column>1</x:Column></x:ClientData></v:shape></xml>"
    );
    book(
        MAIN,
        REL,
        &sheet,
        &[
            ("[Content_Types].xml", types),
            ("xl/_rels/workbook.xml.rels", wb_rels),
            ("xl/worksheets/_rels/sheet1.xml.rels", sheet_rels),
            ("xl/comments1.xml", comments),
            ("xl/threadedComments/threadedComment1.xml", threads),
            ("xl/persons/person.xml", persons),
            ("xl/drawings/vmlDrawing1.vml", vml.to_string()),
        ],
    )
}

#[test]
fn a_threaded_comment_keeps_its_thread_and_the_note_goes_beside_it() {
    let input = zip_of(&threaded_parts());
    let output = patch_xlsx(&input, &set_42(&["B2", "C3"])).unwrap();
    assert_eq!(value(&output, "B2"), Data::Float(42.0));
    assert_eq!(value(&output, "C3"), Data::Float(42.0));
    let before = entries(&input);
    let after = entries(&output);
    // The thread and its people are untouched, and still related to the sheet and workbook.
    for name in [
        "xl/threadedComments/threadedComment1.xml",
        "xl/persons/person.xml",
    ] {
        assert_eq!(before[name], after[name], "{name} changed");
    }
    let rels = text_of(&output, "xl/worksheets/_rels/sheet1.xml.rels");
    assert!(
        rels.contains("Target=\"../threadedComments/threadedComment1.xml\""),
        "{rels}"
    );
    let wb_rels = text_of(&output, "xl/_rels/workbook.xml.rels");
    assert!(
        wb_rels.contains("Target=\"persons/person.xml\""),
        "{wb_rels}"
    );
    // The legacy note keeps its link to the thread (xr:uid) and its text; ours follows it.
    let comments = text_of(&output, "xl/comments1.xml");
    let b2 = comments
        .split("<comment ")
        .find(|c| c.starts_with("ref=\"B2\""))
        .expect("B2 keeps its comment");
    assert!(b2.contains(&format!("xr:uid=\"{THREAD_ID}\"")), "{b2}");
    let thread_text = b2.find("[Threaded comment]").expect("thread text kept");
    let note_text = b2.find("原填报有误；应为 42（B2）").expect("note added");
    assert!(thread_text < note_text, "{b2}");
    assert!(
        b2.contains("Comment:\n    请核对执行率\nReply:\n    已核对"),
        "{b2}"
    );
    assert_eq!(comments.matches("ref=\"B2\"").count(), 1, "{comments}");
    // C3 had none: it gets a plain note and a shape of its own, B2 keeps its shape.
    assert!(comments.contains("<comment ref=\"C3\""), "{comments}");
    let vml = text_of(&output, "xl/drawings/vmlDrawing1.vml");
    assert_eq!(vml.matches("<v:shape ").count(), 2, "{vml}");
    assert!(
        vml.contains("<x:Row>2</x:Row><x:Column>2</x:Column>"),
        "{vml}"
    );
    // The note text as calamine reads a copy: still one sheet with the form's values.
    let book: Xlsx<_> = open_workbook_from_rs(Cursor::new(output)).unwrap();
    assert_eq!(book.sheet_names(), ["Data", FINDINGS_SHEET]);
}

// --- The archive, written by the zip crate.

#[test]
fn the_copy_is_a_zip_the_zip_crate_reads_with_untouched_parts_copied_as_stored() {
    // One part stored, one deflated, a comment on the archive, and a non-ASCII name.
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let parts = threaded_parts();
    for (name, text) in &parts {
        let method = match *name {
            "xl/persons/person.xml" => CompressionMethod::Stored,
            _ => CompressionMethod::Deflated,
        };
        // Permissions as a Unix zip tool records them in the central directory.
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .unix_permissions(0o640);
        zip.start_file(*name, options).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    let png = SimpleFileOptions::default().unix_permissions(0o640);
    zip.start_file("xl/media/图片1.png", png).unwrap();
    zip.write_all(b"\x89PNG not really").unwrap();
    zip.set_comment("来自填报单位").unwrap();
    let input = zip.finish().unwrap().into_inner();

    let output = patch_xlsx(&input, &set_42(&["B2"])).unwrap();
    let mut inp = ZipArchive::new(Cursor::new(input.as_slice())).unwrap();
    let mut out = ZipArchive::new(Cursor::new(output.as_slice())).unwrap();
    assert_eq!(out.comment(), "来自填报单位".as_bytes());
    // The input's entries come first, in their order, then the added ones.
    let names = |z: &ZipArchive<Cursor<&[u8]>>| -> Vec<String> {
        (0..z.len())
            .map(|i| z.name_for_index(i).unwrap().unwrap().into_owned())
            .collect()
    };
    let (in_names, out_names) = (names(&inp), names(&out));
    assert_eq!(out_names[..in_names.len()], in_names[..]);
    assert!(out_names.len() > in_names.len());
    // Untouched entries keep their compressed bytes and method; every entry inflates with
    // its checksum right.
    for name in [
        "xl/threadedComments/threadedComment1.xml",
        "xl/persons/person.xml",
        "xl/media/图片1.png",
    ] {
        let raw = |z: &mut ZipArchive<Cursor<&[u8]>>| {
            let mut f = z.by_name_raw(name.as_bytes()).unwrap();
            let method = f.compression();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            (method, data)
        };
        assert_eq!(raw(&mut inp), raw(&mut out), "{name}");
        // The entry's record is the input's: time, permissions, checksum and sizes.
        let record = |z: &mut ZipArchive<Cursor<&[u8]>>| {
            let f = z.by_name_raw(name.as_bytes()).unwrap();
            let time = f.last_modified().map(|t| (t.datepart(), t.timepart()));
            (
                time,
                f.unix_mode(),
                f.crc32(),
                f.size(),
                f.compressed_size(),
            )
        };
        let kept = record(&mut inp);
        assert_eq!(kept.1, Some(0o100640), "{name}");
        assert_eq!(kept, record(&mut out), "{name}");
    }
    let all = entries(&output);
    assert_eq!(all["xl/media/图片1.png"], b"\x89PNG not really");
    // Written parts carry a fixed time: a second run writes the same bytes.
    assert_eq!(output, patch_xlsx(&input, &set_42(&["B2"])).unwrap());
}

// --- LibreOffice opens every copy.

#[test]
fn libreoffice_opens_the_copies_with_the_corrections() {
    let Some(soffice) = soffice_or_skip("the hand-written package variants") else {
        return;
    };
    let dir = scratch("package-variants");
    let cases: [(&str, Parts, &[&str]); 3] = [
        (
            "hidden-markup",
            book(MAIN, REL, &hidden_markup_sheet(), &[]),
            &["C1", "B2"],
        ),
        ("strict", strict_parts(), &["B2"]),
        ("threaded", threaded_parts(), &["B2", "C3"]),
    ];
    for (name, parts, cells) in cases {
        let output = patch_xlsx(&zip_of(&parts), &set_42(cells)).unwrap();
        let saved = through_libreoffice(&soffice, &dir, name, &output);
        for a1 in cells {
            assert_eq!(value(&saved, a1), Data::Float(42.0), "{name} {a1}");
        }
        let book: Xlsx<_> = open_workbook_from_rs(Cursor::new(saved)).unwrap();
        assert_eq!(book.sheet_names(), ["Data", FINDINGS_SHEET], "{name}");
    }
}
