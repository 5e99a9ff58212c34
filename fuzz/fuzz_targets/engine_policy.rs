//! The engine under a time-bank policy (default codes, caps, open gifts, expiring points):
//! invariants, failures that change nothing, replay, and caps never passed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use timebank_fuzz::policy_engine_check::{self, PolicyScenario};

fuzz_target!(|input: PolicyScenario| {
    policy_engine_check::run(&input);
});
