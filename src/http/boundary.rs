//! What every answer of the JSON API carries, read from the OpenAPI document itself so that a new
//! operation is covered the moment it is declared:
//! - `X-Content-Type-Options: nosniff` on every answer;
//! - cross-origin reads only for public operations (those whose security allows no token): any
//!   other answer loses the CORS headers and gets `Cache-Control: no-store`;
//! - a 405 names the methods the path does take in `Allow` (RFC 9110 §15.5.6).

use std::{collections::HashSet, sync::Arc};

use poem::{
    Endpoint, IntoResponse, Request, Response,
    http::{HeaderValue, Method, StatusCode, header},
};
use poem_openapi::{OpenApi, OperationId, registry::MetaApi};

use crate::error::problem_from_poem_error;

/// The operations and paths of the document, as the boundary needs them.
#[derive(Debug, Default)]
pub struct ApiShape {
    public: HashSet<&'static str>,
    paths: Vec<(Vec<Segment>, String)>,
}

#[derive(Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Parameter,
}

impl ApiShape {
    pub fn of<T: OpenApi>() -> Self {
        Self::from_meta(&T::meta())
    }

    fn from_meta(apis: &[MetaApi]) -> Self {
        let mut shape = ApiShape::default();
        for path in apis.iter().flat_map(|api| &api.paths) {
            let mut methods: Vec<Method> = Vec::new();
            for operation in &path.operations {
                let public = operation.security.is_empty()
                    || operation.security.iter().any(|scheme| scheme.is_empty());
                if public && let Some(id) = operation.operation_id {
                    shape.public.insert(id);
                }
                if !methods.contains(&operation.method) {
                    methods.push(operation.method.clone());
                }
            }
            if methods.contains(&Method::GET) && !methods.contains(&Method::HEAD) {
                methods.push(Method::HEAD);
            }
            let allow = methods
                .iter()
                .map(Method::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            let segments = segments(&path.path);
            match shape.paths.iter_mut().find(|(known, _)| *known == segments) {
                Some((_, known)) => {
                    known.push_str(", ");
                    known.push_str(&allow);
                }
                None => shape.paths.push((segments, allow)),
            }
        }
        shape
    }

    pub fn is_public(&self, operation: &str) -> bool {
        self.public.contains(operation)
    }

    /// The methods of the declared path that `path` matches, preferring literal segments (as the
    /// router does).
    pub fn allow(&self, path: &str) -> Option<&str> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        self.paths
            .iter()
            .filter(|(segments, _)| {
                segments.len() == parts.len()
                    && segments
                        .iter()
                        .zip(&parts)
                        .all(|(segment, part)| match segment {
                            Segment::Literal(literal) => literal == part,
                            Segment::Parameter => !part.is_empty(),
                        })
            })
            .max_by_key(|(segments, _)| {
                segments
                    .iter()
                    .filter(|segment| matches!(segment, Segment::Literal(_)))
                    .count()
            })
            .map(|(_, allow)| allow.as_str())
    }
}

fn segments(path: &str) -> Vec<Segment> {
    path.trim_matches('/')
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') || segment.starts_with(':') {
                Segment::Parameter
            } else {
                Segment::Literal(segment.to_owned())
            }
        })
        .collect()
}

/// An endpoint's outcome as a response: an error becomes a problem that still names the
/// operation it came from (for metrics and the API boundary).
pub fn answer(outcome: poem::Result<impl IntoResponse>) -> Response {
    match outcome {
        Ok(response) => response.into_response(),
        Err(error) => {
            let operation = error.data::<OperationId>().copied();
            let mut response = problem_from_poem_error(error);
            if let Some(operation) = operation {
                response.set_data(operation);
            }
            response
        }
    }
}

/// The layer around the API's routes (inside `/api/v1`, outside CORS).
pub async fn guard<E: Endpoint>(
    endpoint: Arc<E>,
    request: Request,
    shape: Arc<ApiShape>,
) -> poem::Result<Response> {
    let path = request.uri().path().to_owned();
    let mut response = answer(endpoint.call(request).await);
    let public = response
        .data::<OperationId>()
        .is_some_and(|operation| shape.is_public(operation.0));
    if response.status() == StatusCode::METHOD_NOT_ALLOWED
        && let Some(allow) = shape.allow(&path)
        && let Ok(value) = HeaderValue::from_str(allow)
    {
        response.headers_mut().insert(header::ALLOW, value);
    }
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !public {
        for name in [
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
        ] {
            headers.remove(name);
        }
        if !headers.contains_key(header::CACHE_CONTROL) {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
    Ok(response)
}
