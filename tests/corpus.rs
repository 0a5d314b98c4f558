//! A corpus of generated forms in the layout variants of SPEC §1 and every template family of
//! §10, with known mistakes injected and their cells recorded (fixtures/README.md, "The layout
//! corpus"). Every form must be recognised as its family and every indicator row read, every
//! mistake found at its cell with its code (an error, or the warning its family gives), and a
//! clean form must give no error. Built in target/tmp/corpus and kept there; problems go to
//! its problems.txt. `CORPUS_SEED` and `CORPUS_BOOKS` draw another corpus.

mod common;
#[path = "corpus/form.rs"]
mod form;
#[path = "corpus/lay.rs"]
mod lay;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use wait_timeout::ChildExt;

use form::{Rng, Spot};
use selfeval::cell::Pos;
use selfeval::check::check_upload;
use selfeval::finding::Severity;
use selfeval::model::Family;
use selfeval::scorer::Rules;
use selfeval::template::{Layout, Profile};

/// What one form sheet must give.
#[derive(Clone, Debug)]
struct Expect {
    sheet: String,
    family: Family,
    indicators: usize,
    /// Injected mistakes: the cell and the code that must report it (an error, or a warning
    /// such as target-unmet or inferred-weight-score).
    mistakes: Vec<(String, &'static str)>,
    /// Where a mistake elsewhere may show as well: the total and the grade.
    follow_on: Vec<String>,
}

#[derive(Clone)]
struct Book {
    file: PathBuf,
    forms: Vec<Expect>,
    skipped: BTreeSet<String>,
}

impl Book {
    /// Which form of its sheet the k-th is: stacked forms share a sheet and come in order.
    fn nth_on_its_sheet(&self, k: usize) -> usize {
        let sheet = &self.forms[k].sheet;
        self.forms[..k].iter().filter(|w| w.sheet == *sheet).count()
    }
}

/// Which of the corpus's workbooks, by number, a conversion or producer takes.
type Pick = fn(usize) -> bool;

/// The name of the hidden old copy of a form some workbooks carry.
const HIDDEN_FORM: &str = "旧版自评表";

/// A workbook of 1–3 forms, sometimes beside a 填报说明 sheet, a 汇总 list and a hidden sheet
/// (a list of choices or an old copy of a form), which must all be skipped. Two forms are
/// sometimes laid one below the other on one sheet.
fn build(rng: &mut Rng, file: PathBuf, formulas: bool) -> Book {
    let mut sheets: Vec<lay::Sheet> = vec![];
    if rng.chance(0.4) {
        sheets.push(lay::not_a_form(0));
    }
    let n = rng.pick(&[1, 1, 1, 2, 2, 3]);
    let stacked = n == 2 && rng.chance(0.3);
    let mut forms = vec![];
    // A form goes below another only where a totals or conclusion row closes the one above.
    let mut closed_above = false;
    for k in 1..=n {
        let mut c = form::content(rng);
        c.formulas = formulas;
        let injected = if rng.chance(0.5) {
            form::inject(rng, &mut c)
        } else {
            vec![]
        };
        let name = if n == 1 {
            "自评表".into()
        } else {
            format!("{}{k}", rng.pick(&["自评表", "项目"]))
        };
        let (mut sheet, places) = lay::lay(rng, &c, &name);
        // The second of stacked forms goes below the first, a blank row or two between.
        let below = if stacked && k == 2 && closed_above {
            let first = sheets.last_mut().expect("the first form's sheet");
            let gap = rng.range(0, 1) as u32;
            let down = first.cells.iter().map(|c| c.0).max().unwrap_or(0) + 2 + gap;
            sheet.shift_down(down);
            first.cells.append(&mut sheet.cells);
            first.merges.append(&mut sheet.merges);
            Some((first.name.clone(), down))
        } else {
            None
        };
        let down = below.as_ref().map_or(0, |b| b.1);
        let cells = |spot: Spot| -> Vec<String> {
            let spot = if down > 0 && spot == Spot::Sheet {
                Spot::Top
            } else {
                spot
            };
            let at = places.iter().filter(|p| p.0 == spot).flat_map(|p| &p.1);
            at.map(|&(r, c)| Pos::new(r + down, c).a1()).collect()
        };
        let mistakes = injected
            .iter()
            .flat_map(|(spot, code)| cells(*spot).into_iter().map(|c| (c, *code)));
        closed_above = c.graded || !matches!(c.family, Family::Rubric | Family::NoScore);
        forms.push(Expect {
            sheet: below.map_or(name, |b| b.0),
            family: c.family,
            indicators: c.groups.iter().map(|g| g.inds.len()).sum(),
            mistakes: mistakes.collect(),
            follow_on: [cells(Spot::Total), cells(Spot::Grade)].concat(),
        });
        if down == 0 {
            sheets.push(sheet);
        }
    }
    if rng.chance(0.1) {
        sheets.push(lay::not_a_form(1));
    }
    if rng.chance(0.2) {
        let c = form::content(rng);
        let mut hidden = if rng.chance(0.5) {
            lay::lay(rng, &c, HIDDEN_FORM).0
        } else {
            lay::not_a_form(2)
        };
        hidden.hidden = true;
        sheets.push(hidden);
    }
    let skipped = sheets
        .iter()
        .map(|s| s.name.clone())
        .filter(|s| forms.iter().all(|f| f.sheet != *s));
    lay::save(&sheets, &file);
    Book {
        file,
        skipped: skipped.collect(),
        forms,
    }
}

/// What one family's forms gave.
#[derive(Default, Clone, Copy)]
struct Share {
    forms: usize,
    /// Found with the right family.
    recognised: usize,
    mistakes: usize,
    /// Found at their cell with their code.
    found: usize,
    errors: usize,
    /// Errors at a mistake's cell or where one shows as well (total, grade).
    expected_errors: usize,
}

impl Share {
    fn ratios(&self) -> [f64; 3] {
        let r = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
        [
            r(self.recognised, self.forms),
            r(self.found, self.mistakes),
            r(self.expected_errors, self.errors),
        ]
    }
}

#[derive(Default)]
struct Tally {
    families: BTreeMap<Family, Share>,
    books: usize,
    forms: usize,
    indicators: usize,
    mistakes: usize,
    at_cell: usize,
    with_code: usize,
    clean: usize,
    clean_with_errors: usize,
    /// Corrected copies read back note by note.
    copies: usize,
    problems: Vec<String>,
}

/// Checks one workbook through the library against what was generated.
fn check(book: &Book, rules: Rules, t: &mut Tally) {
    // The folder names the producer: `xlsx/form-002.xlsx`, `gnumeric/form-002.xlsx`.
    let name = book
        .file
        .iter()
        .rev()
        .take(2)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<PathBuf>()
        .to_string_lossy()
        .into_owned();
    let mut problem = |s: String| t.problems.push(format!("{name}: {s}"));
    let bytes = std::fs::read(&book.file).expect("workbook");
    let (outcome, copy) = check_upload(&name, &bytes, rules, true, None);
    let result = match outcome.result {
        Ok(result) => result,
        Err(e) => return problem(format!("unreadable: {e}")),
    };
    // The copy agrees with itself: every 应为 is what its cell holds, and no cell has two
    // findings of one cause.
    match (copy, outcome.write_error) {
        (Some(copy), _) => {
            for d in common::notes::disagreements(&copy) {
                problem(format!("copy: {d}"));
            }
            t.copies += 1;
        }
        (None, e) => problem(format!("no corrected copy: {e:?}")),
    }
    let mut causes = BTreeSet::new();
    for f in result.findings() {
        if !causes.insert((f.cell.clone(), f.code)) {
            problem(format!("{} has two {} findings", f.cell, f.code));
        }
    }
    t.books += 1;
    let skipped: BTreeSet<String> = result.skipped.iter().map(|s| s.0.to_string()).collect();
    if skipped != book.skipped || result.forms.len() != book.forms.len() {
        problem(format!(
            "forms {}, skipped {skipped:?}; expected {:?}",
            result.forms.len(),
            book.skipped
        ));
    }
    for (k, want) in book.forms.iter().enumerate() {
        t.forms += 1;
        let share = t.families.entry(want.family).or_default();
        share.forms += 1;
        let on_sheet = result.forms.iter().filter(|f| *f.form.sheet == want.sheet);
        let Some(got) = on_sheet.into_iter().nth(book.nth_on_its_sheet(k)) else {
            share.mistakes += want.mistakes.len();
            t.problems
                .push(format!("{name}: {}: form not recognised", want.sheet));
            continue;
        };
        if got.form.family == want.family {
            share.recognised += 1;
        } else {
            t.problems.push(format!(
                "{name}: {}: read as {}, not {}",
                want.sheet, got.form.family, want.family
            ));
        }
        let mut problem = |s: String| t.problems.push(format!("{name}: {s}"));
        let read = got.form.indicators.len();
        t.indicators += read;
        if read != want.indicators {
            problem(format!(
                "{}: read {read} indicators of {}",
                want.sheet, want.indicators
            ));
        }
        let errors: Vec<_> = got
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .collect();
        // A mistake is found by its code at its cell: an error, or the warning its family
        // gives (a blank reason for an unmet target, a score against an inferred weight).
        for (cell, code) in &want.mistakes {
            let here: Vec<&str> = got
                .findings
                .iter()
                .filter(|f| f.severity != Severity::Note && f.cell.a1() == *cell)
                .map(|f| f.code.as_str())
                .collect();
            t.mistakes += 1;
            t.at_cell += usize::from(!here.is_empty());
            t.with_code += usize::from(here.contains(code));
            let share = t.families.entry(want.family).or_default();
            share.mistakes += 1;
            share.found += usize::from(here.contains(code));
            if !here.contains(code) {
                t.problems.push(format!(
                    "{name}: {}: {code} at {cell} not found, errors and warnings at that cell {here:?}",
                    want.sheet
                ));
            }
        }
        let expected = |cell: &String| {
            want.mistakes.iter().any(|m| m.0 == *cell) || want.follow_on.contains(cell)
        };
        let stray: Vec<String> = errors
            .iter()
            .filter(|f| !expected(&f.cell.a1()) || want.mistakes.is_empty())
            .map(|f| {
                format!(
                    "{} {} {:?}→{:?} {}",
                    f.cell.a1(),
                    f.code,
                    f.claimed,
                    f.expected,
                    f.message
                )
            })
            .collect();
        t.clean += usize::from(want.mistakes.is_empty());
        t.clean_with_errors += usize::from(want.mistakes.is_empty() && !stray.is_empty());
        let share = t.families.entry(want.family).or_default();
        share.errors += errors.len();
        share.expected_errors += errors.len() - stray.len();
        if !stray.is_empty() {
            t.problems.push(format!(
                "{name}: {}: unexpected errors {stray:?}",
                want.sheet
            ));
        }
    }
}

fn soffice() -> Option<PathBuf> {
    let out = Command::new("which")
        .args(["soffice", "libreoffice"])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .map(PathBuf::from)
}

/// Longest one LibreOffice conversion run may take; it usually takes 15–40 s.
const CONVERT_TIMEOUT: Duration = Duration::from_secs(240);

/// Converts workbooks in one LibreOffice run (its start-up is most of the cost), and once
/// more for any it left out.
fn convert(soffice: &Path, books: &[&Book], to: &str, dir: &Path) -> Result<Vec<Book>, String> {
    let profile = format!(
        "-env:UserInstallation=file://{}",
        dir.join("lo-profile").display()
    );
    let moved = |b: &&Book| Book {
        file: dir.join(b.file.with_extension(to).file_name().expect("name")),
        ..(*b).clone()
    };
    let mut log = String::new();
    for _ in 0..2 {
        let missing = books
            .iter()
            .filter(|b| !moved(b).file.exists())
            .map(|b| &b.file);
        let args = [
            profile.as_str(),
            "--headless",
            "--convert-to",
            to,
            "--outdir",
        ];
        // A LibreOffice that hangs (a stale profile lock, a dialog) is stopped and tried again.
        let mut child = Command::new(soffice)
            .args(args)
            .arg(dir)
            .args(missing)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?;
        log = match child.wait_timeout(CONVERT_TIMEOUT) {
            Ok(Some(status)) => status.to_string(),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                format!("no answer within {CONVERT_TIMEOUT:?}")
            }
            Err(e) => e.to_string(),
        };
        if books.iter().all(|b| moved(b).file.exists()) {
            return Ok(books.iter().map(moved).collect());
        }
    }
    Err(format!(
        "some files not converted; LibreOffice ended with {log}"
    ))
}

/// The books saved again as `.xlsx` by another producer, into `dir`, with the same
/// expectations. A producer that is not installed is an error on CI (`.ci/run` installs all
/// three) and a SKIPPED line elsewhere.
fn save_again(producer: &str, books: &[&Book], dir: &Path) -> Result<Vec<Book>, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let tool = match producer {
        "libreoffice" => soffice(),
        "gnumeric" => which("ssconvert"),
        _ => which("python3").filter(|py| {
            Command::new(py)
                .args(["-c", "import openpyxl"])
                .status()
                .is_ok_and(|s| s.success())
        }),
    };
    let Some(tool) = tool else {
        if std::env::var_os("CI").is_some() {
            return Err(format!("{producer} is not installed"));
        }
        println!("SKIPPED {producer}: not installed");
        return Ok(vec![]);
    };
    if producer == "libreoffice" {
        return convert(&tool, books, "xlsx", dir);
    }
    let moved = |b: &Book| Book {
        file: dir.join(b.file.file_name().expect("name")),
        ..b.clone()
    };
    let run = |cmd: &mut Command| -> Result<(), String> {
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?;
        match child
            .wait_timeout(CONVERT_TIMEOUT)
            .map_err(|e| e.to_string())?
        {
            Some(status) if status.success() => Ok(()),
            Some(status) => Err(status.to_string()),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                Err(format!("no answer within {CONVERT_TIMEOUT:?}"))
            }
        }
    };
    // Gnumeric's .xlsx does not keep a sheet hidden: the hidden old copy of a form comes
    // back visible, and is rightly checked as a form. Such books are left out of its share.
    let books: Vec<&Book> = books
        .iter()
        .copied()
        .filter(|b| producer != "gnumeric" || !b.skipped.contains(HIDDEN_FORM))
        .collect();
    if producer == "gnumeric" {
        for b in &books {
            run(Command::new(&tool)
                .args(["--export-type=Gnumeric_Excel:xlsx2"])
                .arg(&b.file)
                .arg(&moved(b).file))?;
        }
    } else {
        let script = "import sys, openpyxl\n\
                      for src, dst in zip(sys.argv[1::2], sys.argv[2::2]):\n    \
                      openpyxl.load_workbook(src).save(dst)\n";
        let mut cmd = Command::new(&tool);
        cmd.args(["-c", script]);
        for b in &books {
            cmd.arg(&b.file).arg(&moved(b).file);
        }
        run(&mut cmd)?;
    }
    Ok(books.into_iter().map(moved).collect())
}

fn which(name: &str) -> Option<PathBuf> {
    let out = Command::new("which").arg(name).output().ok()?;
    out.status
        .success()
        .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// A few workbooks through the binary: `--format json` gives the same forms and errors.
fn check_json(books: &[&Book], t: &mut Tally) {
    let files: Vec<String> = books.iter().map(|b| b.file.display().to_string()).collect();
    let mut args = vec!["check", "--format", "json", "--no-write"];
    args.extend(files.iter().map(String::as_str));
    let report = common::selfeval(&args).json();
    for (book, file) in books.iter().zip(report["files"].as_array().expect("files")) {
        for (k, want) in book.forms.iter().enumerate() {
            let forms = file["forms"].as_array().expect("forms");
            let got = forms
                .iter()
                .filter(|f| f["sheet"] == want.sheet.as_str())
                .nth(book.nth_on_its_sheet(k))
                .expect("form");
            let of = |severity: &str| -> Vec<(&str, &str)> {
                got["findings"]
                    .as_array()
                    .expect("findings")
                    .iter()
                    .filter(|f| f["severity"] == severity)
                    .map(|f| {
                        (
                            f["cell"].as_str().unwrap_or(""),
                            f["code"].as_str().unwrap_or(""),
                        )
                    })
                    .collect()
            };
            let (errors, warnings) = (of("error"), of("warning"));
            let found = want.mistakes.iter().all(|(cell, code)| {
                let m = (cell.as_str(), *code);
                errors.contains(&m) || warnings.contains(&m)
            });
            let indicators = got["indicators"].as_array().map_or(0, Vec::len);
            if indicators != want.indicators
                || got["family"] != want.family.as_str()
                || !found
                || (want.mistakes.is_empty() && !errors.is_empty())
            {
                let at = file["path"].as_str().unwrap_or("?");
                t.problems.push(format!(
                    "json {at}: family {}, {indicators} indicators, errors {errors:?}; expected {want:?}",
                    got["family"]
                ));
            }
        }
    }
}

#[test]
fn every_generated_layout_is_read_and_its_mistakes_found() {
    let start = Instant::now();
    let var = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (seed, count) = (var("CORPUS_SEED", 2023), var("CORPUS_BOOKS", 520) as usize);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("corpus");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("xlsx")).expect("corpus dir");
    // Every 4th workbook goes to .xls and every 16th to .ods; every 8th is saved again as
    // .xlsx by each of LibreOffice, Gnumeric and openpyxl, as departments' own programs
    // write it. Formula results stay in the .xlsx that nothing saves again (openpyxl keeps
    // a formula but not its result).
    let to_xls: Pick = |k| k % 4 == 1;
    let to_ods: Pick = |k| k % 16 == 3;
    let by_libreoffice: Pick = |k| k % 8 == 2;
    let by_gnumeric: Pick = |k| k % 8 == 4;
    let by_openpyxl: Pick = |k| k % 8 == 6;
    let saved_again =
        |k| to_xls(k) || to_ods(k) || by_libreoffice(k) || by_gnumeric(k) || by_openpyxl(k);
    let mut rng = Rng::new(seed);
    let books: Vec<Book> = (0..count)
        .map(|k| {
            // `.xlsm` differs from `.xlsx` here by name only: the reader goes by content.
            let file = dir.join("xlsx").join(format!(
                "form-{k:03}.{}",
                if k % 25 == 7 { "xlsm" } else { "xlsx" }
            ));
            build(&mut rng, file, !saved_again(k))
        })
        .collect();
    let generated = start.elapsed();

    let mut t = Tally::default();
    let mut legacy = vec![];
    match soffice() {
        None => println!(
            "SKIPPED xls/ods part: LibreOffice (soffice) is not installed; checking .xlsx only"
        ),
        Some(soffice) => {
            for (to, pick) in [("xls", to_xls), ("ods", to_ods)] {
                let some: Vec<&Book> = books
                    .iter()
                    .enumerate()
                    .filter(|b| pick(b.0))
                    .map(|b| b.1)
                    .collect();
                match convert(&soffice, &some, to, &dir.join(to)) {
                    Ok(c) => legacy.extend(c),
                    Err(e) => t
                        .problems
                        .push(format!("LibreOffice conversion to {to} failed: {e}")),
                }
            }
        }
    }
    let picked = |pick: Pick| -> Vec<&Book> {
        books
            .iter()
            .enumerate()
            .filter(|b| pick(b.0))
            .map(|b| b.1)
            .collect()
    };
    let producers: [(&str, Pick); 3] = [
        ("libreoffice", by_libreoffice),
        ("gnumeric", by_gnumeric),
        ("openpyxl", by_openpyxl),
    ];
    for (producer, pick) in producers {
        match save_again(producer, &picked(pick), &dir.join(producer)) {
            Ok(saved) => legacy.extend(saved),
            Err(e) => t
                .problems
                .push(format!("saving again with {producer} failed: {e}")),
        }
    }
    let converted = start.elapsed() - generated;
    let rules = Rules {
        profile: &Profile::national(),
        layout: Layout::bundled(),
    };
    for book in books.iter().chain(&legacy) {
        check(book, rules, &mut t);
    }
    check_json(
        &books
            .iter()
            .take(6)
            .chain(legacy.iter().take(2))
            .collect::<Vec<_>>(),
        &mut t,
    );

    let Tally {
        books: read,
        forms,
        indicators,
        mistakes,
        at_cell,
        with_code,
        copies,
        ..
    } = t;
    let (xlsx, legacy, clean, dirty) = (books.len(), legacy.len(), t.clean, t.clean_with_errors);
    let hit = 100.0 * at_cell as f64 / mistakes.max(1) as f64;
    let (made, total) = (generated.as_secs_f64(), start.elapsed().as_secs_f64());
    let summary = format!(
        "corpus seed {seed}: {read} workbooks ({xlsx} xlsx/xlsm, {legacy} xls/ods), {forms} forms, \
         {indicators} indicators read; {mistakes} injected mistakes, {at_cell} found at their cell \
         ({hit:.1}%), {with_code} with the expected code; {clean} clean forms, {dirty} with an error \
         finding; {copies} corrected copies whose notes agree with their cells; generated in {made:.1}s, converted in {:.1}s, {total:.1}s in all; files in {}",
        converted.as_secs_f64(),
        dir.display()
    );
    // Per family: recognised as that family, mistakes found (recall), errors expected
    // (precision).
    let mut low = vec![];
    let families: Vec<String> = Family::ALL
        .iter()
        .map(|f| {
            let share = t.families.get(f).copied().unwrap_or_default();
            let [recognised, recall, precision] = share.ratios();
            if share.forms > 0 && [recognised, recall, precision].iter().any(|r| *r < 0.98) {
                low.push(f.as_str());
            }
            format!(
                "{f}: {} forms, recognised {:.1}%, recall {:.1}% ({}/{}), precision {:.1}% ({}/{})",
                share.forms,
                100.0 * recognised,
                100.0 * recall,
                share.found,
                share.mistakes,
                100.0 * precision,
                share.expected_errors,
                share.errors
            )
        })
        .collect();
    let summary = format!("{summary}\n{}", families.join("\n"));
    println!("{summary}");
    std::fs::write(dir.join("problems.txt"), t.problems.join("\n")).expect("problems.txt");
    let first: Vec<&str> = t.problems.iter().take(20).map(String::as_str).collect();
    assert!(
        t.problems.is_empty(),
        "{summary}\n{} problems, the first:\n{}",
        t.problems.len(),
        first.join("\n")
    );
    assert!(
        low.is_empty(),
        "{summary}\nbelow 98% in recognition, recall or precision: {low:?}"
    );
}
