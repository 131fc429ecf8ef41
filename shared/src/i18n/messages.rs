//! The keys of the message catalogue. Every language's file builds one [`Messages`]: a
//! key it leaves out does not compile, and `tests.rs` checks that each translation keeps
//! the English text's `{placeholders}`.

macro_rules! messages {
    ($($key:ident),* $(,)?) => {
        /// Every text of the public pages and of the server's answers to them, in one language.
        #[derive(Debug)]
        pub struct Messages {
            $(pub $key: &'static str,)*
        }

        impl Messages {
            /// `(key, text)` of every message, in declaration order (for the tests).
            pub fn entries(&self) -> Vec<(&'static str, &'static str)> {
                vec![$((stringify!($key), self.$key)),*]
            }
        }
    };
}

messages! {
    // The frame of every page.
    skip_to_content,
    language,
    theme_light,
    theme_dark,
    terms,
    privacy,
    support,
    legal,
    loading,
    // The start page and a path that is not a page.
    home_intro,
    home_nav,
    sign_in,
    create_an_account,
    your_account,
    admin_console,
    not_found_title,
    not_found_body,
    go_to_start,
    // Sign-in.
    sign_in_to_continue,
    email,
    password,
    signing_in,
    sign_in_with_passkey,
    forgot_password,
    choose_account,
    continue_as,
    use_another_account,
    continue_with,
    passkey_prompt_closed,
    passkey_already_here,
    passkey_unusable,
    // Consent.
    consent_title,
    signed_in_as,
    it_will_be_able_to,
    it_will_reach,
    allow,
    deny,
    self_registered_warning,
    you_go_back_to,
    document_warning,
    continue_only_if_you_trust,
    localhost_warning,
    scope_openid,
    scope_profile,
    scope_email,
    scope_address,
    scope_phone,
    scope_offline_access,
    // Sign-up.
    create_your_account,
    name_optional,
    creating_account,
    create_account,
    already_have_account,
    continue_to_sign_in,
    // The checklist of the password policy.
    password_requirements,
    requirement_met,
    requirement_not_met,
    rule_min_length,
    rule_max_length,
    rule_uppercase,
    rule_lowercase,
    rule_number,
    rule_special,
    rule_not_common,
    // Recovery: forgot, reset, verify.
    reset_your_password,
    forgot_intro,
    send_reset_link,
    back_to_sign_in,
    choose_new_password,
    new_password,
    confirm_new_password,
    passwords_differ,
    reset_password,
    ask_new_link,
    reset_complete,
    verify_your_email,
    verify_needs_link,
    checking_link,
    enter_address_for_link,
    send_new_link,
    // The server's answers to those pages.
    signup_check_inbox,
    reset_link_sent,
    verification_link_sent,
    email_verified,
    password_was_reset,
    wrong_email_or_password,
    email_not_verified,
    account_locked,
    too_many_attempts,
    email_invalid,
}
