//! How a replica hears of other replicas' writes: every write that takes a feed position also
//! notifies the channel `waystation_feed`, and PostgreSQL delivers that at commit (never for a
//! write rolled back). A `Listener` listens on a connection of its own; the replica, woken, pulls
//! the pages after the last position it applied (`feed::since`). A notification lost with a
//! connection is covered by waking at least every `fallback` anyway.

use std::future::poll_fn;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, Client};

use crate::error::Result;

/// The channel writes notify.
pub const CHANNEL: &str = "waystation_feed";

/// The shortest fallback wait (a zero would poll without pause).
const FALLBACK_MIN: Duration = Duration::from_millis(100);

/// A connection listening for commits that took feed positions.
pub struct Listener {
    client: Client,
    driver: tokio::task::JoinHandle<()>,
    woken: mpsc::Receiver<()>,
}

impl Listener {
    /// Connects to `url` and listens; a commit after this returns is heard.
    pub async fn new(url: &str) -> Result<Listener> {
        let (client, mut connection) = crate::config(url)?.connect(tokio_postgres::NoTls).await?;
        // The connection is driven here, to see the notifications; a notification only says
        // "something new", so only that one arrived matters.
        let (wake, woken) = mpsc::channel::<()>(1);
        let driver = tokio::spawn(async move {
            while let Some(message) = poll_fn(|cx| connection.poll_message(cx)).await {
                match message {
                    Ok(AsyncMessage::Notification(_)) => {
                        let _ = wake.try_send(());
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        });
        client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
        Ok(Listener {
            client,
            driver,
            woken,
        })
    }

    /// Returns when a commit was heard since the last call, or after `fallback` at most; an
    /// error once the connection has ended (the caller listens anew).
    pub async fn wait(&mut self, fallback: Duration) -> Result<()> {
        let heard = tokio::time::timeout(fallback.max(FALLBACK_MIN), self.woken.recv()).await;
        match heard {
            // Woken, or the fallback is up.
            Ok(Some(())) | Err(_) => Ok(()),
            // The connection ended: a query says why.
            Ok(None) => {
                self.client.simple_query("SELECT 1").await?;
                Err(crate::Error::Timeout("the listening connection ended"))
            }
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.driver.abort();
    }
}
