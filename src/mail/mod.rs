//! Report summaries by email: the message (text, HTML and the two CSVs), the transports
//! (SMTP through lettre, or the outbox directory), the record of what was sent, and the
//! scheduler that sends on each report's cadence. Nothing here knows about HTTP.

mod cards;
mod invitation;
mod message;
mod resume;
pub mod schedule;
pub mod scheduler;
mod service;
mod transport;

pub use invitation::InvitationMail;
pub use message::{Previous, Summary, SummaryInput, compose};
pub use service::{EmailStatus, Occasion, SendError, Sent, Summaries, timestamp};
pub use transport::{Delivered, MailError, Transport};
