//! The SMTP client's side of a submission (RFC 5321 §3–4, RFC 6409): greeting, EHLO,
//! STARTTLS (RFC 3207) when asked, AUTH PLAIN (RFC 4616) or LOGIN, one envelope, DATA with
//! dot-stuffing (§4.5.2), QUIT. The connection is a port ([`SmtpStream`]): a Workers TCP
//! socket at the edge, a scripted server in the tests.

use base64::Engine;

/// How the connection is protected (`SMTP_TLS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain TCP, then STARTTLS before anything else is said (RFC 3207; port 587).
    StartTls,
    /// TLS from the first byte (RFC 8314 §3.3; port 465).
    Implicit,
    /// No TLS at all: only to a loopback server (configuration refuses anything else).
    None,
}

impl SmtpTls {
    pub fn parse(value: &str) -> Option<SmtpTls> {
        match value {
            "starttls" => Some(SmtpTls::StartTls),
            "tls" => Some(SmtpTls::Implicit),
            "none" => Some(SmtpTls::None),
            _ => None,
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            SmtpTls::StartTls => 587,
            SmtpTls::Implicit => 465,
            SmtpTls::None => 25,
        }
    }
}

/// A connection to a mail server.
#[allow(async_fn_in_trait)]
pub trait SmtpStream: Sized {
    async fn write_all(&mut self, bytes: &[u8]) -> Result<(), String>;
    /// Some bytes the server sent; empty when it closed the connection.
    async fn read_some(&mut self) -> Result<Vec<u8>, String>;
    /// The same connection upgraded to TLS (after the server's 220 to STARTTLS).
    async fn start_tls(self) -> Result<Self, String>;
}

/// Where and as whom mail is submitted.
#[derive(Debug, Clone, Copy)]
pub struct Submission<'a> {
    pub tls: SmtpTls,
    /// `SMTP_USER` and `SMTP_PASSWORD`, when the server wants AUTH.
    pub credentials: Option<(&'a str, &'a str)>,
    /// The name this server gives itself in EHLO (the issuer's host).
    pub helo: &'a str,
}

/// A server reply: its code and text (the lines of a multi-line reply joined).
struct Reply {
    code: u16,
    text: String,
}

/// Reads CRLF-terminated lines from the stream.
struct Conversation<S: SmtpStream> {
    stream: S,
    buffer: Vec<u8>,
}

/// The longest reply line kept (RFC 5321 §4.5.3.1.5: 512 octets; generous).
const MAX_LINE: usize = 4096;

impl<S: SmtpStream> Conversation<S> {
    async fn line(&mut self) -> Result<String, String> {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\r\n") {
                let line: Vec<u8> = self.buffer.drain(..end + 2).take(end).collect();
                return Ok(String::from_utf8_lossy(&line).into_owned());
            }
            if self.buffer.len() > MAX_LINE {
                return Err("the server sent a line longer than 4096 bytes".into());
            }
            let more = self.stream.read_some().await?;
            if more.is_empty() {
                return Err("the server closed the connection".into());
            }
            self.buffer.extend_from_slice(&more);
        }
    }

    /// One reply (§4.2: `250-...` lines continue, `250 ...` ends it).
    async fn reply(&mut self) -> Result<Reply, String> {
        let mut text = Vec::new();
        loop {
            let line = self.line().await?;
            let code = line.get(..3).and_then(|c| c.parse::<u16>().ok());
            let Some(code) = code else { return Err(format!("not an SMTP reply: {line:.80}")) };
            text.push(line.get(4..).unwrap_or_default().to_owned());
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok(Reply { code, text: text.join("\n") });
            }
        }
    }

    /// Sends `command` (CRLF added) and expects a reply with one of `codes`.
    async fn command(&mut self, command: &str, shown: &str, codes: &[u16]) -> Result<Reply, String> {
        self.stream.write_all(format!("{command}\r\n").as_bytes()).await?;
        let reply = self.reply().await?;
        if codes.contains(&reply.code) {
            Ok(reply)
        } else {
            Err(format!("{shown} was answered {} {}", reply.code, reply.text))
        }
    }
}

/// Submits `message` (a whole RFC 5322 message, CRLF line ends) from `from` to `to` over
/// `stream`; `Ok` is the server's answer to the message (its queue id, usually).
pub async fn submit<S: SmtpStream>(
    stream: S,
    submission: &Submission<'_>,
    from: &str,
    to: &str,
    message: &[u8],
) -> Result<String, String> {
    let mut c = Conversation { stream, buffer: Vec::new() };
    let greeting = c.reply().await?;
    if greeting.code != 220 {
        return Err(format!("the server greeted {} {}", greeting.code, greeting.text));
    }
    let ehlo = format!("EHLO {}", submission.helo);
    let mut offered = c.command(&ehlo, "EHLO", &[250]).await?.text;
    if submission.tls == SmtpTls::StartTls {
        if !extension(&offered, "STARTTLS") {
            return Err("the server does not offer STARTTLS (SMTP_TLS=starttls)".into());
        }
        c.command("STARTTLS", "STARTTLS", &[220]).await?;
        // RFC 3207 §4.2: nothing said before TLS counts; start again.
        c = Conversation { stream: c.stream.start_tls().await?, buffer: Vec::new() };
        offered = c.command(&ehlo, "EHLO after STARTTLS", &[250]).await?.text;
    }
    if let Some((user, password)) = submission.credentials {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let mechanisms = offered.lines().find_map(|l| l.strip_prefix("AUTH ")).unwrap_or_default().to_owned();
        let has = |m: &str| mechanisms.split(' ').any(|x| x.eq_ignore_ascii_case(m));
        if has("PLAIN") {
            let token = b64(&format!("\0{user}\0{password}"));
            c.command(&format!("AUTH PLAIN {token}"), "AUTH PLAIN", &[235]).await?;
        } else if has("LOGIN") {
            c.command("AUTH LOGIN", "AUTH LOGIN", &[334]).await?;
            c.command(&b64(user), "the AUTH LOGIN user name", &[334]).await?;
            c.command(&b64(password), "the AUTH LOGIN password", &[235]).await?;
        } else {
            return Err(format!("the server offers no AUTH PLAIN or LOGIN (offered: `{mechanisms}`)"));
        }
    }
    c.command(&format!("MAIL FROM:<{from}>"), "MAIL FROM", &[250]).await?;
    c.command(&format!("RCPT TO:<{to}>"), "RCPT TO", &[250, 251]).await?;
    c.command("DATA", "DATA", &[354]).await?;
    c.stream.write_all(&dot_stuffed(message)).await?;
    let accepted = c.command(".", "the message", &[250]).await?;
    // The message is taken; a failed goodbye changes nothing.
    let _ = c.command("QUIT", "QUIT", &[221]).await;
    Ok(format!("250 {}", accepted.text))
}

/// Whether the EHLO reply lists `name` (one keyword per line, §4.1.1.1).
fn extension(ehlo: &str, name: &str) -> bool {
    ehlo.lines().any(|l| l.split(' ').next().is_some_and(|k| k.eq_ignore_ascii_case(name)))
}

/// §4.5.2: a line that starts with `.` gets another; the message ends with CRLF (the
/// terminating `.` line follows).
pub fn dot_stuffed(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 16);
    let mut line_start = true;
    for &b in message {
        if line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        line_start = b == b'\n';
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[cfg(test)]
mod tests;
