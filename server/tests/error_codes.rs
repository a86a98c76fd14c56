//! Error codes are an API contract: every code in the list must be something the server can actually
//! answer, or it is a promise nobody keeps. (A habit taken from Lemmy's `test_errors_used`.)

use std::path::Path;

use fairydust_schema::error::ErrorCode;

fn sources(dir: &Path, out: &mut String) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push_str(&std::fs::read_to_string(&path).unwrap());
        }
    }
}

#[test]
fn every_error_code_is_produced_somewhere() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut code = String::new();
    for crate_dir in ["schema/src", "server/src"] {
        sources(&root.join(crate_dir), &mut code);
    }
    // The definition itself (the enum, `ALL`, `as_str`, `http_status`) mentions each variant a few times;
    // a code is used when it appears beyond those, or through a dedicated constructor.
    let error_rs = std::fs::read_to_string(root.join("schema/src/error.rs")).unwrap();
    let definition = error_rs
        .split("impl From<ApiError> for async_graphql::Error")
        .next()
        .unwrap();
    for code_variant in ErrorCode::ALL {
        let name = format!("{code_variant:?}");
        let mentions = code.matches(&format!("ErrorCode::{name}")).count();
        let in_definition = definition.matches(&format!("ErrorCode::{name}")).count();
        let constructor = match code_variant {
            ErrorCode::Unauthenticated => "ApiError::unauthenticated(",
            ErrorCode::Forbidden => "ApiError::forbidden(",
            ErrorCode::NotFound => "ApiError::not_found(",
            ErrorCode::BadUserInput => "ApiError::bad_input(",
            ErrorCode::Conflict => "ApiError::conflict(",
            ErrorCode::RateLimited => "ApiError::rate_limited(",
            ErrorCode::Internal => "ApiError::internal(",
            _ => "\u{0}never",
        };
        let used = mentions > in_definition || code.matches(constructor).count() > 1;
        assert!(
            used,
            "{} ({name}) is in the contract but nothing answers with it",
            code_variant.as_str()
        );
    }
}

#[test]
fn codes_are_unique_screaming_snake_case() {
    let names: std::collections::HashSet<&str> =
        ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(names.len(), ErrorCode::ALL.len());
    assert!(
        names
            .iter()
            .all(|n| n.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
    );
}
