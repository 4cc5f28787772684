//! The app binary the end-to-end tests drive is built by `cargo test`
//! itself: an integration test makes cargo build it, with the features of
//! every other test target, so CI needs no third build (a separate `cargo
//! build -p racedesk-app` resolves features differently and recompiles
//! dozens of dependencies).

#[test]
fn the_app_binary_for_the_window_tests_is_built() {
    let path = std::path::Path::new(env!("CARGO_BIN_EXE_racedesk-app"));
    let meta = std::fs::metadata(path).expect("the app binary is built");
    assert!(
        meta.is_file() && meta.len() > 1_000_000,
        "{} is {} bytes",
        path.display(),
        meta.len()
    );
}
