//! Number formats in `.xls` (issue 16, item 8). A rate stored as 0.8225 and shown as `82.25%`
//! by a `0.00%` format is the percentage it shows, to its two decimals, as in `.xlsx`; and
//! the copy rebuilt from the `.xls` shows the corrected rate as a percentage.
//! Fixture: `fixtures/xls-percent-format.xls` (fixtures/README.md).

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};

use common::office::{convert, soffice_or_skip};
use common::{expected_findings, findings, scratch, selfeval};
use rust_xlsxwriter::{Format, Workbook};
use selfeval::cell::Pos;
use selfeval::reader::{RawBook, RawValue, read_book};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn at(a1: &str) -> Pos {
    Pos::parse_a1(a1).expect("test literal")
}

/// One part of an `.xlsx` package, as text.
fn part(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
    let mut text = String::new();
    zip.by_name(name)
        .expect(name)
        .read_to_string(&mut text)
        .expect("utf-8");
    text
}

/// The value of attribute `name` in the tag text `tag`.
fn attr<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    tag[start..].split('"').next()
}

/// The number format code of cell `a1` in an `.xlsx` package's first sheet, read from its
/// styles part as a spreadsheet program resolves it (the cell's `s`, that `cellXfs` entry's
/// `numFmtId`, the `numFmt` of that id), and the cell's stored value.
fn cell_format(bytes: &[u8], a1: &str) -> (String, String) {
    let sheet = part(bytes, "xl/worksheets/sheet1.xml");
    let start = sheet
        .find(&format!("<c r=\"{a1}\""))
        .unwrap_or_else(|| panic!("{a1} is written"));
    let cell = &sheet[start..start + sheet[start..].find("</c>").expect("closed") + 4];
    let style: usize = attr(cell, "s").unwrap_or("0").parse().expect("style index");
    let value = cell
        .split("<v>")
        .nth(1)
        .and_then(|v| v.split("</v>").next())
        .unwrap_or("")
        .to_string();
    let styles = part(bytes, "xl/styles.xml");
    let xfs = styles.split("<cellXfs").nth(1).expect("cellXfs");
    let xf = xfs.split("<xf ").nth(style + 1).expect("the cell's xf");
    let id = attr(&format!(" {xf}"), "numFmtId")
        .expect("numFmtId")
        .to_string();
    let code = styles
        .split("<numFmt ")
        .skip(1)
        .find(|f| attr(&format!(" {f}"), "numFmtId") == Some(id.as_str()))
        .and_then(|f| attr(&format!(" {f}"), "formatCode").map(str::to_string))
        .unwrap_or_else(|| format!("built-in {id}"));
    (code, value)
}

#[test]
fn a_percent_format_in_xls_is_read_and_the_rebuilt_copy_keeps_it() {
    let name = "xls-percent-format.xls";
    let dir = scratch("xls-formats");
    let input = fixture(name);
    let run = selfeval(&[
        "check",
        input.to_str().expect("path"),
        "--format",
        "json",
        "--out-dir",
        dir.to_str().expect("path"),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    assert_eq!(findings(&report), expected_findings(&input).findings);
    let exec_rate = (
        "G5".to_string(),
        "exec-rate".to_string(),
        "error".to_string(),
        "82.25%".to_string(),
        "99.73%".to_string(),
    );
    assert!(findings(&report).contains(&exec_rate));

    // The rebuilt copy: G5 holds the rate as a fraction, in a two-decimal percent format.
    let out = report["files"][0]["output"].as_str().expect("output path");
    let copy = std::fs::read(out).expect("rebuilt copy");
    assert_eq!(
        cell_format(&copy, "G5"),
        ("0.00%".to_string(), "0.9973".to_string())
    );
    let back = read_book(&copy).expect("the copy reads");
    let g5 = back.sheets[0].own(at("G5"));
    assert_eq!(g5.shown(), "99.73%");

    // And a spreadsheet program shows it so.
    let Some(soffice) = soffice_or_skip("the LibreOffice view of the copy") else {
        return;
    };
    // Comma-separated, double quotes, UTF-8 (76); cells as shown is the default.
    let csv = convert(
        &soffice,
        Path::new(out),
        "csv:Text - txt - csv (StarCalc):44,34,76",
        &dir,
    );
    let text = std::fs::read_to_string(csv).expect("csv");
    let row5 = text.lines().nth(4).expect("row 5");
    assert!(
        row5.split(',').any(|c| c.trim_matches('"') == "99.73%"),
        "{row5}"
    );
}

#[test]
fn the_library_reads_the_shown_precision_and_percent_of_an_xls_number() {
    let book = read_book(&std::fs::read(fixture("xls-percent-format.xls")).expect("fixture"))
        .expect("reads");
    let sheet = &book.sheets[0];
    assert!(sheet.formats, "number formats were read");
    let g5 = at("G5");
    match &sheet.own(g5).value {
        RawValue::Number(n) => {
            assert_eq!(
                (n.value.to_string(), n.decimals, n.percent),
                ("0.8225".to_string(), 4, true)
            );
        }
        other => panic!("G5 is {other:?}"),
    }
    assert_eq!(sheet.own(g5).shown(), "82.25%");
    assert!(sheet.format_fixes_decimals(g5));
}

/// Each number cell as the reader sees it: its value and whether its format fixes decimals.
fn numbers(book: &RawBook) -> Vec<(String, RawValue, bool)> {
    let sheet = &book.sheets[0];
    sheet
        .cells()
        .filter(|(_, c)| matches!(c.value, RawValue::Number(_) | RawValue::Date(_)))
        .map(|(p, c)| (p.a1(), c.value.clone(), sheet.format_fixes_decimals(p)))
        .collect()
}

/// The same workbook read as `.xlsx` and as the `.xls` LibreOffice saves it: every number
/// cell the same value, precision, percent flag and fixed decimals.
#[test]
fn an_xls_number_shows_as_the_same_cell_in_xlsx() {
    let Some(soffice) = soffice_or_skip("saving the formats as .xls") else {
        return;
    };
    let dir = scratch("xls-formats-parity");
    let xlsx = dir.join("formats.xlsx");
    let cases: [(f64, Option<&str>); 12] = [
        (0.8225, Some("0.00%")),
        (0.945, Some("0%")),
        (0.99725, Some("0.00%")),
        // A formula's unrounded 9.684210526315789.
        (184.0 / 19.0, Some("0.00")),
        (25.48, None),
        (120.0, Some("0.00")),
        (3.0, None),
        (1234.5, Some("#,##0.00")),
        (8.83, Some("0.00\"万元\"")),
        (17.416666666666668, None),
        (45260.0, Some("yyyy\"年\"m\"月\"d\"日\"")),
        (0.5, Some("0.0%;[Red]-0.0%")),
    ];
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "格式").expect("write");
    for (row, (value, code)) in (1..).zip(cases) {
        match code {
            Some(code) => ws
                .write_number_with_format(row, 1, value, &Format::new().set_num_format(code))
                .expect("write"),
            None => ws.write_number(row, 1, value).expect("write"),
        };
    }
    ws.write_formula_with_format(
        13,
        1,
        rust_xlsxwriter::Formula::new("B5*1").set_result("9.684210526315789"),
        &Format::new().set_num_format("0.0"),
    )
    .expect("write");
    wb.save(&xlsx).expect("save");
    let xls = convert(&soffice, &xlsx, "xls", &dir);

    let read = |p: &Path| read_book(&std::fs::read(p).expect("read")).expect("reads");
    let (from_xlsx, from_xls) = (read(&xlsx), read(&xls));
    assert!(from_xls.sheets[0].formats);
    let want = numbers(&from_xlsx);
    assert_eq!(want.len(), 13, "{want:?}");
    assert_eq!(numbers(&from_xls), want);
}
