//! Contacts: the internal angle of the evidence, imported from a CRM export and joined to
//! survey answers by their key. Parsing and checking an import, the linking rules, contact
//! segments and erasure live here; the store only keeps what they decide.

pub mod columns;
pub mod command;
pub mod erase;
pub mod import;
pub mod link;

pub use crate::store::Contact;
pub use erase::{EraseContactError, erase_contact};
pub use import::{ImportError, ImportOptions, MAX_KEY_CHARS, import};
pub use link::{Directory, LINK_FIELD, contact_key, segment_attribute};
