//! How a test that cannot run here (no Redis, no PostgreSQL, no Chromium) says so. A test binary can
//! only pass or fail, so the reason goes to stderr and, when the test command set
//! `FAIRYDUST_SKIPPED_LOG`, into that file: `scripts/test.sh` prints the count and the reasons in its
//! summary instead of letting a skip pass silently.

use std::io::Write;

pub fn report_skipped(test: &str, reason: &str) {
    let line = format!("SKIPPED {test}: {reason}");
    eprintln!("{line}");
    let Ok(path) = std::env::var("FAIRYDUST_SKIPPED_LOG") else {
        return;
    };
    // One short append per line: the parallel test processes do not interleave within a line.
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| file.write_all(format!("{line}\n").as_bytes()));
    if let Err(error) = written {
        eprintln!("could not record the skip in {path}: {error}");
    }
}
