//! The package reader against calamine reading the department's package directly, cell for
//! cell: the sample, a workbook holding every kind of cell, and hand-written sheet XML. The
//! generated forms of every dressing are read through the whole check by tests/corpus.rs.

use std::collections::BTreeSet;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use crate::cell::Pos;
use crate::limits::READ as LIMITS;
use crate::reader::format::{NumberShape, float_value, number};
use crate::reader::{RawBook, RawValue, serial_of_iso};

/// One worksheet as calamine reads it.
struct Expected {
    name: String,
    hidden: bool,
    /// Each value as its style's format shows it, and whether that format fixes decimals.
    cells: Vec<(Pos, RawValue, bool)>,
    merges: BTreeSet<(Pos, Pos)>,
}

/// What calamine reads: every worksheet's values, hidden flags and merged ranges.
fn calamine_book(bytes: &[u8]) -> Vec<Expected> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).expect("calamine opens it");
    let metas = crate::reader::worksheets(wb.sheets_metadata());
    let mut out = Vec::new();
    for (_, name, hidden) in metas {
        let mut cells = Vec::new();
        let mut reader = wb.worksheet_cells_reader(&name).expect("sheet");
        let mut found = Vec::new();
        while let Some((cell, style)) = reader.next_cell_with_style_id().expect("cell") {
            let (row, col) = cell.get_position();
            if *cell.get_value() != calamine::DataRef::Empty {
                found.push((
                    Pos::new(row, col),
                    Data::from(cell.get_value().clone()),
                    style,
                ));
            }
        }
        let shapes = super::shapes_of(reader.styles());
        drop(reader);
        for (pos, data, style) in found {
            let shape = shapes.get(style).copied().unwrap_or_default();
            let value = match data {
                Data::String(s) => RawValue::Text(s),
                Data::Float(f) => float_value(
                    f,
                    NumberShape {
                        date: false,
                        ..shape
                    },
                ),
                Data::Int(i) => number(i.into(), shape),
                Data::Bool(b) => RawValue::Bool(b),
                Data::Error(e) => RawValue::Error(e.to_string()),
                Data::DateTime(d) => float_value(
                    d.as_f64(),
                    NumberShape {
                        date: true,
                        ..shape
                    },
                ),
                Data::DateTimeIso(s) => serial_of_iso(&s).map_or(RawValue::Text(s), RawValue::Date),
                other => panic!("{other:?}"),
            };
            cells.push((pos, value, shape.decimals.is_some()));
        }
        let merges = wb
            .merge_cells_by_sheet_name(&name)
            .expect("merges")
            .iter()
            .filter(|d| d.start != d.end)
            .map(|d| (Pos::new(d.start.0, d.start.1), Pos::new(d.end.0, d.end.1)))
            .collect();
        out.push(Expected {
            name,
            hidden,
            cells,
            merges,
        });
    }
    out
}

fn assert_reads_as_calamine(bytes: &[u8], what: &str) {
    let ours = read(bytes, &LIMITS).expect("our reader opens it");
    assert_same(&ours, calamine_book(bytes), what);
}

fn assert_same(ours: &RawBook, theirs: Vec<Expected>, what: &str) {
    assert_eq!(ours.sheets.len(), theirs.len(), "{what}: sheets");
    for (sheet, expected) in ours.sheets.iter().zip(theirs) {
        let at = format!("{what}, sheet {}", expected.name);
        assert_eq!(&*sheet.name, expected.name, "{at}");
        assert_eq!(sheet.hidden, expected.hidden, "{at}: hidden");
        let got: Vec<(Pos, RawValue, bool)> = sheet
            .cells()
            .map(|(p, c)| (p, c.value.clone(), sheet.format_fixes_decimals(p)))
            .collect();
        assert_eq!(got, expected.cells, "{at}: cells");
        let got: BTreeSet<(Pos, Pos)> = sheet.merges.iter().map(|m| (m.first, m.last)).collect();
        assert_eq!(got, expected.merges, "{at}: merged ranges");
    }
}

/// The book alone: these tests compare cells, not the parts kept for the writer.
fn read(bytes: &[u8], limits: &crate::reader::Limits) -> Result<RawBook, crate::reader::ReadError> {
    super::read(bytes, limits, false).map(|(book, _)| book)
}

#[test]
fn the_sample_reads_as_calamine_reads_it() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/qiannan-finance-2023.xlsx"
    ))
    .expect("sample");
    assert_reads_as_calamine(&bytes, "sample");
}

#[test]
fn parts_are_kept_only_for_a_copy() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/qiannan-finance-2023.xlsx"
    ))
    .expect("sample");
    let sheet = "xl/worksheets/sheet1.xml";
    let (read, kept) = super::read(&bytes, &LIMITS, true).expect("read");
    assert!(kept.get("xl/workbook.xml").is_some() && kept.get(sheet).is_some());
    let (streamed, none) = super::read(&bytes, &LIMITS, false).expect("read");
    assert!(none.get("xl/workbook.xml").is_none() && none.get(sheet).is_none());
    // Read whole or streamed, the sheet's cells are the same.
    let cells = |b: &RawBook| format!("{:?}", b.sheets[0].cells().collect::<Vec<_>>());
    assert_eq!(cells(&read), cells(&streamed));
}

#[test]
fn every_kind_of_cell_reads_as_calamine_reads_it() {
    use rust_xlsxwriter::{Format, Formula, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("值").expect("name");
    let formats = [
        "0.00",
        "0%",
        "0.00%",
        "#,##0.0_ ",
        "yyyy\"年\"m\"月\"d\"日\"",
        "[$-804]yyyy/m/d",
        "@",
        "General",
    ];
    for (r, code) in formats.iter().enumerate() {
        let f = Format::new().set_num_format(*code);
        ws.write_number_with_format(r as u32, 0, 45_260.456_789, &f)
            .expect("number");
        ws.write_number_with_format(r as u32, 1, 0.99725, &f)
            .expect("number");
        ws.write_string_with_format(r as u32, 2, "9.5", &f)
            .expect("text");
    }
    ws.write_string(10, 0, "  前后有空格  ").expect("text");
    ws.write_string(10, 1, "换行\r\n之后").expect("text");
    ws.write_string(10, 2, "A&B <c> _x0041_").expect("text");
    ws.write_boolean(11, 0, true).expect("bool");
    ws.write_formula(11, 1, Formula::new("=1/0").set_result("#DIV/0!"))
        .expect("formula");
    ws.write_formula(11, 2, Formula::new("=A1*2").set_result("90520.91"))
        .expect("formula");
    ws.write_formula(11, 3, Formula::new("=\"合\"&\"计\"").set_result("合计"))
        .expect("formula");
    ws.write_number(12, 600, 1.0).expect("far column");
    ws.merge_range(13, 0, 14, 3, "合并", &Format::new())
        .expect("merge");
    ws.write_number(19_999, 0, 7.0).expect("last row read");
    ws.write_number(20_000, 0, 8.0).expect("first row not read");
    let hidden = wb.add_worksheet().set_name("隐藏").expect("name");
    hidden.write_string(0, 0, "隐藏的表").expect("text");
    hidden.set_hidden(true);
    let bytes = wb.save_to_buffer().expect("saved");

    let ours = read(&bytes, &LIMITS).expect("read");
    let sheet = &ours.sheets[0];
    // What the limits leave out, calamine reads; the rest must agree with it.
    assert!(sheet.own(Pos::new(12, 600)).is_empty() && sheet.own(Pos::new(20_000, 0)).is_empty());
    assert_eq!(sheet.own(Pos::new(19_999, 0)).shown(), "7");
    let mut theirs = calamine_book(&bytes);
    theirs[0]
        .cells
        .retain(|(p, _, _)| p.col < LIMITS.cols && p.row < LIMITS.rows);
    assert_eq!(ours.sheets.len(), 2);
    assert_same(&ours, theirs, "every kind of cell");
    assert_eq!(
        ours.sheets[0].own(Pos::new(4, 0)).value,
        RawValue::Date("45260.456789".parse().expect("decimal")),
        "a date format makes a day serial"
    );
}

/// The text of part `name` of a package.
fn part(bytes: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
    let mut text = String::new();
    zip.by_name(name)
        .expect("part")
        .read_to_string(&mut text)
        .expect("text");
    text
}

/// `bytes` with some parts' contents replaced, everything else as it was.
fn with_parts(bytes: &[u8], parts: &[(&str, &str)]) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).expect("entry");
        let name = file.name().expect("name").to_string();
        let mut data = Vec::new();
        file.read_to_end(&mut data).expect("inflate");
        if let Some((_, xml)) = parts.iter().find(|(p, _)| *p == name) {
            data = xml.as_bytes().to_vec();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .expect("start");
        out.write_all(&data).expect("write");
    }
    out.finish().expect("finish").into_inner()
}

#[test]
fn hand_written_xml_reads_as_calamine_reads_it() {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet().set_name("表").expect("name");
    ws.write_string(0, 0, "占位").expect("text");
    ws.write_number_with_format(
        1,
        0,
        1.0,
        &rust_xlsxwriter::Format::new().set_num_format("0.00"),
    )
    .expect("number");
    let base = wb.save_to_buffer().expect("saved");
    // Prefixed names, cells and rows without addresses, rich and inline text, entities,
    // comments between rows, single quotes, and every cell type.
    let sheet = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:dimension ref="A1:F6"/>
<x:sheetData>
<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c t='s'><x:v>1</x:v></x:c><x:c r="D1" s="1"><x:v>3.14159</x:v></x:c></x:row>
<!-- 注释 <x:row r="9"> -->
<x:row><x:c t="inlineStr"><x:is><x:r><x:t xml:space="preserve"> 甲 </x:t></x:r><x:r><x:t>乙</x:t></x:r></x:is></x:c><x:c t="str"><x:f>A1&amp;"x"</x:f><x:v>A&amp;B &#x4E2D;_x000D_</x:v></x:c><x:c t="b"><x:v>1</x:v></x:c><x:c t="e"><x:v>#N/A</x:v></x:c><x:c><x:v/></x:c><x:c r="F2" s="1"/></x:row>
<x:row r="3"/><x:row r="4" spans="1:3"><x:c r="A4" t="s"><x:v>2</x:v></x:c><x:c r="B4"><x:f>1/3</x:f><x:v>0.33333333333333331</x:v></x:c><x:c r="C4" t="n"><x:v>-12.5</x:v></x:c><x:c r="E4"><x:is><x:t>无类型</x:t></x:is></x:c></x:row>
</x:sheetData>
<x:mergeCells count="2"><x:mergeCell ref="A4:B5"/><x:mergeCell ref='D1:E1'/></x:mergeCells>
</x:worksheet>"#;
    let strings = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="3">
<si><t>产出指标</t></si>
<si><r><rPr><b/></rPr><t>数量</t></r><r><t xml:space="preserve"> 指标</t></r><rPh sb="0" eb="2"><t>すうりょう</t></rPh></si>
<si><t>
  满意度 &lt;90%&gt;
</t></si>
</sst>"#;
    let bytes = with_parts(
        &base,
        &[
            ("xl/worksheets/sheet1.xml", sheet),
            ("xl/sharedStrings.xml", strings),
        ],
    );
    assert_reads_as_calamine(&bytes, "hand-written XML");
    let ours = read(&bytes, &LIMITS).expect("read");
    let sheet = &ours.sheets[0];
    assert_eq!(sheet.own(Pos::new(1, 0)).shown(), " 甲 乙");
    assert_eq!(sheet.own(Pos::new(0, 1)).shown(), "数量 指标");
    assert_eq!(sheet.own(Pos::new(3, 0)).shown(), "满意度 <90%>");
    assert_eq!(sheet.own(Pos::new(0, 3)).shown(), "3.14");
    assert_eq!(
        sheet.own(Pos::new(3, 4)).shown(),
        "无类型",
        "an untyped inline string"
    );
}

#[test]
fn a_1904_workbook_dates_as_the_1900_system_does() {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy\"年\"m\"月\"d\"日\"");
    // 2023-11-30 is day 45260 of the 1900 system and day 43798 of the 1904 system.
    ws.write_number_with_format(0, 0, 43_798.0, &date)
        .expect("date");
    let base = wb.save_to_buffer().expect("saved");
    let workbook = part(&base, "xl/workbook.xml");
    // Excel 2013 and later also write an `x15:workbookPr` of their own, after it.
    let workbook = workbook.replacen("<workbookPr", "<workbookPr date1904=\"1\"", 1).replacen(
        "</workbook>",
        "<extLst><ext uri=\"{B58B0392}\"><x15:workbookPr xmlns:x15=\"x15\" chartTrackingRefBase=\"1\"/></ext></extLst></workbook>",
        1,
    );
    assert!(workbook.contains("date1904"), "{workbook}");
    let bytes = with_parts(&base, &[("xl/workbook.xml", &workbook)]);
    let ours = read(&bytes, &LIMITS).expect("read");
    assert_eq!(ours.sheets[0].own(Pos::new(0, 0)).shown(), "2023年11月30日");
}

#[test]
fn a_package_is_read_by_its_relationships_and_within_its_limits() {
    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.add_worksheet().write_string(0, 0, "甲").expect("text");
    let base = wb.save_to_buffer().expect("saved");
    let part = |name: &str| part(&base, name);
    // A target that climbs out of `xl/` and back in still names the sheet.
    let rels = part("xl/_rels/workbook.xml.rels").replace(
        "Target=\"worksheets/sheet1.xml\"",
        "Target=\"../xl/./worksheets/sheet1.xml\"",
    );
    assert!(rels.contains("../xl/"), "{rels}");
    let bytes = with_parts(&base, &[("xl/_rels/workbook.xml.rels", &rels)]);
    let ours = read(&bytes, &LIMITS).expect("read");
    assert_eq!(ours.sheets[0].own(Pos::new(0, 0)).shown(), "甲");

    // The same part listed as 300 sheets: refused, not read 300 times.
    let workbook = part("xl/workbook.xml");
    let one = r#"<sheet name="Sheet1" sheetId="1" r:id="rId1"/>"#;
    assert!(workbook.contains(one), "{workbook}");
    let many: String = (1..=300)
        .map(|i| format!(r#"<sheet name="表{i}" sheetId="{i}" r:id="rId1"/>"#))
        .collect();
    let bytes = with_parts(&base, &[("xl/workbook.xml", &workbook.replace(one, &many))]);
    assert_eq!(
        read(&bytes, &LIMITS).unwrap_err(),
        crate::reader::ReadError::TooManySheets {
            count: 300,
            limit: LIMITS.sheets
        }
    );
    // Within the limit, a part two sheets name is read once.
    let two: String = (1..=2)
        .map(|i| format!(r#"<sheet name="表{i}" sheetId="{i}" r:id="rId1"/>"#))
        .collect();
    let bytes = with_parts(&base, &[("xl/workbook.xml", &workbook.replace(one, &two))]);
    assert_eq!(read(&bytes, &LIMITS).expect("read").sheets.len(), 1);
    // A sheet without its relationship id is damage, not an empty workbook.
    let bytes = with_parts(
        &base,
        &[(
            "xl/workbook.xml",
            &workbook.replace(one, r#"<sheet name="Sheet1" sheetId="1"/>"#),
        )],
    );
    assert!(matches!(
        read(&bytes, &LIMITS),
        Err(crate::reader::ReadError::Damaged(reason)) if reason.contains("xl/workbook.xml")
    ));
}

#[test]
fn each_sheet_has_its_own_limit_within_the_workbook_s() {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for count in [15u32, 5, 15] {
        let ws = wb.add_worksheet();
        for r in 0..count {
            ws.write_number(r, 0, f64::from(r)).expect("number");
        }
    }
    let bytes = wb.save_to_buffer().expect("saved");
    let limits = crate::reader::Limits {
        cells: 10,
        book_cells: 20,
        ..LIMITS
    };
    let book = read(&bytes, &limits).expect("read");
    let counts: Vec<usize> = book.sheets.iter().map(|s| s.cells().count()).collect();
    // A large first sheet leaves the next one whole; the workbook's limit cuts the third.
    assert_eq!(counts, [10, 5, 5]);
}

#[test]
fn two_parts_one_name_apart_only_by_case_are_damage() {
    use std::io::Write;
    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.add_worksheet().write_string(0, 0, "甲").expect("text");
    let base = wb.save_to_buffer().expect("saved");
    let mut zip = zip::ZipWriter::new_append(Cursor::new(base)).expect("append");
    zip.start_file(
        "XL/Worksheets/Sheet1.xml",
        zip::write::SimpleFileOptions::default(),
    )
    .expect("start");
    zip.write_all(b"<worksheet/>").expect("write");
    let bytes = zip.finish().expect("finish").into_inner();
    assert!(matches!(
        read(&bytes, &LIMITS),
        Err(crate::reader::ReadError::Damaged(reason)) if reason.contains("重名")
    ));
}
