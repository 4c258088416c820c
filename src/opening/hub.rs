//! Fan-out of stored opening events to this process's subscribers. The hub never invents an
//! event: when told that a tender has new events (by a local commit or by another process's
//! NOTIFY) it reads them from the store, serialises each once, and broadcasts them in order.

use super::{Audience, OpeningEvent};
use crate::domain::TenderId;
use crate::store::{Store, StoreError};
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// Events a subscriber may fall behind by before it is caught up from the store.
pub const BUFFER: usize = 1024;

/// One event, serialised once for every socket.
#[derive(Debug)]
pub struct SharedEvent {
    pub seq: i64,
    pub audience: Audience,
    /// JSON text of `{seq, at, kind, body}`.
    pub text: Bytes,
}

impl SharedEvent {
    pub fn new(e: &OpeningEvent) -> Arc<Self> {
        Arc::new(SharedEvent {
            seq: e.seq,
            audience: e.audience.clone(),
            text: Bytes::from(serde_json::to_vec(&e.view()).expect("an event serialises")),
        })
    }
}

struct Channel {
    tx: broadcast::Sender<Arc<SharedEvent>>,
    /// The last seq broadcast; `None` until the first publication after the channel was made.
    published: tokio::sync::Mutex<Option<i64>>,
}

#[derive(Default)]
pub struct OpeningHub {
    channels: Mutex<HashMap<TenderId, Arc<Channel>>>,
    /// Per tender and purpose, one task at a time in this process (other processes are kept
    /// in order by the store's append check).
    locks: Mutex<HashMap<(TenderId, Lock), TenderLock>>,
}

type TenderLock = Arc<tokio::sync::Mutex<()>>;

/// What a per-tender lock guards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lock {
    /// Folding the events and appending the next ones.
    Write,
    /// A decryption pass over the tender's bids.
    Decrypt,
}

impl OpeningHub {
    pub async fn lock(&self, tender: &TenderId, what: Lock) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = self
            .locks
            .lock()
            .expect("hub lock")
            .entry((tender.clone(), what))
            .or_default()
            .clone();
        lock.lock_owned().await
    }

    pub fn subscribe(&self, tender: &TenderId) -> broadcast::Receiver<Arc<SharedEvent>> {
        let mut map = self.channels.lock().expect("hub lock");
        map.entry(tender.clone())
            .or_insert_with(|| {
                Arc::new(Channel {
                    tx: broadcast::channel(BUFFER).0,
                    published: tokio::sync::Mutex::new(None),
                })
            })
            .tx
            .subscribe()
    }

    /// The tenders someone here is watching.
    pub fn watched(&self) -> Vec<TenderId> {
        self.channels
            .lock()
            .expect("hub lock")
            .keys()
            .cloned()
            .collect()
    }

    /// The tender has events from `from_seq` on: broadcast every stored event after the last one
    /// this hub sent (or from `from_seq`, the first time). Nothing happens without subscribers.
    pub async fn publish(
        &self,
        store: &dyn Store,
        tender: &TenderId,
        from_seq: i64,
    ) -> Result<(), StoreError> {
        self.publish_committed(store, tender, from_seq, &[]).await
    }

    /// As `publish`, for events this process has just committed: when they follow the last one
    /// broadcast, they go out as they are, without reading them back.
    pub async fn publish_committed(
        &self,
        store: &dyn Store,
        tender: &TenderId,
        from_seq: i64,
        committed: &[OpeningEvent],
    ) -> Result<(), StoreError> {
        let channel = {
            let mut map = self.channels.lock().expect("hub lock");
            match map.get(tender) {
                Some(c) if c.tx.receiver_count() > 0 => c.clone(),
                Some(_) => {
                    map.remove(tender);
                    return Ok(());
                }
                None => return Ok(()),
            }
        };
        // One publisher per tender at a time, so broadcasts stay in seq order.
        let mut published = channel.published.lock().await;
        let after = match *published {
            Some(p) => p,
            None => from_seq - 1,
        };
        if let (Some(first), Some(last)) = (committed.first(), committed.last()) {
            if first.seq == after + 1 {
                for e in committed {
                    let _ = channel.tx.send(SharedEvent::new(e));
                }
                *published = Some(last.seq);
                return Ok(());
            }
        }
        let mut after = after;
        loop {
            let events = store.opening_events(tender, after, 1000).await?;
            let Some(last) = events.last().map(|e| e.seq) else {
                break;
            };
            for e in &events {
                // No receivers left is not an error: the next subscriber catches up from the store.
                let _ = channel.tx.send(SharedEvent::new(e));
            }
            after = last;
            *published = Some(last);
        }
        Ok(())
    }
}
