//! The account tables: users (name, role, password hash), sessions (by token hash, with
//! expiry) and station assignments. Rows only: hashing passwords and making tokens is the
//! server's (waystation-server::accounts), so nothing here links a password hasher.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::error::Result;

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

/// An account: who is making a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    pub username: String,
    pub role: Role,
}

/// The account tables of one catalog file.
pub struct Accounts<'a>(pub(crate) &'a Connection);

impl Accounts<'_> {
    /// Adds a user; false if the name is taken.
    pub fn add(&self, name: &str, role: Role, password_hash: &str, now: &str) -> Result<bool> {
        let inserted = self.0.execute(
            "INSERT INTO users (username, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(username) DO NOTHING",
            params![name, role.id(), password_hash, now],
        )?;
        Ok(inserted == 1)
    }

    pub fn exists(&self, name: &str) -> Result<bool> {
        Ok(self
            .0
            .prepare_cached("SELECT 1 FROM users WHERE username = ?1")?
            .exists([name])?)
    }

    /// A user's role and stored password hash.
    pub fn credentials(&self, name: &str) -> Result<Option<(Role, String)>> {
        let row: Option<(String, String)> = self
            .0
            .prepare_cached("SELECT role, password_hash FROM users WHERE username = ?1")?
            .query_row([name], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(row.and_then(|(role, hash)| role.parse().ok().map(|role| (role, hash))))
    }

    /// Lets `name` edit `station_id` (both must exist; the caller checks).
    pub fn assign(&self, name: &str, station_id: &str) -> Result<()> {
        self.0.execute(
            "INSERT OR IGNORE INTO assignments (username, station_id) VALUES (?1, ?2)",
            [name, station_id],
        )?;
        Ok(())
    }

    pub fn is_assigned(&self, name: &str, station_id: &str) -> Result<bool> {
        Ok(self
            .0
            .prepare_cached("SELECT 1 FROM assignments WHERE username = ?1 AND station_id = ?2")?
            .exists([name, station_id])?)
    }

    pub fn assigned_stations(&self, name: &str) -> Result<Vec<String>> {
        let mut stmt = self.0.prepare_cached(
            "SELECT station_id FROM assignments WHERE username = ?1 ORDER BY station_id",
        )?;
        let ids = stmt
            .query_map([name], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(ids)
    }

    /// Stores a session by the hash of its token, forgetting sessions expired before `now`.
    pub fn start_session(
        &self,
        token_hash: &str,
        name: &str,
        expires_at: &str,
        now: &str,
    ) -> Result<()> {
        self.0
            .execute("DELETE FROM sessions WHERE expires_at < ?1", [now])?;
        self.0.execute(
            "INSERT INTO sessions (token_hash, username, expires_at) VALUES (?1, ?2, ?3)",
            params![token_hash, name, expires_at],
        )?;
        Ok(())
    }

    /// The account behind a session that is still live at `now`.
    pub fn session(&self, token_hash: &str, now: &str) -> Result<Option<Principal>> {
        let row: Option<(String, String)> = self
            .0
            .prepare_cached(
                "SELECT u.username, u.role FROM sessions s JOIN users u ON u.username = s.username
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2",
            )?
            .query_row([token_hash, now], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(row.and_then(|(username, role)| {
            role.parse().ok().map(|role| Principal { username, role })
        }))
    }

    pub fn end_session(&self, token_hash: &str) -> Result<()> {
        self.0
            .execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
        Ok(())
    }
}
