//! How a replica keeps its index current: it follows the change feed. Every write that takes a
//! feed position also notifies the channel `waystation_feed`, and PostgreSQL delivers that at
//! commit (never for a write rolled back). The follower listens on a connection of its own, and
//! on each notification — or every `fallback` in case one was lost with a connection — pulls the
//! pages after the last position it applied and hands them on, in order, until none is left.

use std::future::poll_fn;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_postgres::AsyncMessage;
use waystation_catalog::feed::{ChangePage, Gone};

use crate::error::Result;

/// The channel writes notify.
pub const CHANNEL: &str = "waystation_feed";

/// Changes pulled a page at a time.
const PAGE: usize = 1000;

/// How long a page may take before the database counts as lost.
const PAGE_WAIT: Duration = Duration::from_secs(30);

/// The shortest fallback poll (a zero would poll without pause).
const FALLBACK_MIN: Duration = Duration::from_millis(100);

/// Why following stopped: the feed no longer reaches back to the follower's position (the caller
/// reloads whole and follows again from the new head), or `apply` asked to stop.
#[derive(Debug, PartialEq)]
pub enum Stopped {
    Gone(Gone),
    Asked,
}

/// Follows the feed after `at`, calling `apply` with each page in order (the tallies too), until
/// `apply` returns false or the feed is gone past `at`. An error (the database lost) ends it; the
/// caller tries again from the last position it applied.
pub async fn follow(
    url: &str,
    mut at: i64,
    fallback: Duration,
    mut apply: impl FnMut(&ChangePage) -> bool,
) -> Result<Stopped> {
    let (mut client, mut connection) = crate::config(url)?.connect(tokio_postgres::NoTls).await?;
    // The connection is driven here, to see the notifications; a notification only says
    // "something new", so only that one arrived matters.
    let (wake, mut woken) = mpsc::channel::<()>(1);
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
    let stopped = loop {
        // Everything after `at`, page by page (listening first, so no commit falls between).
        let page = loop {
            // Bounded: a page that does not come is a database lost, for the caller to retry.
            let read = crate::feed::since(&mut client, at, PAGE, true);
            let answered = tokio::time::timeout(PAGE_WAIT, read).await;
            let Ok(answered) = answered else {
                return Err(crate::Error::Timeout("a change page"));
            };
            match answered? {
                Err(gone) => break Err(gone),
                Ok(page) => {
                    let more = page.more;
                    if !page.changes.is_empty() || page.last_seq != at {
                        at = page.last_seq;
                        if !apply(&page) {
                            break Ok(false);
                        }
                    }
                    if !more {
                        break Ok(true);
                    }
                }
            }
        };
        match page {
            Err(gone) => break Stopped::Gone(gone),
            Ok(false) => break Stopped::Asked,
            Ok(true) => {}
        }
        if driver.is_finished() {
            // The connection ended: the next query says why.
            client.simple_query("SELECT 1").await?;
        }
        let _ = tokio::time::timeout(fallback.max(FALLBACK_MIN), woken.recv()).await;
    };
    driver.abort();
    Ok(stopped)
}
