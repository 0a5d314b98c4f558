//! One run of a program with its wall time and peak memory, shared by the memory tests and
//! the folder benchmark.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What one run took.
pub struct Measured {
    /// The exit status, or `None` when the program was ended by a signal.
    pub code: Option<i32>,
    pub elapsed: Duration,
    /// Peak resident memory of the program itself, MB.
    pub peak_mb: f64,
}

/// Runs `program` with `args`, output discarded, and measures it.
///
/// The peak is the program's own high-water mark (`VmHWM`), read while it runs. The peak
/// `wait4` reports would not do: a child is started on its parent's memory, and the kernel
/// folds that memory's high-water mark into the child's at `exec`, so a test process holding
/// 200 MB would see every program it measures peak at 200 MB.
pub fn measured(program: &str, args: &[&str]) -> Measured {
    let started = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the program");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    let status = loop {
        // The mark only grows while the program lives; the last reading before it exits is
        // its peak to within the polling interval.
        if let Some(kb) = std::fs::read_to_string(&status_file)
            .ok()
            .and_then(|s| high_water_kb(&s))
        {
            peak_kb = peak_kb.max(kb);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    Measured {
        code: status.code(),
        elapsed: started.elapsed(),
        peak_mb: peak_kb as f64 / 1024.0,
    }
}

/// `VmHWM` of a `/proc/PID/status`, in kB.
fn high_water_kb(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
