//! Fingerprints the migration sources so PostgreSQL test templates are rebuilt whenever a migration changes.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migration/src");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("migration/src exists")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let mut hasher = DefaultHasher::new();
    for file in &files {
        std::fs::read(file)
            .expect("readable migration source")
            .hash(&mut hasher);
        println!("cargo:rerun-if-changed={}", file.display());
    }
    println!("cargo:rerun-if-changed={}", dir.display());
    println!(
        "cargo:rustc-env=MIGRATIONS_FINGERPRINT={:016x}",
        hasher.finish()
    );
}
