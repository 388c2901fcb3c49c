//! The responses every part submits: varied enough that segments, NPS groups and the
//! follow-up question all get some, the same in the store filler and the load generator.

use serde_json::{Value, json};

pub const FORM: &str = "customer-profile";

pub fn answers(i: usize) -> Value {
    let sizes = [
        "Just me",
        "2–10",
        "11–50",
        "51–200",
        "201–1,000",
        "More than 1,000",
    ];
    json!({
        "company_size": sizes[i % sizes.len()],
        "role": "Founder or owner",
        "decision_drivers": ["Price", "Trust in the company"],
        "nps": (i % 11) as i64,
        "nps_reason": if i % 11 <= 6 { json!(format!("Reason number {i}: setup took longer than we hoped.")) } else { json!(null) },
        "interview_opt_in": "No",
    })
}

/// The body of `POST /api/forms/{id}/responses` for response `i`.
pub fn submission(i: usize) -> Vec<u8> {
    json!({ "answers": answers(i) }).to_string().into_bytes()
}
