//! The SMTP dialog against a scripted server: what the client says, in order, for each
//! `SMTP_TLS` mode and AUTH mechanism, and the errors that name the step that failed.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use pollster::block_on;

use super::*;

/// A server that answers each command the client sends with its next scripted reply and
/// records what it heard (with `[TLS]` where TLS started).
struct Scripted {
    replies: Rc<RefCell<VecDeque<&'static str>>>,
    heard: Rc<RefCell<Vec<String>>>,
    pending: Vec<u8>,
}

impl Scripted {
    fn new(replies: &[&'static str]) -> (Scripted, Rc<RefCell<Vec<String>>>) {
        let heard = Rc::new(RefCell::new(Vec::new()));
        let mut queue: VecDeque<&'static str> = replies.iter().copied().collect();
        // The greeting comes before any command.
        let greeting = queue.pop_front().unwrap_or("220 ready");
        let s = Scripted {
            replies: Rc::new(RefCell::new(queue)),
            heard: heard.clone(),
            pending: format!("{greeting}\r\n").into_bytes(),
        };
        (s, heard)
    }
}

impl SmtpStream for Scripted {
    async fn write_all(&mut self, bytes: &[u8]) -> Result<(), String> {
        let text = String::from_utf8_lossy(bytes).into_owned();
        let in_data = self.heard.borrow().last().is_some_and(|l| l == "DATA") && !text.starts_with("DATA");
        self.heard.borrow_mut().push(text.trim_end_matches("\r\n").to_owned());
        if in_data {
            return Ok(()); // the message body: the reply comes after the final "."
        }
        if let Some(reply) = self.replies.borrow_mut().pop_front() {
            self.pending.extend_from_slice(format!("{reply}\r\n").as_bytes());
        }
        Ok(())
    }

    async fn read_some(&mut self) -> Result<Vec<u8>, String> {
        Ok(std::mem::take(&mut self.pending))
    }

    async fn start_tls(self) -> Result<Self, String> {
        self.heard.borrow_mut().push("[TLS]".into());
        Ok(self)
    }
}

const MESSAGE: &[u8] = b"Subject: hi\r\n\r\n.leading dot\r\nbody\r\n";

fn run(
    tls: SmtpTls,
    credentials: Option<(&str, &str)>,
    replies: &[&'static str],
) -> (Result<String, String>, Vec<String>) {
    let (server, heard) = Scripted::new(replies);
    let submission = Submission { tls, credentials, helo: "auth.example.com" };
    let result = block_on(submit(server, &submission, "noreply@example.com", "ada@example.com", MESSAGE));
    let heard = heard.borrow().clone();
    (result, heard)
}

#[test]
fn rfc3207_starttls_then_ehlo_again_then_auth_plain_and_one_message() {
    let (result, heard) = run(
        SmtpTls::StartTls,
        Some(("mailer", "s3cret")),
        &[
            "220 mx ESMTP",
            "250-mx\r\n250-STARTTLS\r\n250 SIZE 1000",
            "220 go ahead",
            "250-mx\r\n250-AUTH LOGIN PLAIN\r\n250 8BITMIME",
            "235 ok",
            "250 sender ok",
            "250 recipient ok",
            "354 send it",
            "250 2.0.0 queued as ABC",
            "221 bye",
        ],
    );
    assert_eq!(result.unwrap(), "250 2.0.0 queued as ABC");
    let plain = base64::engine::general_purpose::STANDARD.encode("\0mailer\0s3cret");
    assert_eq!(
        heard,
        [
            "EHLO auth.example.com".to_owned(),
            "STARTTLS".into(),
            "[TLS]".into(),
            "EHLO auth.example.com".into(),
            format!("AUTH PLAIN {plain}"),
            "MAIL FROM:<noreply@example.com>".into(),
            "RCPT TO:<ada@example.com>".into(),
            "DATA".into(),
            "Subject: hi\r\n\r\n..leading dot\r\nbody".into(),
            ".".into(),
            "QUIT".into(),
        ]
    );
}

#[test]
fn rfc4954_auth_login_when_plain_is_not_offered() {
    let (result, heard) = run(
        SmtpTls::Implicit,
        Some(("u", "p")),
        &[
            "220 mx",
            "250-mx\r\n250 AUTH LOGIN",
            "334 VXNlcm5hbWU6",
            "334 UGFzc3dvcmQ6",
            "235 ok",
            "250 ok",
            "250 ok",
            "354 go",
            "250 done",
            "221 bye",
        ],
    );
    assert_eq!(result.unwrap(), "250 done");
    assert_eq!(heard.get(1..4).unwrap(), ["AUTH LOGIN", "dQ==", "cA=="]);
}

#[test]
fn failures_name_the_step_and_the_servers_answer() {
    let (result, _) = run(SmtpTls::StartTls, None, &["220 mx", "250 mx"]);
    assert_eq!(result.unwrap_err(), "the server does not offer STARTTLS (SMTP_TLS=starttls)");
    let (result, _) =
        run(SmtpTls::None, Some(("u", "wrong")), &["220 mx", "250-mx\r\n250 AUTH PLAIN", "535 5.7.8 bad credentials"]);
    assert_eq!(result.unwrap_err(), "AUTH PLAIN was answered 535 5.7.8 bad credentials");
    let (result, _) = run(SmtpTls::None, None, &["220 mx", "250 mx", "250 ok", "550 no such user"]);
    assert_eq!(result.unwrap_err(), "RCPT TO was answered 550 no such user");
    let (result, _) = run(SmtpTls::None, None, &["554 go away"]);
    assert_eq!(result.unwrap_err(), "the server greeted 554 go away");
}

#[test]
fn rfc5321_4_5_2_dot_stuffing_and_the_final_crlf() {
    assert_eq!(dot_stuffed(b".a\r\nb\r\n..c"), b"..a\r\nb\r\n...c\r\n");
    assert_eq!(dot_stuffed(b"x\r\n"), b"x\r\n");
}
