//! Streaming an export to an HTTP body without holding it in memory.
//!
//! Row-by-row formats (CSV, JSON Lines) run on a blocking thread (sled reads block) and write
//! into a bounded channel that the response body drains: a slow client slows the export rather
//! than growing a buffer. A workbook (XLSX) only exists once it is zipped at the end, so it is
//! written whole into a temporary file in the data directory first, then the file is streamed.

use std::io::{self, Seek, Write};
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use poem::Body;
use tokio::sync::mpsc;

use super::error::ApiError;
use crate::contacts::columns::ContactColumns;
use crate::export::{ExportError, ExportFormat, ExportOptions, with_partials, write_responses};
use crate::form::Form;
use crate::store::{ContactStore, PartialStore, ResponseIter, Store};

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
    F: FnOnce(&mut (dyn Write + Send)) -> Result<(), ExportError> + Send + 'static,
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

/// Starts the export of a form's responses and returns the body that sends it. A format with
/// a row limit (XLSX) is refused with a 422 naming the CSV route when the form has more
/// responses than it holds, before anything is written. `scratch` is the data directory.
/// With `partials`, the form's partial responses follow its responses.
pub async fn responses_body(
    store: Arc<dyn Store>,
    partials: Option<Arc<dyn PartialStore>>,
    form: Arc<Form>,
    format: ExportFormat,
    options: ExportOptions,
    scratch: PathBuf,
    contacts: Option<Arc<dyn ContactStore>>,
) -> Result<Body, ApiError> {
    let (revisions, count) = {
        let (store, id) = (store.clone(), form.id.clone());
        let counted = format.max_rows().is_some();
        tokio::task::spawn_blocking(move || {
            let count = if counted {
                Some(store.count_responses(&id)?)
            } else {
                None
            };
            Ok::<_, crate::store::StoreError>((store.revisions(&id)?, count))
        })
        .await??
    };
    if let (Some(count), Some(limit)) = (count, format.max_rows())
        && count > limit
    {
        return Err(ApiError::too_large_for_format(
            "too_many_rows",
            format!(
                "'{}' has {count} responses, more than the {limit} rows an Excel sheet holds; \
                 download them as CSV from /api/forms/{}/responses.csv (or as JSON Lines from \
                 /api/forms/{}/responses.jsonl)",
                form.id, form.id, form.id
            ),
        ));
    }
    if format.writes_rows_as_read() {
        let what = format!("the responses {} of {}", format.extension(), form.id);
        return Ok(stream_blocking(what, move |out| {
            let columns = match (format, contacts) {
                (ExportFormat::Csv, Some(contacts)) => Some(ContactColumns::plan(
                    contacts,
                    store.responses(&form.id),
                    options.include_pii,
                )?),
                _ => None,
            };
            let rows = rows_of(store.as_ref(), partials.as_deref(), &form);
            write_responses(
                format,
                out,
                &form,
                &revisions,
                rows,
                options,
                &scratch,
                columns.as_ref(),
            )
        }));
    }
    let file = tokio::task::spawn_blocking(move || -> Result<std::fs::File, ExportError> {
        // An unnamed file: the OS deletes it once the last handle closes, that is when the
        // download has been sent or the client has gone, and even if the server dies midway.
        let mut file = tempfile::tempfile_in(&scratch)?;
        let mut buffered = io::BufWriter::new(&mut file);
        let rows = rows_of(store.as_ref(), partials.as_deref(), &form);
        write_responses(
            format,
            &mut buffered,
            &form,
            &revisions,
            rows,
            options,
            &scratch,
            None,
        )?;
        buffered.flush()?;
        drop(buffered);
        file.rewind()?;
        Ok(file)
    })
    .await
    .map_err(export_panic)??;
    Ok(Body::from_async_read(tokio::fs::File::from_std(file)))
}

fn rows_of(store: &dyn Store, partials: Option<&dyn PartialStore>, form: &Form) -> ResponseIter {
    let responses = store.responses(&form.id);
    match partials {
        Some(partials) => with_partials(responses, partials.partials(&form.id), form),
        None => responses,
    }
}

/// rust_xlsxwriter's constant-memory sheet writes its rows to a temporary file and `expect`s
/// every write, so a full disk there is a panic rather than an error; the panic's message
/// carries the I/O error, kind and all.
fn export_panic(e: tokio::task::JoinError) -> ApiError {
    if !e.is_panic() {
        return ApiError::from(e);
    }
    let payload = e.into_panic();
    let text = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message");
    if text.contains("StorageFull") || text.contains("QuotaExceeded") {
        ApiError::storage_full(text)
    } else {
        ApiError::internal(format!("the export panicked: {text}"))
    }
}
