//! The policy loaders (`Policy::from_toml`, `Policy::from_json`) on arbitrary text, and policies
//! built field by field: loading never panics, a loaded policy validates, opens a ledger and
//! round-trips through JSON and TOML, and loading a built policy agrees with `validate`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use timebank_fuzz::policy_check;

fuzz_target!(|data: &[u8]| {
    policy_check::run(data);
});
