//! The committed C header is the one cbindgen makes from the code today.
//!
//! Hosts compile against `include/timebank.h`, so a function or struct changed in `src/` without
//! the header following would break them silently. This regenerates the header with the pinned
//! cbindgen (a dev-dependency, so no tool has to be installed) and the committed
//! `cbindgen.toml`, and fails on any difference. `TIMEBANK_WRITE_HEADER=1` writes the new header
//! instead (`bash ledger-ffi/check-header.sh --write` does that).

use std::path::Path;

#[test]
fn the_committed_header_matches_the_code() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("ledger-ffi/cbindgen.toml parses");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_config(config)
        .with_crate(crate_dir)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut generated);
    let committed_path = crate_dir.join("include/timebank.h");
    if std::env::var_os("TIMEBANK_WRITE_HEADER").is_some() {
        std::fs::write(&committed_path, &generated).expect("include/timebank.h is writable");
        return;
    }
    let committed = std::fs::read(&committed_path).expect("include/timebank.h exists");
    if committed != generated {
        let committed = String::from_utf8_lossy(&committed);
        let generated = String::from_utf8_lossy(&generated);
        let first_difference = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(committed.lines().count().min(generated.lines().count()));
        panic!(
            "include/timebank.h is out of date (first difference at line {}: committed {:?}, \
             generated {:?}); run bash ledger-ffi/check-header.sh --write",
            first_difference + 1,
            committed.lines().nth(first_difference),
            generated.lines().nth(first_difference),
        );
    }
}
