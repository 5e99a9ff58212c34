//! The exchange messages of `ledger-exchange` (bytes and JSON) on arbitrary input and on signed
//! messages with bytes changed: decoding agrees with the documented layout, round-trips, never
//! panics, and a changed message never verifies or is acted on.
#![no_main]

use libfuzzer_sys::fuzz_target;
use timebank_fuzz::exchange_check;

fuzz_target!(|data: &[u8]| {
    exchange_check::run(data);
});
