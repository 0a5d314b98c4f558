//! Each regional profile (SPEC §7) on worked examples, against the national default.

mod common;

use common::{Form, Found, V, clean, findings, ind, n, scratch, selfeval, t, write_form};
use rust_xlsxwriter::Workbook;

/// Writes the form, lets `touch` overwrite cells, and checks it under `profile`.
fn check(
    name: &str,
    form: &Form,
    profile: &str,
    touch: impl Fn(&mut rust_xlsxwriter::Worksheet),
) -> (i32, Vec<Found>, serde_json::Value) {
    let dir = scratch(&format!("profiles-{name}-{profile}"));
    let path = dir.join(format!("{name}.xlsx"));
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    write_form(ws, form);
    touch(ws);
    wb.save(&path).expect("save");
    let run = selfeval(&[
        "check",
        path.to_str().unwrap(),
        "--format",
        "json",
        "--no-write",
        "--profile",
        profile,
    ]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let json = run.json();
    (run.code, findings(&json), json)
}

fn errors(found: &[Found]) -> Vec<(&str, &str)> {
    found
        .iter()
        .filter(|f| f.2 == "error")
        .map(|f| (f.0.as_str(), f.1.as_str()))
        .collect()
}

/// Sichuan scores execution on 调整后预算数: with 全年预算数 100.00 and 调整后预算数
/// 120.00, 113.40 executed is 94.50% there and 113.40% nationally.
#[test]
fn sichuan_uses_the_adjusted_budget_and_asks_a_reason_below_90_percent() {
    let mut f = clean();
    f.total_row.initial = V::Fmt(100.0, "0.00");
    f.sources[0].initial = V::Fmt(80.0, "0.00");
    let relabel = |ws: &mut rust_xlsxwriter::Worksheet| {
        ws.write_string(3, 2, "全年预算数").expect("write");
        ws.write_string(3, 3, "调整后预算数（A）").expect("write");
    };
    let (code, found, _) = check("adjusted", &f, "sichuan", relabel);
    assert_eq!(errors(&found), vec![], "{found:?}");
    assert_eq!(code, 0);
    let (_, national, _) = check("adjusted", &f, "national", relabel);
    assert!(
        national
            .iter()
            .any(|x| x.0 == "G5" && x.1 == "exec-rate" && x.4 == "113.40%"),
        "{national:?}"
    );

    // 100.00 executed of 120.00 adjusted: 83.33%, 8.33 points, and a reason is due.
    let mut low = f.clone();
    low.total_row.executed = V::Fmt(100.0, "0.00");
    low.sources[0].executed = V::Fmt(82.0, "0.00");
    low.exec_rate = t("83.33%");
    low.exec_score = n(8.33);
    low.total = n(98.33);
    let (_, found, _) = check("low", &low, "sichuan", relabel);
    assert_eq!(errors(&found), vec![], "{found:?}");
    assert!(
        found.iter().any(|x| x.0 == "G5" && x.1 == "reason-missing"),
        "{found:?}"
    );
    let (_, national, _) = check("low", &low, "national", relabel);
    assert!(
        !national
            .iter()
            .any(|x| x.1 == "reason-missing" && x.0 == "G5")
    );
}

/// Hubei: execution 20 points, 产出 40, 效益 + 满意度 40.
#[test]
fn hubei_scores_execution_out_of_20() {
    let mut f = clean();
    f.exec_weight = n(20.0);
    f.exec_score = n(18.9);
    f.indicators.remove(4); // 产出 now 40
    f.total = n(98.9);
    let (code, found, json) = check("hubei", &f, "hubei", |_| {});
    assert_eq!(errors(&found), vec![], "{found:?}");
    assert!(!found.iter().any(|x| x.1 == "l1-weights"), "{found:?}");
    assert_eq!(code, 0);
    assert_eq!(json["files"][0]["forms"][0]["total"], "98.90");
    // The national profile sees the split as unusual, not wrong.
    let (_, national, _) = check("hubei", &f, "national", |_| {});
    assert_eq!(errors(&national), vec![], "{national:?}");
    assert!(
        national.iter().any(|x| x.1 == "l1-weights" && x.0 == "F5"),
        "{national:?}"
    );
    // 94.50% of 20 is 18.90; a form that keeps 10 points' worth is wrong under Hubei.
    let mut g = f.clone();
    g.exec_score = n(9.45);
    let (_, found, _) = check("hubei-wrong", &g, "hubei", |_| {});
    assert!(
        found
            .iter()
            .any(|x| x.0 == "H5" && x.1 == "exec-score" && x.4 == "18.90"),
        "{found:?}"
    );
}

/// The platform variant: 2 points off for ≥ 30% over target; the total capped at 79 when
/// execution is below 70%; grades at 80/70/60.
#[test]
fn platform_penalties_deduct_cap_and_grade_lower() {
    let mut f = clean();
    f.indicators[0] = ind(
        "产出指标",
        "数量指标",
        "培训企业人次",
        "≥1000人次",
        "1300人次",
        10.0,
        8.0,
    );
    // 78.00 of 120.00 executed: 65.00%, 6.50 points.
    f.total_row.executed = V::Fmt(78.0, "0.00");
    f.sources[0].executed = V::Fmt(60.0, "0.00");
    f.exec_rate = t("65.00%");
    f.exec_score = n(6.5);
    f.total = n(79.0);
    f.grade = t("良");
    let (code, found, json) = check("platform", &f, "platform-penalties", |_| {});
    assert_eq!(errors(&found), vec![], "{found:?}");
    assert_eq!(code, 0);
    let form = &json["files"][0]["forms"][0];
    assert_eq!(
        (form["total"].as_str(), form["grade"].as_str()),
        (Some("79.00"), Some("良"))
    );
    // Nationally the indicator keeps its 10 points and the total is 96.50, graded 优.
    let (_, national, json) = check("platform", &f, "national", |_| {});
    assert!(
        national
            .iter()
            .any(|x| x.0 == "H12" && x.1 == "score-formula" && x.4 == "10.00"),
        "{national:?}"
    );
    assert_eq!(json["files"][0]["forms"][0]["total"], "96.50");
    // Uncapped and without the deduction, the platform says the total is wrong.
    let mut g = f.clone();
    g.indicators[0].score = n(10.0);
    g.total = n(96.5);
    g.grade = t("优");
    let (_, found, _) = check("platform-wrong", &g, "platform-penalties", |_| {});
    assert!(
        found
            .iter()
            .any(|x| x.0 == "H12" && x.1 == "score-formula" && x.4 == "8.00"),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|x| x.0 == "H20" && x.1 == "total-score" && x.4 == "79.00"),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|x| x.0 == "B21" && x.1 == "grade" && x.4 == "良"),
        "{found:?}"
    );
}

#[test]
fn a_bureau_profile_file_is_read_from_a_path() {
    let dir = scratch("profiles-file");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/templates/national.toml"
    ))
    .expect("national")
    .replace(
        "name = \"优\"\nmin = \"90\"",
        "name = \"优\"\nmin = \"99.5\"",
    );
    let path = dir.join("bureau.toml");
    std::fs::write(&path, text).expect("write");
    let (_, found, _) = check("bureau", &clean(), path.to_str().unwrap(), |_| {});
    assert!(
        found
            .iter()
            .any(|x| x.1 == "grade" && x.3 == "优" && x.4 == "良"),
        "{found:?}"
    );
    let bad = selfeval(&["check", "fixtures/none.xlsx", "--profile", "nowhere"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("national"), "{}", bad.stderr);
}
