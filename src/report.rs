//! The reports: a short human text per file (Chinese), and the versioned JSON document.

use serde::Serialize;

use crate::check::BookCheck;
use crate::finding::{Finding, Severity};
use crate::model::Num;
use crate::number::{NumText, fixed};
use crate::scorer::{Rules, Scored};

/// The JSON shape's version; bumped when a field changes meaning or goes away.
pub const JSON_VERSION: u32 = 1;

/// What one input file came to: checked, or the reason it could not be read.
#[derive(Debug)]
pub struct FileOutcome {
    pub path: String,
    pub result: Result<BookCheck, String>,
    /// Where the corrected copy was written, if it was.
    pub written: Option<String>,
    /// Why the corrected copy could not be written.
    pub write_error: Option<String>,
}

/// The check of a file in which at least one form was checked, or why nothing was: it
/// could not be read, or no sheet of it is a form. Every front end asks this one question.
pub fn checked(result: &Result<BookCheck, String>) -> Result<&BookCheck, &str> {
    match result {
        Err(reason) => Err(reason),
        Ok(c) if c.forms.is_empty() => Err(crate::check::NO_FORM),
        Ok(c) => Ok(c),
    }
}

impl FileOutcome {
    /// See [`checked`].
    pub fn checked(&self) -> Result<&BookCheck, &str> {
        checked(&self.result)
    }

    /// A file that could not be checked, and why.
    pub fn failed(path: impl Into<String>, reason: impl Into<String>) -> Self {
        FileOutcome {
            path: path.into(),
            result: Err(reason.into()),
            written: None,
            write_error: None,
        }
    }
}

#[derive(Serialize)]
pub struct JsonReport<'a> {
    pub version: u32,
    #[serde(flatten)]
    pub run: RunInfo,
    pub files: Vec<JsonFile<'a>>,
}

/// What made a report, and when: the tool and its version, the rules in force (a family
/// that has its own is scored by it, see each form), and the day of the check.
#[derive(Serialize)]
pub struct RunInfo {
    pub tool: String,
    pub profile: String,
    pub rules: String,
    pub date: String,
}

impl RunInfo {
    pub fn of(rules: Rules) -> Self {
        Self {
            tool: format!("selfeval {}", env!("CARGO_PKG_VERSION")),
            profile: rules.profile.name.clone(),
            rules: rules.profile.title.clone(),
            date: crate::calendar::today_in_china(),
        }
    }

    /// The fields as they open a JSON object, after `version`: `"tool": …, "date": …`.
    pub fn json_fields(&self) -> String {
        let object = serde_json::to_string(self).unwrap_or_default();
        object
            .strip_prefix('{')
            .and_then(|o| o.strip_suffix('}'))
            .unwrap_or_default()
            .to_string()
    }
}

#[derive(Serialize)]
pub struct JsonFile<'a> {
    pub path: &'a str,
    pub error: Option<&'a str>,
    pub format: Option<crate::reader::BookFormat>,
    pub output: Option<&'a str>,
    pub write_error: Option<&'a str>,
    pub forms: Vec<JsonForm<'a>>,
    pub skipped: Vec<JsonSkipped<'a>>,
}

#[derive(Serialize)]
pub struct JsonSkipped<'a> {
    pub sheet: &'a str,
    pub reason: &'a str,
}

#[derive(Serialize)]
pub struct JsonForm<'a> {
    pub sheet: &'a str,
    pub family: crate::model::Family,
    /// What the family is called, for a reader.
    pub family_label: &'static str,
    /// The profile the form was scored with: the run's, or its family's own.
    pub profile: &'a str,
    /// The ledger row the form was matched to (`--ledger`), how, and how alike the names are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ledger: Option<&'a crate::ledger::LedgerLink>,
    pub project: Option<&'a str>,
    pub department: Option<&'a str>,
    pub unit: Option<&'a str>,
    pub year: Option<i32>,
    pub claimed_total: Option<String>,
    /// The 核定总分; none for a form without scores.
    pub total: Option<String>,
    pub claimed_grade: Option<&'a str>,
    pub grade: Option<&'a str>,
    pub errors: usize,
    pub warnings: usize,
    pub execution: Option<JsonExecution>,
    pub indicators: Vec<JsonIndicator<'a>>,
    pub findings: Vec<JsonFinding<'a>>,
}

#[derive(Serialize)]
pub struct JsonExecution {
    pub cell: Option<String>,
    pub budget: Option<String>,
    pub executed: Option<String>,
    pub claimed_rate: Option<String>,
    pub rate: Option<String>,
    pub weight: String,
    pub claimed_score: Option<String>,
    pub score: String,
}

#[derive(Serialize)]
pub struct JsonIndicator<'a> {
    pub cell: String,
    pub level1: &'a str,
    pub level2: &'a str,
    pub name: &'a str,
    pub target: &'a str,
    pub actual: &'a str,
    pub weight: Option<String>,
    pub claimed_score: Option<String>,
    pub rule: &'a str,
    pub expected: Option<String>,
    pub score: String,
}

#[derive(Serialize)]
pub struct JsonFinding<'a> {
    pub code: &'a str,
    pub severity: Severity,
    pub sheet: &'a str,
    pub cell: String,
    pub claimed: Option<&'a str>,
    pub expected: Option<&'a str>,
    pub message: &'a str,
}

fn num(n: Option<&Num>) -> Option<String> {
    n.and_then(|n| match &n.value {
        NumText::Number(s) => Some(s.to_string()),
        NumText::Invalid(t) => Some(t.clone()),
        NumText::Absent => None,
    })
}

impl<'a> JsonFinding<'a> {
    pub fn of(f: &'a Finding) -> Self {
        Self {
            code: f.code.as_str(),
            severity: f.severity,
            sheet: &f.cell.sheet,
            cell: f.cell.a1(),
            claimed: f.claimed.as_deref(),
            expected: f.expected.as_deref(),
            message: &f.message,
        }
    }
}

impl<'a> JsonForm<'a> {
    pub fn of(s: &'a Scored, rules: Rules) -> Self {
        let form = &s.form;
        let text =
            |l: &'a Option<crate::model::Located<String>>| l.as_ref().map(|l| l.value.as_str());
        let execution = form
            .funding
            .as_ref()
            .zip(s.execution.as_ref())
            .map(|(f, e)| JsonExecution {
                cell: f.total.score.as_ref().map(|n| n.cell.a1()),
                budget: num(f.total.budget.as_ref()),
                executed: num(f.total.executed.as_ref()),
                claimed_rate: num(f.total.rate.as_ref()),
                rate: e.rate.map(|r| {
                    format!(
                        "{}%",
                        fixed(
                            r * rust_decimal::Decimal::ONE_HUNDRED,
                            rules.profile.scoring.rate_decimals
                        )
                    )
                }),
                weight: e.weight.normalize().to_string(),
                claimed_score: num(f.total.score.as_ref()),
                score: fixed(e.score.recomputed, rules.profile.scoring.score_decimals),
            });
        Self {
            sheet: &form.sheet,
            family: form.family,
            family_label: form.family.label(),
            profile: &s.profile.0,
            ledger: s.ledger.as_ref(),
            project: text(&form.project),
            department: text(&form.department),
            unit: text(&form.unit),
            year: form.year,
            claimed_total: s.claimed_total.map(|t| t.to_string()),
            total: form
                .family
                .has_total()
                .then(|| fixed(s.total, rules.profile.scoring.score_decimals)),
            claimed_grade: s.claimed_grade.as_deref(),
            grade: form.family.has_total().then_some(s.grade.as_str()),
            errors: s.count(Severity::Error),
            warnings: s.count(Severity::Warning),
            execution,
            indicators: form
                .indicators
                .iter()
                .zip(&s.indicators)
                .map(|(i, r)| JsonIndicator {
                    cell: i.name.cell.a1(),
                    level1: &i.level1.value,
                    level2: &i.level2.value,
                    name: &i.name.value,
                    target: &i.target.value,
                    actual: &i.actual.value,
                    weight: num(Some(&i.weight)),
                    claimed_score: num(Some(&i.score)),
                    rule: r.rule,
                    expected: r.expected.show(rules),
                    score: fixed(r.score.recomputed, rules.profile.scoring.score_decimals),
                })
                .collect(),
            findings: s.findings.iter().map(JsonFinding::of).collect(),
        }
    }
}

impl<'a> JsonFile<'a> {
    pub fn of(o: &'a FileOutcome, rules: Rules) -> Self {
        let (format, forms, skipped) = match &o.result {
            Ok(c) => (
                Some(c.format),
                c.forms.iter().map(|f| JsonForm::of(f, rules)).collect(),
                c.skipped
                    .iter()
                    .map(|(s, r)| JsonSkipped {
                        sheet: s,
                        reason: r,
                    })
                    .collect(),
            ),
            Err(_) => (None, Vec::new(), Vec::new()),
        };
        Self {
            path: &o.path,
            error: o.checked().err(),
            format,
            output: o.written.as_deref(),
            write_error: o.write_error.as_deref(),
            forms,
            skipped,
        }
    }
}

/// Removes control characters so workbook text cannot move the terminal's cursor.
pub fn terminal_safe(s: &str) -> String {
    s.chars()
        .map(|c| if c == '\n' || c == '\t' { ' ' } else { c })
        .filter(|c| !c.is_control())
        .collect()
}

/// The short human report for one file.
pub fn human(o: &FileOutcome, rules: Rules, with_notes: bool) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let t = terminal_safe;
    let _ = writeln!(out, "{}", t(&o.path));
    let check = match &o.result {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(out, "  无法读取 (cannot read): {}", t(e));
            return out;
        }
    };
    for s in &check.forms {
        let f = &s.form;
        let project = f
            .project
            .as_ref()
            .map_or("（未填项目名称）", |p| p.value.as_str());
        let _ = writeln!(
            out,
            "  工作表“{}”：{}（{}）",
            t(&f.sheet),
            t(project),
            f.family.label()
        );
        let claimed = s
            .claimed_total
            .map_or("未填".to_string(), |c| c.to_string());
        if !f.family.has_total() {
            let _ = writeln!(
                out,
                "    无分值、得分，不核算总分与等级；错误 {}，警告 {}",
                s.count(Severity::Error),
                s.count(Severity::Warning),
            );
        } else {
            let _ = writeln!(
                out,
                "    总分 填报 {} → 核定 {}；等级 填报 {} → 核定 {}；错误 {}，警告 {}",
                claimed,
                fixed(s.total, rules.profile.scoring.score_decimals),
                t(s.claimed_grade.as_deref().unwrap_or("未填")),
                s.grade,
                s.count(Severity::Error),
                s.count(Severity::Warning),
            );
        }
        if let Some(l) = &s.ledger {
            let by = match l.by {
                crate::ledger::MatchBy::Code => "按项目编码",
                crate::ledger::MatchBy::Name => "按项目名称",
                crate::ledger::MatchBy::Similar => "按相近名称",
            };
            let _ = writeln!(
                out,
                "    预算台账：第 {} 行“{}”（{by}对应，名称相似度 {}）",
                l.line,
                t(&l.project),
                l.similarity
            );
        }
        for x in s
            .findings
            .iter()
            .filter(|x| with_notes || x.severity != Severity::Note)
        {
            let mut line = format!("    {} {} {}", x.severity.label(), x.cell.pos, x.code);
            if let Some(c) = &x.claimed {
                line.push_str(&format!(" 原填报 {}", t(c)));
            }
            if let Some(e) = &x.expected {
                line.push_str(&format!(" 应为 {}", t(e)));
            }
            let _ = writeln!(out, "{line}：{}", t(&x.message));
        }
    }
    for (sheet, reason) in &check.skipped {
        let _ = writeln!(out, "  跳过工作表“{}”：{}", t(sheet), t(reason));
    }
    if let Err(reason) = o.checked() {
        let _ = writeln!(out, "  无法核查 (not checked): {}", t(reason));
    }
    if check.is_own_copy() {
        let _ = writeln!(
            out,
            "  此文件是 selfeval 写出的核查副本：已重新核查，不再另写副本 (a corrected copy: checked again, not copied again)"
        );
    }
    if let Some(w) = &o.written {
        let _ = writeln!(out, "  已写出更正后的工作簿 (corrected copy): {}", t(w));
    }
    if let Some(e) = &o.write_error {
        let _ = writeln!(out, "  未能写出更正后的工作簿 (not written): {}", t(e));
    }
    out
}
