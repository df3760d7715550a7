//! The JSON input codec of Rewind's server functions: serde_json, plus the path of the field that failed.
//!
//! Hand-written because server_fn's own `Json` reports a malformed request as serde_json's bare message
//! ("invalid type: floating point `1.5`, expected i64 at line 1 column 98"), which does not say which
//! field; `serde_path_to_error` (the crate axum's `Json` extractor uses for the same purpose) adds it.

use leptos::server_fn::codec::Post;
use leptos::server_fn::Bytes;
use leptos::server_fn::{ContentType, Decodes, Encodes, Format, FormatType};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// JSON whose decoding errors name the field (`spec.strategy.shift: invalid type ...`).
pub struct CheckedJsonEncoding;

impl ContentType for CheckedJsonEncoding {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for CheckedJsonEncoding {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for CheckedJsonEncoding {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(output).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for CheckedJsonEncoding {
    type Error = String;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                format!("the body is not valid JSON ({inner})")
            } else if path == "." {
                inner.to_string()
            } else {
                format!("field `{path}`: {inner}")
            }
        })?;
        // As serde_json::from_slice does: nothing but white space may follow the value.
        de.end()
            .map_err(|e| format!("the body is not valid JSON ({e})"))?;
        Ok(value)
    }
}

/// `input = Json` for server functions: a POST with a JSON body.
pub type Json = Post<CheckedJsonEncoding>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::reset::ResetSpec;

    fn decode(body: &str) -> Result<ResetSpec, String> {
        <CheckedJsonEncoding as Decodes<ResetSpec>>::decode(Bytes::from(body.to_owned()))
    }

    #[test]
    fn errors_name_the_field() {
        let e = decode(r#"{"cluster":"c","groups":["g"],"scope":{"kind":"all-topics"},"strategy":{"kind":"shift-by","shift":1.5}}"#)
            .expect_err("a fractional shift");
        assert!(e.starts_with("field `strategy"), "{e}");
        assert!(e.contains("1.5"), "{e}");
        let e = decode("{\"cluster\":").expect_err("broken JSON");
        assert!(e.starts_with("the body is not valid JSON"), "{e}");
        let e = decode(r#"{"cluster":"c","groups":["g"],"scope":{"kind":"all-topics"},"strategy":{"kind":"to-earliest"}} trailing"#)
            .expect_err("trailing characters");
        assert!(e.starts_with("the body is not valid JSON"), "{e}");
    }
}
