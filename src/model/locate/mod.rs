//! Finds the blocks of a form by their labels and reads them into a [`Form`]. A [`View`]
//! indexes a sheet's labels once; the funding block and the indicators with their totals are
//! read in modules of their own, and this one finds where each form stands and puts it
//! together.

mod family;
mod funding;
mod indicators;
#[cfg(test)]
mod tests;
mod view;

use std::sync::Arc;

use super::{Family, Form};
use crate::cell::{CellRef, Pos};
use crate::finding::{Code, Finding};
use crate::number::fold_width;
use crate::reader::{RawBook, RawSheet, RawValue};
use crate::template::{Aliases, Layout};
use funding::{find_funding_header, read_funding};
use indicators::{end_of_indicators, find_indicator_header, read_indicators, read_totals};
use view::View;

/// What became of one sheet.
#[derive(Debug, Clone)]
pub enum SheetOutcome {
    Form(Box<Form>),
    /// Not a form (no indicator header and no other block): listed, not checked.
    Skipped {
        sheet: Arc<str>,
        reason: String,
    },
}

/// Reads every sheet of a workbook; a sheet holding several forms one below the other gives
/// one outcome per form.
pub fn read_forms(book: &RawBook, layout: &Layout) -> Vec<SheetOutcome> {
    book.sheets
        .iter()
        .flat_map(|s| read_sheet(s, layout))
        .collect()
}

fn read_sheet(sheet: &RawSheet, layout: &Layout) -> Vec<SheetOutcome> {
    if &*sheet.name == crate::finding::FINDINGS_SHEET {
        return vec![SheetOutcome::Skipped {
            sheet: Arc::clone(&sheet.name),
            reason: crate::finding::OWN_FINDINGS.to_string(),
        }];
    }
    if sheet.hidden {
        return vec![SheetOutcome::Skipped {
            sheet: Arc::clone(&sheet.name),
            reason: "隐藏的工作表 (hidden sheet)".to_string(),
        }];
    }
    let view = View::new(sheet, layout);
    let mut starts = later_form_starts(&view);
    // Each form is read from a copy of its rows; a crafted sheet of thousands of two-row
    // "forms" must not cost thousands of copies. Past the cap, the last form runs on.
    starts.truncate(MAX_FORMS_PER_SHEET - 1);
    if starts.is_empty() {
        return vec![read_form(&view, 0)];
    }
    let mut bands = vec![0];
    bands.extend(&starts);
    bands.push(sheet.rows);
    let count = starts.len() + 1;
    bands
        .windows(2)
        .enumerate()
        .map(|(k, w)| {
            let band = sheet.band(w[0]..w[1]);
            let mut outcome = read_form(&View::new(&band, layout), w[0]);
            if let SheetOutcome::Form(form) = &mut outcome {
                form.findings.push(Finding::new(
                    Code::SeveralForms,
                    CellRef::new(&sheet.name, Pos::new(w[0], 0)),
                    format!(
                        "本工作表中有 {count} 张自评表，此为第 {} 张（第 {}–{} 行），已单独核查",
                        k + 1,
                        w[0] + 1,
                        w[1]
                    ),
                ));
            }
            outcome
        })
        .collect()
}

/// Forms read from one sheet at most; a real sheet holds one, sometimes two or three.
const MAX_FORMS_PER_SHEET: usize = 50;

/// The first row of each form after the first on a sheet where forms stand one below the
/// other. A form starts again where an indicator header follows a totals or conclusion row
/// of the form above; a header repeated at a page break has neither before it. The new form
/// begins at its own title, funding block or project label, or else right after the row
/// that closed the one above.
fn later_form_starts(view: &View) -> Vec<u32> {
    let layout = view.layout;
    let rows_of = |a: &Aliases| view.find(a).map(|p| p.row).collect::<Vec<_>>();
    // As for the header itself: a form without a 三级指标 column names its indicators in
    // the 二级指标 one.
    let mut headers = rows_of(&layout.indicators.level3);
    let named_in_level2: Vec<u32> = rows_of(&layout.indicators.level2)
        .into_iter()
        .filter(|r| !headers.contains(r))
        .collect();
    headers.extend(named_in_level2);
    headers.sort_unstable();
    headers.dedup();
    let mut closers = rows_of(&layout.totals.row);
    closers.extend(rows_of(&layout.conclusion.row));
    let mut openers = rows_of(&layout.funding.executed);
    openers.extend(rows_of(&layout.funding.block));
    openers.extend(rows_of(&layout.header.project));
    openers.extend(view.titles.iter().map(|p| p.row));
    let funding_headers = rows_of(&layout.funding.executed);
    let mut starts = Vec::new();
    for pair in headers.windows(2) {
        let (above, header) = (pair[0], pair[1]);
        // A `合计` below a funding header is the next form's funding total, not a totals row.
        let closes = |c: u32| !funding_headers.iter().any(|&f| above < f && f < c);
        let Some(closed) = closers
            .iter()
            .filter(|&&c| above < c && c < header && closes(c))
            .max()
        else {
            continue;
        };
        let start = openers
            .iter()
            .filter(|&&o| *closed < o && o <= header)
            .min()
            .map_or(closed + 1, |&o| o);
        starts.push(start);
    }
    starts
}

/// Why no indicator header was found: `summary` for a skipped sheet's reason (the labels
/// looked for, or the rows that lacked score columns), `why` for the finding.
struct HeaderMissing {
    summary: String,
    why: String,
}

/// `查找的标签：…`, the labels a missing block was looked for by, list by list.
fn looked_for(lists: &[&Aliases]) -> String {
    let lists: Vec<String> = lists.iter().map(|a| a.list()).collect();
    format!("查找的标签：{}", lists.join("；"))
}

/// One form read from `view`, or why the sheet is not one. Findings about the form as a
/// whole are put at column A of its first row, `top`.
fn read_form(view: &View, top: u32) -> SheetOutcome {
    let (sheet, layout) = (view.sheet, view.layout);
    let (header, header_missing) = match find_indicator_header(view) {
        Ok(h) => (Some(h), None),
        Err(Some(why)) => (
            None,
            Some(HeaderMissing {
                summary: why.clone(),
                why,
            }),
        ),
        Err(None) => (
            None,
            Some(HeaderMissing {
                summary: layout.indicators.level3.list(),
                why: looked_for(&[&layout.indicators.level3]),
            }),
        ),
    };
    let funding_header = find_funding_header(view);
    let totals_row = view
        .find(&layout.totals.row)
        .find(|p| header.as_ref().is_none_or(|h| p.row > h.row));
    let titled = !view.titles.is_empty();
    if header.is_none() && (funding_header.is_none() || !(titled || totals_row.is_some())) {
        return SheetOutcome::Skipped {
            sheet: Arc::clone(&sheet.name),
            reason: format!(
                "未找到绩效指标表头（{}）(no indicator header)",
                header_missing.map(|m| m.summary).unwrap_or_default()
            ),
        };
    }

    let mut findings = Vec::new();
    let first_row = header.as_ref().map_or(u32::MAX, |h| h.row);
    // Without an indicator header the funding block runs to the end of the sheet at most.
    let funding = funding_header
        .filter(|f| f.row < first_row)
        .map(|f| read_funding(view, &f, first_row.min(sheet.rows), &mut findings));
    let (indicators, totals) = match &header {
        Some(h) => {
            let end = totals_row.map_or_else(|| end_of_indicators(view, h.row), |p| p.row);
            let indicators = read_indicators(view, h, end, &mut findings);
            let totals = match totals_row {
                Some(p) => Some(read_totals(view, h, p, &mut findings)),
                None => family::total_in_header(view, h.row),
            };
            (indicators, totals)
        }
        None => (Vec::new(), None),
    };
    let title = view.titles.first().map(|p| view.text(*p).value);
    let family = family::family_of(view, title.as_deref(), header.as_ref(), &indicators);

    let form_cell = view.cell(Pos::new(top, 0));
    // A rubric may score the execution as an indicator row, and the weighted and no-score
    // forms do not score it: they lack no block without one.
    if funding.is_none() && family.scores_execution() {
        let f = &layout.funding;
        let why = looked_for(&[&f.executed, &f.budget, &f.adjusted_budget]);
        findings.push(missing(form_cell.clone(), "项目资金", &why));
    }
    if let Some(m) = &header_missing {
        findings.push(missing(form_cell.clone(), "绩效指标", &m.why));
    }
    if totals.is_none() && header.is_some() && family.has_total() {
        let why = looked_for(&[&layout.totals.row]);
        findings.push(missing(form_cell.clone(), "总分", &why));
    }

    // From the raw text: normalising labels drops a `（2023年度）` row as a parenthesis.
    let year = title
        .as_deref()
        .map(fold_width)
        .and_then(|t| year_in(&t))
        .or_else(|| {
            sheet
                .cells()
                .skip_while(|(p, _)| p.row < top)
                .take_while(|(p, _)| p.row < first_row.min(top + 40))
                .find_map(|(_, c)| match &c.value {
                    RawValue::Text(t) => year_in(&fold_width(t)),
                    _ => None,
                })
        });
    let labelled = |aliases: &Aliases| {
        view.find(aliases)
            .next()
            .and_then(|p| view.value_right_of(p))
    };
    let conclusion = view
        .find(&layout.conclusion.row)
        .find(|p| p.row > first_row || header.is_none())
        .and_then(|p| view.slot_right_of(p));

    let department = labelled(&layout.header.department);
    // A 部门整体 form evaluates the department: it stands for the project.
    let project = labelled(&layout.header.project).or_else(|| match family {
        Family::Department => department.clone(),
        _ => None,
    });
    SheetOutcome::Form(Box::new(Form {
        sheet: Arc::clone(&sheet.name),
        family,
        title,
        project,
        project_code: labelled(&layout.header.project_code),
        department,
        unit: labelled(&layout.header.unit),
        year,
        funding,
        indicators,
        totals,
        conclusion,
        findings,
    }))
}

/// A block the sheet lacks, with what was looked for and not found.
fn missing(cell: CellRef, block: &str, why: &str) -> Finding {
    Finding::new(
        Code::MissingBlock,
        cell,
        format!("未找到{block}部分（{why}），该部分无法核查"),
    )
    .expected(block)
}

/// `2023` from `项目支出绩效自评表（2023年度）`.
fn year_in(text: &str) -> Option<i32> {
    let chars: Vec<char> = text.chars().collect();
    chars.windows(5).find_map(|w| {
        let digits: String = w[..4].iter().collect();
        (w[4] == '年' && w[..4].iter().all(|c| c.is_ascii_digit()))
            .then(|| digits.parse().ok())
            .flatten()
            .filter(|y| (2000..2100).contains(y))
    })
}
