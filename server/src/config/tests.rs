//! Unit tests of `Config::from_map`: defaults, production checks and errors naming their variable.

use super::*;

fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_map(&map)
}

#[test]
fn embedded_defaults_need_no_variables() {
    let config = config(&[]).unwrap();
    assert_eq!(config.environment, Environment::Development);
    assert_eq!(
        config.database_url.expose(),
        "sqlite://fairydust.db?mode=rwc"
    );
    assert_eq!(config.redis_url, None);
    assert_eq!(config.port, 8000);
    assert!(config.graphql_introspection);
    assert!(config.allowed_origins.is_empty());
    assert_eq!(config.report_rollup_days, 31);
}

#[test]
fn production_refuses_a_missing_or_short_secret() {
    let missing = config(&[("ENVIRONMENT", "production")]).unwrap_err();
    assert_eq!(missing.variable, "JWT_SECRET");
    let short = config(&[("ENVIRONMENT", "production"), ("JWT_SECRET", "short")]).unwrap_err();
    assert_eq!(short.variable, "JWT_SECRET");
    let dev = config(&[
        ("ENVIRONMENT", "production"),
        ("JWT_SECRET", DEVELOPMENT_JWT_SECRET),
    ])
    .unwrap_err();
    assert_eq!(dev.variable, "JWT_SECRET");
}

#[test]
fn production_refuses_a_wildcard_origin() {
    let error = config(&[
        ("ENVIRONMENT", "production"),
        ("JWT_SECRET", "a-very-long-production-secret-of-44-bytes!!"),
        ("ALLOWED_ORIGINS", "https://admin.example.com, *"),
    ])
    .unwrap_err();
    assert_eq!(error.variable, "ALLOWED_ORIGINS");
}

#[test]
fn production_starts_with_strong_settings() {
    let config = config(&[
        ("ENVIRONMENT", "production"),
        ("JWT_SECRET", "a-very-long-production-secret-of-44-bytes!!"),
        ("ALLOWED_ORIGINS", "https://admin.example.com/"),
        ("RESEND_API_KEY", "re_123"),
    ])
    .unwrap();
    assert_eq!(
        config.allowed_origins,
        vec!["https://admin.example.com".to_owned()]
    );
    assert_eq!(
        config.delivery.resend.unwrap().base_url,
        "https://api.resend.com"
    );
}

#[test]
fn production_needs_a_code_delivery_provider() {
    let error = config(&[
        ("ENVIRONMENT", "production"),
        ("JWT_SECRET", "a-very-long-production-secret-of-44-bytes!!"),
    ])
    .unwrap_err();
    assert_eq!(error.variable, "RESEND_API_KEY");
}

#[test]
fn a_partial_twilio_configuration_names_what_is_missing() {
    let error = config(&[("TWILIO_ACCOUNT_SID", "AC123"), ("TWILIO_AUTH_TOKEN", "t")]).unwrap_err();
    assert_eq!(error.variable, "TWILIO_FROM_NUMBER");
}

#[test]
fn the_daily_bonus_table_is_validated() {
    assert_eq!(
        config(&[("DAILY_BONUS_TABLE", "2, 4,6")])
            .unwrap()
            .daily_bonus_table,
        vec![2, 4, 6]
    );
    for bad in ["1,,2", "0,1", "a,b", "5000"] {
        assert_eq!(
            config(&[("DAILY_BONUS_TABLE", bad)]).unwrap_err().variable,
            "DAILY_BONUS_TABLE",
            "{bad}"
        );
    }
}

#[test]
fn bad_values_name_their_variable() {
    assert_eq!(config(&[("PORT", "eighty")]).unwrap_err().variable, "PORT");
    assert_eq!(
        config(&[("SKIP_MIGRATIONS", "maybe")])
            .unwrap_err()
            .variable,
        "SKIP_MIGRATIONS"
    );
    assert_eq!(
        config(&[("DATABASE_URL", "mysql://x")])
            .unwrap_err()
            .variable,
        "DATABASE_URL"
    );
    assert_eq!(
        config(&[("LOG_FORMAT", "xml")]).unwrap_err().variable,
        "LOG_FORMAT"
    );
    assert_eq!(
        config(&[("REPORT_ROLLUP_DAYS", "400")])
            .unwrap_err()
            .variable,
        "REPORT_ROLLUP_DAYS"
    );
}
