//! Subcommands of the server binary, for the operator:
//!
//! - `authkit` (or `authkit serve`): run the server.
//! - `authkit create-admin --email E [--username U]`: create an admin account; the
//!   password is prompted for (without echo) or read as one line from standard input.
//! - `authkit promote --email E`: make an existing user an admin.
//! - `authkit copy-data --from sqlite://… --to postgres://…`: move to PostgreSQL
//!   (`super::copy_data`).
//! - `authkit keys rotate`: new OpenID Connect signing keys (`crate::server::oidc::keys`).
//! - `authkit oidc-client create|list|delete|rotate-secret …`: the apps that may sign people
//!   in through AuthKit (`crate::server::oidc::clients`); each prints JSON lines, and the
//!   database it acts on goes to standard error, so that a script reads standard output as is.
//!
//! They use the same configuration (`DATABASE_URL`, ...) and the same services (and so
//! the same rules) as the server.

use super::config::Config;
use super::database::Backend;
use super::{copy_data, copy_data::copy_data};
use crate::api::{Password, Role};
use crate::server::account::users::UserStore;
use crate::server::admin::assign_role;
use crate::server::error::AuthError;
use crate::server::oidc::clients::{ClientError, NewClient};
use crate::server::sessions::register;
use crate::server::state::AppState;
use crate::validation::{Email, NewAccount};
use anyhow::{Context, bail};
use std::io::{BufRead, IsTerminal};

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Serve,
    /// `authkit help`, `--help` or `-h` (anywhere): the usage, exit 0.
    Help,
    CreateAdmin {
        email: String,
        username: Option<String>,
    },
    Promote {
        email: String,
    },
    CopyData {
        from: String,
        to: String,
    },
    RotateKeys,
    OidcClient(ClientCommand),
}

#[derive(Debug, PartialEq, Eq)]
pub enum ClientCommand {
    Create {
        name: String,
        redirect_uris: Vec<String>,
        post_logout_redirect_uris: Vec<String>,
        public: bool,
        first_party: bool,
    },
    List,
    Delete {
        client_id: String,
    },
    RotateSecret {
        client_id: String,
    },
}

impl ClientCommand {
    /// The arguments after `oidc-client`.
    fn parse(args: &[String]) -> Result<Self, String> {
        let (action, rest) = args
            .split_first()
            .ok_or("oidc-client needs create, list, delete or rotate-secret")?;
        let (mut name, mut client_id) = (None, None);
        let (mut redirect_uris, mut post_logout_redirect_uris) = (Vec::new(), Vec::new());
        let (mut public, mut first_party) = (false, false);
        let mut rest = rest.iter();
        while let Some(arg) = rest.next() {
            let mut value = || rest.next().cloned().ok_or(format!("{arg} needs a value"));
            match arg.as_str() {
                "--name" => name = Some(value()?),
                "--client-id" => client_id = Some(value()?),
                "--redirect-uri" => redirect_uris.push(value()?),
                "--post-logout-redirect-uri" => post_logout_redirect_uris.push(value()?),
                "--public" => public = true,
                "--first-party" => first_party = true,
                other => return Err(format!("unexpected argument {other:?}")),
            }
        }
        match action.as_str() {
            "create" => Ok(ClientCommand::Create {
                name: name.ok_or("oidc-client create needs --name")?,
                redirect_uris,
                post_logout_redirect_uris,
                public,
                first_party,
            }),
            "list" => Ok(ClientCommand::List),
            "delete" => Ok(ClientCommand::Delete {
                client_id: client_id.ok_or("oidc-client delete needs --client-id")?,
            }),
            "rotate-secret" => Ok(ClientCommand::RotateSecret {
                client_id: client_id.ok_or("oidc-client rotate-secret needs --client-id")?,
            }),
            other => Err(format!("unknown oidc-client action {other:?}")),
        }
    }
}

pub const USAGE: &str = "usage: authkit [serve]\n       authkit help\n       authkit create-admin --email EMAIL [--username NAME]   (password from the prompt or stdin)\n       authkit promote --email EMAIL\n       authkit copy-data --from sqlite://FILE --to postgres://URL   (into an empty database)\n       authkit keys rotate   (new OpenID Connect signing keys; the old ones stay published a day)\n       authkit oidc-client create --name NAME --redirect-uri URI [--redirect-uri URI ...] [--post-logout-redirect-uri URI ...] [--public] [--first-party]\n       authkit oidc-client list | delete --client-id ID | rotate-secret --client-id ID";

impl Command {
    /// Parses the arguments after the program name.
    pub fn parse(args: &[String]) -> Result<Self, String> {
        if args.first().is_some_and(|a| a == "help") || args.iter().any(|a| a == "--help" || a == "-h") {
            return Ok(Command::Help);
        }
        if args.first().is_some_and(|a| a == "oidc-client") {
            return ClientCommand::parse(&args[1..]).map(Command::OidcClient);
        }
        if args.first().is_some_and(|a| a == "keys") {
            return match &args[1..] {
                [action] if action == "rotate" => Ok(Command::RotateKeys),
                _ => Err("keys needs one action: rotate".to_owned()),
            };
        }
        let flag = |name: &str| -> Option<String> {
            args.iter()
                .position(|a| a == name)
                .and_then(|i| args.get(i + 1))
                .cloned()
        };
        let known = ["--email", "--username", "--from", "--to"];
        let mut rest = args.iter().skip(1);
        while let Some(arg) = rest.next() {
            if !known.contains(&arg.as_str()) {
                return Err(format!("unexpected argument {arg:?}"));
            }
            rest.next();
        }
        match args.first().map(String::as_str) {
            None | Some("serve") => Ok(Command::Serve),
            Some("create-admin") => Ok(Command::CreateAdmin {
                email: flag("--email").ok_or("create-admin needs --email")?,
                username: flag("--username"),
            }),
            Some("promote") => Ok(Command::Promote {
                email: flag("--email").ok_or("promote needs --email")?,
            }),
            Some("copy-data") => Ok(Command::CopyData {
                from: flag("--from").ok_or("copy-data needs --from sqlite://…")?,
                to: flag("--to").ok_or("copy-data needs --to postgres://…")?,
            }),
            Some(other) => Err(format!("unknown command {other:?}")),
        }
    }
}

/// Reads the new admin's password: a prompt on a terminal, else one line of stdin.
fn read_password(email: &str) -> anyhow::Result<Password> {
    if std::io::stdin().is_terminal() {
        let password = rpassword::prompt_password(format!("Password for {email}: "))?;
        return Ok(Password::new(password));
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    // Only the line ending is removed: spaces are part of the password.
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    Ok(Password::new(password))
}

/// The server's state for an account command, after saying which database it acts on
/// and refusing one the server never set up (`DatabaseSettings::require_initialised`).
async fn existing_state() -> anyhow::Result<AppState> {
    let config = Config::from_env()?;
    println!("database: {}", config.database.describe());
    state_of(&config).await
}

/// As [`existing_state`], naming the database on standard error: for the commands whose
/// standard output is JSON.
async fn existing_state_quietly() -> anyhow::Result<AppState> {
    let config = Config::from_env()?;
    eprintln!("database: {}", config.database.describe());
    state_of(&config).await
}

async fn state_of(config: &Config) -> anyhow::Result<AppState> {
    config.database.require_initialised().await?;
    AppState::new(config).await
}

/// One line of JSON on standard output.
fn json_line(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(value)?);
    Ok(())
}

async fn run_client_command(command: ClientCommand) -> anyhow::Result<()> {
    let state = existing_state_quietly().await?;
    let clients = &state.oidc.clients;
    match command {
        ClientCommand::Create {
            name,
            redirect_uris,
            post_logout_redirect_uris,
            public,
            first_party,
        } => {
            let client = NewClient::parse(&name, redirect_uris, post_logout_redirect_uris, public, first_party)?;
            json_line(&clients.create(&client).await?)?;
        }
        ClientCommand::List => {
            for client in clients.list().await? {
                json_line(&client)?;
            }
        }
        ClientCommand::Delete { client_id } => {
            if !clients.delete(&client_id).await? {
                bail!(ClientError::Unknown(client_id));
            }
            json_line(&serde_json::json!({"client_id": client_id, "deleted": true}))?;
        }
        ClientCommand::RotateSecret { client_id } => json_line(&clients.rotate_secret(&client_id).await??)?,
    }
    Ok(())
}

pub async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve => bail!("serve is handled by the server"),
        Command::Help => println!("{USAGE}"),
        // Names its own databases: DATABASE_URL and the rest of the configuration do not apply.
        Command::CopyData { from, to } => {
            let describe = |url: &str| -> anyhow::Result<String> {
                Ok(copy_data::settings(url, Backend::of_url(url)?).describe())
            };
            println!("copying from {} to {}", describe(&from)?, describe(&to)?);
            println!("{}", copy_data(&from, &to).await?)
        }
        Command::CreateAdmin { email, username } => {
            let state = existing_state().await?;
            let normalised = Email::parse(&email).map_err(|e| anyhow::anyhow!("{e}"))?;
            let default_name = normalised.as_str().split('@').next().unwrap_or("admin").to_owned();
            let username = username.unwrap_or(default_name);
            let password = read_password(normalised.as_str())?;
            let account = NewAccount::parse(&email, &username, password).map_err(|errors| {
                let reasons: Vec<String> = errors.iter().map(ToString::to_string).collect();
                anyhow::anyhow!("{}", reasons.join("; "))
            })?;
            match register(&state, account, Role::Admin).await {
                Ok(registered) => {
                    let user = registered.user;
                    // The operator vouches for the address they typed: an admin is never
                    // locked out by REQUIRE_EMAIL_VERIFICATION.
                    let mut connection = state.database.pool().acquire().await?;
                    UserStore::mark_verified(&mut connection, user.id, &user.email).await?;
                    println!("created admin {} (id {})", user.email, user.id)
                }
                Err(AuthError::EmailTaken) => {
                    let email = normalised.as_str();
                    bail!("{email} is already registered; use `authkit promote --email {email}`")
                }
                Err(AuthError::Internal(cause)) => return Err(cause),
                Err(refused) => bail!("{refused}"),
            }
        }
        Command::OidcClient(command) => run_client_command(command).await?,
        Command::RotateKeys => {
            let state = existing_state().await?;
            let rotated = state.oidc.keys.rotate().await?;
            println!(
                "retired {} signing key(s) ({}); signing now with {}",
                rotated.retired.len(),
                rotated.retired.join(", "),
                rotated.current.join(", ")
            );
        }
        Command::Promote { email } => {
            let state = existing_state().await?;
            let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("{e}"))?;
            let user = state
                .accounts
                .users
                .find_by_email(&email)
                .await?
                .context("no user with that email")?;
            let account = match assign_role(&state, user.id, Role::Admin).await {
                Ok(account) => account,
                Err(AuthError::Internal(cause)) => return Err(cause),
                Err(refused) => bail!("{refused}"),
            };
            println!("{} (id {}) is now an admin", account.email, account.id);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        Command::parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn parses_the_subcommands() {
        assert_eq!(parse(&[]), Ok(Command::Serve));
        assert_eq!(parse(&["serve"]), Ok(Command::Serve));
        for help in [&["help"][..], &["--help"], &["-h"], &["create-admin", "--help"]] {
            assert_eq!(parse(help), Ok(Command::Help), "{help:?}");
        }
        assert_eq!(
            parse(&["create-admin", "--email", "a@example.com"]),
            Ok(Command::CreateAdmin {
                email: "a@example.com".into(),
                username: None
            })
        );
        assert_eq!(parse(&["keys", "rotate"]), Ok(Command::RotateKeys));
        assert_eq!(
            parse(&[
                "oidc-client",
                "create",
                "--name",
                "Grafana",
                "--redirect-uri",
                "https://a.example/cb",
                "--redirect-uri",
                "https://b.example/cb",
                "--first-party",
            ]),
            Ok(Command::OidcClient(ClientCommand::Create {
                name: "Grafana".into(),
                redirect_uris: vec!["https://a.example/cb".into(), "https://b.example/cb".into()],
                post_logout_redirect_uris: vec![],
                public: false,
                first_party: true,
            }))
        );
        assert_eq!(
            parse(&["oidc-client", "rotate-secret", "--client-id", "abc"]),
            Ok(Command::OidcClient(ClientCommand::RotateSecret {
                client_id: "abc".into()
            }))
        );
        assert_eq!(
            parse(&["oidc-client", "list"]),
            Ok(Command::OidcClient(ClientCommand::List))
        );
        for wrong in [
            &["oidc-client"][..],
            &["oidc-client", "create", "--redirect-uri", "https://a.example/cb"],
            &["oidc-client", "delete"],
            &["oidc-client", "create", "--name"],
            &["oidc-client", "list", "--everything"],
        ] {
            assert!(parse(wrong).is_err(), "{wrong:?}");
        }
        assert!(parse(&["keys"]).is_err());
        assert!(parse(&["keys", "rotate", "now"]).is_err());
        assert_eq!(
            parse(&["promote", "--email", "a@example.com"]),
            Ok(Command::Promote {
                email: "a@example.com".into()
            })
        );
        assert_eq!(
            parse(&[
                "copy-data",
                "--from",
                "sqlite://data/authkit.db",
                "--to",
                "postgres://h/db"
            ]),
            Ok(Command::CopyData {
                from: "sqlite://data/authkit.db".into(),
                to: "postgres://h/db".into()
            })
        );
        assert!(parse(&["copy-data", "--from", "sqlite://a.db"]).is_err());
        assert!(parse(&["promote"]).is_err());
        assert!(parse(&["drop-tables"]).is_err());
        assert!(parse(&["promote", "--email", "a@example.com", "--force"]).is_err());
    }
}
