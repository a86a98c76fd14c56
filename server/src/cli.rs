//! `server serve | migrate up|down|status | schema | create-admin --email X`.

use clap::{Parser, Subcommand};
use fairydust_migration::{Migrator, MigratorTrait};
use fairydust_schema::identity::accounts::{AdminOutcome, create_or_promote_admin};
use fairydust_schema::identity::contact::Email;

use crate::app;
use crate::config::Config;
use crate::db;

#[derive(Parser, Debug)]
#[command(name = "server", version, about = "The fairydust GraphQL server")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the HTTP server (the default).
    Serve,
    /// Apply, roll back or list database migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Create an admin account for this email, or promote the existing account.
    CreateAdmin {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Roll back the most recent migration (or `--steps N`).
    Down {
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List migrations and whether each is applied.
    Status,
}

pub async fn run(cli: Cli, config: Config) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Schema => {
            print!("{}", fairydust_schema::sdl());
            Ok(())
        }
        Command::Migrate { action } => {
            let (conn, _) =
                db::connect(config.database_url.expose(), db::PoolSettings::SMALL).await?;
            match action {
                MigrateAction::Up => db::migrate(&conn).await?,
                MigrateAction::Down { steps } => Migrator::down(&conn, Some(steps)).await?,
                MigrateAction::Status => {
                    for migration in Migrator::get_migration_with_status(&conn).await? {
                        println!(
                            "{:<10} {}",
                            migration.status().to_string(),
                            migration.name()
                        );
                    }
                }
            }
            Ok(())
        }
        Command::CreateAdmin { email } => {
            let email = Email::parse(&email)?;
            let (conn, _) =
                db::connect(config.database_url.expose(), db::PoolSettings::SMALL).await?;
            if !config.skip_migrations {
                db::migrate(&conn).await?;
            }
            let (user, outcome) = create_or_promote_admin(&conn, &email).await?;
            let what = match outcome {
                AdminOutcome::Created => "created admin",
                AdminOutcome::Promoted => "promoted to admin",
                AdminOutcome::AlreadyAdmin => "already an admin",
            };
            println!("{what}: id={} fairyname={}", user.id, user.fairyname);
            Ok(())
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    if config.uses_development_secret() {
        tracing::warn!(
            "JWT_SECRET is not set: using the development secret (refused when ENVIRONMENT=production)"
        );
    }
    let address = std::net::SocketAddr::new(config.host, config.port);
    let app = app::build(config).await?;
    crate::report_rollups::spawn(
        app.state.app.db.clone(),
        app.state.config.report_rollup_days,
    );
    let listener = tokio::net::TcpListener::bind(address).await?;
    tracing::info!(%address, "fairydust listening: GraphQL at /graphql, GraphiQL at /graphiql, portals at /admin and /builder");
    app.serve(listener, app::shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}
