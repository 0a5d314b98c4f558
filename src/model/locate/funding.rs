//! The funding block (项目资金): its header row, the total and source rows, and the unit its
//! label names.

use super::view::{MoneyUnit, View, absent_text};
use crate::cell::Pos;
use crate::finding::Finding;
use crate::model::{Funding, FundingRow, SourceKind};
use crate::number::fold_width;
use crate::template::normalize_label;

/// The funding header row and the column of each field.
#[derive(Debug, Clone)]
pub(super) struct FundingHeader {
    pub(super) row: u32,
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

/// The first row that has a 全年执行数 header and a budget header beside it; a header may be
/// cut short (`全年执行`, see [`View::header_columns`]).
pub(super) fn find_funding_header(view: &View) -> Option<FundingHeader> {
    let f = &view.layout.funding;
    view.header_rows(&f.executed).into_iter().find_map(|row| {
        let [
            executed,
            budget,
            adjusted_budget,
            initial_budget,
            source,
            weight,
            rate,
            score,
            reason,
        ] = view.header_columns(
            row,
            [
                &f.executed,
                &f.budget,
                &f.adjusted_budget,
                &f.initial_budget,
                &f.source,
                &f.weight,
                &f.rate,
                &f.score,
                &f.reason,
            ],
        );
        executed?;
        budget.or(adjusted_budget)?;
        Some(FundingHeader {
            row,
            label_col: source,
            block_label: view
                .find(&f.block)
                .find(|q| q.row <= row + 1 && q.row + 1 >= row),
            initial_budget,
            budget,
            adjusted_budget,
            executed,
            weight,
            rate,
            score,
            reason,
        })
    })
}

pub(super) fn read_funding(
    view: &View,
    h: &FundingHeader,
    stop_row: u32,
    findings: &mut Vec<Finding>,
) -> Funding {
    let rows = block_rows(view, h, stop_row);
    // `万元` from `项目资金（万元）`: any text in the label's brackets, as the form states it.
    let stated = h
        .block_label
        .map(|p| fold_width(&view.text(p).value))
        .and_then(|l| {
            let start = l.find('(')?;
            Some(l[start + 1..].trim_end_matches(')').to_string())
        });
    let unit = money_unit(view, h, &rows, stated.as_deref());
    let mut total: Option<FundingRow> = None;
    let mut sources = Vec::new();
    for (row, label_pos, kind) in rows {
        let num = |c: Option<u32>, what: &str, findings: &mut Vec<Finding>| {
            c.map(|c| view.num(Pos::new(row, c), what, findings))
        };
        let amount = |c: Option<u32>, what: &str, findings: &mut Vec<Finding>| {
            c.map(|c| view.amount(Pos::new(row, c), what, unit.as_ref(), findings))
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
        unit: unit.map(|u| u.name).or(stated),
        stated_weight: stated_weight(view, h),
    }
}

/// Points the execution is worth as its header states them, in the header row or the row
/// above it (`预算执行情况(万元)(20分)` merged over the amounts).
fn stated_weight(view: &View, h: &FundingHeader) -> Option<rust_decimal::Decimal> {
    let rows = h.row.saturating_sub(1)..=h.row;
    rows.flat_map(|r| (0..view.sheet.cols).map(move |c| Pos::new(r, c)))
        .filter(|p| view.sheet.anchor(*p) == *p)
        .find_map(|p| points_stated(&view.text(p).value))
}

/// `20` from `得分(20分*执行率)` or `(20分)`: a number followed by 分 in brackets.
fn points_stated(text: &str) -> Option<rust_decimal::Decimal> {
    let folded = fold_width(text);
    folded.split('(').skip(1).find_map(|group| {
        let inner = group.split(')').next()?;
        let end = inner.find('分')?;
        let digits = inner[..end].trim();
        (!digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit() || c == '.'))
            .then(|| digits.parse().ok())
            .flatten()
    })
}

/// The rows of the block below its header, each with its label cell and kind, up to the goals
/// or indicator block.
fn block_rows(view: &View, h: &FundingHeader, stop_row: u32) -> Vec<(u32, Pos, SourceKind)> {
    let f = &view.layout.funding;
    let first_amount = amount_columns(h).min().unwrap_or(0);
    let mut rows = Vec::new();
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
        match found {
            Some((p, kind)) => rows.push((row, p, kind)),
            // An unlisted source row still counts if it carries amounts.
            None => match labels.last() {
                Some((p, _)) if has_amounts(view, h, row) => {
                    rows.push((row, *p, SourceKind::Other))
                }
                _ => {}
            },
        }
    }
    rows
}

fn amount_columns(h: &FundingHeader) -> impl Iterator<Item = u32> {
    [h.initial_budget, h.budget, h.adjusted_budget, h.executed]
        .into_iter()
        .flatten()
}

/// The unit the block's amounts are read in: the money unit its label states
/// (`项目资金（万元）`); without one, the largest unit an amount writes in its cell (`300万元`),
/// so that every other converts to it exactly, the first written where two are worth as much
/// (`万元`, `万`); `None` where neither names one.
fn money_unit(
    view: &View,
    h: &FundingHeader,
    rows: &[(u32, Pos, SourceKind)],
    stated: Option<&str>,
) -> Option<MoneyUnit> {
    let money = &view.layout.units.money;
    if let Some((name, scale)) = stated.and_then(|s| money.get_key_value(s)) {
        return Some(MoneyUnit {
            name: name.clone(),
            scale: *scale,
        });
    }
    rows.iter()
        .flat_map(|(row, _, _)| amount_columns(h).map(move |c| Pos::new(*row, c)))
        .filter_map(|p| view.unit_of_amount(p))
        .min_by_key(|u| std::cmp::Reverse(u.scale))
}

fn has_amounts(view: &View, h: &FundingHeader, row: u32) -> bool {
    amount_columns(h).any(|c| {
        let p = Pos::new(row, c);
        let mut scratch = Vec::new();
        view.num(p, "", &mut scratch).number().is_some() || view.unit_of_amount(p).is_some()
    })
}
