//! The run as a clerk sees it in a terminal: under tmux, whose pane is a real terminal, the
//! screen is read back after the run. The progress bar must leave no line behind between
//! the reports, and one line must tally the run.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{sample, scratch};

fn tmux(args: &[&str]) -> Option<String> {
    let out = Command::new("tmux").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn the_progress_bar_leaves_no_line_and_the_run_is_tallied() {
    if tmux(&["-V"]).is_none() {
        println!("SKIPPED: tmux is not installed (apt-get install tmux)");
        return;
    }
    let dir = scratch("terminal").join("收件箱");
    std::fs::create_dir_all(&dir).expect("dir");
    let files = 300;
    for k in 0..files {
        std::fs::copy(sample("xlsx"), dir.join(format!("表{k:03}.xlsx"))).expect("copy");
    }
    std::fs::write(dir.join("坏文件.xlsx"), b"not a workbook").expect("write");
    let session = format!("selfeval-{}", std::process::id());
    let command = format!(
        "{} check {} --no-write -j 1; echo 运行结束; sleep 60",
        env!("CARGO_BIN_EXE_selfeval"),
        shell_quote(&dir)
    );
    // A pane wide enough for a report line, with history for every line of the run.
    let started = tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "200",
        "-y",
        "50",
        &command,
    ]);
    assert!(started.is_some(), "tmux could not start a session");
    let _ = tmux(&["set-option", "-t", &session, "history-limit", "100000"]);
    let deadline = Instant::now() + Duration::from_secs(120);
    let screen = loop {
        let screen =
            tmux(&["capture-pane", "-p", "-J", "-S", "-", "-t", &session]).unwrap_or_default();
        if screen.contains("运行结束") || Instant::now() > deadline {
            break screen;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let _ = tmux(&["kill-session", "-t", &session]);
    assert!(
        screen.contains("运行结束"),
        "the run did not end:\n{screen}"
    );
    let total = files + 1;
    let bars: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains(&format!("/{total} 个文件")))
        .collect();
    assert!(
        bars.is_empty(),
        "progress bars left on the screen: {bars:?}"
    );
    let tally = format!(
        "共 {total} 个文件、{files} 张自评表：有误 {files}，通过 0，无法读取或未核查 1；用时"
    );
    assert!(
        screen.contains(&tally),
        "no tally line {tally}:\n{}",
        tail(&screen)
    );
    let reports = screen
        .lines()
        .filter(|l| l.starts_with("  工作表“自评表”"))
        .count();
    assert_eq!(reports, files, "every form's report is on the screen");
}

fn tail(screen: &str) -> String {
    let lines: Vec<&str> = screen.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

fn shell_quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}
