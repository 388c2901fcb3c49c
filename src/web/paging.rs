//! Splitting a survey into screenfuls that still work with JavaScript off.
//!
//! Pages are fixed per form revision so a page number always means the same questions. A
//! question whose `show_if` reads a question on the current page starts a new page: without
//! scripts its visibility can only be decided once that answer has been submitted.

use crate::form::{Answers, Form, Question, QuestionType};

/// How much fits on one phone screenful, in rough question units.
const PAGE_WEIGHT: usize = 4;

fn weight(q: &Question) -> usize {
    match q.kind {
        QuestionType::LongText => 2,
        QuestionType::Multi | QuestionType::Single if q.options.len() > 6 => 2,
        QuestionType::Nps => 2,
        _ => 1,
    }
}

/// Question indexes per page, in form order.
pub fn pages(form: &Form) -> Vec<Vec<usize>> {
    let mut pages: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let mut current_weight = 0;
    for (index, q) in form.questions.iter().enumerate() {
        let reads_current_page = q.condition.as_ref().is_some_and(|c| {
            c.questions()
                .iter()
                .any(|id| current.iter().any(|&i| form.questions[i].id == *id))
        });
        let w = weight(q);
        if !current.is_empty() && (reads_current_page || current_weight + w > PAGE_WEIGHT) {
            pages.push(std::mem::take(&mut current));
            current_weight = 0;
        }
        current.push(index);
        current_weight += w;
    }
    if !current.is_empty() {
        pages.push(current);
    }
    pages
}

pub fn is_visible(q: &Question, answers: &Answers) -> bool {
    q.condition.as_ref().is_none_or(|c| c.eval(answers))
}

/// Indexes of the pages that show at least one question for these answers.
pub fn active_pages(form: &Form, pages: &[Vec<usize>], answers: &Answers) -> Vec<usize> {
    pages
        .iter()
        .enumerate()
        .filter(|(_, page)| {
            page.iter()
                .any(|&i| is_visible(&form.questions[i], answers))
        })
        .map(|(index, _)| index)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::show_if;

    fn question(id: &str, kind: QuestionType, show_if: Option<&str>) -> Question {
        Question {
            id: id.into(),
            kind,
            text: id.into(),
            help: None,
            required: false,
            options: vec![],
            other: false,
            min: None,
            max: None,
            labels: vec![],
            integer: false,
            show_if: show_if.map(str::to_string),
            tags: vec![],
            pii: false,
            condition: show_if.map(|s| show_if::parse(s).unwrap()),
        }
    }

    fn form(questions: Vec<Question>) -> Form {
        Form {
            id: "f".into(),
            kind: crate::form::FormKind::Survey,
            title: "t".into(),
            intro: None,
            thanks: None,
            consent: None,
            status: Default::default(),
            hidden: vec![],
            questions,
            sections: vec![],
            revision: "r".into(),
            webhooks: Vec::new(),
            retain_days: None,
        }
    }

    #[test]
    fn follow_up_starts_a_new_page_and_hides_when_not_triggered() {
        let f = form(vec![
            question("a", QuestionType::Text, None),
            question("score", QuestionType::Nps, None),
            question("why", QuestionType::LongText, Some("score <= 6")),
            question("b", QuestionType::Text, None),
        ]);
        let pages = pages(&f);
        assert_eq!(pages, vec![vec![0, 1], vec![2, 3]]);
        let mut answers = Answers::new();
        answers.insert("score".into(), serde_json::json!(9));
        assert_eq!(active_pages(&f, &pages, &answers), vec![0, 1]);
    }

    #[test]
    fn pages_hold_at_most_a_screenful() {
        let f = form(
            (0..9)
                .map(|i| question(&format!("q{i}"), QuestionType::Text, None))
                .collect(),
        );
        assert_eq!(
            pages(&f).iter().map(Vec::len).collect::<Vec<_>>(),
            vec![4, 4, 1]
        );
    }
}
