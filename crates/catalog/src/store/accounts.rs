//! The account tables: users (name, role, password hash), sessions (by token hash, with
//! expiry) and station assignments. Rows only: hashing passwords and making tokens is the
//! server's (waystation-server::accounts), so nothing here links a password hasher.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
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

/// An account as an admin lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub username: String,
    pub role: Role,
    pub created_at: String,
    /// The stations the account may edit.
    pub stations: Vec<String>,
}

/// A live session as its owner or an admin sees it: never the token, only a short id (the
/// first characters of the token's hash) to tell sessions apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionInfo {
    pub id: String,
    pub expires_at: String,
}

/// Who did an account change and when (RFC 3339), for the audit log written with it.
#[derive(Debug, Clone)]
pub struct Actor<'a> {
    pub name: &'a str,
    pub now: String,
}

/// The account tables of one catalog file.
pub struct Accounts<'a>(pub(crate) &'a Connection);

impl Accounts<'_> {
    /// Runs `change` and writes its audit record in one transaction, when it changed anything.
    fn audited(
        &self,
        by: &Actor<'_>,
        action: &str,
        detail: serde_json::Value,
        change: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<usize>,
    ) -> Result<usize> {
        let tx = self.0.unchecked_transaction()?;
        let n = change(&tx)?;
        if n > 0 {
            crate::store::audit::record(&tx, by.name, action, None, &detail.to_string(), &by.now)?;
        }
        tx.commit()?;
        Ok(n)
    }

    /// Adds a user; false if the name is taken.
    pub fn add(&self, name: &str, role: Role, password_hash: &str, by: &Actor<'_>) -> Result<bool> {
        let detail = serde_json::json!({"username": name, "role": role.id()});
        let n = self.audited(by, "user.add", detail, |tx| {
            tx.execute(
                "INSERT INTO users (username, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(username) DO NOTHING",
                params![name, role.id(), password_hash, &by.now],
            )
        })?;
        Ok(n == 1)
    }

    /// Removes a user with their sessions and assignments; false if there was none.
    pub fn remove(&self, name: &str, by: &Actor<'_>) -> Result<bool> {
        let detail = serde_json::json!({"username": name});
        let n = self.audited(by, "user.remove", detail, |tx| {
            tx.execute("DELETE FROM users WHERE username = ?1", [name])
        })?;
        Ok(n == 1)
    }

    /// Replaces a user's password hash and ends every session of theirs but `keep` (the one
    /// changing it, for a user's own change); false if there is no such user.
    pub fn set_password_hash(
        &self,
        name: &str,
        password_hash: &str,
        keep: Option<&str>,
        by: &Actor<'_>,
    ) -> Result<bool> {
        let detail = serde_json::json!({"username": name});
        let n = self.audited(by, "user.password", detail, |tx| {
            let n = tx.execute(
                "UPDATE users SET password_hash = ?2 WHERE username = ?1",
                [name, password_hash],
            )?;
            tx.execute(
                "DELETE FROM sessions WHERE username = ?1 AND token_hash IS NOT ?2",
                params![name, keep],
            )?;
            Ok(n)
        })?;
        Ok(n == 1)
    }

    /// Ends every session of a user; how many there were.
    /// Ends every session of `name`. Audited even when none was live: an admin's revoke is a
    /// decision worth finding later (say, after a stolen phone), whatever it ended.
    pub fn revoke_sessions(&self, name: &str, by: &Actor<'_>) -> Result<usize> {
        let tx = self.0.unchecked_transaction()?;
        let ended = tx.execute("DELETE FROM sessions WHERE username = ?1", [name])?;
        let detail = serde_json::json!({"username": name, "ended": ended});
        crate::store::audit::record(
            &tx,
            by.name,
            "sessions.revoke",
            None,
            &detail.to_string(),
            &by.now,
        )?;
        tx.commit()?;
        Ok(ended)
    }

    /// A user's live sessions at `now`, soonest to expire first.
    pub fn sessions(&self, name: &str, now: &str) -> Result<Vec<SessionInfo>> {
        let mut stmt = self.0.prepare_cached(
            "SELECT substr(token_hash, 1, 12), expires_at FROM sessions
             WHERE username = ?1 AND expires_at > ?2 ORDER BY expires_at",
        )?;
        let rows = stmt
            .query_map([name, now], |r| {
                Ok(SessionInfo {
                    id: r.get(0)?,
                    expires_at: r.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Every account, by name.
    pub fn users(&self) -> Result<Vec<User>> {
        let mut stmt = self
            .0
            .prepare_cached("SELECT username, role, created_at FROM users ORDER BY username")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut users = Vec::with_capacity(rows.len());
        for (username, role, created_at) in rows {
            let Ok(role) = role.parse() else { continue };
            users.push(User {
                stations: self.assigned_stations(&username)?,
                username,
                role,
                created_at,
            });
        }
        Ok(users)
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
    pub fn assign(&self, name: &str, station_id: &str, by: &Actor<'_>) -> Result<()> {
        let detail = serde_json::json!({"username": name, "station_id": station_id});
        self.audited(by, "assign", detail, |tx| {
            tx.execute(
                "INSERT OR IGNORE INTO assignments (username, station_id) VALUES (?1, ?2)",
                [name, station_id],
            )
        })?;
        Ok(())
    }

    /// Takes `station_id` away from `name`; false if it was not theirs.
    pub fn unassign(&self, name: &str, station_id: &str, by: &Actor<'_>) -> Result<bool> {
        let detail = serde_json::json!({"username": name, "station_id": station_id});
        let n = self.audited(by, "unassign", detail, |tx| {
            tx.execute(
                "DELETE FROM assignments WHERE username = ?1 AND station_id = ?2",
                [name, station_id],
            )
        })?;
        Ok(n == 1)
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

    /// Stores a session by the hash of its token — only while the user's password hash is still
    /// `password_hash`, the one just checked (a password set meanwhile must not let a login
    /// that was checking the old one through); false if it changed. Forgets sessions expired
    /// before `now`.
    pub fn start_session(
        &self,
        token_hash: &str,
        name: &str,
        expires_at: &str,
        password_hash: &str,
        now: &str,
    ) -> Result<bool> {
        self.0
            .execute("DELETE FROM sessions WHERE expires_at < ?1", [now])?;
        let started = self.0.execute(
            "INSERT INTO sessions (token_hash, username, expires_at)
             SELECT ?1, username, ?3 FROM users WHERE username = ?2 AND password_hash = ?4",
            params![token_hash, name, expires_at, password_hash],
        )?;
        Ok(started == 1)
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
