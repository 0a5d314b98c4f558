//! A form's row in the ledger, and the amounts the form states held to it.

use std::collections::HashMap;

use serde::Serialize;

use super::{Ledger, LedgerLabels, department_key, name_key};
use crate::cell::{CellRef, Pos};
use crate::finding::{Code, Finding};
use crate::model::{Form, Num};
use crate::number::{fixed, round_half_away};
use crate::scorer::Scored;
use crate::template::Layout;

/// How a form was matched to its ledger row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatchBy {
    /// The 项目编码 the form shows.
    Code,
    /// The project name, folded alike (and the department, where two rows share the name).
    Name,
    /// The nearest name, alike enough and clearly nearer than the next.
    Similar,
}

/// The ledger row a form was matched to, for the reports and the 对账 sheet.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerLink {
    /// The row's number in the ledger file.
    pub line: usize,
    pub project: String,
    pub by: MatchBy,
    /// How alike the names are, 0–1 (1 for a code or an equal name).
    pub similarity: String,
}

/// Rows whose names are measured against a form's, at most: those sharing the most
/// character pairs with it.
const NEAREST_MEASURED: usize = 64;

enum Outcome {
    Matched(usize, MatchBy, f64),
    Ambiguous(Vec<usize>),
    Unmatched(Vec<usize>),
}

impl Ledger {
    /// Matches a scored form to its ledger row and adds the findings: the row's amounts
    /// against the form's, or why no row was taken. The copy keeps the form's values (a
    /// ledger can be wrong too): the notes say what the ledger holds.
    pub fn check(&self, s: &mut Scored, layout: &Layout) {
        let form = &s.form;
        let at = form.project.as_ref().map_or_else(
            || CellRef::new(&form.sheet, Pos::new(0, 0)),
            |p| p.cell.clone(),
        );
        let mut findings = Vec::new();
        match self.find(form) {
            Outcome::Matched(i, by, similarity) => {
                let row = &self.rows[i];
                s.ledger = Some(LedgerLink {
                    line: row.line,
                    project: row.project.clone(),
                    by,
                    similarity: format!("{similarity:.2}"),
                });
                self.amounts(form, i, layout, &mut findings);
            }
            Outcome::Ambiguous(rows) => findings.push(
                Finding::new(
                    Code::LedgerAmbiguous,
                    at,
                    format!(
                        "预算台账中有 {} 行与本项目同样相近（{}），无法确定对应哪一行，请核对项目名称或填写项目编码",
                        rows.len(),
                        self.describe(&rows)
                    ),
                )
                .claimed(project_of(form)),
            ),
            Outcome::Unmatched(nearest) => findings.push(
                Finding::new(
                    Code::LedgerUnmatched,
                    at,
                    match nearest.is_empty() {
                        true => "预算台账中没有本项目".to_string(),
                        false => format!(
                            "预算台账中没有本项目；最接近的是 {}",
                            self.describe(&nearest)
                        ),
                    },
                )
                .claimed(project_of(form)),
            ),
        }
        s.findings.extend(findings);
        crate::finding::in_reading_order(&mut s.findings);
    }

    /// `第 12 行“某项目”、第 40 行“某项目（二期）”`.
    fn describe(&self, rows: &[usize]) -> String {
        rows.iter()
            .map(|&i| format!("第 {} 行“{}”", self.rows[i].line, self.rows[i].project))
            .collect::<Vec<_>>()
            .join("、")
    }

    fn find(&self, form: &Form) -> Outcome {
        let rules = &LedgerLabels::bundled().names;
        if let Some(i) = form
            .project_code
            .as_ref()
            .and_then(|c| self.by_code.get(c.value.trim()))
        {
            return Outcome::Matched(*i, MatchBy::Code, 1.0);
        }
        let Some(project) = form.project.as_ref().filter(|p| !p.value.is_empty()) else {
            return Outcome::Unmatched(Vec::new());
        };
        let key = name_key(&project.value, rules);
        let dept = form
            .department
            .as_ref()
            .map(|d| department_key(&d.value))
            .unwrap_or_default();
        let same_dept = |i: &usize| dept.is_empty() || self.rows[*i].department_key == dept;
        if let Some(rows) = self.by_name.get(&key) {
            let ours: Vec<usize> = rows.iter().copied().filter(same_dept).collect();
            return match (&rows[..], &ours[..]) {
                ([one], _) | (_, [one]) => Outcome::Matched(*one, MatchBy::Name, 1.0),
                _ => Outcome::Ambiguous(if ours.is_empty() { rows.clone() } else { ours }),
            };
        }
        // The nearest names, among the department's rows where it has any: measured only
        // for the rows sharing the most character pairs with the name (a name 0.8 alike
        // shares most of them), so that a ledger of any size costs a form little.
        let mut shared: HashMap<usize, u32> = HashMap::new();
        for pair in super::pairs(&key) {
            for &i in self
                .by_pair
                .get(&pair)
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                *shared.entry(i).or_default() += 1;
            }
        }
        let mut near: Vec<(u32, usize)> = shared.into_iter().map(|(i, n)| (n, i)).collect();
        near.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        near.truncate(NEAREST_MEASURED);
        let dept_rows: Vec<usize> = near.iter().map(|&(_, i)| i).filter(same_dept).collect();
        let pool: Vec<usize> = match dept_rows.is_empty() {
            true => near.iter().map(|&(_, i)| i).collect(),
            false => dept_rows,
        };
        let mut scored: Vec<(f64, usize)> = pool
            .into_iter()
            .map(|i| {
                (
                    strsim::normalized_levenshtein(&key, &self.rows[i].name_key),
                    i,
                )
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let min: f64 = rules.min_similarity.try_into().unwrap_or(0.8);
        let lead: f64 = rules.lead.try_into().unwrap_or(0.05);
        match scored[..] {
            [(best, i), (next, _), ..] if best >= min && best - next >= lead => {
                Outcome::Matched(i, MatchBy::Similar, best)
            }
            [(best, i)] if best >= min => Outcome::Matched(i, MatchBy::Similar, best),
            [(best, _), ..] if best >= min => Outcome::Ambiguous(
                scored
                    .iter()
                    .take_while(|(s, _)| best - s < lead)
                    .map(|(_, i)| *i)
                    .take(3)
                    .collect(),
            ),
            _ => Outcome::Unmatched(scored.iter().take(3).map(|(_, i)| *i).collect()),
        }
    }

    /// The form's 全年预算数 (its 调整后预算数 where it has one) and 全年执行数 against the
    /// row's, in the form's unit and at the precision the form shows.
    fn amounts(&self, form: &Form, i: usize, layout: &Layout, findings: &mut Vec<Finding>) {
        let Some(funding) = &form.funding else { return };
        let row = &self.rows[i];
        let unit = funding.unit_name();
        // A unit that is no money unit (`项目资金（财政）`) says nothing of the amounts.
        let Some(&scale) = layout
            .units
            .money
            .get(unit)
            .or_else(|| layout.units.money.get(crate::model::ASSUMED_MONEY_UNIT))
        else {
            return;
        };
        let t = &funding.total;
        let budget = t.adjusted_budget.as_ref().or(t.budget.as_ref());
        for (num, ledger, code, what) in [
            (budget, row.budget, Code::LedgerBudget, "预算数"),
            (
                t.executed.as_ref(),
                row.executed,
                Code::LedgerExecuted,
                "支出数",
            ),
        ] {
            let (Some(num), Some(yuan)) = (num, ledger) else {
                continue;
            };
            let Some(written) = num.number() else {
                continue;
            };
            let Some(in_unit) = yuan.checked_div(scale) else {
                continue;
            };
            let shown = round_half_away(in_unit, written.decimals);
            if shown == written.value {
                continue;
            }
            findings.push(
                Finding::new(
                    code,
                    num.cell.clone(),
                    format!(
                        "预算台账（{} 第 {} 行“{}”）的{what}为 {} {unit}，与表中 {} 不符，请核对",
                        self.file,
                        row.line,
                        row.project,
                        fixed(shown, written.decimals),
                        written
                    ),
                )
                .claimed(num_text(num))
                .expected(fixed(shown, written.decimals)),
            );
        }
    }
}

fn project_of(form: &Form) -> String {
    form.project
        .as_ref()
        .map_or_else(String::new, |p| p.value.clone())
}

fn num_text(n: &Num) -> String {
    n.number()
        .map_or_else(|| n.shown.trim().to_string(), |s| s.to_string())
}
