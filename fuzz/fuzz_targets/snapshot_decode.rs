//! The engine state decoder on arbitrary bytes (see `timebank_fuzz::snapshot_check`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use timebank_fuzz::snapshot_check;

fuzz_target!(|data: &[u8]| {
    snapshot_check::run(data);
});
