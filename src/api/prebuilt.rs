//! A JSON response whose body was serialised once, ahead of the requests that send it.
//!
//! poem-openapi's `Json<T>` turns each response into a `serde_json::Value` tree and then into
//! text: for a form's definition, the same few kilobytes rebuilt on every request. `Prebuilt<T>`
//! carries the finished bytes and is documented in the OpenAPI document exactly as `Json<T>`
//! (same media type, same schema), so clients see no difference.

use std::marker::PhantomData;

use bytes::Bytes;
use poem::http::header;
use poem::{IntoResponse, Response};
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, MetaSchemaRef, Registry};
use poem_openapi::types::{ToJSON, Type};
use poem_openapi::{ApiResponse, payload::Payload};

pub struct Prebuilt<T> {
    body: Bytes,
    shape: PhantomData<fn() -> T>,
}

impl<T: ToJSON> Prebuilt<T> {
    /// Serialises `value` as `Json<T>` would.
    pub fn new(value: &T) -> Prebuilt<T> {
        Prebuilt::from_bytes(Bytes::from(value.to_json_string()))
    }
}

impl<T> Prebuilt<T> {
    /// Bytes made by `Prebuilt::new` for a value of `T` (cheap to clone: shared).
    pub fn from_bytes(body: Bytes) -> Prebuilt<T> {
        Prebuilt {
            body,
            shape: PhantomData,
        }
    }

    pub fn bytes(&self) -> &Bytes {
        &self.body
    }
}

impl<T: Type> Payload for Prebuilt<T> {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Send> IntoResponse for Prebuilt<T> {
    fn into_response(self) -> Response {
        Response::builder()
            .header(header::CONTENT_TYPE, Self::CONTENT_TYPE_VALUE)
            .body(self.body)
    }
}

impl<T> Prebuilt<T> {
    const CONTENT_TYPE_VALUE: &'static str = "application/json; charset=utf-8";
}

impl<T: Type + Send> ApiResponse for Prebuilt<T> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "",
                status: Some(200),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: <Self as Payload>::CONTENT_TYPE,
                    schema: <Self as Payload>::schema_ref(),
                }],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}
