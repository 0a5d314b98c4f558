//! A spreadsheet program opens every corrected workbook and shows the recomputed numbers.
//! `.ci/run` installs LibreOffice; where it is missing the test says so and passes nothing.

mod common;

use std::path::{Path, PathBuf};

use common::office::{convert, soffice_or_skip};
use common::{clean, n, repack, sample, scratch, selfeval, t, write_book};

#[test]
fn libreoffice_opens_every_corrected_workbook() {
    let Some(soffice) = soffice_or_skip("opening the corrected copies") else {
        return;
    };
    let dir = scratch("libreoffice");
    let inputs = dir.join("in");
    std::fs::create_dir_all(&inputs).expect("dir");
    std::fs::copy(sample("xlsx"), inputs.join("sample.xlsx")).expect("copy");
    std::fs::copy(sample("xls"), inputs.join("legacy.xls")).expect("copy");
    let mut f = clean();
    f.indicators[0].actual = t("850人次");
    f.indicators[5].actual = t("部分完成");
    f.grade = t("良");
    f.exec_score = n(8.0);
    write_book(&inputs.join("many-findings.xlsx"), &[f], true);

    let out = dir.join("out");
    let run = selfeval(&[
        "check",
        inputs.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let written: Vec<PathBuf> = std::fs::read_dir(&out)
        .expect("out dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "xlsx"))
        .collect();
    assert_eq!(written.len(), 3, "{written:?}");
    for file in &written {
        let pdf = convert(&soffice, file, "pdf", &dir);
        let size = std::fs::metadata(&pdf).map(|m| m.len()).unwrap_or(0);
        assert!(size > 1000, "{} did not convert to a PDF", file.display());
    }
    // The first sheet as LibreOffice computes and shows it.
    for name in ["sample.checked.xlsx", "legacy.checked.xlsx"] {
        assert_shows_the_corrected_sample(&soffice, &out.join(name), &dir, name);
    }
}

/// Has the LibreOffice profile that [`convert`] uses for `out` recalculate every formula of an
/// `.xlsx` when it loads one. By default it trusts the cached results, so a converted copy
/// would only show what the tool wrote, not what the formula computes.
fn recalculate_on_load(out: &Path) {
    let user = out.join("lo-profile").join("user");
    std::fs::create_dir_all(&user).expect("profile dir");
    let settings = concat!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        "<oor:items xmlns:oor=\"http://openoffice.org/2001/registry\" ",
        "xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" ",
        "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n",
        "<item oor:path=\"/org.openoffice.Office.Calc/Formula/Load\">",
        "<prop oor:name=\"OOXMLRecalcMode\" oor:op=\"fuse\"><value>0</value></prop></item>\n",
        "</oor:items>\n"
    );
    std::fs::write(user.join("registrymodifications.xcu"), settings).expect("profile settings");
}

/// SPEC §6: the fixture's 总分 `=H5+SUM(H11:H37)` is right, so the copy keeps it (caching the
/// corrected 99.97), and recalculated from the corrected H29 it gives 99.97.
#[test]
fn a_kept_total_formula_recalculates_from_the_corrected_cells() {
    let Some(soffice) = soffice_or_skip("recalculating the kept formula") else {
        return;
    };
    let dir = scratch("libreoffice-formula");
    let inputs = dir.join("in");
    std::fs::create_dir_all(&inputs).expect("dir");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/total-formula.xlsx");
    std::fs::copy(fixture, inputs.join("total-formula.xlsx")).expect("copy");
    let out = dir.join("out");
    let run = selfeval(&[
        "check",
        inputs.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let copy = out.join("total-formula.checked.xlsx");

    use calamine::{Data, Reader, Xlsx, open_workbook};
    let mut book: Xlsx<_> = open_workbook(&copy).expect("open the copy");
    let formulas = book.worksheet_formula("自评表").expect("formulas");
    assert_eq!(
        formulas.get_value((37, 7)).map(String::as_str),
        Some("H5+SUM(H11:H37)")
    );
    let values = book.worksheet_range("自评表").expect("values");
    assert_eq!(values.get_value((37, 7)), Some(&Data::Float(99.97)));

    // The cached total wiped, so that only recalculating can show 99.97 (and the uncorrected
    // H29, 1.98, would give 99.95).
    let stale = dir.join("stale.xlsx");
    repack(&copy, &stale, "xl/worksheets/sheet1.xml", |body| {
        let xml = String::from_utf8(body).expect("utf-8 sheet");
        let kept = "<f>H5+SUM(H11:H37)</f><v>99.97</v>";
        assert!(xml.contains(kept), "the copy keeps the formula");
        xml.replace(kept, "<f>H5+SUM(H11:H37)</f><v>0</v>")
            .into_bytes()
    });
    recalculate_on_load(&dir);
    assert_shows_the_corrected_sample(&soffice, &stale, &dir, "the recalculated copy");
}

/// Issue 18: every legal package variant of the sample (fixtures/README.md,
/// `scripts/packages.py`) gets a corrected copy that LibreOffice opens, showing the corrected
/// H29 and H38 on the sheet the spreadsheet program shows: for the spoof, the real part's,
/// not the decoy's.
#[test]
fn the_copy_of_every_package_variant_opens_with_the_corrected_values() {
    let Some(soffice) = soffice_or_skip("opening the copies of the package variants") else {
        return;
    };
    let dir = scratch("libreoffice-packages");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut variants: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .expect("fixtures/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("package-") && n.ends_with(".xlsx"))
        })
        .collect();
    variants.sort();
    assert_eq!(variants.len(), 6, "{variants:?}");
    let out = dir.join("out");
    for input in &variants {
        let run = selfeval(&[
            "check",
            input.to_str().unwrap(),
            "--out-dir",
            out.to_str().unwrap(),
            "-q",
        ]);
        assert_eq!(run.code, 1, "{}: {}", input.display(), run.stderr);
        let stem = input.file_stem().and_then(|s| s.to_str()).expect("stem");
        let copy = out.join(format!("{stem}.checked.xlsx"));
        assert_shows_the_corrected_sample(&soffice, &copy, &dir, stem);
    }
}

/// LibreOffice shows `copy`'s first sheet with the sample's corrections: 办公费 (H29) 2.00
/// and 总分 (H38) 99.97, as it computes and displays them.
fn assert_shows_the_corrected_sample(soffice: &Path, copy: &Path, dir: &Path, what: &str) {
    let csv = convert(
        soffice,
        copy,
        "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false",
        dir,
    );
    let text = std::fs::read_to_string(&csv).expect("csv");
    let row = |label: &str| {
        text.lines()
            .find(|l| l.contains(label))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        row(",办公费,").contains(",2.00,"),
        "{what} H29: {}",
        row(",办公费,")
    );
    assert!(
        row("总分").contains(",99.97,"),
        "{what} H38: {}",
        row("总分")
    );
}

/// The pages LibreOffice prints of sheet `shown` of `file` (the others taken out of the
/// workbook's list: it prints hidden sheets too): for each page, whether it is landscape.
fn printed_pages(soffice: &Path, file: &Path, shown: &str, dir: &Path) -> Vec<bool> {
    let dir = dir.join("alone");
    std::fs::create_dir_all(&dir).expect("dir");
    let alone = dir.join(format!("{shown}.xlsx"));
    repack(file, &alone, "xl/workbook.xml", |xml| {
        let xml = String::from_utf8(xml).expect("utf-8");
        let mut out = String::new();
        for (k, piece) in xml.split("<sheet ").enumerate() {
            if k == 0 {
                out.push_str(piece);
            } else if piece.starts_with(&format!("name=\"{shown}\"")) {
                out.push_str("<sheet ");
                out.push_str(piece);
            } else {
                // Drop this `<sheet …/>`, keep what follows it.
                out.push_str(&piece[piece.find("/>").expect("an empty sheet element") + 2..]);
            }
        }
        // Names of the sheets taken out would point nowhere.
        if let (Some(a), Some(b)) = (out.find("<definedNames>"), out.find("</definedNames>")) {
            out.replace_range(a..b + "</definedNames>".len(), "");
        }
        out.replace("activeTab=", "data-tab=").into_bytes()
    });
    let pdf = std::fs::read(convert(soffice, &alone, "pdf", &dir)).expect("pdf");
    let text = String::from_utf8_lossy(&pdf);
    let mut pages = Vec::new();
    for object in text
        .split("/Type/Page")
        .skip(1)
        .chain(text.split("/Type /Page").skip(1))
    {
        if object.starts_with('s') {
            continue;
        }
        let Some(at) = object.find("/MediaBox") else {
            continue;
        };
        let numbers: Vec<f64> = object[at + 9..]
            .trim_start_matches([' ', '['])
            .split(|c: char| c == ']' || c.is_whitespace())
            .filter_map(|n| n.parse().ok())
            .take(4)
            .collect();
        if let [_, _, w, h] = numbers[..] {
            pages.push(w > h);
        }
    }
    pages
}

/// The findings sheet prints as a department attaches it, and the summary as a reviewer
/// files it: landscape, one page's width, the sample's findings on one page, the summary's
/// chart on a page of its own.
#[test]
fn the_findings_sheet_and_the_summary_print_landscape() {
    let Some(soffice) = soffice_or_skip("printing the findings sheet and the summary") else {
        return;
    };
    let dir = scratch("libreoffice-print");
    let out = dir.join("out");
    let summary = dir.join("汇总.xlsx");
    let run = selfeval(&[
        "check",
        sample("xlsx").to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
        "--summary",
        summary.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let copy = out.join("qiannan-finance-2023.checked.xlsx");
    assert_eq!(
        printed_pages(&soffice, &copy, "核查结果", &dir),
        [true],
        "the sample's findings: one landscape page"
    );
    assert_eq!(printed_pages(&soffice, &summary, "汇总", &dir), [true]);
    assert_eq!(
        printed_pages(&soffice, &summary, "统计", &dir),
        [true, true],
        "the counts, then the chart on its own page"
    );
}
