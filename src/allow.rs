//! The `Allow` header on 405 answers (RFC 9110 §15.5.6): which methods a path does take.
//!
//! poem's routers answer 405 without it, so the methods are indexed once at start: the API's
//! from its own OpenAPI document (the one source of its routes), the pages from their table.

use std::sync::Arc;

use poem::http::{HeaderValue, StatusCode, header};
use poem::{Endpoint, IntoResponse, Request, Response};

/// Path templates (`/api/forms/{id}` or `/s/:id`) and the methods each answers.
#[derive(Debug, Default, Clone)]
pub struct MethodIndex {
    routes: Vec<(Vec<Segment>, Vec<String>)>,
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Literal(String),
    Param,
}

fn segments(template: &str) -> Vec<Segment> {
    template
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            if s.starts_with(':') || (s.starts_with('{') && s.ends_with('}')) {
                Segment::Param
            } else {
                Segment::Literal(s.to_string())
            }
        })
        .collect()
}

impl MethodIndex {
    /// Adds a path template with its methods; GET implies HEAD, as poem answers both.
    pub fn add(&mut self, template: &str, methods: &[&str]) {
        let mut methods: Vec<String> = methods.iter().map(|m| m.to_ascii_uppercase()).collect();
        if methods.iter().any(|m| m == "GET") && !methods.iter().any(|m| m == "HEAD") {
            methods.push("HEAD".into());
        }
        let segments = segments(template);
        match self.routes.iter_mut().find(|(s, _)| *s == segments) {
            Some((_, known)) => {
                for method in methods {
                    if !known.contains(&method) {
                        known.push(method);
                    }
                }
            }
            None => self.routes.push((segments, methods)),
        }
    }

    /// Adds every operation of an OpenAPI document, its paths under `prefix`.
    pub fn add_openapi(&mut self, prefix: &str, spec: &serde_json::Value) {
        let Some(paths) = spec.get("paths").and_then(|p| p.as_object()) else {
            return;
        };
        for (path, operations) in paths {
            let methods: Vec<&str> = operations
                .as_object()
                .map(|ops| ops.keys().map(String::as_str).collect())
                .unwrap_or_default();
            self.add(&format!("{prefix}{path}"), &methods);
        }
    }

    /// The methods of the first template the path fits, literal segments before parameters
    /// (so `/i/new/x` is not taken for `/i/:id`).
    pub fn allowed(&self, path: &str) -> Option<String> {
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let fits = |template: &[Segment]| {
            template.len() == parts.len()
                && template.iter().zip(&parts).all(|(t, p)| match t {
                    Segment::Literal(l) => l == p,
                    Segment::Param => true,
                })
        };
        let literals = |template: &[Segment]| {
            template
                .iter()
                .filter(|s| matches!(s, Segment::Literal(_)))
                .count()
        };
        self.routes
            .iter()
            .filter(|(template, _)| fits(template))
            .max_by_key(|(template, _)| literals(template))
            .map(|(_, methods)| {
                let mut methods = methods.clone();
                methods.sort_by_key(|m| method_rank(m));
                methods.join(", ")
            })
    }
}

fn method_rank(method: &str) -> usize {
    ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
        .iter()
        .position(|m| *m == method)
        .unwrap_or(usize::MAX)
}

/// Middleware (`around`): a 405 from below gets the `Allow` of its path.
pub async fn answer<E: Endpoint>(
    next: Arc<E>,
    req: Request,
    index: Arc<MethodIndex>,
) -> poem::Result<Response> {
    let path = req.uri().path().to_string();
    let mut response = match next.call(req).await {
        Ok(response) => response.into_response(),
        Err(e) => e.into_response(),
    };
    if response.status() == StatusCode::METHOD_NOT_ALLOWED
        && let Some(allow) = index.allowed(&path)
        && let Ok(value) = HeaderValue::from_str(&allow)
    {
        response.headers_mut().insert(header::ALLOW, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_literal_segment_wins_over_a_parameter() {
        let mut index = MethodIndex::default();
        index.add("/i/:id", &["GET"]);
        index.add("/i/new/:guide", &["GET", "POST"]);
        assert_eq!(index.allowed("/i/abc").as_deref(), Some("GET, HEAD"));
        assert_eq!(
            index.allowed("/i/new/discovery").as_deref(),
            Some("GET, HEAD, POST")
        );
        assert_eq!(index.allowed("/nowhere"), None);
    }

    #[test]
    fn openapi_paths_are_indexed_under_their_prefix() {
        let spec = serde_json::json!({"paths": {
            "/forms/{id}/responses": {"post": {}},
            "/responses/{id}": {"delete": {}},
        }});
        let mut index = MethodIndex::default();
        index.add_openapi("/api", &spec);
        assert_eq!(
            index.allowed("/api/forms/x/responses").as_deref(),
            Some("POST")
        );
        assert_eq!(index.allowed("/api/responses/1").as_deref(), Some("DELETE"));
    }
}
