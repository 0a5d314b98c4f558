//! The package reader against calamine, cell for cell: the sample, generated forms dressed
//! every way the corpus dresses them, and a workbook holding every kind of cell.

#[path = "../../../tests/corpus/form.rs"]
#[allow(dead_code)]
mod form;
#[path = "../../../tests/corpus/lay.rs"]
#[allow(dead_code)]
mod lay;

use std::collections::BTreeSet;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use crate::cell::Pos;
use crate::reader::format::{NumberShape, float_value, number};
use crate::reader::{LIMITS, RawBook, RawValue, serial_of_iso};

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
    let metas: Vec<_> = wb
        .sheets_metadata()
        .iter()
        .filter(|s| s.typ == calamine::SheetType::WorkSheet)
        .map(|s| (s.name.clone(), s.visible != calamine::SheetVisible::Visible))
        .collect();
    let mut out = Vec::new();
    for (name, hidden) in metas {
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
        let shapes: Vec<NumberShape> = reader
            .styles()
            .iter()
            .map(|s| {
                s.number_format
                    .as_ref()
                    .map_or_else(NumberShape::default, |f| {
                        NumberShape::of(f.format_id.unwrap_or(0), Some(&f.format_code))
                    })
            })
            .collect();
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
    let ours = super::read(bytes, &LIMITS).expect("our reader opens it");
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
fn generated_forms_read_as_calamine_reads_them() {
    let dir = std::env::temp_dir().join(format!("selfeval-oracle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp folder");
    for i in 0..60u64 {
        let mut rng = form::Rng::new(0x0ac1e + i);
        let mut c = form::content(&mut rng);
        if rng.chance(0.5) {
            form::inject(&mut rng, &mut c);
        }
        let mut sheets = vec![lay::not_a_form(i as usize % 3)];
        sheets.push(lay::lay(&mut rng, &c, "自评表").0);
        let path = dir.join(format!("{i}.xlsx"));
        lay::save(&sheets, &path);
        assert_reads_as_calamine(
            &std::fs::read(&path).expect("written"),
            &format!("form {i}"),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
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

    let ours = super::read(&bytes, &LIMITS).expect("read");
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
