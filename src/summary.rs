//! The finance bureau's summary workbook (SPEC §6): 汇总 (one row per form), 问题清单 (one
//! row per finding) and 统计 (counts by code and by department, with a chart).
//!
//! Each file's rows go into the workbook (streamed to a temporary file for a folder) as the
//! file is reported; only the counts for 统计 and each copy's link are kept, never the
//! workbooks or the rows.

use std::borrow::Cow;
use std::collections::BTreeMap;

use rust_decimal::Decimal;
use rust_xlsxwriter::{
    Chart, ChartType, DocProperties, ExcelDateTime, Format, FormatAlign, Url, Workbook, Worksheet,
    XlsxError,
};

use crate::cell::Pos;
use crate::check::BookCheck;
use crate::finding::{Code, Severity};
use crate::model::Located;
use crate::number::fixed;
use crate::scorer::Rules;
use crate::writer::{LAST_ROW, fit_cell};

/// How a form (or an unreadable file) came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Passed,
    Wrong,
    /// Read, but no sheet of it is a form of a family the reader knows.
    NotChecked,
    Unreadable,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Passed => "通过",
            Status::Wrong => "有误",
            Status::NotChecked => "未核查",
            Status::Unreadable => "无法读取",
        }
    }
}

/// One row of 汇总, borrowed from the check it reports.
struct FormRow<'a> {
    file: &'a str,
    sheet: &'a str,
    project: &'a str,
    department: &'a str,
    unit: &'a str,
    year: Option<i32>,
    claimed_total: Option<Decimal>,
    total: Option<Decimal>,
    claimed_grade: &'a str,
    grade: &'a str,
    errors: usize,
    warnings: usize,
    status: Status,
    /// The corrected copy, relative to the summary workbook's folder.
    link: Option<&'a str>,
    /// Why the file could not be read or written.
    reason: Cow<'a, str>,
}

/// One row of 问题清单, borrowed from the finding it lists.
struct IssueRow<'a> {
    file: &'a str,
    sheet: &'a str,
    cell: Pos,
    indicator: &'a str,
    code: Code,
    severity: Severity,
    claimed: &'a str,
    expected: &'a str,
    message: &'a str,
}

/// Where the two long sheets keep their rows while the workbook is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowStorage {
    /// In memory: a web upload's few files, and nothing may touch the disk.
    Memory,
    /// Streamed to a temporary file: a province's folder need not fit in memory twice.
    TempFile,
}

/// The summary being written. A folder run adds each file's rows while the next files are
/// being checked, so writing them costs the run no time of its own.
pub struct Summary {
    wb: Workbook,
    formats: Formats,
    forms: Long,
    issues: Long,
    /// Links on the 汇总 sheet being written.
    links: u32,
    /// Errors and warnings by code; notes are not problems and are not counted.
    by_code: BTreeMap<(Severity, Code), u32>,
    by_dept: BTreeMap<String, DeptCount>,
    /// The bureau's ledger and the forms matched to its rows, for 对账 (`--ledger`).
    books: Option<Books>,
    /// Every changed or dropped target, for 目标核对 (`--targets`).
    targets: Option<Vec<[String; 8]>>,
}

/// The ledger's projects and, by ledger row, the forms matched to it.
struct Books {
    unit: String,
    rows: Vec<crate::ledger::LedgerRow>,
    forms: BTreeMap<usize, Vec<MatchedForm>>,
}

/// A form as 对账 lists it beside its ledger row.
struct MatchedForm {
    file: String,
    sheet: String,
    budget: String,
    executed: String,
    /// `一致`, or what does not agree.
    verdict: String,
}

struct Formats {
    header: Format,
    number: Format,
    /// A count, centred under its narrow header.
    count: Format,
    link: Format,
}

/// A department's line in 统计.
#[derive(Debug, Default, Clone, Copy)]
struct DeptCount {
    forms: u32,
    wrong: u32,
    errors: u32,
    warnings: u32,
}

/// Excel's most hyperlinks on one worksheet: past them a copy's path is written as text.
const MAX_LINKS: u32 = 65_530;

/// A long sheet (汇总, 问题清单) and its continuations 汇总(2), 汇总(3)…: a worksheet ends at
/// Excel's last row, and a folder of any size still gets its summary.
struct Long {
    name: &'static str,
    columns: &'static [(&'static str, f64)],
    storage: RowStorage,
    /// Lines above the first worksheet's table (what made the summary, and when), then a
    /// blank row.
    head: Vec<String>,
    /// Data rows a worksheet takes before the next is begun.
    limit: u32,
    /// Each worksheet's index in the workbook, the row of its table's header, and the data
    /// rows written to it.
    sheets: Vec<(usize, u32, u32)>,
}

impl Long {
    /// The long sheet `name`, its first worksheet added to `wb`.
    fn begin(
        wb: &mut Workbook,
        header: &Format,
        storage: RowStorage,
        name: &'static str,
        columns: &'static [(&'static str, f64)],
        head: Vec<String>,
    ) -> Result<Self, XlsxError> {
        let mut long = Self {
            name,
            columns,
            storage,
            head,
            limit: LAST_ROW,
            sheets: Vec::new(),
        };
        long.add_sheet(wb, header)?;
        Ok(long)
    }

    /// The worksheet and row of the next row, on a new worksheet when the last is full.
    fn next_row(&mut self, wb: &mut Workbook, header: &Format) -> Result<(usize, u32), XlsxError> {
        if self
            .sheets
            .last()
            .is_none_or(|&(_, top, rows)| rows >= self.limit.min(LAST_ROW - top))
        {
            self.add_sheet(wb, header)?;
        }
        let last = self.sheets.last_mut().expect("a sheet was just added");
        last.2 += 1;
        Ok((last.0, last.1 + last.2))
    }

    /// Adds the next worksheet, named and headed: the first with the head lines above its
    /// table.
    fn add_sheet(&mut self, wb: &mut Workbook, header: &Format) -> Result<(), XlsxError> {
        let index = wb.worksheets().len();
        let ws = match self.storage {
            RowStorage::Memory => wb.add_worksheet(),
            RowStorage::TempFile => wb.add_worksheet_with_constant_memory()?,
        };
        let top = match self.sheets.len() {
            0 => {
                ws.set_name(self.name)?;
                for (row, line) in (0u32..).zip(&self.head) {
                    ws.write_string(row, 0, line.as_str())?;
                }
                self.head.len() as u32 + u32::from(!self.head.is_empty())
            }
            n => {
                ws.set_name(format!("{}({})", self.name, n + 1))?;
                0
            }
        };
        write_header(ws, top, self.columns, header)?;
        self.sheets.push((index, top, 0));
        Ok(())
    }
}

const FORMS_COLUMNS: [(&str, f64); 16] = [
    ("文件", 36.0),
    ("工作表", 12.0),
    ("项目名称", 30.0),
    ("主管部门", 24.0),
    ("实施单位", 24.0),
    ("年度", 8.0),
    ("填报总分", 10.0),
    ("核定总分", 10.0),
    ("差额", 9.0),
    ("填报等级", 9.0),
    ("核定等级", 9.0),
    ("错误", 7.0),
    ("警告", 7.0),
    ("状态", 9.0),
    ("更正副本", 16.0),
    ("原因", 40.0),
];

const ISSUES_COLUMNS: [(&str, f64); 9] = [
    ("文件", 36.0),
    ("工作表", 12.0),
    ("单元格", 8.0),
    ("指标", 28.0),
    ("代码", 18.0),
    ("级别", 7.0),
    ("原填报", 14.0),
    ("应为", 14.0),
    ("说明", 70.0),
];

impl Summary {
    /// An empty summary: 汇总 and 问题清单 with their headers.
    pub fn new(rules: Rules, rows: RowStorage) -> Result<Summary, XlsxError> {
        let mut wb = Workbook::new();
        wb.set_properties(
            &DocProperties::new().set_creation_datetime(&ExcelDateTime::from_ymd(2000, 1, 1)?),
        );
        // Zipped once per run, at its end, while every core but one waits: the fastest
        // deflate level. The workbook grows by about half (2,000 forms: 0.56 → 0.88 MB).
        wb.set_zip_compression_level(1);
        let decimals = rules.profile.scoring.score_decimals;
        let formats = Formats {
            header: Format::new()
                .set_bold()
                .set_background_color("DDEBF7")
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            count: Format::new().set_align(FormatAlign::Center),
            number: Format::new().set_num_format(if decimals == 0 {
                "0".to_string()
            } else {
                format!("0.{}", "0".repeat(decimals as usize))
            }),
            link: Format::new()
                .set_font_color("0563C1")
                .set_underline(rust_xlsxwriter::FormatUnderline::Single),
        };
        let made = format!(
            "核查规则：{}；核查工具：selfeval {}；核查日期：{}",
            rules.profile.title,
            env!("CARGO_PKG_VERSION"),
            crate::calendar::today_in_china()
        );
        let head = vec!["自评表核查汇总".to_string(), made];
        let forms = Long::begin(&mut wb, &formats.header, rows, "汇总", &FORMS_COLUMNS, head)?;
        let issues = Long::begin(
            &mut wb,
            &formats.header,
            rows,
            "问题清单",
            &ISSUES_COLUMNS,
            Vec::new(),
        )?;
        Ok(Summary {
            wb,
            formats,
            forms,
            issues,
            links: 0,
            by_code: BTreeMap::new(),
            by_dept: BTreeMap::new(),
            books: None,
            targets: None,
        })
    }

    /// Adds 目标核对: every target a form changed or dropped against the approved ones.
    pub fn with_targets(mut self) -> Self {
        self.targets = Some(Vec::new());
        self
    }

    /// Adds 对账: every project of `ledger` beside the forms matched to it, or 未提交.
    pub fn with_ledger(mut self, ledger: &crate::ledger::Ledger) -> Self {
        self.books = Some(Books {
            unit: ledger.unit.clone(),
            rows: ledger.rows.clone(),
            forms: BTreeMap::new(),
        });
        self
    }

    /// Writes a file's rows. `link` is the corrected copy relative to the summary's folder.
    pub fn add(
        &mut self,
        file: &str,
        result: &Result<BookCheck, String>,
        link: Option<&str>,
        write_error: Option<&str>,
    ) -> Result<(), XlsxError> {
        let check = match (result, crate::report::checked(result)) {
            (_, Ok(check)) => check,
            // Read, and every sheet skipped with its reason: not checked, not unreadable.
            (Ok(read), Err(_)) if !read.skipped.is_empty() => {
                for (sheet, reason) in &read.skipped {
                    let mut row = unreadable(file, reason);
                    row.sheet = sheet;
                    row.status = Status::NotChecked;
                    self.form_row(&row)?;
                }
                return Ok(());
            }
            (_, Err(reason)) => return self.form_row(&unreadable(file, reason)),
        };
        for s in &check.forms {
            let f = &s.form;
            if let (Some(books), Some(link)) = (self.books.as_mut(), &s.ledger) {
                books
                    .forms
                    .entry(link.line)
                    .or_default()
                    .push(matched(file, s));
            }
            if let Some(targets) = self.targets.as_mut() {
                for x in s
                    .findings
                    .iter()
                    .filter(|x| matches!(x.code, Code::TargetChanged | Code::TargetDropped))
                {
                    targets.push([
                        file.to_string(),
                        f.sheet.to_string(),
                        text_of(&f.project).to_string(),
                        x.cell.pos.to_string(),
                        x.expected.clone().unwrap_or_default(),
                        x.claimed.clone().unwrap_or_default(),
                        x.code.name().to_string(),
                        x.message.clone(),
                    ]);
                }
            }
            let errors = s.count(Severity::Error);
            self.form_row(&FormRow {
                file,
                sheet: &f.sheet,
                project: text_of(&f.project),
                department: text_of(&f.department),
                unit: text_of(&f.unit),
                year: f.year,
                claimed_total: s.claimed_total.map(|t| t.value),
                total: f.family.has_total().then_some(s.total),
                claimed_grade: s.claimed_grade.as_deref().unwrap_or_default(),
                grade: if f.family.has_total() { &s.grade } else { "" },
                errors,
                warnings: s.count(Severity::Warning),
                status: if errors > 0 {
                    Status::Wrong
                } else {
                    Status::Passed
                },
                link,
                reason: write_error
                    .map_or(Cow::Borrowed(""), |e| format!("更正副本未写出：{e}").into()),
            })?;
            for x in &s.findings {
                let indicator = f
                    .indicators
                    .iter()
                    .find(|i| i.name.cell.pos.row == x.cell.pos.row)
                    .map_or("", |i| i.name.value.as_str());
                self.issue_row(&IssueRow {
                    file,
                    sheet: &x.cell.sheet,
                    cell: x.cell.pos,
                    indicator,
                    code: x.code,
                    severity: x.severity,
                    claimed: x.claimed.as_deref().unwrap_or_default(),
                    expected: x.expected.as_deref().unwrap_or_default(),
                    message: &x.message,
                })?;
            }
        }
        Ok(())
    }

    fn form_row(&mut self, r: &FormRow) -> Result<(), XlsxError> {
        // A form without a department counts under （未填）; a file nothing was checked in
        // is no department's form.
        if !matches!(r.status, Status::Unreadable | Status::NotChecked) {
            let dept = if r.department.is_empty() {
                "（未填）"
            } else {
                r.department
            };
            let d = match self.by_dept.get_mut(dept) {
                Some(d) => d,
                None => self.by_dept.entry(dept.to_string()).or_default(),
            };
            d.forms += 1;
            d.wrong += u32::from(r.status == Status::Wrong);
            d.errors += r.errors as u32;
            d.warnings += r.warnings as u32;
        }
        let (sheet, row) = self.forms.next_row(&mut self.wb, &self.formats.header)?;
        // Excel's limit on links is per sheet: a continuation starts its own count.
        if row == 1 {
            self.links = 0;
        }
        let formats = &self.formats;
        let ws = self.wb.worksheet_from_index(sheet)?;
        for (col, text) in [r.file, r.sheet, r.project, r.department, r.unit]
            .into_iter()
            .enumerate()
        {
            write_text(ws, row, col as u16, text)?;
        }
        if let Some(y) = r.year {
            ws.write_number(row, 5, y)?;
        }
        let mut num = |col: u16, v: Option<Decimal>| -> Result<(), XlsxError> {
            if let Some(v) = v {
                // The value is already exact; f64 only carries it into the cell.
                let f: f64 = fixed(v, 6).parse().unwrap_or(0.0);
                ws.write_number_with_format(row, col, f, &formats.number)?;
            }
            Ok(())
        };
        num(6, r.claimed_total)?;
        num(7, r.total)?;
        num(8, r.claimed_total.zip(r.total).map(|(c, t)| c - t))?;
        write_text(ws, row, 9, r.claimed_grade)?;
        write_text(ws, row, 10, r.grade)?;
        if !matches!(r.status, Status::Unreadable | Status::NotChecked) {
            ws.write_number_with_format(row, 11, r.errors as u32, &formats.count)?;
            ws.write_number_with_format(row, 12, r.warnings as u32, &formats.count)?;
        }
        ws.write_string(row, 13, r.status.label())?;
        if let Some(link) = r.link {
            // A link that cannot be stored right, or past Excel's limits (a sheet's links, a
            // link's length), shows the path as text.
            let linked = match link_target(link) {
                Some(target) if self.links < MAX_LINKS => {
                    let url = Url::new(target).set_text("打开");
                    match ws.write_url_with_format(row, 14, url, &formats.link) {
                        Ok(_) => true,
                        Err(XlsxError::MaxUrlLengthExceeded) => false,
                        Err(e) => return Err(e),
                    }
                }
                _ => false,
            };
            match linked {
                true => self.links += 1,
                false => write_text(ws, row, 14, link)?,
            }
        }
        write_text(ws, row, 15, &r.reason)?;
        Ok(())
    }

    fn issue_row(&mut self, r: &IssueRow) -> Result<(), XlsxError> {
        if r.severity != Severity::Note {
            *self.by_code.entry((r.severity, r.code)).or_default() += 1;
        }
        let (sheet, row) = self.issues.next_row(&mut self.wb, &self.formats.header)?;
        let ws = self.wb.worksheet_from_index(sheet)?;
        let cell = r.cell.to_string();
        let texts = [
            r.file,
            r.sheet,
            &cell,
            r.indicator,
            r.code.as_str(),
            r.severity.label(),
            r.claimed,
            r.expected,
            r.message,
        ];
        for (col, text) in texts.into_iter().enumerate() {
            write_text(ws, row, col as u16, text)?;
        }
        Ok(())
    }

    /// The summary workbook's bytes, with fixed document properties so that a second run
    /// writes the same bytes.
    pub fn finish(mut self) -> Result<Vec<u8>, XlsxError> {
        for long in [&self.forms, &self.issues] {
            for &(index, top, rows) in &long.sheets {
                let ws = self.wb.worksheet_from_index(index)?;
                // Header frozen, filters on; printed as a reviewer files it.
                ws.set_freeze_panes(top + 1, 0)?;
                ws.autofilter(top, 0, top + rows, long.columns.len() as u16 - 1)?;
                print_setup(ws, top)?;
            }
        }
        // A continuation was added when its sheet filled, between the others: each long
        // sheet's parts are put side by side, 汇总 first.
        let order = self.forms.sheets.iter().chain(&self.issues.sheets);
        let mut added: Vec<Option<Worksheet>> = std::mem::take(self.wb.worksheets_mut())
            .into_iter()
            .map(Some)
            .collect();
        *self.wb.worksheets_mut() = order
            .filter_map(|&(index, _, _)| added.get_mut(index).and_then(Option::take))
            .collect();
        let ws = self.wb.add_worksheet();
        stats_sheet(ws, &self.formats.header, &self.by_code, &self.by_dept)?;
        if let Some(books) = &self.books {
            let ws = self.wb.add_worksheet();
            books_sheet(ws, &self.formats.header, books)?;
        }
        if let Some(rows) = &self.targets {
            let ws = self.wb.add_worksheet();
            targets_sheet(ws, &self.formats.header, rows)?;
        }
        self.wb.save_to_buffer()
    }
}

fn stats_sheet(
    ws: &mut Worksheet,
    header: &Format,
    by_code: &BTreeMap<(Severity, Code), u32>,
    by_dept: &BTreeMap<String, DeptCount>,
) -> Result<(), XlsxError> {
    ws.set_name("统计")?;
    let count = Format::new().set_align(FormatAlign::Center);
    let columns: [(&str, f64); 4] = [
        ("问题类型", 26.0),
        ("代码", 20.0),
        ("级别", 8.0),
        ("次数", 8.0),
    ];
    write_header(ws, 0, &columns, header)?;
    // Errors first, then warnings, each by how a reader calls the problem.
    for (row, ((severity, code), n)) in (1u32..).zip(by_code) {
        ws.write_string(row, 0, code.name())?;
        ws.write_string(row, 1, code.as_str())?;
        ws.write_string_with_format(row, 2, severity.label(), &count)?;
        ws.write_number_with_format(row, 3, *n, &count)?;
    }
    // By department, beside the problems.
    let dept_columns: [(&str, f64); 5] = [
        ("主管部门", 26.0),
        ("表数", 7.0),
        ("有误表数", 9.0),
        ("错误", 7.0),
        ("警告", 7.0),
    ];
    for (col, (title, width)) in (5u16..).zip(dept_columns) {
        ws.write_string_with_format(0, col, title, header)?;
        ws.set_column_width(col, width)?;
    }
    for (row, (dept, d)) in (1u32..).zip(by_dept) {
        write_text(ws, row, 5, dept)?;
        for (col, v) in (6u16..).zip([d.forms, d.wrong, d.errors, d.warnings]) {
            ws.write_number_with_format(row, col, v, &count)?;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    print_setup(ws, 0)?;
    if !by_code.is_empty() {
        let last = by_code.len() as u32;
        let mut chart = Chart::new(ChartType::Bar);
        chart.title().set_name("各类问题次数");
        chart.legend().set_hidden();
        chart
            .add_series()
            .set_categories(("统计", 1, 0, last, 0))
            .set_values(("统计", 1, 3, last, 3));
        // The chart prints on a page of its own, below the tables.
        let anchor = by_dept.len().max(by_code.len()) as u32 + 3;
        ws.insert_chart(anchor, 0, &chart)?;
        ws.set_page_breaks(&[anchor])?;
    }
    Ok(())
}

/// A matched form's amounts and what its ledger findings say.
fn matched(file: &str, s: &crate::scorer::Scored) -> MatchedForm {
    let total = s.form.funding.as_ref().map(|f| &f.total);
    let shown =
        |n: Option<&crate::model::Num>| n.map_or_else(String::new, |n| n.shown.trim().to_string());
    let unit = s
        .form
        .funding
        .as_ref()
        .map_or(crate::model::ASSUMED_MONEY_UNIT, |f| f.unit_name());
    let budget = total.and_then(|t| t.adjusted_budget.as_ref().or(t.budget.as_ref()));
    let differs: Vec<&str> = s
        .findings
        .iter()
        .filter_map(|f| match f.code {
            Code::LedgerBudget => Some("预算数不符"),
            Code::LedgerExecuted => Some("执行数不符"),
            _ => None,
        })
        .collect();
    MatchedForm {
        file: file.to_string(),
        sheet: s.form.sheet.to_string(),
        budget: format!("{} {unit}", shown(budget)).trim().to_string(),
        executed: format!("{} {unit}", shown(total.and_then(|t| t.executed.as_ref())))
            .trim()
            .to_string(),
        verdict: if differs.is_empty() {
            "一致".to_string()
        } else {
            differs.join("；")
        },
    }
}

/// 对账: every ledger project with its form (or 未提交), the ledger's amounts beside the
/// form's, and whether they agree.
fn books_sheet(ws: &mut Worksheet, header: &Format, books: &Books) -> Result<(), XlsxError> {
    ws.set_name("对账")?;
    let unit = format!("（{}）", books.unit);
    let columns: [(&str, f64); 11] = [
        ("台账行", 7.0),
        ("单位名称", 24.0),
        ("项目名称", 30.0),
        ("项目编码", 14.0),
        ("台账预算数", 14.0),
        ("台账支出数", 14.0),
        ("自评表文件", 30.0),
        ("工作表", 10.0),
        ("表中预算数", 14.0),
        ("表中执行数", 14.0),
        ("核对结果", 16.0),
    ];
    write_header(ws, 0, &columns, header)?;
    ws.write_string_with_format(0, 4, format!("台账预算数{unit}"), header)?;
    ws.write_string_with_format(0, 5, format!("台账支出数{unit}"), header)?;
    let mut row = 1u32;
    for r in &books.rows {
        let forms = books
            .forms
            .get(&r.line)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let unsent = [MatchedForm {
            file: String::new(),
            sheet: String::new(),
            budget: String::new(),
            executed: String::new(),
            verdict: "未提交".to_string(),
        }];
        for f in if forms.is_empty() { &unsent[..] } else { forms } {
            if row > LAST_ROW {
                return Ok(());
            }
            ws.write_number(row, 0, r.line as u32)?;
            write_text(ws, row, 1, &r.department)?;
            write_text(ws, row, 2, &r.project)?;
            write_text(ws, row, 3, r.code.as_deref().unwrap_or_default())?;
            for (col, v) in [(4u16, &r.budget), (5, &r.executed)] {
                if let Some(v) = v {
                    write_text(ws, row, col, &fixed(*v, 2))?;
                }
            }
            for (col, text) in (6u16..).zip([&f.file, &f.sheet, &f.budget, &f.executed, &f.verdict])
            {
                write_text(ws, row, col, text)?;
            }
            row += 1;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(0, 0, row - 1, 10)?;
    print_setup(ws, 0)?;
    Ok(())
}

/// 目标核对: every changed or dropped target, the approved value beside the written one.
fn targets_sheet(
    ws: &mut Worksheet,
    header: &Format,
    rows: &[[String; 8]],
) -> Result<(), XlsxError> {
    ws.set_name("目标核对")?;
    let columns: [(&str, f64); 8] = [
        ("文件", 30.0),
        ("工作表", 10.0),
        ("项目名称", 26.0),
        ("单元格", 8.0),
        ("批复指标值", 16.0),
        ("表中指标值", 16.0),
        ("问题类型", 18.0),
        ("说明", 60.0),
    ];
    write_header(ws, 0, &columns, header)?;
    for (row, cells) in (1u32..).zip(rows.iter().take(LAST_ROW as usize)) {
        for (col, text) in (0u16..).zip(cells) {
            write_text(ws, row, col, text)?;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    print_setup(ws, 0)?;
    Ok(())
}

/// A labelled value of the form, or nothing when the form lacks it.
fn text_of(l: &Option<Located<String>>) -> &str {
    l.as_ref().map_or("", |l| l.value.as_str())
}

fn unreadable<'a>(file: &'a str, reason: &'a str) -> FormRow<'a> {
    FormRow {
        file,
        sheet: "",
        project: "",
        department: "",
        unit: "",
        year: None,
        claimed_total: None,
        total: None,
        claimed_grade: "",
        grade: "",
        errors: 0,
        warnings: 0,
        status: Status::Unreadable,
        link: None,
        reason: Cow::Borrowed(reason),
    }
}

/// A text cell, cut to what a cell holds: a form's cell, and a finding quoting it, may be
/// longer than Excel allows, and one such form must not cost the folder its summary.
fn write_text(ws: &mut Worksheet, row: u32, col: u16, text: &str) -> Result<(), XlsxError> {
    ws.write_string(row, col, fit_cell(text))?;
    Ok(())
}

fn write_header(
    ws: &mut Worksheet,
    row: u32,
    columns: &[(&str, f64)],
    header: &Format,
) -> Result<(), XlsxError> {
    for (col, (title, width)) in columns.iter().enumerate() {
        ws.write_string_with_format(row, col as u16, *title, header)?;
        ws.set_column_width(col as u16, *width)?;
    }
    Ok(())
}

/// Landscape on A4, one page wide, the table's header row on every page.
fn print_setup(ws: &mut Worksheet, header_row: u32) -> Result<(), XlsxError> {
    ws.set_landscape().set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(header_row, header_row)?;
    Ok(())
}

/// The link to a copy at the relative `path`, or `None` when rust_xlsxwriter cannot store it
/// right. The writer takes a link holding any escape of its own (`%20`, `%25`, `%22`…) as
/// escaped already, and escapes every other link again; a name whose only escapes are ours
/// (`#`, `\`, a control character) would then be stored as `%2523` and open no file.
fn link_target(path: &str) -> Option<String> {
    let stored_right =
        !path.chars().any(only_we_escape) || path.chars().any(|c| WRITER_ESCAPES.contains(c));
    stored_right.then(|| format!("file:///{}", escape_link(path)))
}

/// What rust_xlsxwriter escapes in a link itself.
const WRITER_ESCAPES: &str = "%\" <>[]^`{}";

/// What a link must not hold that rust_xlsxwriter leaves as it is: `#` would start a cell
/// location, `\` a folder, and a file name may hold a tab or a line break.
fn only_we_escape(c: char) -> bool {
    c == '#' || c == '\\' || c.is_ascii_control()
}

/// A relative path as a link target. Escaped here in full, since the writer would read `#` as
/// the start of a cell location and leave a name holding `%20` as already escaped.
fn escape_link(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if only_we_escape(c) || WRITER_ESCAPES.contains(c) {
            out.push_str(&format!("%{:02X}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::{Layout, Profile};

    fn summary() -> Summary {
        let profile = Profile::national();
        let rules = Rules {
            profile: &profile,
            layout: Layout::bundled(),
        };
        Summary::new(rules, RowStorage::Memory).expect("summary")
    }

    /// A finished summary read back: its sheets, with their cells as text, and each sheet's
    /// part and relationships, for its hyperlinks.
    struct Read {
        sheets: Vec<(String, Vec<Vec<String>>)>,
        parts: Vec<String>,
        rels: Vec<String>,
    }

    fn read_back(summary: Summary) -> Read {
        use calamine::Reader;
        let bytes = summary.finish().expect("summary finished");
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).expect("zip");
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes.clone())).expect("opens");
        let mut read = Read {
            sheets: Vec::new(),
            parts: Vec::new(),
            rels: Vec::new(),
        };
        for (i, name) in book.sheet_names().into_iter().enumerate() {
            let range = book.worksheet_range(&name).expect("sheet");
            let mut cells: Vec<Vec<String>> = range
                .rows()
                .map(|r| r.iter().map(ToString::to_string).collect())
                .collect();
            // 汇总 opens with what made it; its table begins at its header.
            if let Some(at) = cells.iter().position(|r| r[0] == "文件") {
                assert!(at == 0 || name == "汇总", "{name}: a head above its table");
                cells.drain(..at);
            }
            read.sheets.push((name, cells));
            let mut part = String::new();
            let path = format!("xl/worksheets/sheet{}.xml", i + 1);
            std::io::Read::read_to_string(&mut zip.by_name(&path).expect("part"), &mut part)
                .expect("sheet xml");
            read.parts.push(part);
            let mut rels = String::new();
            let path = format!("xl/worksheets/_rels/sheet{}.xml.rels", i + 1);
            if let Ok(mut file) = zip.by_name(&path) {
                std::io::Read::read_to_string(&mut file, &mut rels).expect("rels xml");
            }
            read.rels.push(rels);
        }
        read
    }

    /// The summary of `rows`: 汇总's cells as text, and how many hyperlinks it holds.
    fn written(rows: &[FormRow]) -> (Vec<Vec<String>>, usize) {
        let mut summary = summary();
        for r in rows {
            summary.form_row(r).expect("row written");
        }
        let read = read_back(summary);
        let links = read.parts[0].matches("<hyperlink ").count();
        (read.sheets[0].1.clone(), links)
    }

    fn linked<'a>(file: &'a str, link: &'a str) -> FormRow<'a> {
        FormRow {
            link: Some(link),
            status: Status::Passed,
            ..unreadable(file, "")
        }
    }

    #[test]
    fn text_past_a_cells_limit_is_cut_to_it() {
        let project = format!("金融发展服务工作经费{}", "长".repeat(40_000));
        let department = format!("黔南{}", "𠀀".repeat(20_000));
        let row = FormRow {
            project: &project,
            department: &department,
            ..linked("a.xlsx", "核查/a.checked.xlsx")
        };
        let (cells, _) = written(&[row]);
        let units = |s: &str| s.encode_utf16().count();
        assert_eq!(units(&cells[1][2]), 32_767);
        assert!(project.starts_with(&cells[1][2]));
        // A character outside the BMP takes two units: the one that would end at 32 768 is
        // left out whole, not split.
        assert_eq!(units(&cells[1][3]), 32_766);
        assert!(cells[1][3].ends_with('𠀀'));
    }

    #[test]
    fn a_link_past_excels_limits_shows_its_path_as_text() {
        let long = format!("核查/{}.checked.xlsx", "深".repeat(2_100));
        let (cells, links) = written(&[
            linked("a.xlsx", "核查/a.checked.xlsx"),
            linked("b.xlsx", &long),
        ]);
        assert_eq!(cells[1][14], "打开");
        assert_eq!(cells[2][14], long);
        assert_eq!(links, 1);
    }

    #[test]
    fn a_name_the_writer_would_escape_twice_shows_as_text() {
        let names = [
            "核查/第#1号.checked.xlsx",
            "核查/第#1号 终稿.checked.xlsx",
            "核查/a\tb.checked.xlsx",
            "核查/a\tb c.checked.xlsx",
        ];
        let mut summary = summary();
        for name in names {
            summary.form_row(&linked("f.xlsx", name)).expect("row");
        }
        let read = read_back(summary);
        let cells = &read.sheets[0].1;
        assert_eq!(cells[1][14], names[0]);
        assert_eq!(cells[2][14], "打开");
        assert_eq!(cells[3][14], names[2]);
        assert_eq!(cells[4][14], "打开");
        let targets: Vec<&str> = read.rels[0]
            .split("Target=\"")
            .skip(1)
            .filter_map(|t| t.split('"').next())
            .collect();
        assert_eq!(
            targets,
            [
                "核查/第%231号%20终稿.checked.xlsx",
                "核查/a%09b%20c.checked.xlsx"
            ]
        );
    }

    #[test]
    fn links_stop_at_excels_limit_for_one_sheet() {
        let links: Vec<String> = (0..MAX_LINKS + 2)
            .map(|i| format!("核查/{i}.checked.xlsx"))
            .collect();
        let rows: Vec<FormRow> = links.iter().map(|l| linked("f.xlsx", l)).collect();
        let (cells, links) = written(&rows);
        assert_eq!(links, MAX_LINKS as usize);
        let last_linked = MAX_LINKS as usize;
        assert_eq!(cells[last_linked][14], "打开");
        assert_eq!(
            cells[last_linked + 1][14],
            format!("核查/{last_linked}.checked.xlsx")
        );
        assert_eq!(cells.len(), MAX_LINKS as usize + 3);
    }

    #[test]
    fn a_full_sheet_goes_on_in_the_next() {
        let mut summary = summary();
        summary.forms.limit = 2;
        summary.issues.limit = 2;
        for i in 0..5 {
            let (file, link) = (format!("{i}.xlsx"), format!("核查/{i}.checked.xlsx"));
            summary.form_row(&linked(&file, &link)).expect("form row");
        }
        for i in 0..3 {
            let file = format!("{i}.xlsx");
            let issue = IssueRow {
                file: &file,
                sheet: "自评表",
                cell: Pos::new(28, 7),
                indicator: "",
                code: Code::TotalSum,
                severity: Severity::Error,
                claimed: "1",
                expected: "2",
                message: "总分不等于各项得分之和",
            };
            summary.issue_row(&issue).expect("issue row");
        }
        let read = read_back(summary);
        let names: Vec<&str> = read.sheets.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "汇总",
                "汇总(2)",
                "汇总(3)",
                "问题清单",
                "问题清单(2)",
                "统计"
            ]
        );
        let files = |sheet: usize| -> Vec<&str> {
            read.sheets[sheet].1.iter().map(|r| r[0].as_str()).collect()
        };
        assert_eq!(files(0), ["文件", "0.xlsx", "1.xlsx"]);
        assert_eq!(files(1), ["文件", "2.xlsx", "3.xlsx"]);
        assert_eq!(files(2), ["文件", "4.xlsx"]);
        assert_eq!(files(3), ["文件", "0.xlsx", "1.xlsx"]);
        assert_eq!(files(4), ["文件", "2.xlsx"]);
        // Each part frozen and filtered over its own rows; the counts cover every row.
        for (part, filter) in read
            .parts
            .iter()
            .zip(["A4:P6", "A1:P3", "A1:P2", "A1:I3", "A1:I2"])
        {
            assert!(
                part.contains(&format!("<autoFilter ref=\"{filter}\"/>")),
                "{part}"
            );
            assert!(part.contains("state=\"frozen\""));
            // Each prints landscape on one page's width.
            assert!(
                part.contains(r#"fitToHeight="0" orientation="landscape""#),
                "{part}"
            );
        }
        let stats = &read.sheets[5].1;
        assert_eq!(stats[1][..4], ["总分加总有误", "total-sum", "错误", "3"]);
        // Five forms of no department; nothing unreadable among them.
        assert_eq!(stats[1][5..7], ["（未填）", "5"]);
    }

    #[test]
    fn link_targets_keep_hashes_percents_and_spaces_in_names() {
        assert_eq!(
            escape_link("核查/第#1号 (终稿) 100%20.checked.xlsx"),
            "核查/第%231号%20(终稿)%20100%2520.checked.xlsx"
        );
        assert_eq!(escape_link("核查/a\nb\t.xlsx"), "核查/a%0Ab%09.xlsx");
    }
}
