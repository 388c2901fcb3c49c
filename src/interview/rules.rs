//! Checking what a client sends against the guide: every bad field is reported at once,
//! keyed by its name in the request (`text`, `section`, `attributes.role`, ...).

use std::collections::BTreeSet;

use crate::form::{Answers, FieldErrors, Form, MAX_TEXT_CHARS, validate_answers};

use super::model::{Force, NoteContent, NoteKind};

pub const MAX_PARTICIPANT_CHARS: usize = 100;
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_CHARS: usize = 40;
pub const MAX_CLIENT_ID_CHARS: usize = 64;

/// A note as a client sends it; kind and forces are still text so that a wrong one is a
/// field error (422) rather than an unreadable request.
#[derive(Debug, Clone, Default)]
pub struct NoteInput {
    pub text: String,
    pub section: Option<String>,
    pub kind: Option<String>,
    pub forces: Vec<String>,
    pub tags: Vec<String>,
    /// Makes a retried save idempotent: a second note with the same key is not created.
    pub client_id: Option<String>,
}

/// What an edit changes; `None` keeps the current value. `section: Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct NoteEdit {
    pub text: Option<String>,
    pub section: Option<Option<String>>,
    pub kind: Option<String>,
    pub forces: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
}

/// The contact an interview is linked to, trimmed; `None` when none was named. The contact
/// need not be imported yet: a later import links it, as for a response's `customer_id`.
pub fn check_contact(contact: Option<&str>, errors: &mut FieldErrors) -> Option<String> {
    let key = contact.map(str::trim).filter(|k| !k.is_empty())?;
    let max = crate::contacts::MAX_KEY_CHARS;
    if key.chars().count() > max {
        errors.insert(
            "contact".into(),
            format!("must be at most {max} characters"),
        );
    } else if key.chars().any(char::is_control) {
        errors.insert("contact".into(), "must be a single line".into());
    }
    Some(key.to_string())
}

/// The participant label, trimmed.
pub fn check_participant(participant: &str, errors: &mut FieldErrors) -> String {
    let label = participant.trim();
    if label.is_empty() {
        errors.insert(
            "participant".into(),
            "a participant label such as P07 is required".into(),
        );
    } else if label.chars().count() > MAX_PARTICIPANT_CHARS {
        errors.insert(
            "participant".into(),
            format!("must be at most {MAX_PARTICIPANT_CHARS} characters"),
        );
    } else if label.chars().any(char::is_control) {
        errors.insert("participant".into(), "must be a single line".into());
    }
    label.to_string()
}

/// The attributes, checked like survey answers against the guide's questions.
pub fn check_attributes(guide: &Form, attributes: &Answers, errors: &mut FieldErrors) -> Answers {
    match validate_answers(guide, attributes) {
        Ok(accepted) => accepted,
        Err(found) => {
            for (id, message) in found {
                errors.insert(format!("attributes.{id}"), message);
            }
            Answers::new()
        }
    }
}

fn check_text(text: &str, errors: &mut FieldErrors) {
    if text.trim().is_empty() {
        errors.insert("text".into(), "a note needs some text".into());
        return;
    }
    let chars = text.chars().count();
    if chars > MAX_TEXT_CHARS {
        errors.insert(
            "text".into(),
            format!("is {chars} characters long; at most {MAX_TEXT_CHARS} are accepted"),
        );
    }
}

fn check_section(guide: &Form, section: Option<&str>, errors: &mut FieldErrors) {
    let Some(section) = section else { return };
    if !guide.sections.iter().any(|s| s.id == section) {
        let known: Vec<&str> = guide.sections.iter().map(|s| s.id.as_str()).collect();
        errors.insert(
            "section".into(),
            format!(
                "'{section}' is not a section of the guide; sections are {}",
                known.join(", ")
            ),
        );
    }
}

fn check_kind(kind: Option<&str>, errors: &mut FieldErrors) -> NoteKind {
    match kind {
        None => NoteKind::Note,
        Some(text) => NoteKind::parse(text).unwrap_or_else(|| {
            errors.insert(
                "kind".into(),
                format!("'{text}' is not a kind; a note is 'note' or 'quote'"),
            );
            NoteKind::Note
        }),
    }
}

/// Distinct forces in their canonical order: `["anxiety", "push", "push"]` is push, anxiety.
fn check_forces(forces: &[String], errors: &mut FieldErrors) -> Vec<Force> {
    let mut found = BTreeSet::new();
    for text in forces {
        match Force::parse(text) {
            Some(force) => {
                found.insert(force);
            }
            None => {
                errors.insert(
                    "forces".into(),
                    format!("'{text}' is not a force; forces are push, pull, anxiety and habit"),
                );
                return Vec::new();
            }
        }
    }
    found.into_iter().collect()
}

/// Trimmed, distinct, in the order given. `;` is refused because the CSV joins tags with it.
fn check_tags(tags: &[String], errors: &mut FieldErrors) -> Vec<String> {
    if tags.len() > MAX_TAGS {
        errors.insert("tags".into(), format!("at most {MAX_TAGS} tags per note"));
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for tag in tags {
        let tag = tag.trim();
        let problem = if tag.is_empty() {
            Some("a tag is empty".to_string())
        } else if tag.chars().count() > MAX_TAG_CHARS {
            Some(format!("a tag may have at most {MAX_TAG_CHARS} characters"))
        } else if tag.contains(';') || tag.chars().any(char::is_control) {
            Some(format!("'{tag}': a tag may not hold ';' or line breaks"))
        } else {
            None
        };
        if let Some(problem) = problem {
            errors.insert("tags".into(), problem);
            return Vec::new();
        }
        if !out.iter().any(|t| t == tag) {
            out.push(tag.to_string());
        }
    }
    out
}

fn check_client_id(client_id: Option<&str>, errors: &mut FieldErrors) {
    let Some(id) = client_id else { return };
    let well_formed = !id.is_empty()
        && id.len() <= MAX_CLIENT_ID_CHARS
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !well_formed {
        errors.insert(
            "client_id".into(),
            format!("must be 1 to {MAX_CLIENT_ID_CHARS} letters, digits, '-' or '_'"),
        );
    }
}

/// A new note's content, or every field that is wrong with it.
pub fn check_note(guide: &Form, input: &NoteInput) -> Result<NoteContent, FieldErrors> {
    let mut errors = FieldErrors::new();
    check_text(&input.text, &mut errors);
    check_section(guide, input.section.as_deref(), &mut errors);
    let kind = check_kind(input.kind.as_deref(), &mut errors);
    let forces = check_forces(&input.forces, &mut errors);
    let tags = check_tags(&input.tags, &mut errors);
    check_client_id(input.client_id.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(NoteContent {
        text: input.text.clone(),
        section: input.section.clone(),
        kind,
        forces,
        tags,
    })
}

/// The content after an edit, or every field that is wrong with the edit.
pub fn apply_edit(
    guide: &Form,
    current: &NoteContent,
    edit: &NoteEdit,
) -> Result<NoteContent, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut next = current.clone();
    if let Some(text) = &edit.text {
        check_text(text, &mut errors);
        next.text = text.clone();
    }
    if let Some(section) = &edit.section {
        check_section(guide, section.as_deref(), &mut errors);
        next.section = section.clone();
    }
    if let Some(kind) = &edit.kind {
        next.kind = check_kind(Some(kind), &mut errors);
    }
    if let Some(forces) = &edit.forces {
        next.forces = check_forces(forces, &mut errors);
    }
    if let Some(tags) = &edit.tags {
        next.tags = check_tags(tags, &mut errors);
    }
    if errors.is_empty() {
        Ok(next)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::{FormKind, Section};

    fn guide() -> Form {
        Form {
            id: "g".into(),
            kind: FormKind::Interview,
            title: "G".into(),
            intro: None,
            thanks: None,
            consent: None,
            status: Default::default(),
            hidden: Vec::new(),
            questions: Vec::new(),
            sections: vec![Section {
                id: "deciding".into(),
                title: "Deciding".into(),
                minutes: None,
                prompts: Vec::new(),
            }],
            revision: "r".into(),
            webhooks: Vec::new(),
            retain_days: None,
            quotas: vec![],
            partial_days: 30,
            contact_key: None,
            languages: Vec::new(),
            translations: Default::default(),
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn forces_are_distinct_and_in_canonical_order() {
        let input = NoteInput {
            text: "x".into(),
            forces: strings(&["habit", "push", "habit", "anxiety"]),
            ..Default::default()
        };
        let content = check_note(&guide(), &input).unwrap();
        assert_eq!(
            content.forces,
            vec![Force::Push, Force::Anxiety, Force::Habit]
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let input = NoteInput {
            text: "  ".into(),
            section: Some("nope".into()),
            kind: Some("aside".into()),
            forces: strings(&["greed"]),
            tags: strings(&["a;b"]),
            client_id: Some("no spaces".into()),
        };
        let errors = check_note(&guide(), &input).unwrap_err();
        let names: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            ["client_id", "forces", "kind", "section", "tags", "text"]
        );
    }

    #[test]
    fn an_edit_changes_only_what_it_names() {
        let current = check_note(
            &guide(),
            &NoteInput {
                text: "before".into(),
                section: Some("deciding".into()),
                tags: strings(&["price"]),
                ..Default::default()
            },
        )
        .unwrap();
        let edit = NoteEdit {
            text: Some("after".into()),
            section: Some(None),
            ..Default::default()
        };
        let next = apply_edit(&guide(), &current, &edit).unwrap();
        assert_eq!(next.text, "after");
        assert_eq!(next.section, None);
        assert_eq!(next.tags, strings(&["price"]));
    }
}
