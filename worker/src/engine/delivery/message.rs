//! A mail as the wire carries it (RFC 5322, MIME RFC 2045–2049): `multipart/alternative`
//! with the text and HTML bodies, UTF-8 headers encoded per RFC 2047, built by
//! mail-builder. The boundary, `Date` and `Message-ID` come from the delivery, never from a
//! clock: the same delivery is the same message on every attempt, and a receiver that
//! de-duplicates on `Message-ID` sees one message however often it was retried.

use mail_builder::headers::content_type::ContentType;
use mail_builder::mime::MimePart;
use mail_builder::MessageBuilder;

use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::UnixTime;

/// What one message says and who it is from and to.
pub struct Message<'a> {
    /// The delivery id: the Message-ID's left part and the MIME boundary's seed.
    pub id: &'a str,
    /// The issuer's host: the Message-ID's right part (RFC 5322 §3.6.4).
    pub domain: &'a str,
    pub from_name: &'a str,
    pub from_address: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
    /// When it was written (the `Date` header).
    pub date: UnixTime,
}

/// The whole message, CRLF line ends.
pub fn render(m: &Message<'_>) -> Result<Vec<u8>, InternalError> {
    let boundary = format!("authority-{}", m.id);
    let body = MimePart::new(
        ContentType::new("multipart/alternative").attribute("boundary", boundary),
        vec![MimePart::new("text/plain; charset=utf-8", m.text), MimePart::new("text/html; charset=utf-8", m.html)],
    );
    let from = if m.from_name.is_empty() {
        mail_builder::headers::address::Address::new_address(None::<&str>, m.from_address)
    } else {
        mail_builder::headers::address::Address::new_address(Some(m.from_name), m.from_address)
    };
    MessageBuilder::new()
        .from(from)
        .to(m.to)
        .subject(m.subject)
        .message_id(format!("{}@{}", m.id, m.domain))
        .date(m.date)
        .body(body)
        .write_to_vec()
        .map_err(|e| InternalError::new(format!("building a mail: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc5322_headers_rfc2047_words_and_two_alternative_parts_without_a_clock() {
        let message = Message {
            id: "0f8e-1",
            domain: "auth.example.com",
            from_name: "Authority Ü",
            from_address: "noreply@example.com",
            to: "ada@example.com",
            subject: "Vérifiez votre adresse",
            text: "Open https://auth.example.com/verify?token=abc",
            html: "<p>Open <a href=\"https://auth.example.com/verify?token=abc\">the link</a></p>",
            date: 1_800_000_000,
        };
        let once = String::from_utf8(render(&message).unwrap()).unwrap();
        assert_eq!(once, String::from_utf8(render(&message).unwrap()).unwrap(), "the same bytes on every attempt");
        assert!(once.contains("Message-ID: <0f8e-1@auth.example.com>\r\n"), "{once}");
        assert!(once.contains("Subject: =?utf-8?Q?V=C3=A9rifiez_votre_adresse?=\r\n"), "{once}");
        assert!(once.contains("From: \"=?utf-8?"), "{once}");
        assert!(once.contains("Date: Fri, 15 Jan 2027 08:00:00 +0000\r\n"), "{once}");
        assert!(once.contains("boundary=\"authority-0f8e-1\""), "{once}");
        assert!(once.contains("Content-Type: text/plain; charset=utf-8"), "{once}");
        assert!(once.contains("Content-Type: text/html; charset=utf-8"), "{once}");
        assert!(once.contains("token=abc"), "{once}");
    }
}
