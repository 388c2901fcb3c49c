//! Splitting a survey into screenfuls that still work with JavaScript off.
//!
//! Pages are fixed per form revision so a page number always means the same questions. A
//! question whose `show_if` reads a question on the current page starts a new page: without
//! scripts its visibility can only be decided once that answer has been submitted.

use std::collections::HashSet;

use crate::form::{Answers, Form, Question, QuestionType};

/// How much fits on one phone screenful, in rough question units.
const PAGE_WEIGHT: usize = 4;

fn weight(q: &Question) -> usize {
    match q.kind {
        QuestionType::LongText => 2,
        QuestionType::Multi | QuestionType::Single if q.options.len() > 6 => 2,
        QuestionType::Nps => 2,
        // A matrix row or a ranked option is about as much as a short question.
        QuestionType::Matrix => q.rows.len().clamp(2, PAGE_WEIGHT),
        QuestionType::Ranking => q.options.len().div_ceil(2).clamp(2, PAGE_WEIGHT),
        _ => 1,
    }
}

/// Question indexes per page, in form order.
pub fn pages(form: &Form) -> Vec<Vec<usize>> {
    let mut pages: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let mut current_weight = 0;
    for (index, q) in form.questions.iter().enumerate() {
        let on_current = |id: &str| current.iter().any(|&i| form.questions[i].id == id);
        // A pipe, like a condition, can only show an answer once it has been submitted.
        let reads_current_page = q
            .condition
            .as_ref()
            .is_some_and(|c| c.questions().iter().any(|id| on_current(id)))
            || crate::form::piping::piped_questions(q)
                .into_iter()
                .any(on_current);
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

/// Where a page stands, as the respondent is told it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Its number among the pages shown so far, from 1.
    pub number: usize,
    /// The pages shown so far, this one, and every later page that an answer still to come
    /// could open.
    pub count: usize,
    /// No later page can open: the page's button submits.
    pub is_last: bool,
}

/// The progress of page `current`. Only the answers before it count as given: its own and
/// later answers may still change (the respondent may even have been further and come back),
/// so a later page counts while any of them could open it. The count then depends on earlier
/// answers alone, a page shows the same count every time it is shown, and going on only ever
/// settles rules: the count never grows under the respondent, and a page never says Submit
/// when an answer on it could open another.
pub fn progress(form: &Form, pages: &[Vec<usize>], answers: &Answers, current: usize) -> Progress {
    let first = pages[current].first().copied().unwrap_or(0);
    let given: Answers = form.questions[..first]
        .iter()
        .filter_map(|q| answers.get_key_value(&q.id))
        .map(|(id, value)| (id.clone(), value.clone()))
        .collect();
    let before = pages[..current]
        .iter()
        .filter(|page| page.iter().any(|&i| is_visible(&form.questions[i], &given)))
        .count();
    let mut open: HashSet<&str> = HashSet::new();
    let mut later = 0;
    for (offset, page) in pages[current..].iter().enumerate() {
        let mut may_show = false;
        for &i in page {
            let q = &form.questions[i];
            // A question that cannot show will never be answered: it opens nothing after it.
            if q.condition
                .as_ref()
                .is_none_or(|c| c.eval_open(&given, &open) != Some(false))
            {
                open.insert(&q.id);
                may_show = true;
            }
        }
        if may_show && offset > 0 {
            later += 1;
        }
    }
    Progress {
        number: before + 1,
        count: before + 1 + later,
        is_last: later == 0,
    }
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
            rows: vec![],
            max_ranked: None,
            shuffle: false,
            keep_last: vec![],
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
            quotas: vec![],
            partial_days: 30,
            contact_key: None,
            languages: Vec::new(),
            translations: Default::default(),
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

    /// Walks forward through every way of answering `choices` (None: left unanswered) and
    /// checks what each page says against where Next then leads.
    fn walk_every_way(f: &Form, choices: &[(&str, &[Option<&str>])]) -> Vec<Vec<Progress>> {
        let pages = pages(f);
        let mut walks = Vec::new();
        let ways: usize = choices.iter().map(|(_, c)| c.len()).product();
        for mut way in 0..ways {
            let mut picked = Answers::new();
            for (id, options) in choices {
                if let Some(value) = options[way % options.len()] {
                    picked.insert(id.to_string(), serde_json::json!(value));
                }
                way /= options.len();
            }
            let (mut answers, mut current, mut walk) = (Answers::new(), 0, Vec::new());
            loop {
                let here = progress(f, &pages, &answers, current);
                for &i in &pages[current] {
                    let id = &f.questions[i].id;
                    if let Some(value) = picked.get(id) {
                        answers.insert(id.clone(), value.clone());
                    }
                }
                walk.push(here);
                let next = active_pages(f, &pages, &answers)
                    .into_iter()
                    .find(|&p| p > current);
                match next {
                    Some(next) => {
                        assert!(!here.is_last, "Submit on a page Next follows: {walk:?}");
                        let there = progress(f, &pages, &answers, next);
                        assert!(there.count <= here.count, "the count grew: {walk:?}");
                        assert_eq!(there.number, here.number + 1);
                        current = next;
                    }
                    None => break,
                }
            }
            walks.push(walk);
        }
        walks
    }

    #[test]
    fn the_last_page_says_next_while_its_answer_can_open_another() {
        let f = form(vec![
            question("a", QuestionType::Text, None),
            question("more", QuestionType::Single, None),
            question("detail", QuestionType::Text, Some("more = 'yes'")),
        ]);
        let pages = pages(&f);
        assert_eq!(pages, vec![vec![0, 1], vec![2]]);
        let first = progress(&f, &pages, &Answers::new(), 0);
        assert_eq!(
            first,
            Progress {
                number: 1,
                count: 2,
                is_last: false
            }
        );
        // The answer already on the page does not decide it: it can still change.
        let mut answers = Answers::new();
        answers.insert("more".into(), serde_json::json!("no"));
        assert_eq!(progress(&f, &pages, &answers, 0), first);
        answers.insert("more".into(), serde_json::json!("yes"));
        assert_eq!(
            progress(&f, &pages, &answers, 1),
            Progress {
                number: 2,
                count: 2,
                is_last: true
            }
        );
    }

    #[test]
    fn counts_never_grow_and_submit_only_ends_the_survey() {
        let yes_no: &[Option<&str>] = &[Some("yes"), Some("no"), None];
        let f = form(vec![
            question("a", QuestionType::Single, None),
            question("b", QuestionType::Single, Some("a = 'yes'")),
            question("c", QuestionType::Single, Some("a = 'no' or b = 'yes'")),
            question("d", QuestionType::Single, Some("not c = 'yes'")),
            question("e", QuestionType::Text, Some("b = 'yes' and d = 'yes'")),
        ]);
        let walks = walk_every_way(
            &f,
            &[("a", yes_no), ("b", yes_no), ("c", yes_no), ("d", yes_no)],
        );
        assert_eq!(walks.len(), 81);
        assert!(
            walks.iter().any(|w| w.len() == 5),
            "some walk sees every page"
        );
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
