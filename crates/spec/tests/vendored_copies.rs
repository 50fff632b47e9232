//! `specs/` holds byte copies of the shared contracts (`../shared/specs` beside the checkout),
//! embedded in the app. This test fails when a copy drifts from its source, and when
//! `../shared` is absent (unless `CMEK_DESK_ALLOW_MISSING=1`: tests/support/real_part.rs).

#[path = "../../../tests/support/real_part.rs"]
mod real_part;

use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read specs dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn every_vendored_spec_is_byte_identical_to_the_shared_one() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let ours = root.join("specs");
    let shared = root.join("../shared/specs");
    if !shared.is_dir() {
        real_part::missing(
            &format!("{} is missing", shared.display()),
            "check out the shared contracts beside this repository (../shared/specs)",
        );
        return;
    }
    let mut theirs = Vec::new();
    files(&shared, &mut theirs);
    assert!(!theirs.is_empty());
    for source in theirs {
        let rel = source.strip_prefix(&shared).unwrap();
        let copy = ours.join(rel);
        let a = std::fs::read(&source).unwrap();
        let b = std::fs::read(&copy)
            .unwrap_or_else(|e| panic!("{} is not vendored: {e}", rel.display()));
        assert!(a == b, "{} differs from the shared copy", rel.display());
    }
}
