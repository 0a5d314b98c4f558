//! The performance targets the bureau approved a year earlier (`--targets`): a form's 年度指标值
//! held to them, indicator by indicator, so that a target lowered after the fact is seen.

use std::collections::HashMap;
use std::path::Path;

use super::{LedgerError, LedgerLabels, name_key, read};
use crate::cell::{CellRef, Pos};
use crate::finding::{Code, Finding};
use crate::model::Form;
use crate::model::target::Target;
use crate::scorer::Scored;
use crate::template::{Aliases, Layout, normalize_label};

/// One approved indicator.
#[derive(Debug, Clone)]
pub struct Approved {
    pub line: usize,
    pub project: String,
    pub name: String,
    pub target: String,
    name_key: String,
}

/// The approved targets, by project (its code and its folded name).
#[derive(Debug, Default)]
pub struct Targets {
    pub file: String,
    pub rows: Vec<Approved>,
    by_code: HashMap<String, Vec<usize>>,
    by_project: HashMap<String, Vec<usize>>,
}

impl Targets {
    pub fn load(path: &Path) -> Result<Targets, LedgerError> {
        let (file, table) = read::file_table(path)?;
        Self::from_table(file, &table)
    }

    /// Targets uploaded as `name` (its extension tells a CSV).
    pub fn from_bytes(name: &str, bytes: &[u8]) -> Result<Targets, LedgerError> {
        let table = read::named_table(name, bytes)?;
        Self::from_table(name.to_string(), &table)
    }

    pub fn from_table(file: String, table: &[Vec<String>]) -> Result<Targets, LedgerError> {
        let labels = LedgerLabels::bundled();
        let c = &labels.targets;
        let col =
            |labels: &[String], a: &Aliases| labels.iter().position(|l| a.matches_normalized(l));
        let found = table.iter().take(30).enumerate().find_map(|(row, cells)| {
            let l: Vec<String> = cells.iter().map(|t| normalize_label(t)).collect();
            Some((
                row,
                col(&l, &c.project)?,
                col(&l, &c.project_code),
                col(&l, &c.level3)?,
                col(&l, &c.target)?,
            ))
        });
        let Some((header, project, code, level3, target)) = found else {
            return Err(LedgerError::Columns {
                file,
                looked_for: [&c.project, &c.level3, &c.target]
                    .map(Aliases::list)
                    .join("；"),
            });
        };
        let mut t = Targets {
            file,
            ..Targets::default()
        };
        // Project names are written once above their indicators, or on every row.
        let mut current = (String::new(), None::<String>);
        for (k, cells) in table.iter().enumerate().skip(header + 1) {
            let text = |c: usize| {
                cells
                    .get(c)
                    .map(|s| s.trim().to_string())
                    .unwrap_or_default()
            };
            if !text(project).is_empty() {
                current = (text(project), code.map(text).filter(|c| !c.is_empty()));
            }
            let (name, approved) = (text(level3), text(target));
            if current.0.is_empty() || name.is_empty() || approved.is_empty() {
                continue;
            }
            let i = t.rows.len();
            t.by_project
                .entry(name_key(&current.0, &labels.names))
                .or_default()
                .push(i);
            if let Some(code) = &current.1 {
                t.by_code.entry(code.clone()).or_default().push(i);
            }
            t.rows.push(Approved {
                line: k + 1,
                project: current.0.clone(),
                name_key: normalize_label(&name),
                name,
                target: approved,
            });
        }
        Ok(t)
    }

    /// The approved indicators of a form's project: by its code, else by its folded name.
    fn of(&self, form: &Form) -> Option<&[usize]> {
        let by_code = form
            .project_code
            .as_ref()
            .and_then(|c| self.by_code.get(c.value.trim()));
        by_code
            .or_else(|| {
                let project = form.project.as_ref()?;
                self.by_project
                    .get(&name_key(&project.value, &LedgerLabels::bundled().names))
            })
            .map(Vec::as_slice)
    }

    /// Holds each indicator of `s` to its approved target: `target-changed` where the
    /// direction, number or unit differ, `target-dropped` for an approved indicator the form
    /// lacks, `target-added` for one the bureau never approved.
    pub fn check(&self, s: &mut Scored, layout: &Layout) {
        let Some(rows) = self.of(&s.form) else { return };
        let form = &s.form;
        let mut findings = Vec::new();
        let mut used = vec![false; form.indicators.len()];
        for &i in rows {
            let a = &self.rows[i];
            let hit = form
                .indicators
                .iter()
                .enumerate()
                .find(|(k, ind)| !used[*k] && normalize_label(&ind.name.value) == a.name_key);
            let Some((k, ind)) = hit else {
                let at = form.project.as_ref().map_or_else(
                    || CellRef::new(&form.sheet, Pos::new(0, 0)),
                    |p| p.cell.clone(),
                );
                findings.push(
                    Finding::new(
                        Code::TargetDropped,
                        at,
                        format!(
                            "批复的绩效指标“{}”（{}，目标表第 {} 行）不在自评表中",
                            a.name, a.target, a.line
                        ),
                    )
                    .expected(a.target.clone()),
                );
                continue;
            };
            used[k] = true;
            if !same_target(&ind.target.value, &a.target, layout) {
                findings.push(
                    Finding::new(
                        Code::TargetChanged,
                        ind.target.cell.clone(),
                        format!(
                            "“{}”的年度指标值与批复的不同：批复为“{}”（{} 第 {} 行），表中为“{}”",
                            ind.name.value, a.target, self.file, a.line, ind.target.value
                        ),
                    )
                    .claimed(ind.target.value.clone())
                    .expected(a.target.clone()),
                );
            }
        }
        for (k, ind) in form
            .indicators
            .iter()
            .enumerate()
            .filter(|(k, _)| !used[*k])
        {
            let _ = k;
            findings.push(Finding::new(
                Code::TargetAdded,
                ind.name.cell.clone(),
                format!("“{}”不在批复的绩效目标中", ind.name.value),
            ));
        }
        s.findings.extend(findings);
        crate::finding::in_reading_order(&mut s.findings);
    }
}

/// Whether a written target is the approved one: the same direction and the same quantity
/// in one unit (`≥95%` is `不低于95%`), or the same words.
fn same_target(written: &str, approved: &str, layout: &Layout) -> bool {
    let (w, a) = (
        Target::parse(written, false, None, layout),
        Target::parse(approved, false, None, layout),
    );
    match (&w, &a) {
        (
            Target::Numeric {
                direction: dw,
                value: vw,
                ..
            },
            Target::Numeric {
                direction: da,
                value: va,
                ..
            },
        ) => dw == da && vw.unit.base == va.unit.base && vw.base() == va.base(),
        (Target::Range { lo: lw, hi: hw }, Target::Range { lo: la, hi: ha }) => {
            lw.base() == la.base() && hw.base() == ha.base() && lw.unit.base == la.unit.base
        }
        _ => normalize_label(written) == normalize_label(approved),
    }
}
