//! Live JTBD interviews: notes with sections, quotes and forces, watched live by observers.
//! Nothing here knows about HTTP; the API and the console call the service.

mod live;
mod model;
mod rules;
mod service;

pub use live::{LiveEvent, Subscription, feed};
pub use model::{
    Change, Force, Interview, InterviewEvent, Note, NoteContent, NoteKind, NoteVersion,
};
pub use rules::{MAX_PARTICIPANT_CHARS, NoteEdit, NoteInput};
pub use service::{InterviewError, Interviews, NoteCounter, Saved, WebhookEvents};
