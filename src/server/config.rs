//! Configuration from environment variables (and a `.env` file, if present).
//!
//! | variable | default |
//! |---|---|
//! | `DATA_DIR` | `./data` |
//! | `DATABASE_URL` | `sqlite://$DATA_DIR/authkit.db` |
//! | `JWT_SECRET` | 32 random bytes generated once into `$DATA_DIR/jwt_secret` (mode 0600) |
//!
//! `LEPTOS_SITE_ADDR` and the other `LEPTOS_*` variables are read by Leptos itself.

use anyhow::{Context, bail};
use secrecy::SecretSlice;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

pub const MIN_SECRET_BYTES: usize = 32;
const SECRET_FILE: &str = "jwt_secret";

pub struct Config {
    pub data_dir: PathBuf,
    pub database_url: String,
    pub jwt_secret: SecretSlice<u8>,
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        // A missing .env file is normal; a malformed one should not be silently ignored.
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(e).context("reading .env"),
        }
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let data_dir = PathBuf::from(var("DATA_DIR").unwrap_or_else(|| "data".to_owned()));
        std::fs::create_dir_all(&data_dir).with_context(|| format!("creating data folder {}", data_dir.display()))?;
        let database_url =
            var("DATABASE_URL").unwrap_or_else(|| format!("sqlite://{}", data_dir.join("authkit.db").display()));
        let jwt_secret = match var("JWT_SECRET") {
            Some(secret) => parse_secret(secret.into_bytes())?,
            None => load_or_create_secret(&data_dir)?,
        };
        Ok(Self {
            data_dir,
            database_url,
            jwt_secret,
        })
    }
}

fn parse_secret(bytes: Vec<u8>) -> anyhow::Result<SecretSlice<u8>> {
    if bytes.len() < MIN_SECRET_BYTES {
        bail!(
            "JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long (it has {})",
            bytes.len()
        );
    }
    Ok(SecretSlice::from(bytes))
}

/// Without `JWT_SECRET`, generate a key once and keep it, so tokens survive a restart.
fn load_or_create_secret(data_dir: &Path) -> anyhow::Result<SecretSlice<u8>> {
    let path = data_dir.join(SECRET_FILE);
    match std::fs::read_to_string(&path) {
        Ok(hex_key) => {
            let bytes = hex::decode(hex_key.trim()).with_context(|| format!("{} is not hex", path.display()))?;
            parse_secret(bytes).with_context(|| format!("key in {}", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key: [u8; MIN_SECRET_BYTES] = rand::random();
            // create_new: if another process raced us, fail rather than overwrite its key.
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .with_context(|| format!("creating {}", path.display()))?;
            file.write_all(hex::encode(key).as_bytes())?;
            file.sync_all()?;
            tracing::warn!(
                path = %path.display(),
                "JWT_SECRET is not set: generated a new signing key and saved it (set JWT_SECRET in production)"
            );
            Ok(SecretSlice::from(key.to_vec()))
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn short_secret_is_refused() {
        assert!(parse_secret(b"too short".to_vec()).is_err());
        assert!(parse_secret(vec![b'x'; 32]).is_ok());
    }

    #[test]
    fn generated_secret_is_private_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create_secret(dir.path()).unwrap();
        let mode = std::fs::metadata(dir.path().join(SECRET_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let second = load_or_create_secret(dir.path()).unwrap();
        assert_eq!(first.expose_secret(), second.expose_secret());
        assert_eq!(first.expose_secret().len(), 32);
    }
}
