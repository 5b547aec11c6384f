//! What starting up does to the disk, kept apart from parsing the configuration: the
//! data folder is created (mode 0700: only the server's user may enter it), and in
//! development without `JWT_SECRET` a signing key is generated once and kept in it
//! (mode 0600), so tokens survive a restart. The SQLite files are made private too.

use super::config::{Config, MIN_SECRET_BYTES, parse_secret};
use anyhow::Context;
use secrecy::SecretSlice;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

const SECRET_FILE: &str = "jwt_secret";

/// Creates the data folder (mode 0700).
pub fn prepare(config: &Config) -> anyhow::Result<()> {
    let dir = &config.data_dir;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating data folder {}", dir.display()))
}

/// The development signing key of a single instance (no `JWT_SECRET`): generated once
/// into the data folder.
pub fn load_or_create_secret(data_dir: &Path) -> anyhow::Result<SecretSlice<u8>> {
    let path = data_dir.join(SECRET_FILE);
    match std::fs::read_to_string(&path) {
        Ok(hex_key) => {
            warn_if_readable_by_others(&path);
            let bytes = hex::decode(hex_key.trim()).with_context(|| format!("{} is not hex", path.display()))?;
            parse_secret("the stored key", bytes, false).with_context(|| format!("key in {}", path.display()))
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

/// A key file that other users can read is a key they can sign tokens with.
fn warn_if_readable_by_others(path: &Path) {
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            path = %path.display(),
            mode = format!("{:o}", meta.permissions().mode() & 0o777),
            "the signing key file is readable by other users: chmod 600 it"
        );
    }
}

/// Creates the SQLite database file (if missing) readable and writable by the server's
/// user only, and makes an existing one so. SQLite creates its `-wal` and `-shm` files
/// with the database file's permissions.
pub fn private_database_file(path: &Path) -> anyhow::Result<()> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("making {} private", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::os::unix::fs::PermissionsExt;

    fn development_config(dir: &Path) -> Config {
        let data_dir = dir.display().to_string();
        Config::from_lookup(|name| (name == "DATA_DIR").then(|| data_dir.clone())).unwrap()
    }

    #[test]
    fn generated_secret_is_private_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        prepare(&development_config(dir.path())).unwrap();
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

    #[test]
    fn creates_the_data_folder_for_the_server_only() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        prepare(&development_config(&nested)).unwrap();
        let mode = std::fs::metadata(&nested).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }

    #[test]
    fn the_database_file_is_private_even_if_it_existed() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("authkit.db");
        private_database_file(&db).unwrap();
        assert_eq!(std::fs::metadata(&db).unwrap().permissions().mode() & 0o777, 0o600);
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        private_database_file(&db).unwrap();
        assert_eq!(std::fs::metadata(&db).unwrap().permissions().mode() & 0o777, 0o600);
    }
}
