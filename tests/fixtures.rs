//! Every committed fixture with an `.expected.json` beside it (fixtures/README.md): checked
//! through the binary, its findings compared exactly with the file, the input left as it
//! was, and its corrected copy read back note by note against its cells.

mod common;

use std::path::{Path, PathBuf};

use common::{findings, scratch, selfeval};

fn fixtures() -> Vec<(PathBuf, serde_json::Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut out: Vec<(PathBuf, serde_json::Value)> = std::fs::read_dir(&dir)
        .expect("fixtures/")
        .flatten()
        .map(|e| e.path())
        .filter_map(|p| {
            let name = p
                .file_name()?
                .to_str()?
                .strip_suffix(".expected.json")?
                .to_string();
            let text = std::fs::read_to_string(&p).expect("expected.json");
            let json =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            Some((dir.join(name), json))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The findings a file lists, as `(cell, code, severity, claimed, expected)`, for the
/// severities it lists exactly (errors only where it does not say).
fn listed(expected: &serde_json::Value) -> (Vec<String>, Vec<common::Found>) {
    let severities: Vec<String> = expected["severities"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_else(|| vec!["error".to_string()]);
    let s = |x: &serde_json::Value| x.as_str().unwrap_or("").to_string();
    let list = expected["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                s(&f["cell"]),
                s(&f["code"]),
                f["severity"].as_str().unwrap_or("error").to_string(),
                s(&f["claimed"]),
                s(&f["expected"]),
            )
        })
        .collect();
    (severities, list)
}

#[test]
fn every_fixture_gives_exactly_its_expected_findings_and_a_copy_that_agrees() {
    let all = fixtures();
    assert!(
        all.len() >= 8,
        "fixtures with expected findings: {}",
        all.len()
    );
    let mut problems = Vec::new();
    for (input, expected) in all {
        let name = input.file_name().unwrap().to_string_lossy().into_owned();
        let dir = scratch(&format!("fixtures-{name}"));
        let before = std::fs::read(&input).expect("fixture");
        let mut args = vec![
            "check",
            input.to_str().unwrap(),
            "--format",
            "json",
            "--out-dir",
            dir.to_str().unwrap(),
        ];
        if let Some(profile) = expected["profile"].as_str() {
            args.extend(["--profile", profile]);
        }
        let run = selfeval(&args);
        let report = run.json();
        let (severities, want) = listed(&expected);
        let got: Vec<common::Found> = findings(&report)
            .into_iter()
            .filter(|f| severities.contains(&f.2))
            .collect();
        if got != want {
            problems.push(format!("{name}: findings\n  got  {got:?}\n  want {want:?}"));
        }
        // A message the file quotes is compared too: the words are what a clerk reads.
        let messages = report["files"][0]["forms"][0]["findings"]
            .as_array()
            .cloned();
        for want in expected["findings"].as_array().into_iter().flatten() {
            let Some(message) = want.get("message") else {
                continue;
            };
            let same =
                |f: &&serde_json::Value| f["cell"] == want["cell"] && f["code"] == want["code"];
            let got = messages.iter().flatten().find(same).map(|f| &f["message"]);
            if got != Some(message) {
                problems.push(format!("{name}: message {got:?}, want {message}"));
            }
        }
        let has_error = findings(&report).iter().any(|f| f.2 == "error");
        if run.code != i32::from(has_error) {
            problems.push(format!("{name}: exit {} ({})", run.code, run.stderr));
        }
        let form = &report["files"][0]["forms"][0];
        for key in ["claimed_total", "total", "claimed_grade", "grade"] {
            if let Some(v) = expected.get(key)
                && form[key] != *v
            {
                problems.push(format!("{name}: {key} {} (want {v})", form[key]));
            }
        }
        if std::fs::read(&input).expect("fixture") != before {
            problems.push(format!("{name}: the input changed"));
        }
        match report["files"][0]["output"].as_str() {
            Some(out) => {
                let copy = std::fs::read(out).expect("copy");
                let notes = common::notes::notes(&copy);
                for (cell, parts) in expected["notes"].as_object().into_iter().flatten() {
                    let text = notes
                        .iter()
                        .find(|n| n.cell == *cell)
                        .map(|n| n.text.as_str());
                    for part in parts.as_array().into_iter().flatten() {
                        let part = part.as_str().unwrap_or_default();
                        if !text.is_some_and(|t| t.contains(part)) {
                            problems.push(format!("{name}: note on {cell} {text:?} lacks {part}"));
                        }
                    }
                }
                problems.extend(
                    common::notes::disagreements(&copy)
                        .into_iter()
                        .map(|d| format!("{name}: {d}")),
                );
            }
            None => problems.push(format!("{name}: no corrected copy")),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
