//! People: users, password sign-in, browser sessions, self-service accounts, CSRF,
//! rate limits and mail.

pub mod accounts;
pub mod csrf;
pub mod devices;
pub mod login;
pub mod mail;
pub mod mail_templates;
pub mod mfa;
pub mod passkeys;
pub mod password_expiry;
pub mod password_history;
pub mod password_rules;
pub mod rate_limit;
pub mod sessions;
pub mod signin;
pub mod users;
