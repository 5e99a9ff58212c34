//! `Amount::parse_in` on arbitrary strings and scales: never panics, accepts exactly the plain
//! positive decimals within scale and maximum (checked against an independent parser), and what
//! it accepts round-trips through `to_string`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use timebank_fuzz::amount_check::{self, AmountInput};

fuzz_target!(|input: AmountInput<'_>| {
    amount_check::run(&input);
});
