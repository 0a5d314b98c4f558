//! The indicator table: its header row, one [`Indicator`] per row below it, and the totals
//! row that closes it.

use rust_decimal::Decimal;

use super::looked_for;
use super::view::{View, absent, absent_text};
use crate::cell::Pos;
use crate::finding::Finding;
use crate::model::target::{Target, log_distance};
use crate::model::{Indicator, Located, Num, Totals};
use crate::number::{Shown, fold_width};
use crate::template::Layout;

/// The indicator header row and the column of each field.
#[derive(Debug, Clone)]
pub(super) struct IndicatorHeader {
    pub(super) row: u32,
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
pub(super) fn find_indicator_header(view: &View) -> Result<IndicatorHeader, Option<String>> {
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
        let columns = |row: u32| {
            view.header_columns(
                row,
                [
                    &l.level1,
                    &l.level2,
                    &l.level3,
                    &l.target,
                    &l.operator,
                    &l.unit,
                    &l.actual,
                    &l.weight,
                    &l.score,
                    &l.reason,
                ],
            )
        };
        let main = columns(p.row);
        let below = if two_rows { columns(sub) } else { [None; 10] };
        let [
            level1,
            level2,
            _,
            target,
            operator,
            unit,
            actual,
            weight,
            score,
            reason,
        ] = std::array::from_fn(|k| below[k].or(main[k]));
        let header = IndicatorHeader {
            row: p.row,
            first_data: sub + u32::from(two_rows),
            level1,
            level2,
            level3: p.col,
            target,
            operator,
            unit,
            actual,
            weight,
            score,
            reason,
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
pub(super) fn end_of_indicators(view: &View, header_row: u32) -> u32 {
    view.find(&view.layout.conclusion.row)
        .map(|p| p.row)
        .find(|r| *r > header_row)
        .unwrap_or(view.sheet.rows)
}

pub(super) fn read_indicators(
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
    let apart = log_distance;
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
pub(super) fn points_in(label: &str) -> Option<Decimal> {
    let folded = fold_width(label);
    let start = folded.find('(')?;
    let inner = folded[start + 1..].split(')').next()?;
    let inner = inner.strip_suffix('分')?;
    inner.parse().ok()
}

/// `%` from `满意度(%)`.
pub(super) fn unit_in_name(name: &str) -> Option<String> {
    let folded = fold_width(name);
    let start = folded.rfind('(')?;
    let inner = folded[start + 1..].strip_suffix(')')?;
    matches!(
        inner,
        "%" | "‰" | "元" | "万元" | "人" | "人次" | "个" | "次" | "天" | "户" | "家"
    )
    .then(|| inner.to_string())
}

pub(super) fn read_totals(
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
