//! Finds the blocks of a form by their labels and reads them into a [`Form`].

use foldhash::HashMap;
use std::sync::Arc;

use rust_decimal::Decimal;

use super::target::Target;
use super::{Form, Funding, FundingRow, Indicator, Located, Num, SourceKind, Totals};
use crate::cell::{CellRef, Pos};
use crate::finding::{Code, Finding};
use crate::number::{NumText, Shown, fold_width, parse_number_text};
use crate::reader::{RawBook, RawSheet, RawValue};
use crate::template::{Aliases, Layout, normalize_label};

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

/// A sheet with its labels normalised and indexed once: a form is located by dozens of
/// lookups, each of which would otherwise compare every label on the sheet.
struct View<'a> {
    sheet: &'a RawSheet,
    layout: &'a Layout,
    /// Each normalised label and where it stands, row by row.
    index: HashMap<String, Vec<Pos>>,
    /// Cells whose label holds a title word (`绩效自评表`), row by row.
    titles: Vec<Pos>,
}

impl<'a> View<'a> {
    fn new(sheet: &'a RawSheet, layout: &'a Layout) -> Self {
        let mut index: HashMap<String, Vec<Pos>> = HashMap::default();
        let mut titles = Vec::new();
        for (pos, cell) in sheet.cells() {
            let RawValue::Text(t) = &cell.value else {
                continue;
            };
            let label = normalize_label(t);
            if label.is_empty() {
                continue;
            }
            if layout.header.title.found_in(&label).is_some() {
                titles.push(pos);
            }
            index.entry(label).or_default().push(pos);
        }
        Self {
            sheet,
            layout,
            index,
            titles,
        }
    }

    fn cell(&self, pos: Pos) -> CellRef {
        CellRef::new(&self.sheet.name, pos)
    }

    /// Cells whose label is one of `aliases`, row by row.
    fn find(&self, aliases: &Aliases) -> impl Iterator<Item = Pos> + use<> {
        let mut hits: Vec<Pos> = aliases
            .iter()
            .filter_map(|a| self.index.get(a))
            .flatten()
            .copied()
            .collect();
        hits.sort_unstable();
        hits.into_iter()
    }

    fn find_in_row(&self, row: u32, aliases: &Aliases) -> Option<Pos> {
        aliases
            .iter()
            .filter_map(|a| self.index.get(a))
            .flatten()
            .filter(|p| p.row == row)
            .min()
            .copied()
    }

    /// The text shown at `pos`, merged ranges resolved.
    fn text(&self, pos: Pos) -> Located<String> {
        let (at, raw) = self.sheet.get(pos);
        let shown = raw.shown();
        Located {
            value: shown.trim().to_string(),
            cell: self.cell(at),
            shown,
            formula: raw.formula.clone(),
            number_cell: matches!(raw.value, RawValue::Number(_)),
        }
    }

    /// A numeric field at `pos`; an unreadable one is reported in `findings`.
    fn num(&self, pos: Pos, what: &str, findings: &mut Vec<Finding>) -> Num {
        let (at, raw) = self.sheet.get(pos);
        let value = match &raw.value {
            RawValue::Empty => NumText::Absent,
            RawValue::Number(s) => NumText::Number(*s),
            RawValue::Text(t) => parse_number_text(t),
            other => NumText::Invalid(
                crate::reader::RawCell {
                    value: other.clone(),
                    formula: None,
                }
                .shown(),
            ),
        };
        if let NumText::Invalid(text) = &value {
            findings.push(
                Finding::new(
                    Code::BadNumber,
                    self.cell(at),
                    format!("{what}“{text}”不是可识别的数字，本项无法核算"),
                )
                .claimed(text.clone()),
            );
        }
        Located {
            value,
            cell: self.cell(at),
            shown: raw.shown(),
            formula: raw.formula.clone(),
            number_cell: matches!(raw.value, RawValue::Number(_)),
        }
    }

    /// An amount of the funding block. Money is kept to the cent: an amount stored as a number
    /// that no format rounds shows its whole value, and a 0 is exactly 0, so either is read to
    /// at least 2 decimals — `30` typed into a General cell is 30.00, not anything from 29.5 to
    /// 30.5 (SPEC §4 widens only what the form rounded). A `0` format is respected.
    fn amount(&self, pos: Pos, what: &str, findings: &mut Vec<Finding>) -> Num {
        let n = self.num(pos, what, findings);
        let widen = self.stored_whole(&n) || n.number().is_some_and(|s| s.value.is_zero());
        at_least_two_decimals(n, widen)
    }

    /// The 执行率 of the funding block, a percentage. A fraction stored as a number that no
    /// format rounds is exact, so 0.9 is read as 90% at least to the whole percent, not as
    /// anything from 85% to 95%.
    fn rate(&self, pos: Pos, findings: &mut Vec<Finding>) -> Num {
        let n = self.num(pos, "执行率", findings);
        let widen = self.stored_whole(&n) && n.number().is_some_and(|s| s.is_fraction_rate());
        at_least_two_decimals(n, widen)
    }

    /// Whether the form keeps `n`'s whole value: a number cell that no format rounds.
    fn stored_whole(&self, n: &Num) -> bool {
        n.number_cell && !self.sheet.format_fixes_decimals(n.cell.pos)
    }

    /// The first non-empty value right of a label, within the same row.
    fn value_right_of(&self, label: Pos) -> Option<Located<String>> {
        let label_anchor = self.sheet.anchor(label);
        (label.col + 1..self.sheet.cols)
            .map(|c| Pos::new(label.row, c))
            .filter(|p| self.sheet.anchor(*p) != label_anchor && !self.sheet.is_merged_away(*p))
            .map(|p| self.text(p))
            .find(|t| !t.value.is_empty())
    }

    /// The cell right of a label that holds, or should hold, its value.
    fn slot_right_of(&self, label: Pos) -> Option<Located<String>> {
        self.value_right_of(label).or_else(|| {
            let anchor = self.sheet.anchor(label);
            let end = self
                .sheet
                .merges
                .iter()
                .find(|m| m.first == anchor)
                .map_or(label.col, |m| m.last.col);
            (end + 1 < self.sheet.cols.max(end + 2))
                .then(|| self.text(Pos::new(label.row, end + 1)))
        })
    }
}

fn read_sheet(sheet: &RawSheet, layout: &Layout) -> Vec<SheetOutcome> {
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
    let mut headers = rows_of(&layout.indicators.level3);
    headers.dedup();
    let mut closers = rows_of(&layout.totals.row);
    closers.extend(rows_of(&layout.conclusion.row));
    let mut openers = rows_of(&layout.funding.executed);
    openers.extend(rows_of(&layout.funding.block));
    openers.extend(rows_of(&layout.header.project));
    openers.extend(view.titles.iter().map(|p| p.row));
    let mut starts = Vec::new();
    for pair in headers.windows(2) {
        let (above, header) = (pair[0], pair[1]);
        let Some(closed) = closers.iter().filter(|&&c| above < c && c < header).max() else {
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

/// `n` read to at least 2 decimals when `widen`: 30 in a General cell is 30.00, 0.9 is 90%.
fn at_least_two_decimals(mut n: Num, widen: bool) -> Num {
    if let NumText::Number(s) = &mut n.value
        && widen
    {
        s.decimals = s.decimals.max(2);
    }
    n
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
            let totals = totals_row.map(|p| read_totals(view, h, p, &mut findings));
            (indicators, totals)
        }
        None => (Vec::new(), None),
    };

    let form_cell = view.cell(Pos::new(top, 0));
    if funding.is_none() {
        let f = &layout.funding;
        let why = looked_for(&[&f.executed, &f.budget, &f.adjusted_budget]);
        findings.push(missing(form_cell.clone(), "项目资金", &why));
    }
    if let Some(m) = &header_missing {
        findings.push(missing(form_cell.clone(), "绩效指标", &m.why));
    }
    if totals.is_none() && header.is_some() {
        let why = looked_for(&[&layout.totals.row]);
        findings.push(missing(form_cell.clone(), "总分", &why));
    }

    let title = view.titles.first().map(|p| view.text(*p).value);
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

    SheetOutcome::Form(Box::new(Form {
        sheet: Arc::clone(&sheet.name),
        title,
        project: labelled(&layout.header.project),
        department: labelled(&layout.header.department),
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

/// The indicator header row and the column of each field.
#[derive(Debug, Clone)]
struct IndicatorHeader {
    row: u32,
    /// The first row below the header (two rows when a label spans sub-labels).
    first_data: u32,
    level1: Option<u32>,
    level2: Option<u32>,
    level3: u32,
    target: Option<u32>,
    operator: Option<u32>,
    unit: Option<u32>,
    actual: Option<u32>,
    weight: Option<u32>,
    score: Option<u32>,
    reason: Option<u32>,
}

/// The indicator header; failing that, `Some` of the level-3 header rows that lack score
/// columns, or `None` when no level-3 label was found at all.
fn find_indicator_header(view: &View) -> Result<IndicatorHeader, Option<String>> {
    let l = &view.layout.indicators;
    let mut rows_without_scores = Vec::new();
    for p in view.find(&l.level3) {
        // A header on two rows: `年度指标值` merged over `指标性质 | 指标值 | 度量单位`. The row
        // below holds header labels, and no indicator name of its own.
        let sub = p.row + 1;
        let fields = [
            &l.target,
            &l.operator,
            &l.unit,
            &l.actual,
            &l.weight,
            &l.score,
        ];
        let two_rows = view.sheet.own(Pos::new(sub, p.col)).is_empty()
            && fields.iter().any(|a| view.find_in_row(sub, a).is_some());
        let col = |a: &Aliases| {
            let in_row = |r: u32| view.find_in_row(r, a).map(|q| q.col);
            two_rows
                .then(|| in_row(sub))
                .flatten()
                .or_else(|| in_row(p.row))
        };
        let header = IndicatorHeader {
            row: p.row,
            first_data: sub + u32::from(two_rows),
            level1: col(&l.level1),
            level2: col(&l.level2),
            level3: p.col,
            target: col(&l.target),
            operator: col(&l.operator),
            unit: col(&l.unit),
            actual: col(&l.actual),
            weight: col(&l.weight),
            score: col(&l.score),
            reason: col(&l.reason),
        };
        if header.score.is_some() || header.weight.is_some() {
            return Ok(header);
        }
        rows_without_scores.push(view.cell(p).a1());
    }
    Err((!rows_without_scores.is_empty()).then(|| {
        format!(
            "{} 处“三级指标”所在的表头行没有分值或得分列；{}",
            rows_without_scores.join("、"),
            looked_for(&[&l.weight, &l.score])
        )
    }))
}

/// Without a totals row, indicators end at the conclusion row or the sheet's end.
fn end_of_indicators(view: &View, header_row: u32) -> u32 {
    view.find(&view.layout.conclusion.row)
        .map(|p| p.row)
        .find(|r| *r > header_row)
        .unwrap_or(view.sheet.rows)
}

fn read_indicators(
    view: &View,
    h: &IndicatorHeader,
    end: u32,
    findings: &mut Vec<Finding>,
) -> Vec<Indicator> {
    let l = &view.layout.indicators;
    let mut out = Vec::new();
    let mut level1: Option<Located<String>> = None;
    let mut level2: Option<Located<String>> = None;
    for row in h.first_data..end {
        let at = |c: Option<u32>| c.map(|c| view.text(Pos::new(row, c)));
        let name = view.text(Pos::new(row, h.level3));
        let target_text = at(h.target);
        let actual = at(h.actual);
        let raw_weight = at(h.weight);
        let raw_score = at(h.score);
        let blank = |t: &Option<Located<String>>| t.as_ref().is_none_or(|t| t.value.is_empty());
        // A repeated header row, or an empty placeholder (`指标2:` with no values).
        if l.level3.matches(&name.value) || (blank(&raw_weight) && blank(&raw_score)) {
            if let Some(c) = h.level1 {
                update_level(view, row, c, &mut level1);
            }
            if let Some(c) = h.level2 {
                update_level(view, row, c, &mut level2);
            }
            continue;
        }
        if let Some(c) = h.level1 {
            update_level(view, row, c, &mut level1);
        }
        if let Some(c) = h.level2 {
            update_level(view, row, c, &mut level2);
        }
        let weight = match h.weight {
            Some(c) => view.num(Pos::new(row, c), "分值", findings),
            None => absent(view, name.cell.pos),
        };
        let score = match h.score {
            Some(c) => view.num(Pos::new(row, c), "得分", findings),
            None => absent(view, name.cell.pos),
        };
        let unit_col = at(h.unit).map(|u| u.value).filter(|u| !u.is_empty());
        let unit_hint = unit_col.clone().or_else(|| unit_in_name(&name.value));
        let mut target = target_text.unwrap_or_else(|| absent_text(view, name.cell.pos));
        let mut actual = actual.unwrap_or_else(|| absent_text(view, Pos::new(row, h.level3)));
        let percent = |t: &Located<String>| fold_width(&t.value).contains('%');
        if !view.sheet.formats
            && (unit_hint.as_deref() == Some("%") || percent(&target) || percent(&actual))
        {
            percent_format_lost(&mut target, &mut actual, view.layout);
        }
        // `定性` in the 指标性质 column names a kind of indicator, not a direction.
        let operator = at(h.operator).filter(|o| !l.operator_kinds.matches(&o.value));
        let target = recombine_target(target, operator, unit_col.as_deref());
        let level1 = level1
            .clone()
            .unwrap_or_else(|| absent_text(view, name.cell.pos));
        let level1_points = points_in(&level1.shown);
        out.push(Indicator {
            level1,
            level1_points,
            level2: level2
                .clone()
                .unwrap_or_else(|| absent_text(view, name.cell.pos)),
            unit_hint,
            name,
            target,
            actual,
            weight,
            score,
            reason: at(h.reason),
        });
    }
    out
}

/// Level-1 and level-2 labels are merged, repeated, or written once with blanks below.
fn update_level(view: &View, row: u32, col: u32, current: &mut Option<Located<String>>) {
    let t = view.text(Pos::new(row, col));
    if !t.value.is_empty() {
        *current = Some(t);
    }
}

fn absent(view: &View, pos: Pos) -> Num {
    Located {
        value: NumText::Absent,
        cell: view.cell(pos),
        shown: String::new(),
        formula: None,
        number_cell: false,
    }
}

fn absent_text(view: &View, pos: Pos) -> Located<String> {
    Located {
        value: String::new(),
        cell: view.cell(pos),
        shown: String::new(),
        formula: None,
        number_cell: false,
    }
}

/// `.xls` and `.ods` arrive without number formats (see [`RawSheet::formats`]): a percentage
/// typed as `95%` reads as a bare 0.95, which a `%` unit column would turn into 0.95% and which
/// shows one decimal fewer than the percentage did. Where percentages are compared (a `%` unit,
/// or a `%` on either side), a number cell is read either as written (95 → 95%) or as a
/// fraction (0.95 → 95%, at a percentage's precision), whichever brings target and actual
/// nearest each other — the rule the scorer applies to a bare number against a percentage. As
/// written wins a tie, so `≤1` against 0.5 stays 0.5%.
fn percent_format_lost(
    target: &mut Located<String>,
    actual: &mut Located<String>,
    layout: &Layout,
) {
    // Each side's readings as a fraction, the one as written first; `true` marks the reading
    // of a number cell as a fraction whose percent format was lost.
    type Reading = (Decimal, bool);
    let readings = |t: &Located<String>| -> Vec<Reading> {
        let q = match Target::parse(&t.value, false, None, layout) {
            Target::Numeric { value, .. } => value,
            Target::Range { lo, .. } => lo,
            _ => return Vec::new(),
        };
        match q {
            q if q.shown.percent => vec![(q.shown.value, false)],
            q => {
                let v = q.shown.value;
                let mut r = vec![(v / Decimal::ONE_HUNDRED, false)];
                if t.number_cell {
                    r.push((v, true));
                }
                r
            }
        }
    };
    let apart = super::target::log_distance;
    let (ts, as_) = (readings(target), readings(actual));
    let mut best: Option<(Decimal, Reading, Reading)> = None;
    for t in &ts {
        for a in &as_ {
            let d = apart(t.0, a.0);
            if best.is_none_or(|b| d < b.0) {
                best = Some((d, *t, *a));
            }
        }
    }
    let Some((_, t, a)) = best else { return };
    for (side, (value, fraction)) in [(target, t), (actual, a)] {
        if fraction {
            let shown = Shown {
                value,
                decimals: value.scale().max(2),
                percent: true,
            };
            side.value = shown.to_string();
        }
    }
}

/// `≥` | `90` | `%` in three columns becomes `≥90%`, located at the value's cell.
fn recombine_target(
    mut target: Located<String>,
    operator: Option<Located<String>>,
    unit: Option<&str>,
) -> Located<String> {
    let op = operator.map(|o| o.value).unwrap_or_default();
    let unit = unit.unwrap_or("");
    if !op.is_empty() || !unit.is_empty() {
        let has_unit = !unit.is_empty() && target.value.ends_with(unit);
        target.value = format!("{op}{}{}", target.value, if has_unit { "" } else { unit });
    }
    target
}

/// `50` from `产出指标(50分)`.
fn points_in(label: &str) -> Option<Decimal> {
    let folded = fold_width(label);
    let start = folded.find('(')?;
    let inner = folded[start + 1..].split(')').next()?;
    let inner = inner.strip_suffix('分')?;
    inner.parse().ok()
}

/// `%` from `满意度(%)`.
fn unit_in_name(name: &str) -> Option<String> {
    let folded = fold_width(name);
    let start = folded.rfind('(')?;
    let inner = folded[start + 1..].strip_suffix(')')?;
    matches!(
        inner,
        "%" | "‰" | "元" | "万元" | "人" | "人次" | "个" | "次" | "天" | "户" | "家"
    )
    .then(|| inner.to_string())
}

fn read_totals(
    view: &View,
    h: &IndicatorHeader,
    label: Pos,
    findings: &mut Vec<Finding>,
) -> Totals {
    let row = label.row;
    let mut weight = h
        .weight
        .map(|c| view.num(Pos::new(row, c), "总分行分值", findings));
    let mut score = h
        .score
        .map(|c| view.num(Pos::new(row, c), "总分", findings));
    // Some forms merge the totals row differently: fall back to the row's last two numbers.
    if score.as_ref().is_none_or(Num::is_absent) {
        let mut scratch = Vec::new();
        let numbers: Vec<Num> = (label.col + 1..view.sheet.cols)
            .map(|c| Pos::new(row, c))
            .filter(|p| !view.sheet.is_merged_away(*p))
            .map(|p| view.num(p, "总分", &mut scratch))
            .filter(|n| n.number().is_some())
            .collect();
        if let Some(last) = numbers.last() {
            score = Some(last.clone());
            if numbers.len() >= 2 && weight.as_ref().is_none_or(Num::is_absent) {
                weight = Some(numbers[numbers.len() - 2].clone());
            }
        }
    }
    Totals {
        label: view.cell(label),
        weight: weight.unwrap_or_else(|| absent(view, label)),
        score: score.unwrap_or_else(|| absent(view, label)),
    }
}

/// The funding header row and the column of each field.
#[derive(Debug, Clone)]
struct FundingHeader {
    row: u32,
    label_col: Option<u32>,
    block_label: Option<Pos>,
    initial_budget: Option<u32>,
    budget: Option<u32>,
    adjusted_budget: Option<u32>,
    executed: Option<u32>,
    weight: Option<u32>,
    rate: Option<u32>,
    score: Option<u32>,
    reason: Option<u32>,
}

fn find_funding_header(view: &View) -> Option<FundingHeader> {
    let f = &view.layout.funding;
    view.find(&f.executed).find_map(|p| {
        let col = |a: &Aliases| view.find_in_row(p.row, a).map(|q| q.col);
        let budget = col(&f.budget);
        let adjusted_budget = col(&f.adjusted_budget);
        budget.or(adjusted_budget)?;
        Some(FundingHeader {
            row: p.row,
            label_col: col(&f.source),
            block_label: view
                .find(&f.block)
                .find(|q| q.row <= p.row + 1 && q.row + 1 >= p.row),
            initial_budget: col(&f.initial_budget),
            budget,
            adjusted_budget,
            executed: Some(p.col),
            weight: col(&f.weight),
            rate: col(&f.rate),
            score: col(&f.score),
            reason: col(&f.reason),
        })
    })
}

fn read_funding(
    view: &View,
    h: &FundingHeader,
    stop_row: u32,
    findings: &mut Vec<Finding>,
) -> Funding {
    let f = &view.layout.funding;
    let first_amount = [h.initial_budget, h.budget, h.adjusted_budget, h.executed]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(0);
    let mut total: Option<FundingRow> = None;
    let mut sources = Vec::new();
    for row in h.row + 1..stop_row {
        let row_labels: Vec<(Pos, String)> = (0..first_amount)
            .map(|c| Pos::new(row, c))
            .map(|p| (p, normalize_label(&view.text(p).value)))
            .filter(|(_, l)| !l.is_empty() && !f.block.matches_normalized(l))
            .collect();
        let ends_block = |l: &str| {
            view.layout.goals.block.matches_normalized(l)
                || view.layout.indicators.block.matches_normalized(l)
        };
        if row_labels.iter().any(|(_, l)| ends_block(l)) {
            break;
        }
        let labels: Vec<(Pos, String)> = row_labels
            .into_iter()
            .filter(|(p, _)| h.label_col.is_none_or(|lc| p.col == lc))
            .collect();
        let kind_of = |l: &str| {
            if f.total_row.matches_normalized(l) {
                Some(SourceKind::Total)
            } else if f.fiscal_row.matches_normalized(l) || l.contains("财政拨款") {
                Some(SourceKind::Fiscal)
            } else if f.carryover_row.matches_normalized(l) {
                Some(SourceKind::CarryOver)
            } else if f.other_row.matches_normalized(l) {
                Some(SourceKind::Other)
            } else {
                None
            }
        };
        let found = labels.iter().find_map(|(p, l)| kind_of(l).map(|k| (*p, k)));
        let (label_pos, kind) = match found {
            Some(x) => x,
            // An unlisted source row still counts if it carries amounts.
            None => match labels.last() {
                Some((p, _)) if has_amounts(view, h, row) => (*p, SourceKind::Other),
                _ => continue,
            },
        };
        let num = |c: Option<u32>, what: &str, findings: &mut Vec<Finding>| {
            c.map(|c| view.num(Pos::new(row, c), what, findings))
        };
        let amount = |c: Option<u32>, what: &str, findings: &mut Vec<Finding>| {
            c.map(|c| view.amount(Pos::new(row, c), what, findings))
        };
        let r = FundingRow {
            kind: kind.clone(),
            label: view.text(label_pos),
            initial_budget: amount(h.initial_budget, "年初预算数", findings),
            budget: amount(h.budget, "全年预算数", findings),
            adjusted_budget: amount(h.adjusted_budget, "调整后预算数", findings),
            executed: amount(h.executed, "全年执行数", findings),
            weight: num(h.weight, "分值", findings),
            rate: h.rate.map(|c| view.rate(Pos::new(row, c), findings)),
            score: num(h.score, "得分", findings),
            reason: h.reason.map(|c| view.text(Pos::new(row, c))),
        };
        if kind == SourceKind::Total && total.is_none() {
            total = Some(r);
        } else {
            sources.push(r);
        }
    }
    let unit = h
        .block_label
        .map(|p| fold_width(&view.text(p).value))
        .and_then(|l| {
            let start = l.find('(')?;
            Some(l[start + 1..].trim_end_matches(')').to_string())
        });
    let total = total.unwrap_or_else(|| {
        // No 年度资金总额 row: the first row stands for the total.
        if sources.is_empty() {
            FundingRow {
                kind: SourceKind::Total,
                label: absent_text(view, Pos::new(h.row, h.label_col.unwrap_or(0))),
                initial_budget: None,
                budget: None,
                adjusted_budget: None,
                executed: None,
                weight: None,
                rate: None,
                score: None,
                reason: None,
            }
        } else {
            let mut first = sources.remove(0);
            first.kind = SourceKind::Total;
            first
        }
    });
    Funding {
        total,
        sources,
        unit,
    }
}

fn has_amounts(view: &View, h: &FundingHeader, row: u32) -> bool {
    [h.initial_budget, h.budget, h.adjusted_budget, h.executed]
        .into_iter()
        .flatten()
        .any(|c| {
            let mut scratch = Vec::new();
            view.num(Pos::new(row, c), "", &mut scratch)
                .number()
                .is_some()
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reader::{Merge, RawCell};

    /// A sheet from rows of cells: `#0.95` is a number cell, anything else text.
    fn sheet(rows: &[&[&str]]) -> RawSheet {
        let cols = rows.iter().map(|r| r.len()).max().unwrap_or(0) as u32;
        let mut s = RawSheet::new("自评表", rows.len() as u32, cols);
        s.formats = true;
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate().filter(|(_, v)| !v.is_empty()) {
                let value = match v.strip_prefix('#') {
                    Some(n) => RawValue::Number(Shown::exact(n.parse().unwrap())),
                    None => RawValue::Text(v.to_string()),
                };
                let cell = RawCell {
                    value,
                    formula: None,
                };
                s.set(Pos::new(r as u32, c as u32), cell);
            }
        }
        s
    }

    fn form(s: &RawSheet) -> Form {
        match read_sheet(s, Layout::bundled()).remove(0) {
            SheetOutcome::Form(f) => *f,
            other => panic!("{other:?}"),
        }
    }

    /// A whole small form, as rows: title, project, funding, one indicator, totals, grade.
    fn small_form(project: &'static str, indicator: &'static str) -> Vec<Vec<&'static str>> {
        vec![
            vec!["项目支出绩效自评表（2023年度）"],
            vec!["项目名称", project],
            FUNDING_HEADER.to_vec(),
            vec!["年度资金总额", "#10", "#10", "#10", "#10", "#1", "#10"],
            vec![
                "一级指标",
                "二级指标",
                "三级指标",
                "年度指标值",
                "实际完成值",
                "分值",
                "得分",
            ],
            vec![
                "产出指标",
                "数量指标",
                indicator,
                "≥100人次",
                "120人次",
                "#90",
                "#90",
            ],
            vec!["总分", "", "", "", "", "#100", "#100"],
            vec!["绩效结论", "优"],
        ]
    }

    fn forms_of(rows: &[Vec<&str>]) -> Vec<Form> {
        let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
        read_sheet(&sheet(&rows), Layout::bundled())
            .into_iter()
            .map(|o| match o {
                SheetOutcome::Form(f) => *f,
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn forms_one_below_the_other_are_read_one_by_one() {
        let mut rows = small_form("甲项目", "培训人次");
        rows.push(vec![]);
        rows.extend(small_form("乙项目", "检查次数"));
        let forms = forms_of(&rows);
        let seen: Vec<(String, Vec<String>, Vec<String>)> = forms
            .iter()
            .map(|f| {
                (
                    f.project
                        .as_ref()
                        .map(|p| p.value.clone())
                        .unwrap_or_default(),
                    f.indicators.iter().map(|i| i.name.cell.a1()).collect(),
                    f.findings
                        .iter()
                        .map(|x| format!("{} {}", x.code, x.cell.pos))
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (
                    "甲项目".into(),
                    vec!["C6".into()],
                    vec!["several-forms A1".into()]
                ),
                (
                    "乙项目".into(),
                    vec!["C15".into()],
                    vec!["several-forms A10".into()]
                ),
            ]
        );
        assert!(
            forms
                .iter()
                .all(|f| f.totals.is_some() && f.funding.is_some())
        );
    }

    #[test]
    fn a_header_repeated_at_a_page_break_stays_one_form() {
        let mut rows = small_form("甲项目", "培训人次");
        let repeated = rows[4].clone();
        let second = vec!["", "", "检查次数", "≥10次", "10次", "#0", "#0"];
        rows.splice(6..6, [repeated, second]);
        let forms = forms_of(&rows);
        assert_eq!(forms.len(), 1);
        let names: Vec<&str> = forms[0]
            .indicators
            .iter()
            .map(|i| i.name.value.as_str())
            .collect();
        assert_eq!(names, ["培训人次", "检查次数"]);
        assert!(forms[0].findings.is_empty(), "{:?}", forms[0].findings);
    }

    /// The funding block's header row, with a 分值 column.
    const FUNDING_HEADER: [&str; 7] = [
        "资金来源",
        "年初预算数",
        "全年预算数",
        "全年执行数",
        "分值",
        "执行率",
        "得分",
    ];

    const SPLIT_HEADER: [&str; 9] = [
        "一级指标",
        "二级指标",
        "三级指标",
        "指标性质",
        "指标值",
        "度量单位",
        "全年实际完成值",
        "分值",
        "得分",
    ];

    #[test]
    fn a_header_on_two_rows_takes_the_labels_below_a_merged_one() {
        let mut s = sheet(&[
            &[
                "一级指标",
                "二级指标",
                "三级指标",
                "年度指标值（A）",
                "",
                "",
                "实际完成值",
                "分值",
                "得分",
            ],
            &["", "", "", "指标性质", "指标值", "度量单位"],
            &[
                "产出指标",
                "数量指标",
                "培训人次",
                "≥",
                "#1000",
                "人次",
                "#1200",
                "#10",
                "#10",
            ],
            &[
                "",
                "质量指标",
                "长效机制",
                "定性",
                "健全",
                "",
                "健全",
                "#10",
                "#10",
            ],
        ]);
        s.add_merge(Merge {
            first: Pos::new(0, 3),
            last: Pos::new(0, 5),
        });
        for c in [0, 1, 2, 6, 7, 8] {
            s.add_merge(Merge {
                first: Pos::new(0, c),
                last: Pos::new(1, c),
            });
        }
        let f = form(&s);
        let read: Vec<(&str, &str, &str)> = f
            .indicators
            .iter()
            .map(|i| (i.name.text(), i.target.text(), i.actual.text()))
            .collect();
        // `定性` names the kind of indicator, not a direction.
        assert_eq!(
            read,
            [
                ("培训人次", "≥1000人次", "1200"),
                ("长效机制", "健全", "健全")
            ]
        );
        assert_eq!(f.indicators[0].target.cell.a1(), "E3");
        assert_eq!(f.indicators[0].score.cell.a1(), "I3");
    }

    #[test]
    fn a_percentage_whose_format_was_lost_reads_nearest_the_other_side() {
        let rows: [&[&str]; 4] = [
            &SPLIT_HEADER,
            &[
                "产出指标",
                "质量指标",
                "合格率",
                "≥",
                "#90",
                "%",
                "#0.95",
                "#10",
                "#10",
            ],
            &["", "", "事故率", "≤", "#1", "%", "#0.5", "#10", "#10"],
            &["", "", "覆盖率", "≥", "#0.9", "%", "95%", "#10", "#10"],
        ];
        let read = |formats: bool| {
            let mut s = sheet(&rows);
            s.formats = formats;
            form(&s)
                .indicators
                .iter()
                .map(|i| format!("{} {}", i.target.value, i.actual.value))
                .collect::<Vec<_>>()
        };
        // `.xls`/`.ods`: 0.95 was typed as 95%; 0.5 beside ≤1 is 0.5%; 0.9 beside 95% is 90%.
        assert_eq!(read(false), ["≥90% 95%", "≤1% 0.5", "≥90% 95%"]);
        // `.xlsx` keeps formats: a bare 0.95 is what was meant.
        assert_eq!(read(true), ["≥90% 0.95", "≤1% 0.5", "≥0.9% 95%"]);
    }

    #[test]
    fn stored_amounts_and_rates_are_read_to_the_cent_and_the_percent() {
        let mut s = sheet(&[
            &[
                "资金来源",
                "年初预算数",
                "全年预算数",
                "全年执行数",
                "执行率",
                "得分",
            ],
            &["年度资金总额", "#30", "#30", "#28.5", "#0.9", "#9"],
            &["财政拨款", "25.4", "#30", "#28.5", "95%", "—"],
            &["其他资金", "0", "#0", "#0", "", ""],
            &SPLIT_HEADER,
        ]);
        // `0` shows 28.5 as 29: what the format rounds keeps its rounding.
        s.fix_decimals(Pos::new(2, 3));
        s.set(
            Pos::new(2, 3),
            RawCell {
                value: RawValue::Number(Shown::plain("28.5".parse().unwrap(), 0)),
                formula: None,
            },
        );
        let f = form(&s).funding.expect("funding");
        let decimals = |n: &Option<Num>| n.as_ref().and_then(Num::number).map(|s| s.decimals);
        let rows: Vec<_> = std::iter::once(&f.total).chain(&f.sources).collect();
        let got: Vec<[Option<u32>; 4]> = rows
            .iter()
            .map(|r| {
                [
                    decimals(&r.initial_budget),
                    decimals(&r.budget),
                    decimals(&r.executed),
                    decimals(&r.rate),
                ]
            })
            .collect();
        assert_eq!(
            got,
            [
                // 30 and 28.5 stored as numbers; 0.9 is 90%, not 85%–95%.
                [Some(2), Some(2), Some(2), Some(2)],
                // `25.4` written as text keeps its one decimal; `95%` its own precision.
                [Some(1), Some(2), Some(0), Some(2)],
                // A 0 is exactly 0.
                [Some(2), Some(2), Some(2), None],
            ]
        );
        // The score keeps its own precision: `9` may stand for 9.45 (SPEC §4).
        assert_eq!(decimals(&f.total.score), Some(0));
    }

    #[test]
    fn the_year_may_stand_in_its_own_row() {
        let s = sheet(&[
            &["州本级项目支出绩效自评表"],
            &["（2023年度）"],
            &SPLIT_HEADER,
            &[
                "产出指标",
                "数量指标",
                "培训人次",
                "≥",
                "#1000",
                "人次",
                "#1200",
                "#10",
                "#10",
            ],
        ]);
        assert_eq!(form(&s).year, Some(2023));
    }

    #[test]
    fn a_missing_block_names_the_labels_looked_for() {
        let s = sheet(&[
            &["项目支出绩效自评表"],
            &FUNDING_HEADER,
            &["年度资金总额", "#10", "#10", "#10", "#10", "100%", "#10"],
            &[
                "一级指标",
                "二级指标",
                "三级指标",
                "年度指标值",
                "实际完成值",
                "偏差原因",
            ],
            &["产出指标", "数量指标", "培训人次", "≥1000人次", "1200人次"],
        ]);
        let f = form(&s);
        let messages: Vec<&str> = f.findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(f.findings.len(), 1, "{messages:?}");
        assert_eq!(f.findings[0].code, Code::MissingBlock);
        assert!(
            messages[0].contains("C4") && messages[0].contains("分值、权重"),
            "{messages:?}"
        );

        let s = sheet(&[
            &SPLIT_HEADER,
            &[
                "产出指标",
                "数量指标",
                "培训人次",
                "≥",
                "#4",
                "次",
                "#4",
                "#10",
                "#10",
            ],
        ]);
        let messages: Vec<String> = form(&s)
            .findings
            .iter()
            .map(|f| f.message.clone())
            .collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("项目资金") && m.contains("全年执行数")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("总分") && m.contains("合计")),
            "{messages:?}"
        );
    }

    #[test]
    fn finds_year_and_points() {
        assert_eq!(year_in("项目支出绩效自评表（2023年度）"), Some(2023));
        assert_eq!(year_in("州本级项目支出绩效自评表"), None);
        assert_eq!(points_in("产出指标（50分）"), Some(Decimal::from(50)));
        assert_eq!(points_in("产出指标"), None);
        assert_eq!(unit_in_name("服务对象满意度（%）").as_deref(), Some("%"));
    }
}
