//! Every committed fixture with an `.expected.json` beside it (fixtures/README.md): checked
//! through the binary, its findings compared exactly with the file, the input left as it
//! was, and its corrected copy read back note by note against its cells.

mod common;

use std::path::{Path, PathBuf};

use common::{findings, scratch, selfeval};

/// Every fixture that has an `.expected.json` beside it, by name.
fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures/")
        .flatten()
        .filter_map(|e| {
            let name = e
                .file_name()
                .to_str()?
                .strip_suffix(".expected.json")?
                .to_string();
            Some(dir.join(name))
        })
        .collect();
    out.sort();
    out
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
    for input in all {
        let common::Expected {
            doc: expected,
            severities,
            findings: want,
        } = common::expected_findings(&input);
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
        let exit = expected["exit"].as_i64().unwrap_or(i64::from(has_error));
        if i64::from(run.code) != exit {
            problems.push(format!("{name}: exit {} ({})", run.code, run.stderr));
        }
        // A sheet skipped says why, in the words the file quotes.
        let skipped = report["files"][0]["skipped"].as_array().cloned();
        for (sheet, words) in expected["skipped"].as_object().into_iter().flatten() {
            let reason = skipped
                .iter()
                .flatten()
                .find(|s| s["sheet"] == *sheet)
                .and_then(|s| s["reason"].as_str());
            if !reason.is_some_and(|r| r.contains(words.as_str().unwrap_or_default())) {
                problems.push(format!("{name}: sheet {sheet} skipped for {reason:?}"));
            }
        }
        if expected.get("skipped").is_some() && expected.get("family").is_none() {
            if std::fs::read(&input).expect("fixture") != before {
                problems.push(format!("{name}: the input changed"));
            }
            continue;
        }
        let form = &report["files"][0]["forms"][0];
        for key in ["family", "claimed_total", "total", "claimed_grade", "grade"] {
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
