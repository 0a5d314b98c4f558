//! Which template family a form is (SPEC §10), and the total some families print in the
//! header block instead of a 总分 row.

use super::indicators::IndicatorHeader;
use super::view::{View, absent};
use crate::model::{Family, Indicator, Totals};
use crate::number::{NumText, parse_number_text};
use crate::template::normalize_label;

/// The family of a form, from its title, its indicator header and its level-1 names.
pub(super) fn family_of(
    view: &View,
    title: Option<&str>,
    header: Option<&IndicatorHeader>,
    indicators: &[Indicator],
) -> Family {
    let f = &view.layout.families;
    if title.is_some_and(|t| f.department_title.found_in(&normalize_label(t)).is_some()) {
        return Family::Department;
    }
    let Some(h) = header else {
        return Family::National;
    };
    let mut rubric: Vec<&str> = indicators
        .iter()
        .filter_map(|i| f.rubric_level1.found_in(&normalize_label(&i.level1.value)))
        .collect();
    rubric.sort_unstable();
    rubric.dedup();
    if h.single.is_some() {
        Family::Weighted
    } else if rubric.len() >= 2 || (rubric.len() == 1 && h.criteria.is_some()) {
        Family::Rubric
    } else if h.unscored() {
        Family::NoScore
    } else if h.weight.is_none() {
        Family::NoWeight
    } else if h.has_split_target() {
        Family::SplitTarget
    } else {
        Family::National
    }
}

/// A total printed above the indicator header (`自评总分 | 92.5`, `项目总得分99分`), for a
/// form without a 总分 row.
pub(super) fn total_in_header(view: &View, before_row: u32) -> Option<Totals> {
    for (pos, rest) in view.find_prefixed(&view.layout.header.total) {
        if pos.row >= before_row {
            break;
        }
        let rest = rest.trim_start_matches(':');
        if rest.is_empty() {
            let Some(value) = view.value_right_of(pos) else {
                continue;
            };
            let mut scratch = Vec::new();
            let score = view.num(value.cell.pos, "总分", &mut scratch);
            if score.number().is_some() {
                return Some(Totals {
                    label: view.cell(pos),
                    weight: absent(view, pos),
                    score,
                    in_label: false,
                });
            }
        } else if let NumText::Number(shown) = parse_number_text(rest) {
            let mut score = absent(view, pos);
            score.value = NumText::Number(shown);
            score.shown = view.text(pos).shown;
            return Some(Totals {
                label: view.cell(pos),
                weight: absent(view, pos),
                score,
                in_label: true,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cell::Pos;
    use crate::reader::{RawCell, RawSheet, RawValue};
    use crate::template::Layout;

    fn sheet(cells: &[(u32, u32, &str)]) -> RawSheet {
        let mut s = RawSheet::new("自评表", 10, 10);
        for &(r, c, t) in cells {
            s.set(
                Pos::new(r, c),
                RawCell {
                    value: RawValue::Text(t.to_string()),
                    formula: None,
                },
            );
        }
        s
    }

    #[test]
    fn a_total_beside_its_label_or_inside_it_is_read() {
        let layout = Layout::bundled();
        let s = sheet(&[(1, 0, "自评总分："), (1, 1, "92.5"), (5, 0, "三级指标")]);
        let t = total_in_header(&View::new(&s, layout), 5).expect("beside");
        assert_eq!((t.score.cell.a1(), t.in_label), ("B2".to_string(), false));
        let s = sheet(&[(2, 3, "项目总得分99分"), (5, 0, "三级指标")]);
        let t = total_in_header(&View::new(&s, layout), 5).expect("inside");
        assert_eq!(
            t.score.number().map(|s| s.value.to_string()),
            Some("99".into())
        );
        assert!(t.in_label);
        // A score column's header with no number beside it is no total.
        let s = sheet(&[(1, 0, "自评得分"), (1, 1, "偏差原因")]);
        assert!(total_in_header(&View::new(&s, layout), 5).is_none());
    }
}
