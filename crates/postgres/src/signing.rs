//! The public halves of the keys the catalog is signed with (the private key stays in a file
//! or an environment variable, never here): the first replica records its key, and every later
//! one must sign with the newest recorded key, or with one that key handed over to — so two
//! replicas given different key files cannot both serve the catalog.

use tokio_postgres::Client;

use crate::error::Result;

/// What the catalog made of a replica's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Adopted {
    /// The catalog had no key yet: this one is now its key.
    First,
    /// The catalog's newest key.
    Same,
    /// The catalog's newest key handed over to this one (a re-keying): recorded.
    Rotated,
    /// Not the catalog's key: `newest` is.
    Foreign { newest: String },
}

/// Takes `public_key` as the catalog's signing key if the catalog has none, has it already as
/// its newest, or its newest is among `handed_over_from` (the keys the key file says handed over
/// to this one, each handover signed by the key before); refuses it otherwise.
pub async fn adopt(
    client: &mut Client,
    public_key: &str,
    handed_over_from: &[String],
    now: &str,
) -> Result<Adopted> {
    let tx = client.transaction().await?;
    // Replicas starting at once decide one after the other.
    tx.batch_execute("LOCK TABLE signing_keys IN EXCLUSIVE MODE")
        .await?;
    let newest: Option<String> = tx
        .query_opt(
            "SELECT public_key FROM signing_keys ORDER BY added_at DESC, public_key LIMIT 1",
            &[],
        )
        .await?
        .map(|r| r.get(0));
    let adopted = match newest {
        Some(newest) if newest == public_key => Adopted::Same,
        Some(newest) if !handed_over_from.contains(&newest) => Adopted::Foreign { newest },
        newest => {
            tx.execute(
                "INSERT INTO signing_keys (public_key, added_at) VALUES ($1, $2)
                 ON CONFLICT (public_key) DO UPDATE SET added_at = excluded.added_at",
                &[&public_key, &now],
            )
            .await?;
            if newest.is_some() {
                Adopted::Rotated
            } else {
                Adopted::First
            }
        }
    };
    tx.commit().await?;
    Ok(adopted)
}
