//! The account tables in PostgreSQL — users, sessions (by token hash), assignments — with the
//! same rules as the catalog file's (`waystation_catalog::store::accounts`): every change and its
//! audit record (the same details, byte for byte) in one transaction, a session started only while the password hash is the one
//! just checked. Rows only: hashing passwords and making tokens is the server's.

use tokio_postgres::{Client, GenericClient};
use waystation_catalog::store::accounts::{Actor, Principal, Role, SessionInfo, User};

use crate::error::Result;

/// Runs `change` in a transaction and writes its audit record there when it changed anything
/// (or always, with `always`); how many rows it changed.
async fn audited(
    client: &mut Client,
    by: &Actor<'_>,
    action: &str,
    detail: String,
    always: bool,
    change: impl AsyncFnOnce(&tokio_postgres::Transaction<'_>) -> Result<u64>,
) -> Result<u64> {
    let tx = client.transaction().await?;
    let n = change(&tx).await?;
    if n > 0 || always {
        tx.execute(
            "INSERT INTO audit (at, actor, action, station_id, detail) VALUES ($1, $2, $3, NULL, $4)",
            &[&by.now, &by.name, &action, &detail],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(n)
}

/// Adds a user; false if the name is taken.
pub async fn add(
    client: &mut Client,
    name: &str,
    role: Role,
    password_hash: &str,
    by: &Actor<'_>,
) -> Result<bool> {
    let detail = serde_json::json!({"username": name, "role": role.id()}).to_string();
    let n = audited(client, by, "user.add", detail, false, async |tx| {
        Ok(tx
            .execute(
                "INSERT INTO users (username, role, password_hash, created_at)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (username) DO NOTHING",
                &[&name, &role.id(), &password_hash, &by.now],
            )
            .await?)
    })
    .await?;
    Ok(n == 1)
}

/// Removes a user with their sessions and assignments; false if there was none.
pub async fn remove(client: &mut Client, name: &str, by: &Actor<'_>) -> Result<bool> {
    let detail = serde_json::json!({"username": name}).to_string();
    let n = audited(client, by, "user.remove", detail, false, async |tx| {
        Ok(tx
            .execute("DELETE FROM users WHERE username = $1", &[&name])
            .await?)
    })
    .await?;
    Ok(n == 1)
}

/// Replaces a user's password hash and ends every session of theirs but `keep`; false if there
/// is no such user.
pub async fn set_password_hash(
    client: &mut Client,
    name: &str,
    password_hash: &str,
    keep: Option<&str>,
    by: &Actor<'_>,
) -> Result<bool> {
    let detail = serde_json::json!({"username": name}).to_string();
    let n = audited(client, by, "user.password", detail, false, async |tx| {
        let n = tx
            .execute(
                "UPDATE users SET password_hash = $2 WHERE username = $1",
                &[&name, &password_hash],
            )
            .await?;
        tx.execute(
            "DELETE FROM sessions WHERE username = $1 AND token_hash IS DISTINCT FROM $2",
            &[&name, &keep],
        )
        .await?;
        Ok(n)
    })
    .await?;
    Ok(n == 1)
}

/// Ends every session of `name`, audited even when none was live; how many there were.
pub async fn revoke_sessions(client: &mut Client, name: &str, by: &Actor<'_>) -> Result<u64> {
    let tx = client.transaction().await?;
    let ended = tx
        .execute("DELETE FROM sessions WHERE username = $1", &[&name])
        .await?;
    let detail = serde_json::json!({"username": name, "ended": ended}).to_string();
    tx.execute(
        "INSERT INTO audit (at, actor, action, station_id, detail)
         VALUES ($1, $2, 'sessions.revoke', NULL, $3)",
        &[&by.now, &by.name, &detail],
    )
    .await?;
    tx.commit().await?;
    Ok(ended)
}

/// A user's live sessions at `now`, soonest to expire first.
pub async fn sessions(
    client: &impl GenericClient,
    name: &str,
    now: &str,
) -> Result<Vec<SessionInfo>> {
    Ok(client
        .query(
            "SELECT substr(token_hash, 1, 12), expires_at FROM sessions
             WHERE username = $1 AND expires_at > $2 ORDER BY expires_at COLLATE \"C\"",
            &[&name, &now],
        )
        .await?
        .iter()
        .map(|r| SessionInfo {
            id: r.get(0),
            expires_at: r.get(1),
        })
        .collect())
}

/// Every account, by name (byte order, as the catalog file lists them).
pub async fn users(client: &impl GenericClient) -> Result<Vec<User>> {
    let rows = client
        .query(
            "SELECT username, role, created_at FROM users ORDER BY username COLLATE \"C\"",
            &[],
        )
        .await?;
    let mut users = Vec::with_capacity(rows.len());
    for r in rows {
        let username: String = r.get(0);
        let Ok(role) = r.get::<_, &str>(1).parse() else {
            continue;
        };
        users.push(User {
            stations: assigned_stations(client, &username).await?,
            username,
            role,
            created_at: r.get(2),
        });
    }
    Ok(users)
}

/// A user's role and stored password hash.
pub async fn credentials(
    client: &impl GenericClient,
    name: &str,
) -> Result<Option<(Role, String)>> {
    let row = client
        .query_opt(
            "SELECT role, password_hash FROM users WHERE username = $1",
            &[&name],
        )
        .await?;
    Ok(row.and_then(|r| {
        let role = r.get::<_, &str>(0).parse().ok()?;
        Some((role, r.get(1)))
    }))
}

/// Lets `name` edit `station_id` (both must exist; the caller checks).
pub async fn assign(
    client: &mut Client,
    name: &str,
    station_id: &str,
    by: &Actor<'_>,
) -> Result<()> {
    let detail = serde_json::json!({"username": name, "station_id": station_id}).to_string();
    audited(client, by, "assign", detail, false, async |tx| {
        Ok(tx
            .execute(
                "INSERT INTO assignments (username, station_id) VALUES ($1, $2)
                 ON CONFLICT DO NOTHING",
                &[&name, &station_id],
            )
            .await?)
    })
    .await?;
    Ok(())
}

/// Takes `station_id` away from `name`; false if it was not theirs.
pub async fn unassign(
    client: &mut Client,
    name: &str,
    station_id: &str,
    by: &Actor<'_>,
) -> Result<bool> {
    let detail = serde_json::json!({"username": name, "station_id": station_id}).to_string();
    let n = audited(client, by, "unassign", detail, false, async |tx| {
        Ok(tx
            .execute(
                "DELETE FROM assignments WHERE username = $1 AND station_id = $2",
                &[&name, &station_id],
            )
            .await?)
    })
    .await?;
    Ok(n == 1)
}

pub async fn is_assigned(
    client: &impl GenericClient,
    name: &str,
    station_id: &str,
) -> Result<bool> {
    Ok(client
        .query_opt(
            "SELECT 1 FROM assignments WHERE username = $1 AND station_id = $2",
            &[&name, &station_id],
        )
        .await?
        .is_some())
}

pub async fn assigned_stations(client: &impl GenericClient, name: &str) -> Result<Vec<String>> {
    Ok(client
        .query(
            "SELECT station_id FROM assignments WHERE username = $1 ORDER BY station_id COLLATE \"C\"",
            &[&name],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// Stores a session by its token's hash, only while the user's password hash is still
/// `password_hash` (the one just checked); false if it changed. Forgets sessions expired before
/// `now`.
pub async fn start_session(
    client: &impl GenericClient,
    token_hash: &str,
    name: &str,
    expires_at: &str,
    password_hash: &str,
    now: &str,
) -> Result<bool> {
    client
        .execute("DELETE FROM sessions WHERE expires_at < $1", &[&now])
        .await?;
    let started = client
        .execute(
            "INSERT INTO sessions (token_hash, username, expires_at)
             SELECT $1, username, $3 FROM users WHERE username = $2 AND password_hash = $4",
            &[&token_hash, &name, &expires_at, &password_hash],
        )
        .await?;
    Ok(started == 1)
}

/// The account behind a session that is still live at `now`.
pub async fn session(
    client: &impl GenericClient,
    token_hash: &str,
    now: &str,
) -> Result<Option<Principal>> {
    let row = client
        .query_opt(
            "SELECT u.username, u.role FROM sessions s JOIN users u ON u.username = s.username
             WHERE s.token_hash = $1 AND s.expires_at > $2",
            &[&token_hash, &now],
        )
        .await?;
    Ok(row.and_then(|r| {
        let role = r.get::<_, &str>(1).parse().ok()?;
        Some(Principal {
            username: r.get(0),
            role,
        })
    }))
}

pub async fn end_session(client: &impl GenericClient, token_hash: &str) -> Result<()> {
    client
        .execute("DELETE FROM sessions WHERE token_hash = $1", &[&token_hash])
        .await?;
    Ok(())
}
