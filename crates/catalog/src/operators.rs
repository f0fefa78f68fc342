//! Operator and admin accounts: Argon2id password hashes, random session tokens stored hashed
//! with an expiry, station assignments, and reading the audit log.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{Duration, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Result;

/// How long a login lasts.
pub const SESSION_HOURS: i64 = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Edits the operator fields of the stations assigned to them.
    Operator,
    /// Creates, edits and deletes any station, assigns operators, reads the audit log.
    Admin,
}

impl Role {
    pub fn id(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        match s {
            "operator" => Ok(Role::Operator),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "unknown role `{other}` (accepted: operator, admin)"
            )),
        }
    }
}

/// Who is making a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    pub username: String,
    pub role: Role,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("user name `{0}` is not valid: use 1-32 lowercase letters, digits, `.`, `_` or `-`")]
    BadName(String),
    #[error("the password is too short: use at least 8 characters")]
    ShortPassword,
    #[error("user `{0}` already exists")]
    Exists(String),
    #[error("no user `{0}`")]
    NoUser(String),
    #[error("no station with id `{0}`")]
    NoStation(String),
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error(transparent)]
    Catalog(#[from] crate::error::CatalogError),
}

impl From<rusqlite::Error> for AccountError {
    fn from(e: rusqlite::Error) -> Self {
        AccountError::Catalog(e.into())
    }
}

fn valid_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
}

fn hash_password(password: &str) -> Result<String, AccountError> {
    let mut salt = [0u8; 16];
    rand::Rng::fill(&mut rand::rng(), &mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| AccountError::Hash(e.to_string()))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| AccountError::Hash(e.to_string()))?
        .to_string())
}

pub fn add_user(
    conn: &Connection,
    name: &str,
    role: Role,
    password: &str,
) -> Result<(), AccountError> {
    if !valid_name(name) {
        return Err(AccountError::BadName(name.to_string()));
    }
    if password.chars().count() < 8 {
        return Err(AccountError::ShortPassword);
    }
    let hash = hash_password(password)?;
    let now = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let inserted = conn.execute(
        "INSERT INTO users (username, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(username) DO NOTHING",
        params![name, role.id(), hash, now],
    )?;
    if inserted == 0 {
        return Err(AccountError::Exists(name.to_string()));
    }
    Ok(())
}

pub fn assign(conn: &Connection, name: &str, station_id: &str) -> Result<(), AccountError> {
    let user: Option<String> = conn
        .query_row(
            "SELECT username FROM users WHERE username = ?1",
            [name],
            |r| r.get(0),
        )
        .optional()?;
    user.ok_or_else(|| AccountError::NoUser(name.to_string()))?;
    let station: Option<String> = conn
        .query_row("SELECT id FROM stations WHERE id = ?1", [station_id], |r| {
            r.get(0)
        })
        .optional()?;
    station.ok_or_else(|| AccountError::NoStation(station_id.to_string()))?;
    conn.execute(
        "INSERT OR IGNORE INTO assignments (username, station_id) VALUES (?1, ?2)",
        [name, station_id],
    )?;
    Ok(())
}

pub fn is_assigned(conn: &Connection, name: &str, station_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM assignments WHERE username = ?1 AND station_id = ?2")?
        .exists([name, station_id])?)
}

pub fn assigned_stations(conn: &Connection, name: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT station_id FROM assignments WHERE username = ?1 ORDER BY station_id",
    )?;
    let ids = stmt
        .query_map([name], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(ids)
}

/// A user's stored credentials: (role, Argon2id hash). Read under the catalog lock; verify
/// with [`verify_password`] outside it (hashing is slow by design).
pub fn credentials(conn: &Connection, name: &str) -> Result<Option<(Role, String)>> {
    let row: Option<(String, String)> = conn
        .prepare_cached("SELECT role, password_hash FROM users WHERE username = ?1")?
        .query_row([name], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(row.and_then(|(role, hash)| role.parse().ok().map(|role| (role, hash))))
}

/// Whether `password` matches the stored hash. With no account, the same hashing work is done
/// so timing does not tell which names exist.
pub fn verify_password(stored: Option<&str>, password: &str) -> bool {
    match stored.and_then(|s| PasswordHash::new(s).ok()) {
        Some(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        None => {
            let _ = hash_password(password);
            false
        }
    }
}

/// The account if the password is right.
pub fn check_password(conn: &Connection, name: &str, password: &str) -> Result<Option<Principal>> {
    let found = credentials(conn, name)?;
    let ok = verify_password(found.as_ref().map(|(_, h)| h.as_str()), password);
    Ok(found.filter(|_| ok).map(|(role, _)| Principal {
        username: name.to_string(),
        role,
    }))
}

fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Starts a session: a random 256-bit bearer token (only its hash is stored) and its expiry.
pub fn create_session(conn: &Connection, name: &str) -> Result<(String, String)> {
    let mut bytes = [0u8; 32];
    rand::Rng::fill(&mut rand::rng(), &mut bytes);
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let expires =
        (Utc::now() + Duration::hours(SESSION_HOURS)).to_rfc3339_opts(SecondsFormat::Secs, true);
    conn.execute(
        "DELETE FROM sessions WHERE expires_at < ?1",
        [Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)],
    )?;
    conn.execute(
        "INSERT INTO sessions (token_hash, username, expires_at) VALUES (?1, ?2, ?3)",
        params![token_hash(&token), name, expires],
    )?;
    Ok((token, expires))
}

/// The account behind a live token.
pub fn session(conn: &Connection, token: &str) -> Result<Option<Principal>> {
    let now = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let row: Option<(String, String)> = conn
        .prepare_cached(
            "SELECT u.username, u.role FROM sessions s JOIN users u ON u.username = s.username
             WHERE s.token_hash = ?1 AND s.expires_at > ?2",
        )?
        .query_row([token_hash(token), now], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(row.and_then(|(username, role)| role.parse().ok().map(|role| Principal { username, role })))
}

pub fn end_session(conn: &Connection, token: &str) -> Result<()> {
    conn.execute(
        "DELETE FROM sessions WHERE token_hash = ?1",
        [token_hash(token)],
    )?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub station_id: Option<String>,
    /// What was written (the station as saved), as JSON text.
    pub detail: String,
}

/// The newest `limit` audit records, newest first.
pub fn audit_log(conn: &Connection, limit: usize) -> Result<Vec<AuditEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, actor, action, station_id, detail FROM audit ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit as i64], |r| {
        Ok(AuditEntry {
            id: r.get(0)?,
            at: r.get(1)?,
            actor: r.get(2)?,
            action: r.get(3)?,
            station_id: r.get(4)?,
            detail: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_sessions_and_passwords() {
        let dir = tempfile::tempdir().expect("dir");
        let catalog = crate::Catalog::open(&dir.path().join("c.sqlite")).expect("open");
        let conn = catalog.conn();
        add_user(conn, "ann", Role::Operator, "correct horse").expect("add");
        assert!(matches!(
            add_user(conn, "ann", Role::Admin, "another one"),
            Err(AccountError::Exists(_))
        ));
        assert!(matches!(
            add_user(conn, "Bad Name", Role::Admin, "long enough"),
            Err(AccountError::BadName(_))
        ));
        assert!(matches!(
            add_user(conn, "bob", Role::Admin, "short"),
            Err(AccountError::ShortPassword)
        ));
        let stored: String = conn
            .query_row(
                "SELECT password_hash FROM users WHERE username = 'ann'",
                [],
                |r| r.get(0),
            )
            .expect("hash");
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(
            check_password(conn, "ann", "wrong horse")
                .expect("check")
                .is_none()
        );
        assert!(
            check_password(conn, "nobody", "correct horse")
                .expect("check")
                .is_none()
        );
        let who = check_password(conn, "ann", "correct horse")
            .expect("check")
            .expect("ok");
        assert_eq!(who.role, Role::Operator);
        let (token, _) = create_session(conn, "ann").expect("session");
        assert_eq!(token.len(), 64);
        let hashed: String = conn
            .query_row("SELECT token_hash FROM sessions", [], |r| r.get(0))
            .expect("row");
        assert_ne!(hashed, token, "tokens are stored hashed");
        assert_eq!(session(conn, &token).expect("lookup"), Some(who));
        end_session(conn, &token).expect("logout");
        assert_eq!(session(conn, &token).expect("lookup"), None);
        assert!(matches!(
            assign(conn, "ann", "nope"),
            Err(AccountError::NoStation(_))
        ));
    }
}
