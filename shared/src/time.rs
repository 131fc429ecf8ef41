//! Times in the admin API's answers (docs/api.md, "Times"): RFC 3339 strings in UTC,
//! `2024-01-15T10:30:00Z`. Read back, a time may be that
//! string or Unix seconds, so a client written against either keeps working.
//!
//! Used as `#[serde(with = "crate::time::rfc3339")]` on an `i64` of Unix seconds and
//! `#[serde(with = "crate::time::rfc3339_option")]` on an `Option<i64>`.

use chrono::{DateTime, SecondsFormat};

/// `2024-01-15T10:30:00Z`; empty for a time chrono cannot hold (beyond ±262,000 years).
pub fn format(unix_seconds: i64) -> String {
    DateTime::from_timestamp(unix_seconds, 0).map(|d| d.to_rfc3339_opts(SecondsFormat::Secs, true)).unwrap_or_default()
}

/// An RFC 3339 time with its offset, as Unix seconds.
pub fn parse(value: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(value).ok().map(|d| d.timestamp())
}

struct Instant;

impl serde::de::Visitor<'_> for Instant {
    type Value = i64;

    fn expecting(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        f.write_str("an RFC 3339 time or Unix seconds")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<i64, E> {
        parse(v).ok_or_else(|| E::custom(format_args!("`{v}` is not an RFC 3339 time")))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(E::custom)
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<i64, E> {
        Ok(v as i64)
    }
}

pub mod rfc3339 {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        d.deserialize_any(super::Instant)
    }
}

pub mod rfc3339_option {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&super::format(*t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(with = "super::rfc3339")] i64);
        Ok(Option::<Wrapped>::deserialize(d)?.map(|Wrapped(t)| t))
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Times {
        #[serde(with = "super::rfc3339")]
        at: i64,
        #[serde(default, with = "super::rfc3339_option", skip_serializing_if = "Option::is_none")]
        until: Option<i64>,
    }

    #[test]
    fn written_as_rfc_3339_read_from_either_form() {
        let times = Times { at: 1_705_314_600, until: Some(951_782_400) };
        let json = serde_json::to_string(&times).unwrap();
        assert_eq!(json, r#"{"at":"2024-01-15T10:30:00Z","until":"2000-02-29T00:00:00Z"}"#);
        assert_eq!(serde_json::from_str::<Times>(&json).unwrap(), times);
        let seconds: Times = serde_json::from_str(r#"{"at":1705314600}"#).unwrap();
        assert_eq!(seconds, Times { at: 1_705_314_600, until: None });
        let offset: Times = serde_json::from_str(r#"{"at":"2024-01-15T11:30:00+01:00","until":null}"#).unwrap();
        assert_eq!(offset.at, 1_705_314_600);
        assert!(serde_json::from_str::<Times>(r#"{"at":"yesterday"}"#).is_err());
    }
}
