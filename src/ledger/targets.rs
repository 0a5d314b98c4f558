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
    /// Reads one export of every project's targets, or a folder of approved-target
    /// workbooks, one project each (its name beside a `项目名称` label).
    pub fn load(path: &Path) -> Result<Targets, LedgerError> {
        if path.is_dir() {
            return Self::load_folder(path);
        }
        let (file, table) = read::file_table(path)?;
        Self::from_table(file, &table)
    }

    fn load_folder(dir: &Path) -> Result<Targets, LedgerError> {
        let unreadable = |e: std::io::Error| LedgerError::Read {
            file: dir.display().to_string(),
            reason: e.to_string(),
        };
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .map_err(unreadable)?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        let mut all = Targets {
            file: dir.display().to_string(),
            ..Targets::default()
        };
        for path in files {
            let (file, mut table) = read::file_table(&path)?;
            // The project named once at the top becomes every row's project column.
            let project = project_label(&table).ok_or_else(|| LedgerError::Columns {
                file: file.clone(),
                looked_for: LedgerLabels::bundled().targets.project.list(),
            })?;
            let c = &LedgerLabels::bundled().targets;
            for row in &mut table {
                let labelled = row
                    .iter()
                    .any(|t| c.level3.matches_normalized(&normalize_label(t)));
                row.insert(
                    0,
                    if labelled {
                        "项目名称".to_string()
                    } else {
                        project.clone()
                    },
                );
            }
            let one = Self::from_table(file, &table)?;
            all.merge(one);
        }
        Ok(all)
    }

    fn merge(&mut self, other: Targets) {
        let base = self.rows.len();
        for (key, rows) in other.by_project {
            self.by_project
                .entry(key)
                .or_default()
                .extend(rows.into_iter().map(|i| i + base));
        }
        for (key, rows) in other.by_code {
            self.by_code
                .entry(key)
                .or_default()
                .extend(rows.into_iter().map(|i| i + base));
        }
        self.rows.extend(other.rows);
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
        let unapproved = form.indicators.iter().zip(&used).filter(|(_, u)| !**u);
        for (ind, _) in unapproved {
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

/// The value beside a `项目名称` label at the top of a one-project workbook.
fn project_label(table: &[Vec<String>]) -> Option<String> {
    let c = &LedgerLabels::bundled().targets;
    table.iter().take(20).find_map(|row| {
        let at = row
            .iter()
            .position(|t| c.project.matches_normalized(&normalize_label(t)))?;
        row[at + 1..]
            .iter()
            .map(|t| t.trim())
            .find(|t| !t.is_empty())
            .map(str::to_string)
    })
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
