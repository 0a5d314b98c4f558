//! One workbook through the pipeline: read, model, score; and the corrections it implies.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::cell::CellRef;
use crate::finding::{Finding, Severity};
use crate::ledger::Ledger;
use crate::model::{SheetOutcome, read_forms};
use crate::reader::{BookFormat, RawBook, ReadError, read_book};
use crate::report::FileOutcome;
use crate::sandbox::Sandbox;
use crate::scorer::{Rules, Scored, score};
use crate::writer::{CellEdit, Corrections, FindingRow, Mark};

/// Everything found in one workbook.
#[derive(Debug, Clone)]
pub struct BookCheck {
    pub format: BookFormat,
    pub forms: Vec<Scored>,
    /// Sheets that are not forms, with the reason.
    pub skipped: Vec<(Arc<str>, String)>,
}

impl BookCheck {
    pub fn count(&self, severity: Severity) -> usize {
        self.forms.iter().map(|f| f.count(severity)).sum()
    }

    /// Whether the workbook is a corrected copy this checker wrote (it holds the findings
    /// sheet): checked again, it gets no copy of a copy.
    pub fn is_own_copy(&self) -> bool {
        self.skipped
            .iter()
            .any(|(s, _)| &**s == crate::finding::FINDINGS_SHEET)
    }

    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.forms.iter().flat_map(|f| f.findings.iter())
    }
}

/// Reads and checks a workbook from its bytes. The raw book is returned for the writer.
pub fn check_bytes(bytes: &[u8], rules: Rules) -> Result<(RawBook, BookCheck), ReadError> {
    let book = read_book(bytes)?;
    let check = check_book(&book, rules);
    Ok((book, check))
}

pub fn check_book(book: &RawBook, rules: Rules) -> BookCheck {
    let mut forms = Vec::new();
    let mut skipped = Vec::new();
    for outcome in read_forms(book, rules.layout) {
        match outcome {
            SheetOutcome::Form(form) => {
                let profile = rules.profile.for_family(form.family.as_str(), rules.layout);
                forms.push(score(*form, Rules { profile, ..rules }));
            }
            SheetOutcome::Skipped { sheet, reason } => skipped.push((sheet, reason)),
        }
    }
    BookCheck {
        format: book.format,
        forms,
        skipped,
    }
}

/// What the corrected workbook changes: errors take their recomputed value and a red fill,
/// warnings a yellow fill; notes are not highlighted. Findings on one cell share one note.
pub fn corrections(check: &BookCheck) -> Corrections {
    let mut by_cell: BTreeMap<&CellRef, Vec<&Finding>> = BTreeMap::new();
    for f in check.findings() {
        if f.severity != Severity::Note {
            by_cell.entry(&f.cell).or_default().push(f);
        }
    }
    let edits = by_cell
        .into_iter()
        .map(|(cell, fs)| {
            let value = fs.iter().find_map(|f| f.correction.clone());
            let mark = if fs.iter().all(|f| f.code.is_from_books()) {
                Mark::Note
            } else if fs.iter().any(|f| f.severity == Severity::Error) {
                Mark::Error
            } else {
                Mark::Warning
            };
            CellEdit {
                cell: cell.clone(),
                mark,
                note: note_text(&fs),
                value,
            }
        })
        .collect();
    let findings = check
        .forms
        .iter()
        .flat_map(|s| s.findings.iter().map(move |f| (s, f)))
        .map(|(s, f)| FindingRow {
            cell: f.cell.clone(),
            indicator: indicator_of(s, f).to_string(),
            code: f.code,
            severity: f.severity.label().to_string(),
            claimed: f.claimed.clone().unwrap_or_default(),
            expected: f.expected.clone().unwrap_or_default(),
            message: f.message.clone(),
        })
        .collect();
    Corrections {
        edits,
        head: head_lines(check),
        findings,
    }
}

/// The indicator a finding is about: the one on its row, where it sits on an indicator row.
pub fn indicator_of<'a>(s: &'a Scored, f: &Finding) -> &'a str {
    s.form
        .indicators
        .iter()
        .find(|i| i.name.cell.sheet == f.cell.sheet && i.name.cell.pos.row == f.cell.pos.row)
        .map_or("", |i| i.name.value.as_str())
}

/// The findings sheet's head: what was checked, the totals and grades as written and as
/// recomputed, the rules, and the tool and day of the check (SPEC §6, "Audit trail").
fn head_lines(check: &BookCheck) -> Vec<String> {
    let mut lines = vec!["自评表核查结果".to_string()];
    for s in &check.forms {
        let f = &s.form;
        let text = |l: &Option<crate::model::Located<String>>| {
            l.as_ref().map_or("未填", |l| l.value.as_str()).to_string()
        };
        lines.push(format!(
            "工作表“{}”：项目 {}；主管部门 {}；格式：{}",
            f.sheet,
            text(&f.project),
            text(&f.department),
            f.family.label()
        ));
        let counts = format!(
            "错误 {} 项，警告 {} 项",
            s.count(Severity::Error),
            s.count(Severity::Warning)
        );
        lines.push(if f.family.has_total() {
            format!(
                "总分：填报 {}，核定 {}；绩效等级：填报 {}，核定 {}；{counts}",
                s.claimed_total
                    .map_or("未填".to_string(), |t| t.to_string()),
                crate::number::fixed(s.total, 2),
                s.claimed_grade.as_deref().unwrap_or("未填"),
                s.grade
            )
        } else {
            format!("无分值、得分，不核算总分与等级；{counts}")
        });
    }
    let mut rules: Vec<&str> = check.forms.iter().map(|s| s.profile.1.as_str()).collect();
    rules.dedup();
    lines.push(format!("核查规则：{}", rules.join("；")));
    lines.push(format!(
        "核查工具：selfeval {}；核查日期：{}",
        env!("CARGO_PKG_VERSION"),
        crate::calendar::today_in_china()
    ));
    lines
}

/// `原填报 X；应为 Y；依据 …`, one paragraph per finding on the cell. 应为 quotes the value
/// the cell is corrected to, so a note never contradicts its cell; a finding that keeps the
/// written value (a warning, or an error whose right value cannot be known) says what does
/// not agree in its message instead. The writer adds the formula an error value overwrites.
fn note_text(findings: &[&Finding]) -> String {
    let mut parts = Vec::new();
    for f in findings {
        let mut p = format!("【{}】", f.severity.label());
        if let Some(c) = &f.claimed {
            p.push_str(&format!("原填报 {c}；"));
        }
        if let Some(v) = &f.correction {
            p.push_str(&format!("应为 {v}；"));
        }
        p.push_str(&format!("{}。依据：{}（{}）", f.message, f.rule, f.code));
        parts.push(p);
    }
    parts.join("\n")
}

/// The reason given for a workbook in which no sheet is a form: nothing in it was checked.
pub const NO_FORM: &str = "没有找到自评表 (no form found in any sheet)";

/// The reason given for a file whose check panicked: the run goes on with the other files.
pub const INTERNAL_ERROR: &str =
    "内部错误，本文件未能核查，请报告此问题 (internal error while checking this file)";

/// One workbook from its bytes to its outcome, and its corrected copy's bytes when `write`
/// is asked for and the workbook holds a form. Shared by every front end so that a file gets
/// the same reasons wherever it is checked; `written` is left to the caller, which alone
/// knows where (or under which name) the copy goes. A panic becomes this file's error; a
/// legacy workbook that could abort the process is read in `sandbox` first, when given.
pub fn check_upload(
    name: &str,
    bytes: &[u8],
    rules: Rules,
    write: bool,
    sandbox: Option<&Sandbox>,
) -> (FileOutcome, Option<Vec<u8>>) {
    check_against(name, bytes, rules, write, sandbox, Books::default())
}

/// The bureau's own books a form is held to: its budget ledger and its approved targets.
#[derive(Default, Clone, Copy)]
pub struct Books<'a> {
    pub ledger: Option<&'a Ledger>,
    pub targets: Option<&'a crate::ledger::Targets>,
}

/// [`check_upload`], each form also held to the bureau's `books` where given: their findings
/// join the form's, and the copy's notes, but change no cell.
pub fn check_against(
    name: &str,
    bytes: &[u8],
    rules: Rules,
    write: bool,
    sandbox: Option<&Sandbox>,
    books: Books<'_>,
) -> (FileOutcome, Option<Vec<u8>>) {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        check_and_correct(name, bytes, rules, write, sandbox, books)
    }))
    .unwrap_or_else(|_| (FileOutcome::failed(name, INTERNAL_ERROR), None))
}

fn check_and_correct(
    name: &str,
    bytes: &[u8],
    rules: Rules,
    write: bool,
    sandbox: Option<&Sandbox>,
    books: Books<'_>,
) -> (FileOutcome, Option<Vec<u8>>) {
    let failed = |e: ReadError| (FileOutcome::failed(name, e.to_string()), None);
    // Admitted once: the sandbox and the reader both go by this format, and an `.xlsx`
    // package intake opened is read and corrected as opened (its directory read once).
    let crate::intake::Admitted { format, package } = match crate::intake::admit_package(bytes) {
        Ok(admitted) => admitted,
        Err(e) => return failed(e),
    };
    if let Some(Err(e)) = sandbox.map(|s| s.vet(bytes, format)) {
        return failed(e);
    }
    let mut package = package;
    let read = match (&mut package, write) {
        (Some(package), _) => crate::reader::read_opened(package, write),
        (None, true) => crate::reader::read_package(bytes, format),
        (None, false) => {
            crate::reader::read_admitted(bytes, format).map(|b| (b, Default::default()))
        }
    };
    let (book, inflated) = match read {
        Ok(read) => read,
        Err(e) => return failed(e),
    };
    let mut check = check_book(&book, rules);
    for form in &mut check.forms {
        if let Some(ledger) = books.ledger {
            ledger.check(form, rules.layout);
        }
        if let Some(targets) = books.targets {
            targets.check(form, rules.layout);
        }
    }
    let (mut corrected, mut write_error) = (None, None);
    if write && !check.forms.is_empty() {
        let corrections = corrections(&check);
        let written = match package {
            Some(package) => crate::writer::patch_opened(package, &inflated, &book, &corrections),
            None => crate::writer::write_corrected(bytes, &book, &inflated, &corrections),
        };
        match written {
            Ok(b) => corrected = Some(b),
            Err(e) => write_error = Some(e.to_string()),
        }
    }
    let outcome = FileOutcome {
        path: name.to_string(),
        result: Ok(check),
        written: None,
        write_error,
    };
    (outcome, corrected)
}
