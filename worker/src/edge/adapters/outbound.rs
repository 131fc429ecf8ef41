//! The deliveries' ports at the edge (docs/delivery.md): the `DELIVERIES` Queue, mail
//! servers over Workers TCP sockets (`connect()`, with STARTTLS or implicit TLS), and HTTP
//! APIs over `fetch`. Every network step has a deadline: a server that stops answering
//! fails the attempt, which is retried later.

use std::cell::RefCell;
use std::time::Duration;

use futures_util::future::{select, Either};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wasm_bindgen::JsValue;
use worker::{
    Delay, EmailMessage, Fetch, Headers, Method, Queue, Request, RequestInit, RequestRedirect, SecureTransport,
    SendEmail, Socket,
};

use crate::engine::delivery::smtp::{SmtpStream, SmtpTls};
use crate::engine::delivery::Outbound;

/// The name of the Queue binding (wrangler.toml `[[queues.producers]]`).
pub const QUEUE_BINDING: &str = "DELIVERIES";
/// The name of the `send_email` binding `EMAIL_PROVIDER=cloudflare` uses
/// (docs/delivery.md, "Mail transports").
pub const SEND_EMAIL_BINDING: &str = "SEND_EMAIL";

thread_local! {
    /// The isolate's `DELIVERIES` producer, set from `env` at each event (none when the
    /// binding is absent: then the Cron sweep retries).
    static QUEUE: RefCell<Option<Queue>> = const { RefCell::new(None) };
    /// The isolate's `SEND_EMAIL` binding, when the deployment has one.
    static SEND_EMAIL: RefCell<Option<SendEmail>> = const { RefCell::new(None) };
}

/// Takes the Queue and `send_email` bindings from `env` for this isolate's deliveries.
pub fn bind_queue(env: &worker::Env) {
    let queue = env.queue(QUEUE_BINDING).ok();
    QUEUE.with(|q| *q.borrow_mut() = queue);
    // An absent binding is an error here: `send_email` then names what is missing.
    let mailer = env.get_binding::<SendEmail>(SEND_EMAIL_BINDING).ok();
    SEND_EMAIL.with(|m| *m.borrow_mut() = mailer);
}

/// How long one network step (connect, a reply, a write, an HTTP call) may take.
const STEP: Duration = Duration::from_secs(15);

async fn within<T>(what: &str, step: impl std::future::Future<Output = Result<T, String>>) -> Result<T, String> {
    match select(Box::pin(step), Delay::from(STEP)).await {
        Either::Left((result, _)) => result,
        Either::Right(_) => Err(format!("{what}: no answer within {} s", STEP.as_secs())),
    }
}

pub struct EdgeOutbound;

/// A TCP socket to a mail server.
pub struct SmtpSocket(Socket);

impl SmtpStream for SmtpSocket {
    async fn write_all(&mut self, bytes: &[u8]) -> Result<(), String> {
        within("writing to the mail server", async {
            self.0.write_all(bytes).await.map_err(|e| format!("writing to the mail server: {e}"))?;
            self.0.flush().await.map_err(|e| format!("writing to the mail server: {e}"))
        })
        .await
    }

    async fn read_some(&mut self) -> Result<Vec<u8>, String> {
        within("reading the mail server's reply", async {
            let mut buf = vec![0u8; 4096];
            let n = self.0.read(&mut buf).await.map_err(|e| format!("reading from the mail server: {e}"))?;
            buf.truncate(n);
            Ok(buf)
        })
        .await
    }

    async fn start_tls(self) -> Result<Self, String> {
        Ok(SmtpSocket(self.0.start_tls()))
    }
}

impl Outbound for EdgeOutbound {
    type Smtp = SmtpSocket;

    async fn enqueue(&self, id: &str, delay_seconds: u32) -> Result<bool, String> {
        let Some(queue) = QUEUE.with(|q| q.borrow().clone()) else { return Ok(false) };
        // The body is the delivery's id, a JS string (serde_wasm_bindgen would make a map a
        // JS Map, which JSON carries as `{}`).
        let message = worker::RawMessageBuilder::new(JsValue::from_str(id))
            .delay_seconds(delay_seconds)
            .build_with_content_type(worker::QueueContentType::Json);
        queue.send_raw(message).await.map(|_| true).map_err(|e| format!("the Queue: {e}"))
    }

    async fn connect(&self, host: &str, port: u16, tls: SmtpTls) -> Result<SmtpSocket, String> {
        let transport = match tls {
            SmtpTls::StartTls => SecureTransport::StartTls,
            SmtpTls::Implicit => SecureTransport::On,
            SmtpTls::None => SecureTransport::Off,
        };
        let socket = Socket::builder()
            .secure_transport(transport)
            .connect(host, port)
            .map_err(|e| format!("connecting to {host}:{port}: {e}"))?;
        within(&format!("connecting to {host}:{port}"), async {
            socket.opened().await.map(|_| ()).map_err(|e| format!("connecting to {host}:{port}: {e}"))
        })
        .await?;
        Ok(SmtpSocket(socket))
    }

    async fn post(&self, url: &str, headers: &[(&str, String)], body: &str) -> Result<u16, String> {
        let request_headers = Headers::new();
        for (name, value) in headers {
            request_headers.set(name, value).map_err(|e| e.to_string())?;
        }
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_headers(request_headers).with_body(Some(JsValue::from_str(body)));
        init.with_redirect(RequestRedirect::Manual);
        let request = Request::new_with_init(url, &init).map_err(|e| format!("request: {e}"))?;
        let response = within(&format!("POST {url}"), async {
            Fetch::Request(request).send().await.map_err(|e| format!("fetch {url}: {e}"))
        })
        .await?;
        match response.status_code() {
            status @ 200..=299 => Ok(status),
            status => Err(format!("{url} answered HTTP {status}")),
        }
    }

    async fn send_email(&self, from: &str, to: &str, message: &[u8]) -> Result<String, String> {
        let mailer = SEND_EMAIL.with(|m| m.borrow().clone()).ok_or_else(|| {
            format!("EMAIL_PROVIDER=cloudflare needs a `{SEND_EMAIL_BINDING}` send_email binding in wrangler.toml")
        })?;
        // The message is ASCII (mail-builder encodes every header and part), so a string
        // carries it as it is.
        let raw = std::str::from_utf8(message).map_err(|_| "the message is not 7-bit".to_owned())?;
        let email = EmailMessage::new(from, to, raw).map_err(|e| format!("send_email: {}", describe(&e)))?;
        let sent = within("send_email", async {
            mailer.send(&email).await.map_err(|e| format!("send_email: {}", describe(&e)))
        })
        .await?;
        Ok(sent.message_id())
    }
}

/// A JS error's message (`Error.message`), or what it prints as.
fn describe(error: &impl AsRef<JsValue>) -> String {
    let value = error.as_ref();
    js_sys::Reflect::get(value, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| value.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}
