//! Every refusal of a sign-in step, its code and its sentence, in one place. The
//! sentences say what the person can do; none says whether an account exists (the
//! unknown, wrong and locked cases share one answer, `identity::login`).

use shared::codes;
use shared::mfa::SignInStep;

use crate::engine::platform::error::ApiError;

/// The answer to every failed password sign-in, whatever the reason.
pub const INVALID_CREDENTIALS: &str = "The email or password is incorrect. After several failed attempts, \
sign-in to an account pauses for a while; resetting the password ends the pause.";

/// Why a step of a sign-in was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInError {
    /// Unknown address, wrong password, locked or disabled account: one answer.
    InvalidCredentials,
    /// `REQUIRE_EMAIL_VERIFICATION` and the address is not verified yet.
    EmailNotVerified,
    /// The pending sign-in (the `authority_mfa` cookie) is missing, expired or for
    /// another step; the step says which sentence.
    Expired(SignInStep),
    /// A wrong or spent code from the app or a backup code.
    WrongCode,
    /// Not a code of the app's shape (six digits).
    NotAnAppCode,
    /// A passkey of another account than the one signing in.
    OtherAccountsPasskey,
}

impl From<SignInError> for ApiError {
    fn from(e: SignInError) -> ApiError {
        let (status, code, description) = match e {
            SignInError::InvalidCredentials => (401, codes::INVALID_CREDENTIALS, INVALID_CREDENTIALS),
            SignInError::EmailNotVerified => (
                403,
                codes::EMAIL_NOT_VERIFIED,
                "Verify your email address first: follow the link in the message we sent you.",
            ),
            SignInError::Expired(SignInStep::ChangePassword) => (
                401,
                codes::MFA_CHALLENGE_EXPIRED,
                "The sign-in waiting for a new password has expired. Sign in again.",
            ),
            SignInError::Expired(_) => {
                (401, codes::MFA_CHALLENGE_EXPIRED, "The sign-in waiting for a code has expired. Sign in again.")
            }
            SignInError::WrongCode => (
                401,
                codes::INVALID_CODE,
                "That code is not right, or it was already used. Enter the current code from your app, or one of \
                 your backup codes.",
            ),
            SignInError::NotAnAppCode => (400, codes::INVALID_CODE, "Enter the six-digit code your app shows."),
            SignInError::OtherAccountsPasskey => {
                (401, codes::INVALID_CREDENTIALS, "This passkey belongs to another account than the one signing in.")
            }
        };
        ApiError::refused(status, code, description)
    }
}
