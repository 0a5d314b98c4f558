//! Any bytes through the whole check: intake, reader, model, scorer and writer. The library
//! must answer with a result or a reason, never a panic, an abort or a hang.
//!
//! `cargo +nightly fuzz run check -- -max_total_time=600` (on a machine with nightly; the
//! stable-only mutation test in tests/mutation.rs runs inside `cargo test` everywhere).
#![no_main]

use libfuzzer_sys::fuzz_target;
use selfeval::check::{INTERNAL_ERROR, check_upload};
use selfeval::scorer::Rules;
use selfeval::template::{Layout, Profile};

fuzz_target!(|data: &[u8]| {
    let profile = Profile::national();
    let rules = Rules {
        profile: &profile,
        layout: Layout::bundled(),
    };
    // No sandbox: an abort inside a reader is a finding for the fuzzer, not a reason.
    let (outcome, _) = check_upload("fuzz.xlsx", data, rules, true, None);
    // check_upload turns a panic into INTERNAL_ERROR; for the fuzzer that is a crash.
    assert!(outcome.result.as_ref().err().map(String::as_str) != Some(INTERNAL_ERROR));
});
