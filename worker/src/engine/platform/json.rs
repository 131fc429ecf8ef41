//! JSON objects into our types, one way: text is parsed into a `serde_json::Value` once,
//! and every struct is read from the object's map (`serde_json::Map`'s deserializer).
//!
//! Why one way: serde instantiates a type's decoding code once per deserializer. Read
//! from text directly, from a `Value` and from a map, each struct would carry up to three
//! copies, and each copy also the array form (`[..]` for a struct, which serde accepts but
//! nobody sends). Through the map only, each struct carries one (docs/benchmark.md, "Size").
//! The price is one `Value` tree per decode: microseconds for our small documents.
//!
//! Duplicate member names: the last one wins, as RFC 7515 §5.2 and RFC 8259 §4 allow.

use serde::de::{DeserializeOwned, Error as _, Unexpected};
use serde_json::{Map, Value};

use crate::engine::platform::error::InternalError;

// Each generic function below is instantiated for every type it reads: their bodies are
// one call into serde plus non-generic helpers, so the copies stay small.

/// `value`, which must be a JSON object, as `T` (a struct).
pub fn from_object<T: DeserializeOwned>(value: Value) -> Result<T, serde_json::Error> {
    T::deserialize(into_map(value)?)
}

/// JSON text of an object as `T` (a struct).
pub fn parse<T: DeserializeOwned>(text: &[u8]) -> Result<T, serde_json::Error> {
    T::deserialize(map_of_text(text)?)
}

/// A database row (a JSON object from the SQL port) as `T`; `what` names it in the error.
pub fn row<T: DeserializeOwned>(value: Value, what: &str) -> Result<T, InternalError> {
    from_object(value).map_err(|e| row_error(what, e))
}

fn into_map(value: Value) -> Result<Map<String, Value>, serde_json::Error> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err(serde_json::Error::invalid_type(unexpected(&other), &"a JSON object")),
    }
}

fn map_of_text(text: &[u8]) -> Result<Map<String, Value>, serde_json::Error> {
    into_map(serde_json::from_slice::<Value>(text)?)
}

fn row_error(what: &str, e: serde_json::Error) -> InternalError {
    InternalError::new(format!("{what} row: {e}"))
}

fn unexpected(value: &Value) -> Unexpected<'_> {
    match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(_) => Unexpected::Other("number"),
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Pair {
        a: String,
        #[serde(default)]
        b: Option<u32>,
    }

    #[test]
    fn objects_decode_and_anything_else_is_refused_with_a_reason() {
        assert_eq!(parse::<Pair>(br#"{"a":"x","b":2}"#).unwrap(), Pair { a: "x".into(), b: Some(2) });
        assert_eq!(parse::<Pair>(br#"{"a":"x"}"#).unwrap(), Pair { a: "x".into(), b: None });
        // The array form serde would accept for a struct is not JSON anyone sends us.
        assert!(parse::<Pair>(br#"["x", 2]"#).unwrap_err().to_string().contains("a JSON object"));
        assert!(parse::<Pair>(br#"{"b":2}"#).unwrap_err().to_string().contains("missing field `a`"));
        assert!(parse::<Pair>(b"{").is_err());
        assert!(row::<Pair>(Value::Null, "test").unwrap_err().detail().contains("test row"));
    }

    #[test]
    fn rfc7515_5_2_the_last_of_duplicate_members_wins() {
        assert_eq!(parse::<Pair>(br#"{"a":"first","a":"last"}"#).unwrap().a, "last");
    }
}
