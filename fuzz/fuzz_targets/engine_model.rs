//! The engine against a reference model: arbitrary sequences of account creations, transfers
//! of every kind (plain, pending, posts, voids, reversals, balancing, closing, linked chains),
//! expiries, links, eligibility dates and ratings. After every step the replies and the whole
//! state must agree with the model, and the ledger's invariants must hold; at the end a replay
//! must give the same digest.
#![no_main]

use libfuzzer_sys::fuzz_target;
use timebank_fuzz::{engine_check, scenario::Scenario};

fuzz_target!(|scenario: Scenario| {
    engine_check::run(&scenario);
});
