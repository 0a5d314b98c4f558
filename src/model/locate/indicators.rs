//! The indicator table: its header row, one [`Indicator`] per row below it, and the totals
//! row that closes it.

use rust_decimal::Decimal;

use super::looked_for;
use super::view::{View, absent, absent_text};
use crate::cell::Pos;
use crate::finding::Finding;
use crate::model::target::{Target, log_distance};
use crate::model::{Indicator, Located, Num, Totals, WeightFrom};
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
    /// The column of the indicator's name: 三级指标, or 二级指标 on a form without one.
    pub(super) name: u32,
    /// Whether the name stands in the 二级指标 column (a 部门整体 form without 三级指标).
    name_is_level2: bool,
    target: Option<u32>,
    operator: Option<u32>,
    unit: Option<u32>,
    actual: Option<u32>,
    pub(super) weight: Option<u32>,
    pub(super) score: Option<u32>,
    pub(super) single: Option<u32>,
    pub(super) coefficient: Option<u32>,
    pub(super) criteria: Option<u32>,
    reason: Option<u32>,
}

impl IndicatorHeader {
    /// A table of targets and actuals without weights or scores (SPEC §10, no-score forms).
    pub(super) fn unscored(&self) -> bool {
        self.weight.is_none() && self.score.is_none() && self.single.is_none()
    }

    /// Whether the target is split into 指标性质, 指标值 and 度量单位 columns.
    pub(super) fn has_split_target(&self) -> bool {
        self.operator.is_some() || self.unit.is_some()
    }
}

/// The fields of an indicator header row, in [`IndicatorHeader`]'s order.
const FIELDS: usize = 14;

fn header_fields(l: &crate::template::IndicatorLabels) -> [&crate::template::Aliases; FIELDS] {
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
        &l.single_score,
        &l.coefficient,
        &l.criteria,
        &l.reason,
        &l.block,
    ]
}

/// The indicator header; failing that, `Some` of why the level-3 header rows found are not
/// a self-evaluation's (no score, weight or actual column), or `None` when no level-3 label
/// was found at all.
pub(super) fn find_indicator_header(view: &View) -> Result<IndicatorHeader, Option<String>> {
    let l = &view.layout.indicators;
    let mut rows_without_scores = Vec::new();
    // A form without a 三级指标 column names its indicators in the 二级指标 one.
    let level3 = view.find(&l.level3).map(|p| (p, false));
    let level2 = view.find(&l.level2).map(|p| (p, true));
    for (p, name_is_level2) in level3.chain(level2) {
        if name_is_level2 && view.find_in_row(p.row, &l.level3).is_some() {
            continue;
        }
        let header = header_at(view, p, name_is_level2);
        if !header.unscored() || header.actual.is_some() {
            return Ok(header);
        }
        rows_without_scores.push(view.cell(p).a1());
    }
    Err((!rows_without_scores.is_empty()).then(|| {
        format!(
            "有绩效指标表但没有分值或得分列，也没有实际完成值列（{} 所在的表头行），不是自评表；{}",
            rows_without_scores.join("、"),
            looked_for(&[&l.weight, &l.score, &l.actual])
        )
    }))
}

/// The header whose name label stands at `p`. A header may span two rows:
/// - `年度指标值` merged over `指标性质 | 指标值 | 度量单位` in the row below, which holds
///   header labels and no indicator name of its own;
/// - `绩效指标` over `一级指标 | 二级指标 | 三级指标` in the row above, with 分值 and 得分
///   merged down over both rows ([`View::header_columns`] reads those as the name's row's).
fn header_at(view: &View, p: Pos, name_is_level2: bool) -> IndicatorHeader {
    let l = &view.layout.indicators;
    let fields = header_fields(l);
    let sub = p.row + 1;
    let two_rows = view.sheet.own(Pos::new(sub, p.col)).is_empty()
        && fields[3..9]
            .iter()
            .any(|a| view.find_in_row(sub, a).is_some());
    let main = view.header_columns(p.row, fields);
    let below = if two_rows {
        view.header_columns(sub, fields)
    } else {
        [None; FIELDS]
    };
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
        single,
        coefficient,
        criteria,
        reason,
        _,
    ] = std::array::from_fn(|k| below[k].or(main[k]));
    IndicatorHeader {
        row: p.row,
        first_data: sub + u32::from(two_rows),
        level1,
        level2: if name_is_level2 { None } else { level2 },
        name: p.col,
        name_is_level2,
        target,
        operator,
        unit,
        actual,
        weight,
        score,
        single,
        coefficient,
        criteria,
        reason,
    }
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
        if spans_the_table(view, h, row) {
            break;
        }
        let name = view.text(Pos::new(row, h.name));
        let target_text = at(h.target);
        let actual = at(h.actual);
        let blank = |t: &Option<Located<String>>| t.as_ref().is_none_or(|t| t.value.is_empty());
        let placeholder = if h.unscored() {
            name.value.is_empty() || (blank(&target_text) && blank(&actual))
        } else {
            [h.weight, h.score, h.single].iter().all(|c| blank(&at(*c)))
        };
        // A parent row of a form without weights, carrying the sum of the rows below it
        // under a level-1 or level-2 label: its rows are counted, not it.
        let parent = h.weight.is_none()
            && name.value.is_empty()
            && at(h.level2).is_none_or(|t| t.value.is_empty() || h.level1.is_some());
        if let Some(c) = h.level1 {
            update_level(view, row, c, &mut level1);
        }
        if let Some(c) = h.level2 {
            update_level(view, row, c, &mut level2);
        }
        // A repeated header row, or an empty placeholder (`指标2:` with no values).
        let header_again =
            l.level3.matches(&name.value) || (h.name_is_level2 && l.level2.matches(&name.value));
        if header_again || placeholder || parent {
            continue;
        }
        let (weight, weight_from) = match h.weight {
            Some(c) => (
                view.num(Pos::new(row, c), "分值", findings),
                WeightFrom::Column,
            ),
            None => match points_in(&name.shown) {
                Some(w) => (stated(view, &name, w), WeightFrom::Name),
                None => (absent(view, name.cell.pos), WeightFrom::Absent),
            },
        };
        let score = match h.score {
            Some(c) => view.num(Pos::new(row, c), "得分", findings),
            None => absent(view, name.cell.pos),
        };
        let single = h
            .single
            .map(|c| view.num(Pos::new(row, c), "单项指标得分", findings));
        let coefficient = h
            .coefficient
            .map(|c| view.num(Pos::new(row, c), "得分系数", findings));
        let unit_col = at(h.unit).map(|u| u.value).filter(|u| !u.is_empty());
        let unit_hint = unit_col.clone().or_else(|| unit_in_name(&name.value));
        let mut target = target_text.unwrap_or_else(|| absent_text(view, name.cell.pos));
        let mut actual = actual.unwrap_or_else(|| absent_text(view, Pos::new(row, h.name)));
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
        let level2 = match h.name_is_level2 {
            true => name.clone(),
            false => level2
                .clone()
                .unwrap_or_else(|| absent_text(view, name.cell.pos)),
        };
        out.push(Indicator {
            level1,
            level1_points,
            level2,
            unit_hint,
            name,
            target,
            actual,
            weight,
            weight_from,
            score,
            single,
            coefficient,
            reason: at(h.reason),
        });
    }
    if h.weight.is_none() && !h.unscored() {
        infer_weights(view, h, &mut out);
    }
    out
}

/// Whether `row` is one text merged across the table from its left edge past its scores (a
/// contact line or a note below a form without a 总分 row): the table has ended.
fn spans_the_table(view: &View, h: &IndicatorHeader, row: u32) -> bool {
    let left = [h.level1, h.level2, Some(h.name)]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(h.name);
    let Some(right) = [h.score, h.weight, h.single].into_iter().flatten().max() else {
        return false;
    };
    let at = view.sheet.anchor(Pos::new(row, h.name));
    at.row == row
        && at.col <= left
        && at.col < h.name
        && view.sheet.anchor(Pos::new(row, right)) == at
}

const CENT: Decimal = Decimal::from_parts(1, 0, 0, false, 2);

/// The whole weight a row's written score is the share of, by the ratio its positive
/// numeric target and actual give (capped at 1, or not): a whole number of points, or none.
fn explaining_weight(ind: &Indicator, capped: bool, layout: &Layout) -> Option<Decimal> {
    use crate::model::target::{Actual, Direction, align};
    let written = ind.score.number()?;
    let s = written.value;
    let Target::Numeric {
        direction: Direction::AtLeast,
        value,
        ..
    } = Target::parse(&ind.target.value, false, None, layout)
    else {
        return None;
    };
    let Actual::Number(b) = Actual::parse(&ind.actual.value, None, layout) else {
        return None;
    };
    let (a, b) = align(&value, &b)?;
    let mut ratio = b.base().checked_div(a.base())?;
    if capped {
        ratio = ratio.min(Decimal::ONE);
    }
    let w = s.checked_div(ratio)?;
    let whole = crate::number::round_half_away(w, 0);
    // The weight explains the score where the score, as shown, rounds from whole × ratio.
    let (lo, hi) = written.interval();
    (lo..=hi).contains(&(whole * ratio)).then_some(whole)
}

/// A weight the form states in words (`(10分)`), located at the words' cell.
fn stated(view: &View, at: &Located<String>, w: Decimal) -> Num {
    let mut n = absent(view, at.cell.pos);
    n.value = crate::number::NumText::Number(Shown {
        value: w,
        decimals: w.scale(),
        percent: false,
    });
    n.shown = w.normalize().to_string();
    n
}

/// Weights a form without a weight column leaves unwritten (SPEC §10): the rows of a block
/// whose points are stated (`产出指标(50分)`, or the whole block's `年度绩效目标1(80分)`) share
/// what its rows with a weight in their name leave over, equally.
fn infer_weights(view: &View, h: &IndicatorHeader, out: &mut [Indicator]) {
    // The block's points, stated left of the level-1 column at its first row.
    let block_points = h
        .level1
        .and_then(|c| c.checked_sub(1))
        .and_then(|c| points_in(&view.text(Pos::new(h.first_data, c)).shown));
    let by_level1 = out.iter().all(|i| i.level1_points.is_some());
    let groups: Vec<(Option<Decimal>, Vec<usize>)> = if by_level1 {
        // Rows under one level-1 label stand together.
        let mut groups: Vec<(Option<Decimal>, Vec<usize>)> = Vec::new();
        for (k, ind) in out.iter().enumerate() {
            match groups.last_mut() {
                Some((_, rows)) if out[rows[0]].level1.value == ind.level1.value => rows.push(k),
                _ => groups.push((ind.level1_points, vec![k])),
            }
        }
        groups
    } else {
        vec![(block_points, (0..out.len()).collect())]
    };
    for (points, rows) in groups {
        let Some(points) = points else { continue };
        let known: Decimal = rows
            .iter()
            .filter_map(|&k| out[k].weight.number().map(|s| s.value))
            .sum();
        let unknown: Vec<usize> = rows
            .iter()
            .copied()
            .filter(|&k| out[k].weight_from == WeightFrom::Absent)
            .collect();
        let left = points - known;
        if unknown.is_empty() || left <= Decimal::ZERO {
            continue;
        }
        // The weights that explain the written scores, where together they make what is
        // left (31.9 written for 12767 against ≥8000 is 20 × 12767/8000, uncapped); else an
        // equal share, where it is a number of cents.
        let explained = [true, false].into_iter().find_map(|capped| {
            let ws: Option<Vec<Decimal>> = unknown
                .iter()
                .map(|&k| explaining_weight(&out[k], capped, view.layout))
                .collect();
            ws.filter(|ws| {
                (ws.iter().sum::<Decimal>() - left).abs() <= CENT * Decimal::from(ws.len())
            })
        });
        let weights = match explained {
            Some(ws) => ws,
            None => {
                let share = left / Decimal::from(unknown.len());
                if share.scale() > 2 {
                    continue;
                }
                vec![share; unknown.len()]
            }
        };
        for (k, w) in unknown.into_iter().zip(weights) {
            let at = out[k].name.clone();
            out[k].weight = stated(view, &at, w);
            out[k].weight_from = WeightFrom::Inferred;
        }
    }
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
        in_label: false,
        label: view.cell(label),
        weight: weight.unwrap_or_else(|| absent(view, label)),
        score: score.unwrap_or_else(|| absent(view, label)),
    }
}
