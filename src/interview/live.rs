//! Live fan-out of interview events to observers.
//!
//! The writer hands each saved event to a `tokio::sync::broadcast` channel: one send whatever
//! the number of observers, so watching never slows typing. Each observer's feed replays the
//! stored events it missed, then follows the channel, skipping ids it already sent; one that
//! falls too far behind the channel catches up from the store instead.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::Stream;
use tokio::sync::broadcast::{self, error::RecvError};
use uuid::Uuid;

use super::model::InterviewEvent;
use super::service::Interviews;

/// Events an observer may fall behind by before it catches up from the store.
pub const CHANNEL_CAPACITY: usize = 256;

pub type LiveEvent = Arc<InterviewEvent>;

pub struct Hub {
    channels: Mutex<HashMap<Uuid, broadcast::Sender<LiveEvent>>>,
    capacity: usize,
}

impl Hub {
    pub fn new(capacity: usize) -> Self {
        Hub {
            channels: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    pub fn subscribe(&self, interview: Uuid) -> broadcast::Receiver<LiveEvent> {
        // The map only holds senders; a panic elsewhere cannot leave it half-changed.
        let mut channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        channels
            .entry(interview)
            .or_insert_with(|| broadcast::channel(self.capacity).0)
            .subscribe()
    }

    /// Whether anyone here watches the interview.
    pub fn watched(&self, interview: Uuid) -> bool {
        let channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        channels
            .get(&interview)
            .is_some_and(|sender| sender.receiver_count() > 0)
    }

    pub fn publish(&self, interview: Uuid, event: LiveEvent) {
        let mut channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(sender) = channels.get(&interview)
            && sender.send(event).is_err()
        {
            // Nobody is watching any more: forget the channel until someone subscribes again.
            channels.remove(&interview);
        }
    }
}

/// A new observer: subscribed to the live channel, with the stored events it missed.
pub struct Subscription {
    pub interview: Uuid,
    pub after: u64,
    pub live: broadcast::Receiver<LiveEvent>,
    pub missed: Vec<InterviewEvent>,
}

struct Feed {
    service: Arc<Interviews>,
    interview: Uuid,
    live: broadcast::Receiver<LiveEvent>,
    queue: VecDeque<LiveEvent>,
    last_sent: u64,
}

impl Feed {
    async fn next(mut self) -> Option<(LiveEvent, Feed)> {
        loop {
            while let Some(event) = self.queue.pop_front() {
                if event.id > self.last_sent {
                    self.last_sent = event.id;
                    return Some((event, self));
                }
            }
            match self.live.recv().await {
                Ok(event) => self.queue.push_back(event),
                Err(RecvError::Lagged(_)) => {
                    let (service, id, after) =
                        (self.service.clone(), self.interview, self.last_sent);
                    let caught_up =
                        tokio::task::spawn_blocking(move || service.events_after(id, after)).await;
                    match caught_up {
                        Ok(Ok(events)) => self.queue.extend(events.into_iter().map(Arc::new)),
                        // Ending the stream makes the client reconnect with its Last-Event-ID.
                        Ok(Err(e)) => {
                            tracing::warn!("an observer could not catch up: {e}");
                            return None;
                        }
                        Err(e) => {
                            tracing::warn!("an observer could not catch up: {e}");
                            return None;
                        }
                    }
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }
}

/// Every event after the subscription's starting point, each exactly once, in id order.
pub fn feed(
    service: Arc<Interviews>,
    subscription: Subscription,
) -> impl Stream<Item = LiveEvent> + Send + 'static {
    let start = Feed {
        service,
        interview: subscription.interview,
        live: subscription.live,
        queue: subscription.missed.into_iter().map(Arc::new).collect(),
        last_sent: subscription.after,
    };
    futures_util::stream::unfold(start, Feed::next)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use futures_util::StreamExt;

    use super::*;
    use crate::form::{Answers, load_dir};
    use crate::interview::NoteInput;
    use crate::store::SledStore;

    #[tokio::test]
    async fn an_observer_that_falls_behind_catches_up_from_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let forms = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/forms");
        let catalog = load_dir(&forms).unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let service = Arc::new(Interviews::with_channel_capacity(Arc::new(store), 4));
        let interview = service
            .start(&catalog, "guide", "P01", &Answers::new(), None)
            .unwrap();
        let id = interview.id.to_string();
        let subscription = service.subscribe(&id, 0).unwrap();
        // Ten events into a channel of four, while nobody reads.
        for i in 1..=10 {
            let note = NoteInput {
                text: format!("note {i}"),
                ..Default::default()
            };
            service.add_note(&catalog, &id, &note).unwrap();
        }
        let events: Vec<LiveEvent> = feed(service.clone(), subscription).take(10).collect().await;
        let ids: Vec<u64> = events.iter().map(|e| e.id).collect();
        assert_eq!(ids, (1..=10).collect::<Vec<_>>());
    }
}
