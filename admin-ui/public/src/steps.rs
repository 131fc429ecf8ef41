//! Where a sign-in goes after each answer: the step the server asks for next (the second
//! factor, enrolment, a password change), carrying the app's request or the page to
//! return to, else that destination itself.

use shared::mfa::SignInStep;
use shared::paths;
use ui_components::api::safe_next;
use ui_components::query::Params;

/// The destination once signed in: back to the app's request, a page of this site
/// (`?next=`), or the account page.
pub fn destination(query: &Params) -> String {
    match query.get("request") {
        Some(request) => format!("{}?request={request}&account=current", paths::AUTHORIZE_RESUME),
        None => safe_next(query.get("next")).unwrap_or_else(|| String::from("/account")),
    }
}

/// The query that carries the request (or the destination) through the steps.
fn carry(query: &Params) -> String {
    match query.get("request") {
        Some(request) => format!("request={request}"),
        None => format!("next={}", js_sys::encode_uri_component(&destination(query))),
    }
}

/// Where to go after an answer that says `step` comes next.
pub fn after(step: Option<SignInStep>, query: &Params) -> String {
    match step {
        None => destination(query),
        Some(SignInStep::Verify) => format!("{}?{}", paths::MFA_PAGE, carry(query)),
        Some(SignInStep::Enrol | SignInStep::EnrolSoon) => format!("{}?{}", paths::MFA_SETUP_PAGE, carry(query)),
        Some(SignInStep::ChangePassword) => format!("{}?{}", paths::PASSWORD_PAGE, carry(query)),
        Some(SignInStep::ChangePasswordSoon) => format!("{}?{}&soon=1", paths::PASSWORD_PAGE, carry(query)),
    }
}
