//! The `server` binary's commands, run as a user would run them.

use std::process::Command;

fn server() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    // Only what each test sets: no developer's .env or shell settings leak in.
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    command
}

#[test]
fn schema_graphql_is_the_exported_sdl() {
    let output = server().arg("schema").output().unwrap();
    assert!(output.status.success());
    let exported = String::from_utf8(output.stdout).unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
    if std::env::var("UPDATE_SCHEMA").is_ok() {
        std::fs::write(path, &exported).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == exported,
        "schema.graphql is stale: run `UPDATE_SCHEMA=1 cargo test -p fairydust-server --test cli` and commit it"
    );
}

#[test]
fn production_without_a_jwt_secret_exits_1_with_a_one_line_reason() {
    let output = server()
        .env("ENVIRONMENT", "production")
        .arg("schema")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("JWT_SECRET"), "{stderr}");
}

#[test]
fn production_with_a_wildcard_origin_exits_1() {
    let output = server()
        .env("ENVIRONMENT", "production")
        .env("JWT_SECRET", "a-production-secret-that-is-long-enough-0123")
        .env("ALLOWED_ORIGINS", "*")
        .arg("schema")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("ALLOWED_ORIGINS")
    );
}

#[test]
fn create_admin_creates_then_recognises_the_admin() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    let run = || {
        server()
            .env("DATABASE_URL", &url)
            .args(["create-admin", "--email", "Root@Example.com"])
            .output()
            .unwrap()
    };

    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let first = String::from_utf8(first.stdout).unwrap();
    assert!(first.starts_with("created admin: id="), "{first}");
    let fairyname = first.split("fairyname=").nth(1).unwrap().trim().to_owned();
    assert!(regex_like_fairyname(&fairyname), "{fairyname}");

    let second = String::from_utf8(run().stdout).unwrap();
    assert!(second.starts_with("already an admin:"), "{second}");
    assert!(second.contains(&fairyname));
}

#[test]
fn create_admin_refuses_a_malformed_email() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    let output = server()
        .env("DATABASE_URL", &url)
        .args(["create-admin", "--email", "not-an-email"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("not a valid email")
    );
}

#[test]
fn migrate_status_lists_every_migration() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    assert!(
        server()
            .env("DATABASE_URL", &url)
            .args(["migrate", "up"])
            .status()
            .unwrap()
            .success()
    );
    let status = String::from_utf8(
        server()
            .env("DATABASE_URL", &url)
            .args(["migrate", "status"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(
        status
            .lines()
            .filter(|line| line.starts_with("Applied"))
            .count(),
        <fairydust_migration::Migrator as fairydust_migration::MigratorTrait>::migrations().len(),
        "{status}"
    );
}

fn regex_like_fairyname(name: &str) -> bool {
    let parts: Vec<&str> = name.split('_').collect();
    parts.len() == 3 && parts[2].len() == 4 && parts[2].bytes().all(|b| b.is_ascii_digit())
}

/// `docker-compose config -q` on a file with the given secrets (all other secrets unset); `None` when no
/// compose tool is installed.
fn compose_config(file: &str, secrets: &[(&str, &str)]) -> Option<std::process::Output> {
    let file = format!("{}/../{file}", env!("CARGO_MANIFEST_DIR"));
    let attempts: [&[&str]; 2] = [&["docker-compose"], &["docker", "compose"]];
    for attempt in attempts {
        let mut command = Command::new(attempt[0]);
        command
            .args(&attempt[1..])
            .args(["-f", &file, "config", "-q"])
            .env_remove("JWT_SECRET")
            .env_remove("POSTGRES_PASSWORD")
            .envs(secrets.iter().copied());
        let Ok(output) = command.output() else {
            continue;
        };
        if attempt[0] == "docker"
            && !output.status.success()
            && String::from_utf8_lossy(&output.stderr).contains("not a docker command")
        {
            continue;
        }
        return Some(output);
    }
    fairydust_schema::skipped_tests::report_skipped(
        "compose-file check",
        "neither docker-compose nor the docker compose plugin is installed",
    );
    None
}

#[test]
fn the_production_compose_file_refuses_to_start_without_its_secrets() {
    let secrets = [
        ("JWT_SECRET", "a-long-random-secret-of-at-least-32-bytes"),
        ("POSTGRES_PASSWORD", "a-database-password"),
    ];
    let Some(complete) = compose_config("docker-compose.yml", &secrets) else {
        return;
    };
    assert!(
        complete.status.success(),
        "docker-compose.yml is rejected: {}",
        String::from_utf8_lossy(&complete.stderr)
    );
    for missing in ["JWT_SECRET", "POSTGRES_PASSWORD"] {
        let others: Vec<(&str, &str)> = secrets
            .iter()
            .copied()
            .filter(|(name, _)| *name != missing)
            .collect();
        let output = compose_config("docker-compose.yml", &others).expect("the tool ran above");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "starts without {missing}");
        assert!(stderr.contains(missing), "names {missing}: {stderr}");
    }
    let file = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docker-compose.yml"
    ))
    .unwrap();
    assert!(file.contains("ENVIRONMENT: production"), "{file}");
}

#[test]
fn the_development_compose_file_validates_without_secrets() {
    let Some(output) = compose_config("docker-compose.dev.yml", &[]) else {
        return;
    };
    assert!(
        output.status.success(),
        "docker-compose.dev.yml is rejected: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
