//! `show_if` expressions: a tiny language of comparisons joined by and/or/not.
//!
//! Grammar (lowest precedence first):
//! `or := and ("or" and)*`, `and := not ("and" not)*`, `not := "not" not | atom`,
//! `atom := "(" or ")" | literal "in" ident | ident op literal`.
//! A comparison with an unanswered question is false, so a follow-up stays hidden
//! until the answer that triggers it exists.

use std::collections::BTreeMap;

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Number(f64),
    Text(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare {
        question: String,
        op: CmpOp,
        value: Literal,
    },
    Contains {
        value: String,
        question: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Number(f64),
    Text(String),
    Op(CmpOp),
    Open,
    Close,
}

pub fn parse(source: &str) -> Result<Expr, String> {
    let tokens = tokenize(source)?;
    if tokens.is_empty() {
        return Err("empty expression".into());
    }
    let mut parser = Parser { tokens, pos: 0 };
    let expr = parser.or()?;
    match parser.tokens.get(parser.pos) {
        None => Ok(expr),
        Some(token) => Err(format!(
            "unexpected {} after the expression",
            describe(token)
        )),
    }
}

fn tokenize(source: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                tokens.push(Token::Open);
                i += 1;
            }
            ')' => {
                tokens.push(Token::Close);
                i += 1;
            }
            '\'' | '"' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&d| d == c)
                    .ok_or_else(|| format!("unclosed string starting at character {}", i + 1))?;
                tokens.push(Token::Text(chars[i + 1..i + 1 + end].iter().collect()));
                i += end + 2;
            }
            '=' | '!' | '<' | '>' => {
                let next = chars.get(i + 1).copied();
                let (op, width) = match (c, next) {
                    ('=', Some('=')) => (CmpOp::Eq, 2),
                    ('=', _) => (CmpOp::Eq, 1),
                    ('!', Some('=')) => (CmpOp::Ne, 2),
                    ('<', Some('>')) => (CmpOp::Ne, 2),
                    ('<', Some('=')) => (CmpOp::Le, 2),
                    ('<', _) => (CmpOp::Lt, 1),
                    ('>', Some('=')) => (CmpOp::Ge, 2),
                    ('>', _) => (CmpOp::Gt, 1),
                    _ => return Err("'!' must be followed by '='".into()),
                };
                tokens.push(Token::Op(op));
                i += width;
            }
            c if c.is_ascii_digit() || c == '-' || c == '.' => {
                let start = i;
                i += 1;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                let number = text
                    .parse::<f64>()
                    .map_err(|_| format!("'{text}' is not a number"))?;
                tokens.push(Token::Number(number));
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                tokens.push(Token::Ident(chars[start..i].iter().collect()));
            }
            other => return Err(format!("unexpected character '{other}'")),
        }
    }
    Ok(tokens)
}

fn describe(token: &Token) -> String {
    match token {
        Token::Ident(name) => format!("'{name}'"),
        Token::Number(n) => format!("number {n}"),
        Token::Text(s) => format!("string '{s}'"),
        Token::Op(_) => "comparison operator".into(),
        Token::Open => "'('".into(),
        Token::Close => "')'".into(),
    }
}

fn is_keyword(token: Option<&Token>, word: &str) -> bool {
    matches!(token, Some(Token::Ident(name)) if name.eq_ignore_ascii_case(word))
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while is_keyword(self.peek(), "or") {
            self.pos += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.not()?;
        while is_keyword(self.peek(), "and") {
            self.pos += 1;
            left = Expr::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, String> {
        if is_keyword(self.peek(), "not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Expr, String> {
        match self.next() {
            Some(Token::Open) => {
                let inner = self.or()?;
                match self.next() {
                    Some(Token::Close) => Ok(inner),
                    _ => Err("missing ')'".into()),
                }
            }
            Some(Token::Text(value)) => {
                if !is_keyword(self.peek(), "in") {
                    return Err(format!("expected 'in' after '{value}'"));
                }
                self.pos += 1;
                match self.next() {
                    Some(Token::Ident(question)) => Ok(Expr::Contains { value, question }),
                    _ => Err("expected a question id after 'in'".into()),
                }
            }
            Some(Token::Ident(question)) => {
                let op = match self.next() {
                    Some(Token::Op(op)) => op,
                    _ => return Err(format!("expected a comparison after '{question}'")),
                };
                let value = match self.next() {
                    Some(Token::Number(n)) => Literal::Number(n),
                    Some(Token::Text(s)) => Literal::Text(s),
                    _ => {
                        return Err(format!(
                            "expected a number or quoted string after '{question}' and its operator"
                        ));
                    }
                };
                Ok(Expr::Compare {
                    question,
                    op,
                    value,
                })
            }
            Some(token) => Err(format!("unexpected {}", describe(&token))),
            None => Err("the expression ends too early".into()),
        }
    }
}

impl Expr {
    /// Every question id the expression reads, in order of appearance.
    pub fn questions(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_questions(&mut out);
        out
    }

    fn collect_questions<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Expr::Or(a, b) | Expr::And(a, b) => {
                a.collect_questions(out);
                b.collect_questions(out);
            }
            Expr::Not(inner) => inner.collect_questions(out),
            Expr::Compare { question, .. } | Expr::Contains { question, .. } => out.push(question),
        }
    }

    /// Every comparison and membership test, for checks against the questions' types.
    pub fn leaves(&self) -> Vec<&Expr> {
        match self {
            Expr::Or(a, b) | Expr::And(a, b) => {
                let mut out = a.leaves();
                out.extend(b.leaves());
                out
            }
            Expr::Not(inner) => inner.leaves(),
            leaf => vec![leaf],
        }
    }

    pub fn eval(&self, answers: &BTreeMap<String, Value>) -> bool {
        match self {
            Expr::Or(a, b) => a.eval(answers) || b.eval(answers),
            Expr::And(a, b) => a.eval(answers) && b.eval(answers),
            Expr::Not(inner) => !inner.eval(answers),
            Expr::Contains { value, question } => match answers.get(question) {
                Some(Value::Array(items)) => items.iter().any(|item| item.as_str() == Some(value)),
                Some(Value::String(s)) => s == value,
                _ => false,
            },
            Expr::Compare {
                question,
                op,
                value,
            } => answers
                .get(question)
                .is_some_and(|answer| compare(answer, *op, value)),
        }
    }
}

fn compare(answer: &Value, op: CmpOp, literal: &Literal) -> bool {
    let ordering = match (answer, literal) {
        (Value::Number(n), Literal::Number(l)) => n.as_f64().and_then(|a| a.partial_cmp(l)),
        (Value::String(s), Literal::Text(l)) => Some(s.as_str().cmp(l.as_str())),
        _ => None,
    };
    let Some(ordering) = ordering else {
        return false;
    };
    use std::cmp::Ordering::*;
    match op {
        CmpOp::Eq => ordering == Equal,
        CmpOp::Ne => ordering != Equal,
        CmpOp::Lt => ordering == Less,
        CmpOp::Le => ordering != Greater,
        CmpOp::Gt => ordering == Greater,
        CmpOp::Ge => ordering != Less,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answers(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn comparisons_and_logic() {
        let expr = parse("nps <= 6 and (role = 'Founder' or not 'Slack' in tools)").unwrap();
        let a = answers(&[
            ("nps", json!(4)),
            ("role", json!("Engineer")),
            ("tools", json!(["Jira"])),
        ]);
        assert!(expr.eval(&a));
        let b = answers(&[
            ("nps", json!(4)),
            ("role", json!("Engineer")),
            ("tools", json!(["Slack"])),
        ]);
        assert!(!expr.eval(&b));
        let c = answers(&[("nps", json!(9)), ("role", json!("Founder"))]);
        assert!(!expr.eval(&c));
        assert_eq!(expr.questions(), vec!["nps", "role", "tools"]);
    }

    #[test]
    fn unanswered_is_false_even_for_not_equal() {
        let expr = parse("role != 'Founder'").unwrap();
        assert!(!expr.eval(&BTreeMap::new()));
    }

    #[test]
    fn parse_errors_are_readable() {
        assert!(parse("nps <=").unwrap_err().contains("expected a number"));
        assert!(parse("(nps > 3").unwrap_err().contains("missing ')'"));
        assert!(parse("'a' in").unwrap_err().contains("question id"));
        assert!(parse("nps > 3 nps").unwrap_err().contains("unexpected"));
        assert!(parse("role = 'x").unwrap_err().contains("unclosed"));
        assert!(parse("").is_err());
    }
}
