//! Streaming a CSV export to an HTTP body without holding it in memory.
//!
//! The export runs on a blocking thread (sled reads block) and writes into a bounded channel;
//! the response body drains it. A slow client therefore slows the export rather than growing
//! a buffer.

use std::io::{self, Write};
use std::sync::Arc;

use bytes::Bytes;
use poem::Body;
use tokio::sync::mpsc;

use super::error::ApiError;
use crate::export::{ExportError, ExportOptions, write_responses_csv};
use crate::form::Form;
use crate::store::Store;

const CHUNK_BYTES: usize = 64 * 1024;
const CHUNKS_IN_FLIGHT: usize = 4;

struct ChannelWriter {
    buffer: Vec<u8>,
    sender: mpsc::Sender<io::Result<Bytes>>,
}

impl ChannelWriter {
    fn send_buffer(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(CHUNK_BYTES),
        ));
        self.sender
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK_BYTES {
            self.send_buffer()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send_buffer()
    }
}

/// Runs `write` on a blocking thread and returns the body that streams what it writes.
/// An error midway ends the body with an error, so the client sees a broken download
/// rather than a silently short file.
pub fn stream_blocking<F>(what: String, write: F) -> Body
where
    F: FnOnce(&mut dyn Write) -> Result<(), ExportError> + Send + 'static,
{
    let (sender, receiver) = mpsc::channel(CHUNKS_IN_FLIGHT);
    tokio::task::spawn_blocking(move || {
        let mut writer = ChannelWriter {
            buffer: Vec::with_capacity(CHUNK_BYTES),
            sender: sender.clone(),
        };
        let result = write(&mut writer).and_then(|()| writer.flush().map_err(Into::into));
        if let Err(e) = result {
            tracing::warn!("{what} stopped: {e}");
            let _ = sender.blocking_send(Err(io::Error::other(e.to_string())));
        }
    });
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    });
    Body::from_bytes_stream(stream)
}

/// Starts the export of a form's responses and returns the body that streams it.
pub async fn responses_csv_body(
    store: Arc<dyn Store>,
    form: Arc<Form>,
    options: ExportOptions,
) -> Result<Body, ApiError> {
    let revisions = {
        let (store, id) = (store.clone(), form.id.clone());
        tokio::task::spawn_blocking(move || store.revisions(&id)).await??
    };
    let what = format!("the responses CSV of {}", form.id);
    Ok(stream_blocking(what, move |out| {
        let rows = store.responses(&form.id);
        write_responses_csv(out, &form, &revisions, rows, options)
    }))
}
