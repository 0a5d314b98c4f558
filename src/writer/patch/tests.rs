use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};
use std::str::FromStr;
use std::sync::Arc;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use rust_decimal::Decimal;
use rust_xlsxwriter::{Note, Workbook};
use zip::ZipArchive;
use zip::write::SimpleFileOptions;

use super::patch_xlsx;
use crate::cell::{CellRef, Pos};
use crate::finding::Code;
use crate::writer::{
    CellEdit, Corrections, FINDINGS_HEADERS, FINDINGS_SHEET, FindingRow, Mark, NewValue, WriteError,
};

const FORM: &str = "自评表";

fn cell(sheet: &str, a1: &str) -> CellRef {
    let sheet: Arc<str> = Arc::from(sheet);
    CellRef::new(&sheet, Pos::parse_a1(a1).expect("test cell"))
}

fn number(value: &str, decimals: u32) -> Option<NewValue> {
    Some(NewValue::Number {
        value: Decimal::from_str(value).expect("test decimal"),
        decimals,
    })
}

fn edit(a1: &str, mark: Mark, value: Option<NewValue>, note: &str) -> CellEdit {
    CellEdit {
        cell: cell(FORM, a1),
        mark,
        value,
        note: note.to_string(),
    }
}

fn finding(a1: &str, code: Code, message: &str) -> FindingRow {
    FindingRow {
        cell: cell(FORM, a1),
        indicator: "办公费".to_string(),
        code,
        severity: "错误".to_string(),
        claimed: "1.98".to_string(),
        expected: "2.00".to_string(),
        message: message.to_string(),
    }
}

/// A small form: text scores, a number, a formula, widths, and a second sheet.
fn form(with_note: bool) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(FORM).unwrap();
    sheet.set_column_width(3, 40).unwrap();
    sheet.write_string(0, 0, "项目支出绩效自评表").unwrap();
    sheet.write_string(28, 3, "成本指标").unwrap();
    sheet.write_string(28, 7, "1.98").unwrap();
    sheet.write_number(29, 7, 5.0).unwrap();
    sheet.write_string(30, 8, "良").unwrap();
    sheet.write_formula(37, 7, "=SUM(H29:H31)").unwrap();
    if with_note {
        sheet
            .insert_note(
                28,
                7,
                &Note::new("填报人说明：按比例计算").set_author("张三"),
            )
            .unwrap();
    }
    let other = book.add_worksheet();
    other.set_name("说明").unwrap();
    other.write_string(0, 0, "附注").unwrap();
    book.save_to_buffer().unwrap()
}

fn corrections() -> Corrections {
    Corrections {
        edits: vec![
            edit(
                "H29",
                Mark::Error,
                number("2.00", 2),
                "原填报 1.98；应为 2.00；依据 I3",
            ),
            edit("J45", Mark::Error, number("7.5", 1), "原填报 空；应为 7.5"),
            edit("G31", Mark::Error, number("3", 0), "原填报 空；应为 3"),
            edit("H30", Mark::Warning, None, "请核对"),
            edit(
                "I31",
                Mark::Error,
                Some(NewValue::Text("优".into())),
                "原填报 良；应为 优",
            ),
            edit("C33", Mark::Error, number("0.5", 2), "行间新单元格"),
        ],
        head: vec!["自评表核查结果".into(), "核查规则：测试".into()],
        findings: vec![
            finding("H29", Code::ScoreFormula, "得分应为 2.00"),
            finding("H30", Code::WeightSum, "请核对 <数值> & 'x'"),
        ],
    }
}

fn open(bytes: &[u8]) -> Xlsx<Cursor<Vec<u8>>> {
    open_workbook_from_rs::<Xlsx<_>, _>(Cursor::new(bytes.to_vec())).expect("readable workbook")
}

fn value(bytes: &[u8], sheet: &str, a1: &str) -> Data {
    let pos = Pos::parse_a1(a1).unwrap();
    let range = open(bytes).worksheet_range(sheet).unwrap();
    range
        .get_value((pos.row, pos.col))
        .cloned()
        .unwrap_or(Data::Empty)
}

/// Each entry's CRC, raw compressed bytes and decompressed bytes.
fn entries(bytes: &[u8]) -> BTreeMap<String, (u32, Vec<u8>, Vec<u8>)> {
    let mut zip = ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = BTreeMap::new();
    for i in 0..zip.len() {
        let mut raw = Vec::new();
        let (name, crc) = {
            let mut f = zip.by_index_raw(i).unwrap();
            f.read_to_end(&mut raw).unwrap();
            (f.name().unwrap().to_string(), f.crc32())
        };
        let mut data = Vec::new();
        zip.by_index(i).unwrap().read_to_end(&mut data).unwrap();
        out.insert(name, (crc, raw, data));
    }
    out
}

fn part(bytes: &[u8], name: &str) -> String {
    let entries = entries(bytes);
    let (_, _, data) = entries
        .get(name)
        .unwrap_or_else(|| panic!("no part {name}"));
    String::from_utf8(data.clone()).unwrap()
}

fn names(bytes: &[u8]) -> Vec<String> {
    let zip = ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..zip.len())
        .map(|i| zip.name_for_index(i).unwrap().unwrap().into_owned())
        .collect()
}

#[test]
fn writes_values_marks_and_findings() {
    let input = form(false);
    let output = patch_xlsx(&input, &corrections()).unwrap();

    assert_eq!(value(&output, FORM, "H29"), Data::Float(2.0));
    assert_eq!(value(&output, FORM, "J45"), Data::Float(7.5));
    assert_eq!(value(&output, FORM, "G31"), Data::Float(3.0));
    assert_eq!(value(&output, FORM, "H30"), Data::Float(5.0));
    assert_eq!(value(&output, FORM, "I31"), Data::String("优".into()));
    assert_eq!(value(&output, FORM, "C33"), Data::Float(0.5));
    assert_eq!(value(&output, FORM, "D29"), Data::String("成本指标".into()));
    assert_eq!(value(&output, "说明", "A1"), Data::String("附注".into()));

    let mut book = open(&output);
    assert_eq!(book.sheet_names(), vec![FORM, "说明", FINDINGS_SHEET]);
    let findings = book.worksheet_range(FINDINGS_SHEET).unwrap();
    // The head lines, a blank row, then the table.
    assert_eq!(
        findings.get_value((0, 0)),
        Some(&Data::String("自评表核查结果".into()))
    );
    let header: Vec<Data> = (0..7)
        .map(|c| findings.get_value((3, c)).cloned().unwrap())
        .collect();
    let expected: Vec<Data> = FINDINGS_HEADERS
        .iter()
        .map(|h| Data::String(h.to_string()))
        .collect();
    assert_eq!(header, expected);
    let row = |r: u32| -> Vec<String> {
        (0..7)
            .map(|c| {
                findings
                    .get_value((r, c))
                    .map(Data::to_string)
                    .unwrap_or_default()
            })
            .collect()
    };
    assert_eq!(
        row(4),
        [
            "自评表!H29",
            "办公费",
            "错误",
            "1.98",
            "2.00",
            "得分应为 2.00",
            "指标得分计算有误（score-formula）"
        ]
    );
    assert_eq!(row(5)[5], "请核对 <数值> & 'x'");
    assert_eq!(findings.height(), 6);
    let formula = book.worksheet_formula(FORM).unwrap();
    assert_eq!(
        formula.get_value((37, 7)),
        Some(&"SUM(H29:H31)".to_string())
    );

    let sheet = part(&output, "xl/worksheets/sheet3.xml");
    assert!(
        sheet.contains(r#"location="&apos;自评表&apos;!H29""#),
        "{sheet}"
    );
    assert!(sheet.contains(r#"state="frozen""#));
    // Printed landscape on one page's width, the table's header on every page.
    assert!(
        sheet.contains(r#"orientation="landscape" fitToWidth="1" fitToHeight="0""#)
            && sheet.contains(r#"<pageSetUpPr fitToPage="1"/>"#),
        "{sheet}"
    );
    let workbook = part(&output, "xl/workbook.xml");
    assert!(
        workbook.contains(
            r#"<definedName name="_xlnm.Print_Titles" localSheetId="2">&apos;核查结果&apos;!$4:$4</definedName>"#
        ),
        "{workbook}"
    );
    let form_xml = part(&output, "xl/worksheets/sheet1.xml");
    assert!(
        form_xml.contains(r#"<c r="H29" s="#) && form_xml.contains("<v>2</v>"),
        "{form_xml}"
    );
    assert!(form_xml.contains(r#"<row r="45"><c r="J45""#), "{form_xml}");
    assert!(
        form_xml.contains(r#"</row><row r="33"><c r="C33" s="#),
        "{form_xml}"
    );
    assert!(form_xml.contains(r#"<c r="G31" s="#), "{form_xml}");
    assert!(form_xml.contains(r#"<legacyDrawing r:id="#), "{form_xml}");
    assert!(
        form_xml.contains(r#"<dimension ref="A1:J45"/>"#),
        "{form_xml}"
    );
    let workbook = part(&output, "xl/workbook.xml");
    assert!(workbook.contains(r#"fullCalcOnLoad="1""#), "{workbook}");
    let comments = part(&output, "xl/comments1.xml");
    assert_eq!(comments.matches("<comment ").count(), 6, "{comments}");
    assert!(comments.contains("原填报 1.98；应为 2.00；依据 I3"));
    let vml = part(&output, "xl/drawings/vmlDrawing1.vml");
    assert_eq!(vml.matches("<v:shape ").count(), 6);
    assert!(vml.contains("<x:Row>28</x:Row><x:Column>7</x:Column>"));
}

#[test]
fn copies_unchanged_entries_byte_for_byte() {
    let input = form(false);
    let output = patch_xlsx(&input, &corrections()).unwrap();
    let before = entries(&input);
    let after = entries(&output);
    let changed = [
        "[Content_Types].xml",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "xl/styles.xml",
        "xl/worksheets/sheet1.xml",
    ];
    for (name, entry) in &before {
        if changed.contains(&name.as_str()) {
            continue;
        }
        assert_eq!(after.get(name), Some(entry), "{name} changed");
    }
    // Original entries keep their order; new ones follow.
    let order = names(&output);
    let original = names(&input);
    assert_eq!(&order[..original.len()], &original[..]);
    assert!(order.contains(&"xl/comments1.xml".to_string()));
}

#[test]
fn extends_an_existing_note() {
    let input = form(true);
    let output = patch_xlsx(&input, &corrections()).unwrap();
    assert_eq!(value(&output, FORM, "H29"), Data::Float(2.0));
    let comments = part(&output, "xl/comments1.xml");
    assert_eq!(comments.matches(r#"ref="H29""#).count(), 1, "{comments}");
    let h29 = comments
        .split("<comment ")
        .find(|c| c.starts_with(r#"ref="H29""#))
        .unwrap();
    assert!(h29.contains("填报人说明：按比例计算"), "{h29}");
    assert!(h29.contains("原填报 1.98；应为 2.00"), "{h29}");
    assert!(
        comments.contains("<author>张三</author><author>selfeval</author>"),
        "{comments}"
    );
    assert_eq!(comments.matches("<comment ").count(), 6);
    // The existing drawing gets shapes for the five new notes, with ids of their own.
    let vml = part(&output, "xl/drawings/vmlDrawing1.vml");
    assert_eq!(vml.matches("<v:shape ").count(), 6);
    let mut ids: Vec<&str> = vml
        .match_indices("id=\"_x0000_s")
        .map(|(i, _)| &vml[i..i + 16])
        .collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "{vml}");
    let sheet = part(&output, "xl/worksheets/sheet1.xml");
    assert_eq!(sheet.matches("<legacyDrawing").count(), 1);
    assert!(!names(&output).contains(&"xl/comments2.xml".to_string()));
}

#[test]
fn adds_fills_and_formats_to_the_styles() {
    let output = patch_xlsx(&form(false), &corrections()).unwrap();
    let styles = part(&output, "xl/styles.xml");
    assert!(styles.contains(r#"<fgColor rgb="FFFFC7CE"/>"#), "{styles}");
    assert!(styles.contains(r#"<fgColor rgb="FFFFEB9C"/>"#), "{styles}");
    assert!(
        styles.contains(r#"<numFmt numFmtId="164" formatCode="0.0"/>"#),
        "{styles}"
    );
    assert!(styles.contains("<b/>"), "{styles}");
    for section in ["fonts", "fills", "cellXfs"] {
        let start = styles.find(&format!("<{section} count=\"")).unwrap();
        let rest = &styles[start..];
        let count: usize = rest[section.len() + 9..]
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let end = rest.find(&format!("</{section}>")).unwrap();
        let child = match section {
            "fonts" => "<font>",
            "fills" => "<fill>",
            _ => "<xf ",
        };
        assert_eq!(rest[..end].matches(child).count(), count, "{section}");
    }
}

#[test]
fn output_is_deterministic() {
    let input = form(true);
    let a = patch_xlsx(&input, &corrections()).unwrap();
    let b = patch_xlsx(&input, &corrections()).unwrap();
    assert_eq!(a, b);
}

#[test]
fn rechecking_replaces_the_findings_sheet() {
    let once = patch_xlsx(&form(false), &corrections()).unwrap();
    let again = Corrections {
        edits: vec![edit("H29", Mark::Error, number("2", 2), "第二次")],
        head: vec![],
        findings: vec![finding("H29", Code::TotalScore, "再次核查")],
    };
    let twice = patch_xlsx(&once, &again).unwrap();
    let mut book = open(&twice);
    assert_eq!(book.sheet_names(), vec![FORM, "说明", FINDINGS_SHEET]);
    let findings = book.worksheet_range(FINDINGS_SHEET).unwrap();
    assert_eq!(findings.height(), 2);
    assert_eq!(
        findings.get_value((1, 5)),
        Some(&Data::String("再次核查".into()))
    );
    // The printed header row is named once, where the new table has it.
    let workbook = part(&twice, "xl/workbook.xml");
    assert_eq!(
        workbook.matches("_xlnm.Print_Titles").count(),
        1,
        "{workbook}"
    );
    assert!(workbook.contains("!$1:$1</definedName>"), "{workbook}");
    let comments = part(&twice, "xl/comments1.xml");
    let h29 = comments
        .split("<comment ")
        .find(|c| c.starts_with(r#"ref="H29""#))
        .unwrap();
    assert!(h29.contains("依据 I3") && h29.contains("第二次"), "{h29}");
}

#[test]
fn unknown_sheet_is_an_error() {
    let corrections = Corrections {
        edits: vec![CellEdit {
            cell: cell("没有", "A1"),
            mark: Mark::Error,
            value: number("1", 0),
            note: String::new(),
        }],
        head: Vec::new(),
        findings: Vec::new(),
    };
    assert!(
        matches!(patch_xlsx(&form(false), &corrections), Err(WriteError::NoSheet(s)) if s == "没有")
    );
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    assert!(matches!(
        patch_xlsx(b"not a zip", &corrections()),
        Err(WriteError::Zip(_))
    ));
    let input = form(false);
    assert!(patch_xlsx(&input[..input.len() / 2], &corrections()).is_err());
    let broken = package(&[(
        "xl/worksheets/sheet1.xml",
        "<worksheet><sheetData><row r=\"1\"><c",
    )]);
    assert!(matches!(
        patch_xlsx(&broken, &one_edit("A1")),
        Err(WriteError::Xml { part, .. }) if part == "xl/worksheets/sheet1.xml"
    ));
}

/// Rows and cells without an address stand after the one before, as the reader places them,
/// so the cell corrected is the cell read.
#[test]
fn rows_and_cells_without_an_address_are_placed_as_the_reader_places_them() {
    let sheet = format!(
        "<worksheet xmlns=\"{MAIN}\"><sheetData><row><c><v>1</v></c><c><v>2</v></c></row><row><c><v>3</v></c></row></sheetData></worksheet>"
    );
    let input = package(&[("xl/worksheets/sheet1.xml", &sheet)]);
    let mut corrections = one_edit("B1");
    corrections.edits.extend(one_edit("D1").edits);
    corrections.edits.extend(one_edit("A2").edits);
    let output = patch_xlsx(&input, &corrections).unwrap();
    let sheet = part(&output, "xl/worksheets/sheet1.xml");
    assert!(
        sheet.contains(concat!(
            "<sheetData><row><c><v>1</v></c><c r=\"B1\" s=\"1\"><v>42</v></c>",
            "<c r=\"D1\" s=\"1\"><v>42</v></c></row>",
            "<row><c r=\"A2\" s=\"1\"><v>42</v></c></row></sheetData>"
        )),
        "{sheet}"
    );
    assert_eq!(value(&output, "Data", "A1"), Data::Float(1.0));
    assert_eq!(value(&output, "Data", "B1"), Data::Float(42.0));
    assert_eq!(value(&output, "Data", "A2"), Data::Float(42.0));
}

#[test]
fn writes_percentages_and_strips_control_characters() {
    let corrections = Corrections {
        edits: vec![
            CellEdit {
                cell: cell(FORM, "H30"),
                mark: Mark::Error,
                value: Some(NewValue::Percent {
                    fraction: Decimal::from_str("0.9973").unwrap(),
                    decimals: 2,
                }),
                note: "bad\u{1}char".into(),
            },
            edit(
                "I31",
                Mark::Error,
                Some(NewValue::Text("优\u{0}".into())),
                "",
            ),
        ],
        head: vec![],
        findings: vec![finding("H30", Code::Grade, "x\u{7}y")],
    };
    let output = patch_xlsx(&form(false), &corrections).unwrap();
    assert_eq!(value(&output, FORM, "H30"), Data::Float(0.9973));
    assert_eq!(value(&output, FORM, "I31"), Data::String("优".into()));
    let styles = part(&output, "xl/styles.xml");
    assert!(styles.contains(r#"numFmtId="10""#), "{styles}");
    assert!(part(&output, "xl/comments1.xml").contains("badchar"));
}

// --- A hand-written package: prefixed elements, shared formulas, a calc chain, no styles.

const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";

fn one_edit(a1: &str) -> Corrections {
    Corrections {
        edits: vec![CellEdit {
            cell: cell("Data", a1),
            mark: Mark::Error,
            value: number("42", 0),
            note: "n".into(),
        }],
        head: Vec::new(),
        findings: Vec::new(),
    }
}

/// A package with sheet `Data` and the given parts replacing the defaults.
fn package(overrides: &[(&str, &str)]) -> Vec<u8> {
    let sheet = format!(
        concat!(
            "<x:worksheet xmlns:x=\"{m}\" xmlns:rel=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">",
            "<x:dimension ref=\"A1:B4\"/><x:sheetData>",
            "<x:row r=\"1\"><x:c r=\"A1\"><x:v>1</x:v></x:c><x:c r=\"B1\"><x:f t=\"shared\" ref=\"B1:B4\" si=\"0\">A1*2</x:f><x:v>2</x:v></x:c></x:row>",
            "<x:row r=\"2\"><x:c r=\"A2\"><x:v>2</x:v></x:c><x:c r=\"B2\"><x:f t=\"shared\" si=\"0\"/><x:v>4</x:v></x:c></x:row>",
            "<x:row r=\"3\"><x:c r=\"A3\"><x:v>3</x:v></x:c><x:c r=\"B3\"><x:f t=\"shared\" si=\"0\"/><x:v>6</x:v></x:c></x:row>",
            "<x:row r=\"4\"><x:c r=\"A4\"><x:v>4</x:v></x:c><x:c r=\"B4\"><x:f t=\"shared\" si=\"0\"></x:f><x:v>8</x:v></x:c></x:row>",
            "</x:sheetData><x:tableParts count=\"0\"/></x:worksheet>"
        ),
        m = MAIN
    );
    let mut parts: Vec<(&str, String)> = vec![
        (
            "[Content_Types].xml",
            concat!(
                "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">",
                "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>",
                "<Default Extension=\"xml\" ContentType=\"application/xml\"/>",
                "<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>",
                "<Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>",
                "<Override PartName=\"/xl/calcChain.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml\"/>",
                "</Types>"
            )
            .to_string(),
        ),
        (
            "_rels/.rels",
            concat!(
                "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
                "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/>",
                "</Relationships>"
            )
            .to_string(),
        ),
        (
            "xl/workbook.xml",
            format!(
                concat!(
                    "<workbook xmlns=\"{m}\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">",
                    "<sheets><sheet name=\"Data\" sheetId=\"7\" r:id=\"rId1\"/></sheets>",
                    "<definedNames><definedName name=\"x\">Data!$A$1</definedName></definedNames>",
                    "<extLst/></workbook>"
                ),
                m = MAIN
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            concat!(
                "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
                "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"/xl/worksheets/sheet1.xml\"/>",
                "<Relationship Id=\"rId9\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/calcChain\" Target=\"calcChain.xml\"/>",
                "</Relationships>"
            )
            .to_string(),
        ),
        ("xl/worksheets/sheet1.xml", sheet),
        (
            "xl/calcChain.xml",
            format!("<calcChain xmlns=\"{MAIN}\"><c r=\"B1\" i=\"1\"/></calcChain>"),
        ),
    ];
    for (name, text) in overrides {
        match parts.iter_mut().find(|(n, _)| n == name) {
            Some(p) => p.1 = text.to_string(),
            None => parts.push((name, text.to_string())),
        }
    }
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, text) in parts {
        zip.start_file(name, SimpleFileOptions::default()).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[test]
fn overwritten_shared_formula_moves_to_its_other_cells() {
    let mut corrections = one_edit("B1");
    corrections.edits.extend(one_edit("B3").edits);
    let output = patch_xlsx(&package(&[]), &corrections).unwrap();
    assert_eq!(value(&output, "Data", "B1"), Data::Float(42.0));
    assert_eq!(value(&output, "Data", "B3"), Data::Float(42.0));
    let mut book = open(&output);
    let formulas = book.worksheet_formula("Data").unwrap();
    assert_eq!(formulas.get_value((1, 1)), Some(&"A2*2".to_string()));
    assert!(formulas.get_value((2, 1)).is_none_or(String::is_empty));
    assert_eq!(formulas.get_value((3, 1)), Some(&"A4*2".to_string()));
    // The notes of overwritten formula cells quote the formula.
    let comments = part(&output, "xl/comments1.xml");
    assert!(
        comments.contains("原公式 =A1*2") && comments.contains("原公式 =A3*2"),
        "{comments}"
    );

    let sheet = part(&output, "xl/worksheets/sheet1.xml");
    assert!(
        sheet.contains(r#"<x:c r="B1" s="1"><x:v>42</x:v></x:c>"#),
        "{sheet}"
    );
    // The note drawing goes before tableParts and uses the sheet's own prefixes.
    assert!(
        sheet.contains(r#"<x:legacyDrawing rel:id="rId2"/><x:tableParts"#),
        "{sheet}"
    );

    let all = names(&output);
    assert!(!all.contains(&"xl/calcChain.xml".to_string()));
    assert!(all.contains(&"xl/styles.xml".to_string()));
    let types = part(&output, "[Content_Types].xml");
    assert!(!types.contains("calcChain"), "{types}");
    assert!(types.contains(r#"<Default Extension="vml""#), "{types}");
    assert!(types.contains(r#"PartName="/xl/styles.xml""#), "{types}");
    let rels = part(&output, "xl/_rels/workbook.xml.rels");
    assert!(
        !rels.contains("calcChain") && rels.contains("styles.xml"),
        "{rels}"
    );
    // calcPr goes after definedNames and before extLst; the new sheet gets a fresh id.
    let workbook = part(&output, "xl/workbook.xml");
    assert!(
        workbook.contains(r#"</definedNames><calcPr fullCalcOnLoad="1"/><extLst/>"#),
        "{workbook}"
    );
    assert!(
        workbook.contains(r#"<sheet name="核查结果" sheetId="8" r:id="#),
        "{workbook}"
    );
    let sheet_rels = part(&output, "xl/worksheets/_rels/sheet1.xml.rels");
    assert!(
        sheet_rels.contains(r#"Target="../comments1.xml""#),
        "{sheet_rels}"
    );
    assert!(
        sheet_rels.contains(r#"Target="../drawings/vmlDrawing1.vml""#),
        "{sheet_rels}"
    );
}

#[test]
fn the_copy_corrects_the_workbook_part_that_was_checked() {
    // The package's relationships name another main part, with a sheet of the same name.
    let other_sheet = format!(
        "<worksheet xmlns=\"{MAIN}\"><sheetData><row r=\"1\"><c r=\"A1\"><v>7</v></c></row></sheetData></worksheet>"
    );
    let input = package(&[
        (
            "_rels/.rels",
            concat!(
                "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
                "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/other.xml\"/>",
                "</Relationships>"
            ),
        ),
        (
            "xl/other.xml",
            &format!(
                "<workbook xmlns=\"{MAIN}\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets><sheet name=\"Data\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"
            ),
        ),
        (
            "xl/_rels/other.xml.rels",
            concat!(
                "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
                "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet2.xml\"/>",
                "</Relationships>"
            ),
        ),
        ("xl/worksheets/sheet2.xml", &other_sheet),
    ]);
    // The spreadsheet programs show `xl/other.xml`, the part the relationship names: the
    // reader checks it, and the copy corrects it, never the decoy `xl/workbook.xml`.
    let read = crate::reader::read_book(&input).unwrap();
    let (_, a1) = read.sheets[0].get(crate::cell::Pos::new(0, 0));
    assert_eq!(
        a1.shown(),
        "7",
        "the reader takes sheet2.xml, where A1 is 7 (the decoy sheet1 has 1)"
    );
    let output = patch_xlsx(&input, &one_edit("A1")).unwrap();
    assert!(
        part(&output, "xl/worksheets/sheet2.xml").contains("<v>42</v>"),
        "the checked sheet is corrected"
    );
    let (before, after) = (entries(&input), entries(&output));
    for untouched in ["xl/worksheets/sheet1.xml", "xl/workbook.xml", "_rels/.rels"] {
        assert_eq!(before[untouched], after[untouched], "{untouched}");
    }
    assert!(part(&output, "xl/other.xml").contains("核查结果"));
}

// --- The sample form.

const SAMPLE: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/qiannan-finance-2023.xlsx"
));

fn sample_corrections() -> Corrections {
    Corrections {
        edits: vec![
            edit(
                "H29",
                Mark::Error,
                number("2.00", 2),
                "原填报 1.98；应为 2.00；依据 I3",
            ),
            edit(
                "H38",
                Mark::Error,
                number("99.97", 2),
                "原填报 99.95；应为 99.97",
            ),
        ],
        head: vec![],
        findings: vec![
            finding("H29", Code::ScoreFormula, "成本指标得分"),
            finding("H38", Code::TotalScore, "总分"),
        ],
    }
}

#[test]
fn corrects_the_sample() {
    let output = patch_xlsx(SAMPLE, &sample_corrections()).unwrap();
    assert_eq!(value(&output, FORM, "H29"), Data::Float(2.0));
    assert_eq!(value(&output, FORM, "H38"), Data::Float(99.97));
    let before = open(SAMPLE).worksheet_range(FORM).unwrap();
    let after = open(&output).worksheet_range(FORM).unwrap();
    assert_eq!(before.get_size(), after.get_size());
    for (row, col, v) in before.cells() {
        let (row, col) = (
            row as u32 + before.start().unwrap().0,
            col as u32 + before.start().unwrap().1,
        );
        if (row, col) != (28, 7) && (row, col) != (37, 7) {
            assert_eq!(
                after.get_value((row, col)),
                Some(v),
                "{}",
                Pos::new(row, col).a1()
            );
        }
    }
    assert_eq!(open(&output).sheet_names(), vec![FORM, FINDINGS_SHEET]);
    let sheet = part(&output, "xl/worksheets/sheet1.xml");
    assert!(sheet.contains("<mergeCells count=\"18\">"));
    assert_eq!(patch_xlsx(SAMPLE, &sample_corrections()).unwrap(), output);
}

#[test]
fn the_parts_the_reader_inflated_are_taken_as_they_were() {
    let format = crate::reader::BookFormat::Xlsx;
    let (read, inflated) = crate::reader::read_package(SAMPLE, format).unwrap();
    // The reader keeps the parts a copy rewrites, exactly as the package holds them, and
    // not the shared strings, which no copy rewrites.
    for name in [
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "xl/styles.xml",
        "xl/worksheets/sheet1.xml",
    ] {
        assert_eq!(
            inflated.get(name),
            Some(part(SAMPLE, name).as_bytes()),
            "{name}"
        );
    }
    assert_eq!(inflated.get("xl/sharedStrings.xml"), None);
    let copy = super::patch_inflated(SAMPLE, &inflated, &read, &sample_corrections()).unwrap();
    assert_eq!(copy, patch_xlsx(SAMPLE, &sample_corrections()).unwrap());

    // The writer takes a kept part instead of the package's.
    let mut doctored = crate::opc::Inflated::default();
    let sheet = part(SAMPLE, "xl/worksheets/sheet1.xml");
    let marked = sheet.replace("defaultRowHeight=\"15\"", "defaultRowHeight=\"16\"");
    assert_ne!(marked, sheet);
    doctored.keep("xl/worksheets/sheet1.xml", marked.into_bytes());
    let copy = super::patch_inflated(SAMPLE, &doctored, &read, &sample_corrections()).unwrap();
    assert!(part(&copy, "xl/worksheets/sheet1.xml").contains("defaultRowHeight=\"16\""));
}

#[test]
fn declares_the_relationship_prefix_and_fills_empty_sheet_data() {
    let sheet = format!(
        "<worksheet xmlns=\"{MAIN}\"><sheetData/><pageMargins left=\"0.7\" right=\"0.7\" top=\"0.75\" bottom=\"0.75\" header=\"0.3\" footer=\"0.3\"/></worksheet>"
    );
    let input = package(&[("xl/worksheets/sheet1.xml", &sheet)]);
    let output = patch_xlsx(&input, &one_edit("C3")).unwrap();
    assert_eq!(value(&output, "Data", "C3"), Data::Float(42.0));
    let sheet = part(&output, "xl/worksheets/sheet1.xml");
    assert!(
        sheet.starts_with(&format!("<worksheet xmlns=\"{MAIN}\" xmlns:r=")),
        "{sheet}"
    );
    assert!(
        sheet.contains(r#"<sheetData><row r="3"><c r="C3" s="1"><v>42</v></c></row></sheetData>"#),
        "{sheet}"
    );
    assert!(
        sheet.ends_with(r#"footer="0.3"/><legacyDrawing r:id="rId2"/></worksheet>"#),
        "{sheet}"
    );
}

#[test]
fn adds_notes_to_a_drawing_that_holds_only_controls() {
    // Excel's VML is not always well-formed (`<br>`), so it must not need parsing.
    let vml = concat!(
        "<xml xmlns:v=\"urn:schemas-microsoft-com:vml\" xmlns:o=\"urn:schemas-microsoft-com:office:office\" ",
        "xmlns:x=\"urn:schemas-microsoft-com:office:excel\"><o:shapelayout v:ext=\"edit\">",
        "<o:idmap v:ext=\"edit\" data=\"3\"/></o:shapelayout><v:shapetype id=\"_x0000_t201\"/>",
        "<v:shape id=\"_x0000_s3073\" type=\"#_x0000_t201\"><v:textbox><div>OK<br></div></v:textbox>",
        "<x:ClientData ObjectType=\"Button\"/></v:shape></xml>"
    );
    let sheet = format!(
        "<worksheet xmlns=\"{MAIN}\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheetData/><legacyDrawing r:id=\"rId5\"/></worksheet>"
    );
    let rels = concat!(
        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
        "<Relationship Id=\"rId5\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/vmlDrawing\" Target=\"../drawings/vmlDrawing1.vml\"/>",
        "</Relationships>"
    );
    let input = package(&[
        ("xl/worksheets/sheet1.xml", &sheet),
        ("xl/worksheets/_rels/sheet1.xml.rels", rels),
        ("xl/drawings/vmlDrawing1.vml", vml),
    ]);
    let output = patch_xlsx(&input, &one_edit("A1")).unwrap();
    let vml = part(&output, "xl/drawings/vmlDrawing1.vml");
    assert!(vml.contains("<div>OK<br></div>"), "{vml}");
    assert!(vml.contains(r#"<v:shapetype id="_x0000_t202""#), "{vml}");
    assert!(
        vml.contains(r##"<v:shape id="_x0000_s3074" type="#_x0000_t202""##),
        "{vml}"
    );
    let sheet = part(&output, "xl/worksheets/sheet1.xml");
    assert_eq!(sheet.matches("<legacyDrawing").count(), 1, "{sheet}");
    let rels = part(&output, "xl/worksheets/_rels/sheet1.xml.rels");
    assert!(
        rels.contains(r#"Id="rId6" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments" Target="../comments1.xml""#),
        "{rels}"
    );
    let comments = part(&output, "xl/comments1.xml");
    assert!(
        comments.contains(r#"<comment ref="A1" authorId="0">"#),
        "{comments}"
    );
}

#[test]
fn new_cells_and_rows_go_where_their_positions_require() {
    let sheet = format!(
        concat!(
            "<worksheet xmlns=\"{m}\"><dimension ref=\"A1:C5\"/><sheetData>",
            "<row r=\"1\" spans=\"1:3\"><c r=\"A1\"><v>1</v></c><c r=\"C1\" s=\"0\" t=\"n\"><v>3</v></c></row>",
            "<row r=\"3\" spans=\"1:3\"/>",
            "<row r=\"5\"><c r=\"A5\"/></row>",
            "</sheetData></worksheet>"
        ),
        m = MAIN
    );
    let input = package(&[("xl/worksheets/sheet1.xml", &sheet)]);
    let on = |a1: &str, mark: Mark, value: Option<NewValue>| CellEdit {
        cell: cell("Data", a1),
        mark,
        value,
        note: String::new(),
    };
    let corrections = Corrections {
        edits: vec![
            on("B1", Mark::Error, number("2", 0)),
            on("D1", Mark::Error, Some(NewValue::Text("a&b".into()))),
            on("C1", Mark::Warning, None),
            on("A2", Mark::Error, number("7", 0)),
            on("B3", Mark::Error, number("8", 0)),
            on("A5", Mark::Warning, None),
            on("A4", Mark::Warning, None),
            on("A7", Mark::Error, number("9", 0)),
        ],
        head: Vec::new(),
        findings: Vec::new(),
    };
    let output = patch_xlsx(&input, &corrections).unwrap();
    let sheet = part(&output, "xl/worksheets/sheet1.xml");
    let expected = concat!(
        "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">",
        "<dimension ref=\"A1:D7\"/><sheetData>",
        "<row r=\"1\"><c r=\"A1\"><v>1</v></c><c r=\"B1\" s=\"1\"><v>2</v></c>",
        "<c r=\"C1\" s=\"2\" t=\"n\"><v>3</v></c>",
        "<c r=\"D1\" s=\"3\" t=\"inlineStr\"><is><t>a&amp;b</t></is></c></row>",
        "<row r=\"2\"><c r=\"A2\" s=\"1\"><v>7</v></c></row>",
        "<row r=\"3\"><c r=\"B3\" s=\"1\"><v>8</v></c></row>",
        "<row r=\"4\"><c r=\"A4\" s=\"2\"/></row>",
        "<row r=\"5\"><c r=\"A5\" s=\"2\"/></row>",
        "<row r=\"7\"><c r=\"A7\" s=\"1\"><v>9</v></c></row>",
        "</sheetData></worksheet>"
    );
    assert_eq!(sheet, expected);
    assert_eq!(value(&output, "Data", "D1"), Data::String("a&b".into()));
}

#[test]
fn a_note_past_a_cells_limit_is_cut_to_fit() {
    // A finding may quote a cell that another program filled past Excel's limit.
    let mut corrections = one_edit("A1");
    corrections.edits[0].note = format!("原填报 {}", "长".repeat(40_000));
    let output = patch_xlsx(&package(&[]), &corrections).unwrap();
    let comments = part(&output, "xl/comments1.xml");
    let text: String = comments
        .split("</t>")
        .filter_map(|run| run.rsplit_once('>').map(|(_, t)| t))
        .collect();
    let head: String = text.chars().take(20).collect();
    assert!(text.starts_with("selfeval:\n原填报 长长"), "{head}");
    // The author line, then the note cut to its room: within what one cell holds.
    let units = text.encode_utf16().count();
    let room = crate::writer::MAX_NOTE_UNITS..=crate::writer::MAX_CELL_UNITS;
    assert!(room.contains(&units), "{units} units");
}

#[test]
fn a_row_is_skipped_whole_only_when_nothing_in_it_matters() {
    // Row 1 hides an end tag in a comment; row 2 anchors a shared formula that row 4 points to.
    let sheet = format!(
        concat!(
            "<worksheet xmlns=\"{m}\"><sheetData>",
            "<row r=\"1\"><c r=\"A1\"><v>1</v></c><!-- </row><row r=\"9\"> --></row>",
            "<row r=\"2\"><c r=\"B2\"><f t=\"shared\" ref=\"B2:B4\" si=\"0\">A2+1</f><v>2</v></c></row>",
            "<row r=\"3\"><c r=\"A3\"><v>3</v></c></row>",
            "<row r=\"4\"><c r=\"B4\"><f t=\"shared\" si=\"0\"/><v>4</v></c></row>",
            "</sheetData></worksheet>"
        ),
        m = MAIN
    );
    let input = package(&[("xl/worksheets/sheet1.xml", &sheet)]);
    let mut corrections = one_edit("A3");
    corrections.edits.extend(one_edit("B4").edits);
    let output = patch_xlsx(&input, &corrections).unwrap();
    let sheet = part(&output, "xl/worksheets/sheet1.xml");
    assert!(
        sheet.contains(concat!(
            "<!-- </row><row r=\"9\"> --></row><row r=\"2\">",
            "<c r=\"B2\"><f t=\"shared\" ref=\"B2:B4\" si=\"0\">A2+1</f><v>2</v></c></row>",
            "<row r=\"3\"><c r=\"A3\" s=\"1\"><v>42</v></c></row>",
            "<row r=\"4\"><c r=\"B4\" s=\"1\"><v>42</v></c></row></sheetData>"
        )),
        "{sheet}"
    );
    // B4 only pointed to the shared formula: its note quotes the formula as it applied there.
    let comments = part(&output, "xl/comments1.xml");
    assert!(comments.contains("原公式 =A4+1"), "{comments}");
}

#[test]
fn the_note_drawing_follows_sheet_data_opened_for_new_rows() {
    let sheet = format!("<worksheet xmlns=\"{MAIN}\"><sheetData/></worksheet>");
    let input = package(&[("xl/worksheets/sheet1.xml", &sheet)]);
    let output = patch_xlsx(&input, &one_edit("C3")).unwrap();
    let sheet = part(&output, "xl/worksheets/sheet1.xml");
    assert!(
        sheet.ends_with(concat!(
            "<sheetData><row r=\"3\"><c r=\"C3\" s=\"1\"><v>42</v></c></row></sheetData>",
            "<legacyDrawing r:id=\"rId2\"/></worksheet>"
        )),
        "{sheet}"
    );
}

#[test]
fn end_tags_with_spaces_and_hidden_end_tags_keep_rows_apart() {
    let sheet = format!(
        concat!(
            "<worksheet xmlns=\"{m}\"><sheetData>",
            "<row r=\"1\"><c r=\"A1\"><v>1</v></c></row >",
            "<row r=\"2\"><c r=\"A2\"><v>2</v></c></row>",
            "<row r=\"3\"><c r=\"A3\"><v>3</v></c><?pi </row>?></row>",
            "<row r=\"4\"><c r=\"A4\"><v>4</v></c><extLst><ext uri=\"u\"><row xmlns=\"urn:x\"></row></ext></extLst></row>",
            "<row r=\"6\"><c r=\"A6\"><v>6</v></c></row>",
            "</sheetData></worksheet>"
        ),
        m = MAIN
    );
    let input = package(&[("xl/worksheets/sheet1.xml", &sheet)]);
    let mut corrections = one_edit("A2");
    corrections.edits.extend(one_edit("A5").edits);
    corrections.edits.extend(one_edit("A6").edits);
    let output = patch_xlsx(&input, &corrections).unwrap();
    let sheet = part(&output, "xl/worksheets/sheet1.xml");
    assert!(
        sheet.contains(concat!(
            "<row r=\"2\"><c r=\"A2\" s=\"1\"><v>42</v></c></row>",
            "<row r=\"3\"><c r=\"A3\"><v>3</v></c><?pi </row>?></row>",
            "<row r=\"4\"><c r=\"A4\"><v>4</v></c><extLst><ext uri=\"u\"><row xmlns=\"urn:x\"></row></ext></extLst></row>",
            "<row r=\"5\"><c r=\"A5\" s=\"1\"><v>42</v></c></row>",
            "<row r=\"6\"><c r=\"A6\" s=\"1\"><v>42</v></c></row></sheetData>"
        )),
        "{sheet}"
    );
    assert_eq!(sheet.matches("<row r=\"2\"").count(), 1, "{sheet}");
}

/// Rows the patch touches are read tag by tag; the others are copied as they are, however
/// they are written.
#[test]
fn a_sheet_whose_tags_do_not_match_is_an_error_not_a_damaged_copy() {
    let row = |r: u32, cells: &str| format!("<row r=\"{r}\">{cells}</row>");
    for (rows, end) in [
        // `</c>` missing in the row that gets B1.
        (row(1, "<c r=\"A1\"><v>1</v>"), "</sheetData></worksheet>"),
        // `</sheetData>` missing.
        (row(1, "<c r=\"A1\"><v>1</v></c>"), "</worksheet>"),
        // The sheet stops short.
        (row(1, "<c r=\"A1\"><v>1</v></c>"), ""),
    ] {
        let sheet = format!("<worksheet xmlns=\"{MAIN}\"><sheetData>{rows}{end}");
        let input = package(&[("xl/worksheets/sheet1.xml", &sheet)]);
        let mut corrections = one_edit("A5");
        corrections.edits.extend(one_edit("B1").edits);
        let result = patch_xlsx(&input, &corrections);
        assert!(
            matches!(result, Err(WriteError::Xml { .. })),
            "{sheet}: {:?}",
            result.map(|_| "a copy")
        );
    }
}

// --- A correct formula stays a formula (SPEC §6).

const TOTAL_FORMULA: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/total-formula.xlsx"
));

/// A copy of the package `input` with one part's text changed by `edit`.
fn with_part(input: &[u8], name: &str, edit: impl Fn(&str) -> String) -> Vec<u8> {
    let mut zip = ZipArchive::new(Cursor::new(input)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let entry_name = entry.name().unwrap().to_string();
        let mut body = Vec::new();
        entry.read_to_end(&mut body).unwrap();
        if entry_name == name {
            body = edit(std::str::from_utf8(&body).unwrap()).into_bytes();
        }
        out.start_file(entry_name, SimpleFileOptions::default())
            .unwrap();
        out.write_all(&body).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// The note on `a1` in the copy's first comments part.
fn note_on(bytes: &[u8], a1: &str) -> String {
    let comments = part(bytes, "xl/comments1.xml");
    let start = format!("ref=\"{a1}\"");
    comments
        .split("<comment ")
        .find(|c| c.starts_with(&start))
        .unwrap_or_else(|| panic!("no note on {a1}: {comments}"))
        .to_string()
}

#[test]
fn a_correct_total_formula_stays_and_caches_the_corrected_total() {
    let output = patch_xlsx(TOTAL_FORMULA, &sample_corrections()).unwrap();
    let sheet = part(&output, "xl/worksheets/sheet1.xml");
    let h38 = sheet.split("<c r=\"H38\"").nth(1).unwrap();
    let h38 = &h38[..h38.find("</c>").unwrap()];
    assert!(
        h38.ends_with("><f>H5+SUM(H11:H37)</f><v>99.97</v>"),
        "H38 is{h38}"
    );
    let mut book = open(&output);
    let formulas = book.worksheet_formula(FORM).unwrap();
    assert_eq!(
        formulas.get_value((37, 7)).map(String::as_str),
        Some("H5+SUM(H11:H37)")
    );
    assert_eq!(value(&output, FORM, "H38"), Data::Float(99.97));
    assert_eq!(value(&output, FORM, "H29"), Data::Float(2.0));
    // Kept, the formula is not quoted as if it were lost.
    let note = note_on(&output, "H38");
    assert!(note.contains("原填报 99.95；应为 99.97"), "{note}");
    assert!(!note.contains("原公式"), "{note}");
}

#[test]
fn a_wrong_total_formula_is_replaced_by_the_value_and_quoted() {
    let wrong = with_part(TOTAL_FORMULA, "xl/worksheets/sheet1.xml", |xml| {
        assert!(xml.contains("<f>H5+SUM(H11:H37)</f>"));
        xml.replace("<f>H5+SUM(H11:H37)</f>", "<f>SUM(H11:H36)</f>")
    });
    let output = patch_xlsx(&wrong, &sample_corrections()).unwrap();
    let sheet = part(&output, "xl/worksheets/sheet1.xml");
    assert!(!sheet.contains("<f>"), "{sheet}");
    assert_eq!(value(&output, FORM, "H38"), Data::Float(99.97));
    let note = note_on(&output, "H38");
    assert!(note.contains("原公式 =SUM(H11:H36)"), "{note}");
}

#[test]
fn the_whole_check_keeps_the_total_formula_of_the_fixture() {
    let profile = crate::template::Profile::national();
    let rules = crate::scorer::Rules {
        profile: &profile,
        layout: crate::template::Layout::bundled(),
    };
    let (outcome, copy) =
        crate::check::check_upload("total-formula.xlsx", TOTAL_FORMULA, rules, true, None);
    assert_eq!(outcome.write_error, None);
    let copy = copy.expect("a corrected copy");
    let mut book = open(&copy);
    let formulas = book.worksheet_formula(FORM).unwrap();
    assert_eq!(
        formulas.get_value((37, 7)).map(String::as_str),
        Some("H5+SUM(H11:H37)")
    );
    assert_eq!(value(&copy, FORM, "H38"), Data::Float(99.97));
    assert_eq!(value(&copy, FORM, "H29"), Data::Float(2.0));
    assert!(!note_on(&copy, "H38").contains("原公式"));
}

#[test]
fn a_kept_formula_keeps_its_part_in_a_shared_formula() {
    // Column B is `A*2`, shared from B1. A2 becomes 5, so B2's 10 is what its formula gives.
    let on = |a1: &str, v: &str| CellEdit {
        cell: cell("Data", a1),
        mark: Mark::Error,
        value: number(v, 0),
        note: format!("应为 {v}"),
    };
    let patch = |edits: Vec<CellEdit>| {
        let corrections = Corrections {
            edits,
            head: Vec::new(),
            findings: Vec::new(),
        };
        let output = patch_xlsx(&package(&[]), &corrections).unwrap();
        (part(&output, "xl/worksheets/sheet1.xml"), output)
    };

    // A pointer that stays points on.
    let (sheet, output) = patch(vec![on("A2", "5"), on("B2", "10")]);
    assert!(
        sheet.contains(r#"<x:c r="B2" s="1"><x:f t="shared" si="0"/><x:v>10</x:v></x:c>"#),
        "{sheet}"
    );
    assert!(!part(&output, "xl/comments1.xml").contains("原公式"));
    let mut book = open(&output);
    let formulas = book.worksheet_formula("Data").unwrap();
    assert_eq!(formulas.get_value((1, 1)), Some(&"A2*2".to_string()));

    // Its anchor overwritten (42 is no A1*2), a kept pointer gets its own formula.
    let (sheet, output) = patch(vec![on("B1", "42"), on("A2", "5"), on("B2", "10")]);
    assert!(
        sheet.contains(r#"<x:c r="B1" s="1"><x:v>42</x:v></x:c>"#),
        "{sheet}"
    );
    assert!(
        sheet.contains(r#"<x:c r="B2" s="1"><x:f>A2*2</x:f><x:v>10</x:v></x:c>"#),
        "{sheet}"
    );
    assert!(
        sheet.contains(r#"<x:c r="B3"><x:f>A3*2</x:f><x:v>6</x:v></x:c>"#),
        "{sheet}"
    );
    assert!(note_on(&output, "B1").contains("原公式 =A1*2"));
    assert!(!note_on(&output, "B2").contains("原公式"));

    // A kept anchor stays the anchor, and its pointers are left as they were.
    let (sheet, _) = patch(vec![on("A1", "3"), on("B1", "6")]);
    assert!(
        sheet.contains(concat!(
            r#"<x:c r="B1" s="1"><x:f t="shared" ref="B1:B4" si="0">A1*2</x:f><x:v>6</x:v></x:c>"#,
            r#"</x:row><x:row r="2"><x:c r="A2"><x:v>2</x:v></x:c><x:c r="B2"><x:f t="shared" si="0"/><x:v>4</x:v></x:c>"#
        )),
        "{sheet}"
    );
}
