//! Real forms' look-alike operators, headers cut short or extended, and amounts that carry
//! their unit (SPEC §1, §2, I1), through the binary: each fixture of fixtures/README.md made
//! for them must give exactly the findings of its `.expected.json`, as the seed sample does.

mod common;

use std::path::Path;

use common::{Found, expected_findings, findings, selfeval};

/// The fixture's findings, as `selfeval check --format json` reports them, and its report.
fn check(name: &str) -> (Vec<Found>, serde_json::Value) {
    let path = format!("fixtures/{name}.xlsx");
    let run = selfeval(&["check", &path, "--format", "json", "--no-write"]);
    assert_eq!(run.code, 1, "{name}: exit {} {}", run.code, run.stderr);
    let report = run.json();
    (findings(&report), report)
}

fn sorted(mut v: Vec<Found>) -> Vec<Found> {
    v.sort();
    v
}

/// The rule each indicator row was scored by, top to bottom.
fn rules(report: &serde_json::Value) -> Vec<String> {
    report["files"][0]["forms"][0]["indicators"]
        .as_array()
        .expect("indicators")
        .iter()
        .map(|i| i["rule"].as_str().unwrap_or("").to_string())
        .collect()
}

const FIXTURES: [&str; 4] = [
    "lookalike-operators",
    "split-operator-column",
    "abbreviated-headers",
    "amounts-with-units",
];

#[test]
fn each_fixture_gives_exactly_its_expected_findings() {
    for name in FIXTURES {
        let (found, _) = check(name);
        assert_eq!(
            sorted(found),
            sorted(expected_findings(Path::new(&format!("fixtures/{name}.xlsx"))).findings),
            "{name}"
        );
    }
}

/// `≧ ≦ ═ ﹦ ⩾ ⩽ ＞＝ ＜＝`, in the target or in a 指标性质 column of their own, give the
/// direction of the sign they stand for: no row falls back to a qualitative reading.
#[test]
fn lookalike_operators_give_their_direction() {
    for name in ["lookalike-operators", "split-operator-column"] {
        let (_, report) = check(name);
        let rules = rules(&report);
        assert_eq!(rules.len(), 27, "{name}");
        // Rows 11–22 count up (16 and 17 `﹦`/`═`: equal), 23 is a deadline, 24–30 are
        // ceilings, 31–36 qualitative, 37 at least.
        let mut want = vec!["at-least"; 12];
        want[5] = "equal";
        want[6] = "equal";
        want.push("deadline");
        want.extend(["at-most"; 7]);
        want.extend(["qualitative"; 6]);
        want.push("at-least");
        assert_eq!(rules, want, "{name}");
    }
}

/// The funding block under a header cut short (`全年执行`) is read, amounts with `万元` in
/// their cells are numbers of 万元, and the execution is recomputed from them.
#[test]
fn funding_block_is_read_under_cut_headers_and_unit_amounts() {
    for name in ["abbreviated-headers", "amounts-with-units"] {
        let (_, report) = check(name);
        let execution = &report["files"][0]["forms"][0]["execution"];
        assert_eq!(execution["budget"], "25.48", "{name}");
        assert_eq!(execution["executed"], "25.41", "{name}");
        assert_eq!(execution["rate"], "99.73%", "{name}");
        assert_eq!(execution["score"], "9.97", "{name}");
    }
}
