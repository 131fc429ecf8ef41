//! The password rules a new password must meet, in one place for sign-up, change, reset,
//! validation and the admin API: the policy both sides share (`shared::password`, checked
//! live on the screens) and, with `CHECK_COMMON_PASSWORDS`, the 10,000 most common
//! passwords (worker/data/common-passwords.txt, source named there; the list stays in the
//! worker, so the screens ask `POST /api/validate-password` for this rule).

use std::cell::OnceCell;

use crate::engine::platform::config::Config;

pub use shared::password::TOO_COMMON;

const LIST: &str = include_str!("../../../data/common-passwords.txt");

thread_local! {
    /// The decoded list, sorted: built at the first check in this isolate (about 1 ms).
    static DECODED: OnceCell<Vec<String>> = const { OnceCell::new() };
}

/// Undoes the file's front coding: each line is the shared-prefix length (one character
/// of 0-9a-z) and the rest of the word.
fn decode(list: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::with_capacity(10_000);
    let mut previous = String::new();
    for line in list.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let mut chars = line.chars();
        let shared = chars.next().and_then(|c| c.to_digit(36)).unwrap_or(0) as usize;
        let mut word: String = previous.chars().take(shared).collect();
        word.push_str(chars.as_str());
        previous.clone_from(&word);
        words.push(word);
    }
    words
}

/// Whether `password` (case ignored) is among the most common.
pub fn is_common(password: &str) -> bool {
    let lowered = password.to_lowercase();
    DECODED.with(|cell| cell.get_or_init(|| decode(LIST)).binary_search(&lowered).is_ok())
}

/// Every rule `password` breaks, for an admin (`ADMIN_PASSWORD_MIN_LENGTH`) or not.
pub fn problems(config: &Config, password: &str, admin: bool) -> Vec<String> {
    let mut problems = config.security.password_policy.for_role(admin).errors(password);
    if config.security.check_common_passwords && is_common(password) {
        problems.push(TOO_COMMON.into());
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::test_support::fixtures::config_with;

    #[test]
    fn the_bundled_list_holds_ten_thousand_sorted_passwords() {
        let words = decode(LIST);
        assert_eq!(words.len(), 10_000);
        assert!(words.windows(2).all(|w| w[0] < w[1]), "sorted and unique, so binary search works");
        for common in ["123456", "password", "qwerty", "iloveyou", "trustno1", "qqqqqq1"] {
            assert!(is_common(common), "{common}");
        }
        assert!(is_common("PassWord"), "case is ignored");
        assert!(!is_common("correct horse battery staple"));
    }

    #[test]
    fn check_common_passwords_adds_the_rule_only_when_on() {
        let off = config_with(|v| {
            v.insert("PASSWORD_MIN_LENGTH", "8".into());
            v.insert("CHECK_COMMON_PASSWORDS", "false".into());
        });
        assert!(problems(&off, "baseball", false).is_empty());
        let on = config_with(|v| {
            v.insert("PASSWORD_MIN_LENGTH", "8".into());
            v.insert("CHECK_COMMON_PASSWORDS", "true".into());
        });
        assert_eq!(problems(&on, "baseball", false), vec![TOO_COMMON.to_owned()]);
        assert!(problems(&on, "a long enough password", false).is_empty());
    }
}
