//! Names the shared library for hosts that link against it: on Linux its SONAME is
//! `libtimebank.so.<ABI major>`, so a program built today keeps loading a compatible library after
//! an upgrade and refuses an incompatible one. `install.sh` installs the file under the versioned
//! name, with the SONAME and the development (`libtimebank.so`) links beside it.

/// Raised whenever the C ABI changes incompatibly (a function removed or its signature changed,
/// a struct's layout or a status number changed); `install.sh` and the CI check read it here.
const ABI_MAJOR: u32 = 0;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libtimebank.so.{ABI_MAJOR}");
    }
}
