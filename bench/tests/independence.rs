//! The bench must be able to catch the library's mistakes: it never depends on `atmodem`.

#[test]
fn the_bench_does_not_depend_on_the_library() {
    let manifest =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
    let deps = manifest.lines().filter(|l| {
        let name = l.split(['=', ' ', '.']).next().unwrap_or("");
        name == "atmodem" || name.starts_with("atmodem-") && name != "atmodem-sim"
    });
    assert_eq!(deps.count(), 0, "atmodem-sim must not depend on atmodem");
}
