//! `application/x-www-form-urlencoded` request bodies, parsed strictly.
//!
//! RFC 6749 §3.1 / §3.2: "Request and response parameters MUST NOT be included more than
//! once", and parameters sent without a value are treated as omitted. Bodies must be
//! UTF-8 after percent-decoding (WHATWG URL §5.1); anything else is refused rather than
//! decoded lossily, so a client never gets a token for a scope it did not spell.

use std::collections::BTreeMap;

use percent_encoding::percent_decode;

/// Why a form body was refused; the endpoint turns it into its `invalid_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormError {
    Duplicate(String),
    NotUtf8,
}

impl FormError {
    pub fn describe(&self) -> String {
        match self {
            FormError::Duplicate(name) => format!("parameter `{name}` is included more than once"),
            FormError::NotUtf8 => "the request body is not UTF-8 after percent-decoding".into(),
        }
    }
}

/// Parameters a request may repeat: RFC 8707 §2 `resource` ("may be used multiple times"),
/// RFC 8693 §2.1 `audience`.
const REPEATABLE: &[&str] = &["resource", "audience"];

/// The parameters of one request, each at most once (but [`REPEATABLE`]), empty values dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    params: BTreeMap<String, String>,
    /// Every value of a [`REPEATABLE`] parameter, in order.
    repeated: BTreeMap<String, Vec<String>>,
}

fn decode(raw: &[u8]) -> Result<String, FormError> {
    let plus_as_space: Vec<u8> = raw.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect();
    let bytes: Vec<u8> = percent_decode(&plus_as_space).collect();
    String::from_utf8(bytes).map_err(|_| FormError::NotUtf8)
}

/// One `application/x-www-form-urlencoded` component (`+` is a space), as UTF-8: e.g.
/// the client id and secret of HTTP Basic (RFC 6749 §2.3.1). `None` if not UTF-8.
pub fn decode_component(part: &str) -> Option<String> {
    decode(part.as_bytes()).ok()
}

/// One URL path segment (RFC 3986 §2.1: `%XX` decoded, `+` stays `+`), as non-empty
/// UTF-8, e.g. the client id in `/register/{client_id}`.
pub fn decode_path_segment(segment: &str) -> Option<String> {
    let bytes: Vec<u8> = percent_decode(segment.as_bytes()).collect();
    String::from_utf8(bytes).ok().filter(|s| !s.is_empty())
}

impl Form {
    pub fn parse(body: &[u8]) -> Result<Form, FormError> {
        let mut params = BTreeMap::new();
        let mut repeated: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for pair in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(i) => (pair.get(..i).unwrap_or_default(), pair.get(i + 1..).unwrap_or_default()),
                None => (pair, &[][..]),
            };
            let name = decode(name)?;
            let value = decode(value)?;
            if REPEATABLE.contains(&name.as_str()) {
                if !value.is_empty() {
                    repeated.entry(name.clone()).or_default().push(value.clone());
                }
                params.entry(name).or_insert(value);
                continue;
            }
            // A repeated name is refused even when one occurrence is empty: it is still
            // "included more than once", and a parser that picked either would be guessing.
            if params.contains_key(&name) {
                return Err(FormError::Duplicate(name));
            }
            params.insert(name, value);
        }
        params.retain(|_, v| !v.is_empty());
        Ok(Form { params, repeated })
    }

    /// Every value of a repeatable parameter ([`REPEATABLE`]), in the order sent.
    pub fn all(&self, name: &str) -> &[String] {
        self.repeated.get(name).map(Vec::as_slice).unwrap_or_default()
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.params.contains_key(name)
    }

    /// Parameters from name/value pairs (a request object's claims, RFC 9101 §4), with
    /// the rules of [`Form::parse`].
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<Form, FormError> {
        let mut encoded = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in pairs {
            encoded.append_pair(name, value);
        }
        Form::parse(encoded.finish().as_bytes())
    }

    /// The parameters form-encoded again (what [`Form::parse`] reads back as this form).
    pub fn encode(&self) -> String {
        let mut encoded = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in self.pairs() {
            encoded.append_pair(&name, &value);
        }
        encoded.finish()
    }

    /// Every name/value pair, repeated parameters once per value.
    pub fn pairs(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (name, value) in &self.params {
            match self.repeated.get(name) {
                Some(values) => out.extend(values.iter().map(|v| (name.clone(), v.clone()))),
                None => out.push((name.clone(), value.clone())),
            }
        }
        out
    }

    /// This form with `name` set to `value` (replacing it) and without the names in `drop`.
    pub fn with(&self, name: &str, value: &str, drop: &[&str]) -> Form {
        let mut out = self.clone();
        for gone in drop.iter().chain([&name]) {
            out.params.remove(*gone);
            out.repeated.remove(*gone);
        }
        out.params.insert(name.to_owned(), value.to_owned());
        out
    }
}

#[cfg(test)]
mod component_tests {
    use super::*;

    #[test]
    fn components_and_path_segments_decode_their_own_way() {
        assert_eq!(decode_component("a%3Ab+c").as_deref(), Some("a:b c"));
        assert_eq!(decode_component("%FF"), None, "not UTF-8");
        assert_eq!(decode_path_segment("a%3Ab+c").as_deref(), Some("a:b+c"), "+ is literal in a path");
        assert_eq!(decode_path_segment("x%26y%3Dz").as_deref(), Some("x&y=z"));
        assert_eq!(decode_path_segment(""), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6749_section_3_1_parameters_decode_with_plus_as_space() {
        let form = Form::parse(b"grant_type=client_credentials&scope=read+write%20admin&state=").unwrap();
        assert_eq!(form.get("grant_type"), Some("client_credentials"));
        assert_eq!(form.get("scope"), Some("read write admin"));
        // Sent without a value: treated as omitted.
        assert_eq!(form.get("state"), None);
        assert!(!form.contains("state"));
    }

    #[test]
    fn rfc6749_section_3_1_repeated_parameters_are_refused() {
        assert_eq!(Form::parse(b"scope=a&scope=b"), Err(FormError::Duplicate("scope".into())));
        assert_eq!(Form::parse(b"scope=&scope=b"), Err(FormError::Duplicate("scope".into())));
        assert_eq!(Form::parse(b"sc%6Fpe=a&scope=b"), Err(FormError::Duplicate("scope".into())));
    }

    #[test]
    fn rfc8707_2_resource_may_be_repeated() {
        let form =
            Form::parse(b"resource=https%3A%2F%2Fa.example%2F&scope=x&resource=https://b.example/&resource=").unwrap();
        assert_eq!(form.all("resource"), ["https://a.example/", "https://b.example/"]);
        assert_eq!(form.all("scope"), [] as [String; 0], "only repeatable names collect");
        assert!(Form::parse(b"scope=a&scope=b").is_err());
    }

    #[test]
    fn non_utf8_is_refused_not_replaced() {
        assert_eq!(Form::parse(b"scope=%FF%FE"), Err(FormError::NotUtf8));
        assert_eq!(Form::parse(&[b's', b'=', 0xC3, 0x28]), Err(FormError::NotUtf8));
        assert_eq!(Form::parse("name=J%C3%BCrgen".as_bytes()).unwrap().get("name"), Some("Jürgen"));
    }

    #[test]
    fn odd_shapes_do_not_panic() {
        for body in [&b""[..], b"&&&", b"=", b"==", b"a", b"%", b"%zz=1", b"a=%"] {
            let _ = Form::parse(body);
        }
        assert_eq!(Form::parse(b"%zz=1").unwrap().get("%zz"), Some("1"));
    }
}
