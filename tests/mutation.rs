//! Bounded mutation testing inside `cargo test`: damaged copies of real workbooks must each
//! get an outcome quickly and without a panic (a caught panic is still a bug).

mod common;

use std::time::{Duration, Instant};

use selfeval::check::{INTERNAL_ERROR, check_upload};
use selfeval::reader::ReadError;
use selfeval::sandbox::Sandbox;
use selfeval::scorer::Rules;
use selfeval::template::{Layout, Profile};

/// xorshift64*: enough randomness for mutants, and no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One damaged copy of `bytes`; `other` supplies spliced chunks.
fn mutant(rng: &mut Rng, bytes: &[u8], other: &[u8]) -> Vec<u8> {
    let mut m = bytes.to_vec();
    match rng.below(4) {
        0 => {
            for _ in 0..1 + rng.below(16) {
                let i = rng.below(m.len());
                m[i] ^= 1 << rng.below(8);
            }
        }
        1 => m.truncate(rng.below(m.len())),
        2 => {
            let from = rng.below(other.len());
            let len = rng.below(4096).min(other.len() - from);
            let at = rng.below(m.len());
            let end = (at + len).min(m.len());
            m.splice(at..end, other[from..from + len].iter().copied());
        }
        _ => {
            let at = rng.below(m.len());
            let end = (at + 1 + rng.below(2048)).min(m.len());
            m[at..end].fill(0);
        }
    }
    m
}

const PER_FILE: usize = 1000;
const SLOWEST: Duration = Duration::from_secs(2);

#[test]
fn mutated_workbooks_never_panic_or_hang() {
    let dir = common::scratch("mutation");
    let generated = dir.join("generated.xlsx");
    common::write_book(&generated, &[common::clean()], false);
    // The .xls sample goes through the sandbox, as the binary reads it: some damaged BIFF
    // records make calamine abort the process, which only a child process survives.
    let originals = [
        (
            "xlsx",
            std::fs::read(common::sample("xlsx")).expect("sample xlsx"),
        ),
        ("xlsx", std::fs::read(&generated).expect("generated")),
        (
            "xls",
            std::fs::read(common::sample("xls")).expect("sample xls"),
        ),
    ];
    let sandbox = Sandbox::new(env!("CARGO_BIN_EXE_selfeval"));
    let profile = Profile::national();
    let rules = || Rules {
        profile: &profile,
        layout: Layout::bundled(),
    };
    // Silence the default hook: check_upload catches panics, and the test reports them itself.
    std::panic::set_hook(Box::new(|_| {}));
    let mut rng = Rng(0x5EED_CAFE_F00D_1234);
    let mut ran = 0;
    let mut aborted = 0;
    let mut failures = Vec::new();
    for (k, (ext, bytes)) in originals.iter().enumerate() {
        let other = &originals[(k + 1) % originals.len()].1;
        for case in 0..PER_FILE {
            let m = mutant(&mut rng, bytes, other);
            let name = format!("mutant-{k}-{case}.{ext}");
            let started = Instant::now();
            let (outcome, _) = check_upload(&name, &m, rules(), true, Some(&sandbox));
            let took = started.elapsed();
            ran += 1;
            let reason = outcome.result.as_ref().err();
            aborted +=
                usize::from(reason.is_some_and(|e| *e == ReadError::ReaderAborted.to_string()));
            if reason.is_some_and(|e| e == INTERNAL_ERROR) {
                failures.push(format!("{name}: panicked"));
            }
            if took > SLOWEST {
                failures.push(format!("{name}: took {took:?}"));
            }
        }
    }
    let _ = std::panic::take_hook();
    println!("{ran} mutants checked; the sandbox caught {aborted} aborted reads");
    assert!(
        failures.is_empty(),
        "{} failures: {failures:#?}",
        failures.len()
    );
}
