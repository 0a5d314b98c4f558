//! One run of a program with its wall time and peak memory, shared by the memory tests and
//! the folder benchmark.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What one run took.
pub struct Measured {
    /// The exit status, or `None` when the program was ended by a signal.
    pub code: Option<i32>,
    pub elapsed: Duration,
    /// Peak resident memory, MB: the largest of the program and the children it waited for.
    pub peak_mb: f64,
}

/// Runs `program` with `args`, output discarded, and measures it through `wait4`.
// The child is reaped by wait4, which also reports its peak memory.
#[allow(clippy::zombie_processes)]
pub fn measured(program: &str, args: &[&str]) -> Measured {
    let started = Instant::now();
    let child = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the program");
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value to be written over.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child; `status` and `usage` are valid for writing.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t, "wait4");
    Measured {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        elapsed: started.elapsed(),
        peak_mb: usage.ru_maxrss as f64 / 1024.0,
    }
}
