//! The outbound ports of the native suites: a Queue that records what it was handed (or
//! is not bound), a mail server that accepts every message and keeps it, an HTTP API that
//! records each post; each fails when told to.

use std::sync::Mutex;

use crate::engine::delivery::smtp::{SmtpStream, SmtpTls};
use crate::engine::delivery::Outbound;

/// What was sent where; `fail` makes every transport refuse (a server that is down).
#[derive(Default)]
pub struct TestOutbound {
    /// `(url, idempotency key, body)` of each HTTP post.
    pub posted: Mutex<Vec<(String, String, String)>>,
    /// Each message a mail server accepted: the whole DATA.
    pub mailed: std::sync::Arc<Mutex<Vec<String>>>,
    /// The headers of each post.
    pub signed: Mutex<Vec<Vec<(String, String)>>>,
    /// Delivery ids handed to the Queue, when one is bound.
    pub queued: Mutex<Vec<(String, u32)>>,
    pub queue_bound: bool,
    pub fail: bool,
}

impl TestOutbound {
    /// `(url, body)` of each post so far.
    pub fn posted(&self) -> Vec<(String, String)> {
        self.posted.lock().map(|p| p.iter().map(|(u, _, b)| (u.clone(), b.clone())).collect()).unwrap_or_default()
    }

    pub fn mailed(&self) -> Vec<String> {
        self.mailed.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

impl Outbound for TestOutbound {
    type Smtp = AcceptingServer;

    async fn enqueue(&self, id: &str, delay_seconds: u32) -> Result<bool, String> {
        if !self.queue_bound {
            return Ok(false);
        }
        if let Ok(mut queued) = self.queued.lock() {
            queued.push((id.into(), delay_seconds));
        }
        Ok(true)
    }

    async fn connect(&self, host: &str, port: u16, _tls: SmtpTls) -> Result<AcceptingServer, String> {
        if self.fail {
            return Err(format!("connecting to {host}:{port}: connection refused"));
        }
        Ok(AcceptingServer { out: b"220 test ESMTP\r\n".to_vec(), data: None, mailed: self.mailed.clone() })
    }

    async fn post(&self, url: &str, headers: &[(&str, String)], body: &str) -> Result<u16, String> {
        // The idempotency key: a webhook's id, or the mail API's header.
        let id = headers
            .iter()
            .find(|(n, _)| *n == "webhook-id" || *n == "idempotency-key")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        if let Ok(mut posted) = self.posted.lock() {
            posted.push((url.into(), id, body.into()));
        }
        if let Ok(mut signed) = self.signed.lock() {
            signed.push(headers.iter().map(|(n, v)| ((*n).to_owned(), v.clone())).collect());
        }
        if self.fail {
            Err(format!("{url} answered HTTP 502"))
        } else {
            Ok(204)
        }
    }

    async fn send_email(&self, from: &str, to: &str, message: &[u8]) -> Result<String, String> {
        if self.fail {
            return Err("send_email: email to a@b not allowed".into());
        }
        if let Ok(mut mailed) = self.mailed.lock() {
            mailed.push(format!("{from} -> {to}\n{}", String::from_utf8_lossy(message)));
        }
        Ok(format!("<{}@cloudflare.test>", self.mailed().len()))
    }
}

/// A mail server that says yes to everything and keeps each message.
pub struct AcceptingServer {
    out: Vec<u8>,
    /// The message being received after DATA.
    data: Option<String>,
    mailed: std::sync::Arc<Mutex<Vec<String>>>,
}

impl SmtpStream for AcceptingServer {
    async fn write_all(&mut self, bytes: &[u8]) -> Result<(), String> {
        let text = String::from_utf8_lossy(bytes).into_owned();
        if let Some(data) = &mut self.data {
            if text == ".\r\n" {
                if let Ok(mut mailed) = self.mailed.lock() {
                    mailed.push(std::mem::take(data));
                }
                self.data = None;
                self.out.extend_from_slice(b"250 queued\r\n");
            } else {
                data.push_str(&text);
            }
            return Ok(());
        }
        let reply: &[u8] = match text.split(' ').next().unwrap_or_default().trim_end() {
            "EHLO" => b"250-test\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n",
            "STARTTLS" => b"220 go ahead\r\n",
            "AUTH" => b"235 ok\r\n",
            "DATA" => {
                self.data = Some(String::new());
                b"354 go ahead\r\n"
            }
            "QUIT" => b"221 bye\r\n",
            _ => b"250 ok\r\n",
        };
        self.out.extend_from_slice(reply);
        Ok(())
    }

    async fn read_some(&mut self) -> Result<Vec<u8>, String> {
        Ok(std::mem::take(&mut self.out))
    }

    async fn start_tls(self) -> Result<Self, String> {
        Ok(self)
    }
}

/// The outbound ports of requests that send nothing (`EMAIL_PROVIDER=log`).
pub static NO_OUTBOUND: std::sync::LazyLock<TestOutbound> = std::sync::LazyLock::new(TestOutbound::default);
