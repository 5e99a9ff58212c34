//! The journal reader of `ledger-store` on arbitrary bytes, on real journals damaged by bit
//! flips, truncation, appended garbage and moved records, and its command codec on arbitrary
//! bodies: never panics, never accepts a record whose checksum, sequence number or link is
//! wrong, and decodes only canonical bodies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use timebank_fuzz::journal_check;

fuzz_target!(|data: &[u8]| {
    journal_check::run(data);
});
