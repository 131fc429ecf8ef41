//! Every refusal of a sign-in step, its code and its sentence, in one place. The
//! sentences say what the person can do; none says whether an account exists (the
//! unknown, wrong and locked cases share one answer, `identity::login`).

use shared::codes;
use shared::i18n::ENGLISH;
use shared::mfa::SignInStep;

use crate::engine::platform::error::ApiError;

/// The answer to every failed password sign-in, whatever the reason.
/// Its words are the catalogue's, so the pages say it in the person's language (docs/i18n.md).
pub const INVALID_CREDENTIALS: &str = ENGLISH.wrong_email_or_password;

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
            SignInError::EmailNotVerified => (403, codes::EMAIL_NOT_VERIFIED, ENGLISH.email_not_verified),
            SignInError::Expired(SignInStep::ChangePassword) => {
                (401, codes::MFA_CHALLENGE_EXPIRED, ENGLISH.password_challenge_expired)
            }
            SignInError::Expired(_) => (401, codes::MFA_CHALLENGE_EXPIRED, ENGLISH.challenge_expired),
            SignInError::WrongCode => (401, codes::INVALID_CODE, ENGLISH.wrong_code),
            SignInError::NotAnAppCode => (400, codes::INVALID_CODE, ENGLISH.code_shape),
            SignInError::OtherAccountsPasskey => (401, codes::INVALID_CREDENTIALS, ENGLISH.other_accounts_passkey),
        };
        ApiError::refused(status, code, description)
    }
}
