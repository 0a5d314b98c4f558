//! The funding block (项目资金): its header row, the total and source rows, and the unit its
//! label names.

use super::view::{View, absent_text};
use crate::cell::Pos;
use crate::finding::Finding;
use crate::model::{Funding, FundingRow, SourceKind};
use crate::number::fold_width;
use crate::template::{Aliases, normalize_label};

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

pub(super) fn find_funding_header(view: &View) -> Option<FundingHeader> {
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

pub(super) fn read_funding(
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
