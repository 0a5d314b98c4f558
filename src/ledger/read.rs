//! A ledger file as a table of text cells, and where its header and unit stand.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Reader};
use rust_decimal::Decimal;

use super::Columns;
use crate::number::{NumText, fold_width, parse_number_text};
use crate::template::normalize_label;

/// A file's name and its table: a `.csv` or `.txt` as CSV, anything else as a workbook.
pub(super) fn file_table(
    path: &std::path::Path,
) -> Result<(String, Vec<Vec<String>>), super::LedgerError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| super::LedgerError::Read {
        file: file.clone(),
        reason: e.to_string(),
    })?;
    let table = named_table(&file, &bytes)?;
    Ok((file, table))
}

/// The table of a file named `name` holding `bytes`.
pub(super) fn named_table(
    name: &str,
    bytes: &[u8],
) -> Result<Vec<Vec<String>>, super::LedgerError> {
    let lower = name.to_ascii_lowercase();
    let csv = lower.ends_with(".csv") || lower.ends_with(".txt");
    table(bytes, csv).map_err(|reason| super::LedgerError::Read {
        file: name.to_string(),
        reason,
    })
}

/// Rows of a ledger, at most: a province's projects, with room to spare.
const MAX_ROWS: usize = 1_000_000;

/// The first sheet of a workbook, or a CSV in UTF-8 (with or without its byte-order mark)
/// or GBK, as rows of text; a number cell as its shortest decimal.
pub(super) fn table(bytes: &[u8], csv: bool) -> Result<Vec<Vec<String>>, String> {
    if csv {
        return csv_table(bytes);
    }
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| format!("不是可读的工作簿 (not a readable workbook): {e}"))?;
    let first = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or("工作簿没有工作表 (no sheet)")?;
    let range = book.worksheet_range(&first).map_err(|e| e.to_string())?;
    Ok(range
        .rows()
        .take(MAX_ROWS)
        .map(|r| r.iter().map(cell_text).collect())
        .collect())
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Float(f) => {
            crate::number::decimal_from_f64(*f).map_or_else(String::new, |v| v.to_string())
        }
        Data::Int(i) => i.to_string(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

fn csv_table(bytes: &[u8]) -> Result<Vec<Vec<String>>, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => std::borrow::Cow::Borrowed(t),
        // Not UTF-8: a Chinese budget system's export is GBK.
        Err(_) => encoding_rs::GBK.decode_without_bom_handling(bytes).0,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    reader
        .records()
        .take(MAX_ROWS)
        .map(|r| {
            r.map(|r| r.iter().map(str::to_string).collect())
                .map_err(|e| e.to_string())
        })
        .collect()
}

/// Where the header stands and the column of each field.
pub(super) struct Header {
    pub(super) row: usize,
    pub(super) department: Option<usize>,
    pub(super) project: usize,
    pub(super) project_code: Option<usize>,
    pub(super) budget: usize,
    pub(super) executed: usize,
}

/// The first of the top rows that labels a project name, a budget and a spending column.
pub(super) fn header(table: &[Vec<String>], c: &Columns) -> Option<Header> {
    table.iter().take(30).enumerate().find_map(|(row, cells)| {
        let labels: Vec<String> = cells.iter().map(|t| normalize_label(t)).collect();
        let col =
            |a: &crate::template::Aliases| labels.iter().position(|l| a.matches_normalized(l));
        // A `项目名称` column beside `项目编码`: the code is not the name.
        Some(Header {
            row,
            department: col(&c.department),
            project: col(&c.project)?,
            project_code: col(&c.project_code),
            budget: col(&c.budget)?,
            executed: col(&c.executed)?,
        })
    })
}

/// The ledger's money unit and its value in 元: a `单位：万元` line above the header, or a
/// unit in an amount header's brackets (`调整后预算数（万元）`); 元 otherwise, as budget
/// systems export.
pub(super) fn money_unit(
    table: &[Vec<String>],
    h: &Header,
    money: &BTreeMap<String, Decimal>,
) -> (String, Decimal) {
    let stated = |text: &str| -> Option<(String, Decimal)> {
        let t = fold_width(text).replace(char::is_whitespace, "");
        let after = t
            .split_once("单位:")
            .map(|(_, u)| u.to_string())
            .or_else(|| {
                let open = t.find('(')?;
                Some(t[open + 1..].trim_end_matches(')').to_string())
            })?;
        // The longest unit the text begins with: `万元` before `万`.
        money
            .iter()
            .filter(|(u, _)| after.starts_with(u.as_str()))
            .max_by_key(|(u, _)| u.len())
            .map(|(u, v)| (u.clone(), *v))
    };
    let above = table[..h.row].iter().flatten();
    let headers = [h.budget, h.executed]
        .into_iter()
        .filter_map(|c| table[h.row].get(c));
    above
        .chain(headers)
        .find_map(|t| stated(t))
        .unwrap_or(("元".to_string(), Decimal::ONE))
}

/// An amount as the ledger writes it: `1,873,660.00`, `1873660`; `None` when not a number.
pub(super) fn amount(text: &str) -> Option<Decimal> {
    match parse_number_text(text) {
        NumText::Number(s) if !s.percent => Some(s.value),
        _ => None,
    }
}
