//! Operator and admin accounts, the server's side: Argon2id password hashes, random session
//! tokens stored as their SHA-256 with an expiry, and the rules for names and passwords. The
//! rows live in the catalog file (waystation_catalog::store::accounts).

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use chrono::{Duration, SecondsFormat, Utc};
use sha2::{Digest, Sha256};
use waystation_catalog::store::accounts::{Actor, Role};
use waystation_catalog::{Catalog, CatalogError};

/// How long a login lasts.
pub const SESSION_HOURS: i64 = 12;

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
    #[error("user `{0}` does not run station `{1}`")]
    NotAssigned(String, String),
    #[error("the current password is wrong")]
    WrongPassword,
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

/// Now, as the account tables store times.
pub fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A user name as accounts are created with: 1–32 of a-z, 0-9, `.`, `_`, `-`.
pub fn valid_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
}

fn hash_password(password: &str) -> Result<String, AccountError> {
    // argon2 takes the salt's raw bytes and writes them into the PHC string itself, so the
    // workspace's rand makes them and argon2 needs no random source of its own.
    let mut salt = [0u8; 16];
    rand::Rng::fill(&mut rand::rng(), &mut salt);
    Ok(Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map_err(|e| AccountError::Hash(e.to_string()))?
        .to_string())
}

/// `actor`, now: who changes an account, for its audit record.
fn by(actor: &str) -> Actor<'_> {
    Actor {
        name: actor,
        now: now(),
    }
}

/// A new password's hash, once it is long enough. Slow by design: call it outside any lock.
pub fn hash_new_password(password: &str) -> Result<String, AccountError> {
    if password.chars().count() < 8 {
        return Err(AccountError::ShortPassword);
    }
    hash_password(password)
}

/// Creates an account; `actor` is who does it, for the audit log.
pub fn add_user(
    catalog: &Catalog,
    name: &str,
    role: Role,
    password: &str,
    actor: &str,
) -> Result<(), AccountError> {
    if !valid_name(name) {
        return Err(AccountError::BadName(name.to_string()));
    }
    let hash = hash_new_password(password)?;
    add_user_with_hash(catalog, name, role, &hash, actor)
}

/// Creates an account whose password was hashed already (outside any lock).
pub fn add_user_with_hash(
    catalog: &Catalog,
    name: &str,
    role: Role,
    hash: &str,
    actor: &str,
) -> Result<(), AccountError> {
    if !valid_name(name) {
        return Err(AccountError::BadName(name.to_string()));
    }
    if !catalog.accounts().add(name, role, hash, &by(actor))? {
        return Err(AccountError::Exists(name.to_string()));
    }
    Ok(())
}

pub fn assign(
    catalog: &Catalog,
    name: &str,
    station_id: &str,
    actor: &str,
) -> Result<(), AccountError> {
    if !catalog.accounts().exists(name)? {
        return Err(AccountError::NoUser(name.to_string()));
    }
    match catalog.station(station_id) {
        Err(CatalogError::NotFound(_)) => {
            return Err(AccountError::NoStation(station_id.to_string()));
        }
        other => other?,
    };
    Ok(catalog.accounts().assign(name, station_id, &by(actor))?)
}

pub fn unassign(
    catalog: &Catalog,
    name: &str,
    station_id: &str,
    actor: &str,
) -> Result<(), AccountError> {
    if !catalog.accounts().unassign(name, station_id, &by(actor))? {
        return Err(AccountError::NotAssigned(
            name.to_string(),
            station_id.to_string(),
        ));
    }
    Ok(())
}

/// Removes an account, its sessions and its assignments.
pub fn remove_user(catalog: &Catalog, name: &str, actor: &str) -> Result<(), AccountError> {
    if !catalog.accounts().remove(name, &by(actor))? {
        return Err(AccountError::NoUser(name.to_string()));
    }
    Ok(())
}

/// Stores a new password hash (from `hash_new_password`) and ends the user's sessions but
/// `keep`.
pub fn set_password_hash(
    catalog: &Catalog,
    name: &str,
    hash: &str,
    keep: Option<&str>,
    actor: &str,
) -> Result<(), AccountError> {
    if !catalog
        .accounts()
        .set_password_hash(name, hash, keep, &by(actor))?
    {
        return Err(AccountError::NoUser(name.to_string()));
    }
    Ok(())
}

/// Ends every session of an account; how many there were.
pub fn revoke_sessions(catalog: &Catalog, name: &str, actor: &str) -> Result<usize, AccountError> {
    if !catalog.accounts().exists(name)? {
        return Err(AccountError::NoUser(name.to_string()));
    }
    Ok(catalog.accounts().revoke_sessions(name, &by(actor))?)
}

/// Whether `password` matches the stored hash. With no account, the same hashing work is done
/// so timing does not tell which names exist. Slow by design: call it outside any lock.
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

/// What is stored of a session token: its SHA-256, so a stolen table opens no session.
pub fn token_hash(token: &str) -> String {
    waystation_catalog::signed::to_hex(&Sha256::digest(token.as_bytes()))
}

/// A new session: a random 256-bit bearer token for the client, its hash for the store, and
/// its expiry.
pub struct NewSession {
    pub token: String,
    pub token_hash: String,
    pub expires_at: String,
}

/// A random secret (256 bits, hex): a session token, a proposer's key to their proposal.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::Rng::fill(&mut rand::rng(), &mut bytes);
    waystation_catalog::signed::to_hex(&bytes)
}

pub fn new_session() -> NewSession {
    let token = new_secret();
    NewSession {
        token_hash: token_hash(&token),
        token,
        expires_at: (Utc::now() + Duration::hours(SESSION_HOURS))
            .to_rfc3339_opts(SecondsFormat::Secs, true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use waystation_catalog::store::accounts::Principal;

    /// "correct horse" hashed by argon2 0.5.3 with Argon2::default() and the salt
    /// b"waystation-salt!": what the accounts table holds from before argon2 0.6.
    const HASH_FROM_ARGON2_0_5: &str = "$argon2id$v=19$m=19456,t=2,p=1$d2F5c3RhdGlvbi1zYWx0IQ$zCNRjXo0GfCARiz9wisgchNLTqKoR9Urt24NLqeqO8o";

    #[test]
    fn stored_hashes_outlive_argon2_updates() {
        assert!(verify_password(Some(HASH_FROM_ARGON2_0_5), "correct horse"));
        assert!(!verify_password(
            Some(HASH_FROM_ARGON2_0_5),
            "correct horsE"
        ));
        // The same password and salt hash to the same string: same parameters, same encoding.
        let again = Argon2::default()
            .hash_password_with_salt(b"correct horse", b"waystation-salt!")
            .expect("hash");
        assert_eq!(again.to_string(), HASH_FROM_ARGON2_0_5);
    }

    #[test]
    fn accounts_sessions_and_passwords() {
        let dir = tempfile::tempdir().expect("dir");
        let catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("open");
        add_user(&catalog, "ann", Role::Operator, "correct horse", "test").expect("add");
        assert!(matches!(
            add_user(&catalog, "ann", Role::Admin, "another one", "test"),
            Err(AccountError::Exists(_))
        ));
        assert!(matches!(
            add_user(&catalog, "Bad Name", Role::Admin, "long enough", "test"),
            Err(AccountError::BadName(_))
        ));
        assert!(matches!(
            add_user(&catalog, "bob", Role::Admin, "short", "test"),
            Err(AccountError::ShortPassword)
        ));
        let (role, stored) = catalog
            .accounts()
            .credentials("ann")
            .expect("read")
            .expect("ann");
        assert_eq!(role, Role::Operator);
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(!verify_password(Some(&stored), "wrong horse"));
        assert!(!verify_password(None, "correct horse"));
        assert!(verify_password(Some(&stored), "correct horse"));
        let new = new_session();
        assert_eq!(new.token.len(), 64);
        assert_ne!(new.token, new_session().token, "random tokens");
        let rows = catalog.accounts();
        assert!(
            rows.start_session(&new.token_hash, "ann", &new.expires_at, &stored, &now())
                .expect("session")
        );
        assert!(
            !rows
                .start_session(
                    &new_session().token_hash,
                    "ann",
                    &new.expires_at,
                    "old",
                    &now()
                )
                .expect("session"),
            "not when the password changed since it was checked"
        );
        let who = Principal {
            username: "ann".into(),
            role: Role::Operator,
        };
        let lookup = |token: &str| rows.session(&token_hash(token), &now()).expect("lookup");
        assert_eq!(lookup(&new.token), Some(who));
        assert_eq!(
            rows.session(&new.token, &now()).expect("lookup"),
            None,
            "tokens are stored hashed: the token itself finds nothing"
        );
        rows.end_session(&new.token_hash).expect("logout");
        assert_eq!(lookup(&new.token), None);
        let expired = new_session();
        rows.start_session(
            &expired.token_hash,
            "ann",
            "2000-01-01T00:00:00Z",
            &stored,
            &now(),
        )
        .expect("session");
        assert_eq!(
            lookup(&expired.token),
            None,
            "an expired session opens nothing"
        );
        assert!(matches!(
            assign(&catalog, "ann", "nope", "test"),
            Err(AccountError::NoStation(_))
        ));
        assert!(matches!(
            assign(&catalog, "nobody", "nope", "test"),
            Err(AccountError::NoUser(_))
        ));
    }
}
