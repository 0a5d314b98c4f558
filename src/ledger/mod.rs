//! The bureau's own books (`--ledger`): its budget system's export of project budgets and
//! spending, one row per project. Each form is matched to its row, and the amounts the form
//! states are held to the ledger's (SPEC §5, `ledger-*`). Nothing from a ledger changes a
//! department's corrected copy but the notes of its findings.

mod matching;
mod read;
mod targets;

use std::collections::HashMap;
use std::path::Path;

use rust_decimal::Decimal;
use serde::Deserialize;

pub use matching::{LedgerLink, MatchBy};
pub use targets::Targets;

use crate::template::{Aliases, Layout, normalize_label};

const LABELS: &str = include_str!("../../templates/ledger.toml");

/// The ledger's labels and how names are compared, from `templates/ledger.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerLabels {
    pub columns: Columns,
    pub names: NameRules,
    pub targets: TargetColumns,
}

/// The columns of an approved-targets export.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetColumns {
    pub project: Aliases,
    pub project_code: Aliases,
    pub level1: Aliases,
    pub level2: Aliases,
    pub level3: Aliases,
    pub target: Aliases,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    pub department: Aliases,
    pub department_code: Aliases,
    pub project: Aliases,
    pub project_code: Aliases,
    pub initial_budget: Aliases,
    pub budget: Aliases,
    pub executed: Aliases,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameRules {
    pub drop_suffixes: Vec<String>,
    pub min_similarity: Decimal,
    pub lead: Decimal,
}

impl LedgerLabels {
    pub fn bundled() -> &'static LedgerLabels {
        static ONCE: std::sync::OnceLock<LedgerLabels> = std::sync::OnceLock::new();
        ONCE.get_or_init(|| {
            toml::from_str(LABELS).unwrap_or_else(|e| panic!("templates/ledger.toml: {e}"))
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("无法读取预算台账 {file}：{reason} (cannot read the ledger)")]
    Read { file: String, reason: String },
    #[error(
        "预算台账 {file} 中找不到表头：须有项目名称、预算数和支出数各一列；查找的标签：{looked_for} (ledger columns not found)"
    )]
    Columns { file: String, looked_for: String },
}

/// One project of the ledger. Amounts are in 元.
#[derive(Debug, Clone)]
pub struct LedgerRow {
    /// The row's number in the file, 1-based, as the bureau finds it.
    pub line: usize,
    pub department: String,
    pub project: String,
    pub code: Option<String>,
    pub budget: Option<Decimal>,
    pub executed: Option<Decimal>,
    name_key: String,
    department_key: String,
}

/// A ledger read whole, with its rows indexed by code and by folded name.
#[derive(Debug)]
pub struct Ledger {
    pub file: String,
    /// The money unit its amounts were written in (`元`, `万元`).
    pub unit: String,
    pub rows: Vec<LedgerRow>,
    /// What was wrong with some rows (skipped or not matched by code), each naming its row.
    pub problems: Vec<String>,
    by_code: HashMap<String, usize>,
    by_name: HashMap<String, Vec<usize>>,
    /// Rows by the character pairs of their folded name: the names near a form's are
    /// among those sharing pairs with it, so only those are measured.
    by_pair: HashMap<[char; 2], Vec<usize>>,
}

impl Ledger {
    /// Reads a ledger (`.xlsx`, `.xls`, `.ods` or `.csv` in UTF-8 or GBK).
    pub fn load(path: &Path, layout: &Layout) -> Result<Ledger, LedgerError> {
        let (file, table) = read::file_table(path)?;
        Self::from_table(file, &table, layout)
    }

    /// A ledger uploaded as `name` (its extension tells a CSV).
    pub fn from_bytes(name: &str, bytes: &[u8], layout: &Layout) -> Result<Ledger, LedgerError> {
        let table = read::named_table(name, bytes)?;
        Self::from_table(name.to_string(), &table, layout)
    }

    /// The ledger a table of text cells holds: its header found by the labels, its unit
    /// from a `单位：万元` line above or a header's brackets, then a project a row.
    pub fn from_table(
        file: String,
        table: &[Vec<String>],
        layout: &Layout,
    ) -> Result<Ledger, LedgerError> {
        let labels = LedgerLabels::bundled();
        let c = &labels.columns;
        let found = read::header(table, c).ok_or_else(|| LedgerError::Columns {
            file: file.clone(),
            looked_for: [&c.project, &c.budget, &c.executed]
                .map(Aliases::list)
                .join("；"),
        })?;
        let (unit, scale) = read::money_unit(table, &found, &layout.units.money);
        let mut ledger = Ledger {
            file,
            unit,
            rows: Vec::new(),
            problems: Vec::new(),
            by_code: HashMap::new(),
            by_name: HashMap::new(),
            by_pair: HashMap::new(),
        };
        for (k, cells) in table.iter().enumerate().skip(found.row + 1) {
            let line = k + 1;
            let text = |col: Option<usize>| {
                col.and_then(|c| cells.get(c))
                    .map(|t| t.trim().to_string())
                    .unwrap_or_default()
            };
            let project = text(Some(found.project));
            if project.is_empty() {
                continue;
            }
            let mut bad = Vec::new();
            let mut amount = |col: Option<usize>, what: &str| -> Option<Decimal> {
                let t = text(col);
                if t.is_empty() {
                    return None;
                }
                match read::amount(&t) {
                    Some(v) => Some(v * scale),
                    None => {
                        bad.push(format!("{what}“{t}”"));
                        None
                    }
                }
            };
            let budget = amount(Some(found.budget), "预算数");
            let executed = amount(Some(found.executed), "支出数");
            if !bad.is_empty() {
                ledger.problems.push(format!(
                    "{} 第 {line} 行（{project}）：{}不是数字，此行已跳过",
                    ledger.file,
                    bad.join("、")
                ));
                continue;
            }
            let department = text(found.department);
            let code = Some(text(found.project_code)).filter(|c| !c.is_empty());
            ledger.rows.push(LedgerRow {
                line,
                name_key: name_key(&project, &labels.names),
                department_key: department_key(&department),
                department,
                project,
                code,
                budget,
                executed,
            });
        }
        ledger.index();
        Ok(ledger)
    }

    /// Codes that stand once are matched by; a code that stands twice is reported at each
    /// of its rows and matched by name instead.
    fn index(&mut self) {
        let mut rows_of: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, r) in self.rows.iter().enumerate() {
            if let Some(code) = &r.code {
                rows_of.entry(code.clone()).or_default().push(i);
            }
            self.by_name.entry(r.name_key.clone()).or_default().push(i);
            for pair in pairs(&r.name_key) {
                let rows = self.by_pair.entry(pair).or_default();
                if rows.last() != Some(&i) {
                    rows.push(i);
                }
            }
        }
        let mut codes: Vec<_> = rows_of.into_iter().collect();
        codes.sort();
        for (code, rows) in codes {
            if let [one] = rows[..] {
                self.by_code.insert(code, one);
                continue;
            }
            let lines: Vec<String> = rows
                .iter()
                .map(|&i| self.rows[i].line.to_string())
                .collect();
            for &i in &rows {
                self.problems.push(format!(
                    "{} 第 {} 行：项目编码 {code} 重复（第 {} 行），这些行不按编码匹配",
                    self.file,
                    self.rows[i].line,
                    lines.join("、")
                ));
            }
        }
    }
}

/// A project name as two are compared: folded, without the year, anything in brackets, and
/// the generic words a name may end with (`经费`, `资金`…).
pub fn name_key(name: &str, rules: &NameRules) -> String {
    let mut key = normalize_label(&strip_years(name));
    loop {
        let before = key.len();
        for suffix in &rules.drop_suffixes {
            if key.len() > suffix.len()
                && let Some(rest) = key.strip_suffix(suffix.as_str())
            {
                key = rest.to_string();
            }
        }
        if key.len() == before {
            return key;
        }
    }
}

/// The character pairs of a folded name, each once.
fn pairs(key: &str) -> Vec<[char; 2]> {
    let chars: Vec<char> = key.chars().collect();
    let mut out: Vec<[char; 2]> = chars.windows(2).map(|w| [w[0], w[1]]).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// A department's name without the code a budget system puts before it (`[196]…`).
fn department_key(name: &str) -> String {
    normalize_label(name)
}

/// `2023年度`, `2023年` taken out.
fn strip_years(name: &str) -> String {
    let chars: Vec<char> = crate::number::fold_width(name).chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let year = chars.len() >= i + 5
            && chars[i..i + 4].iter().all(char::is_ascii_digit)
            && chars[i + 4] == '年';
        if year {
            i += 5;
            if chars.get(i) == Some(&'度') {
                i += 1;
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests;
