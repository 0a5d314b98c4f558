//! LibreOffice, for the tests that open what selfeval writes as a spreadsheet program would.
//! `.ci/run` installs it; where it is missing those tests say SKIPPED.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The LibreOffice binary on PATH, if there is one.
pub fn soffice() -> Option<PathBuf> {
    ["soffice", "libreoffice"].iter().find_map(|name| {
        let out = Command::new("which").arg(name).output().ok()?;
        out.status
            .success()
            .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
    })
}

/// `file` converted by LibreOffice (`to` as `--convert-to` takes it) into `out`, with a
/// profile of its own there so that tests running beside each other do not share its lock.
pub fn convert(soffice: &Path, file: &Path, to: &str, out: &Path) -> PathBuf {
    let run = Command::new(soffice)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            out.join("lo-profile").display()
        ))
        .args(["--headless", "--convert-to", to, "--outdir"])
        .arg(out)
        .arg(file)
        .output()
        .expect("run soffice");
    assert!(
        run.status.success(),
        "soffice failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let ext = to.split(':').next().unwrap_or(to);
    let stem = file.file_stem().and_then(|s| s.to_str()).expect("stem");
    let converted = out.join(format!("{stem}.{ext}"));
    assert!(converted.is_file(), "LibreOffice wrote no {ext}");
    converted
}

/// LibreOffice, or `None` after saying which check is skipped: on a developer's machine
/// without it the test passes nothing; `.ci/run` installs it (Debian's libreoffice-calc).
pub fn soffice_or_skip(what: &str) -> Option<PathBuf> {
    let found = soffice();
    if found.is_none() {
        eprintln!("SKIPPED {what}: LibreOffice (soffice) is not installed; .ci/run installs it");
    }
    found
}
