//! The store on a simulated disk with injected I/O failures and power loss: after every reboot
//! each acknowledged transfer is present as acknowledged and the journal verifies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use timebank_fuzz::store_check;

fuzz_target!(|data: &[u8]| {
    store_check::run(data);
});
