//! The password policy, one implementation for both sides: the worker enforces it on
//! sign-up, reset and change; the SPA shows it live as a checklist while the person types.
//! Settings (docs/configuration.md): `PASSWORD_MIN_LENGTH`, `REQUIRE_UPPERCASE`,
//! `REQUIRE_LOWERCASE`, `REQUIRE_NUMBERS`, `REQUIRE_SPECIAL`, and `ADMIN_PASSWORD_MIN_LENGTH`
//! for admins and super_admins ([`PasswordPolicy::for_role`]).

use serde::{Deserialize, Serialize};

/// Longer inputs are refused before hashing: argon2 cost grows with the input, and no
/// person types more than this.
pub const MAX_PASSWORD_CHARS: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    pub min_length: u32,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub require_numbers: bool,
    pub require_special: bool,
    /// `ADMIN_PASSWORD_MIN_LENGTH`: the minimum for admins and super_admins (the larger of
    /// the two minimums applies to them).
    #[serde(default)]
    pub admin_min_length: u32,
}

/// One rule of the policy and whether a password meets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// "Be at least 12 characters": the checklist line; errors read "Password must …".
    pub rule: String,
    /// Which rule, for a screen that says it in another language (docs/i18n.md).
    pub kind: Rule,
    pub met: bool,
}

/// The rules of a password policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    MinLength(u32),
    MaxLength(usize),
    Uppercase,
    Lowercase,
    Number,
    Special,
}

impl PasswordPolicy {
    /// The policy for a person of this kind: an admin's minimum length is the larger of
    /// `min_length` and `admin_min_length`.
    pub fn for_role(&self, admin: bool) -> PasswordPolicy {
        let mut policy = self.clone();
        if admin {
            policy.min_length = policy.min_length.max(policy.admin_min_length);
        }
        policy
    }

    /// Every rule that applies, in the order the screens list them. Length counts
    /// characters, not bytes (NIST SP 800-63B §5.1.1.2).
    pub fn requirements(&self, password: &str) -> Vec<Requirement> {
        let chars = password.chars().count();
        let mut rules = vec![Requirement {
            rule: format!("Be at least {} characters", self.min_length),
            kind: Rule::MinLength(self.min_length),
            met: chars >= self.min_length as usize,
        }];
        if chars > MAX_PASSWORD_CHARS {
            rules.push(Requirement {
                rule: format!("Be at most {MAX_PASSWORD_CHARS} characters"),
                kind: Rule::MaxLength(MAX_PASSWORD_CHARS),
                met: false,
            });
        }
        let mut rule = |on: bool, kind: Rule, text: &str, test: fn(char) -> bool| {
            if on {
                rules.push(Requirement { rule: text.into(), kind, met: password.chars().any(test) });
            }
        };
        rule(self.require_uppercase, Rule::Uppercase, "Contain an uppercase letter", char::is_uppercase);
        rule(self.require_lowercase, Rule::Lowercase, "Contain a lowercase letter", char::is_lowercase);
        rule(self.require_numbers, Rule::Number, "Contain a number", |c| c.is_ascii_digit());
        rule(self.require_special, Rule::Special, "Contain a special character", |c| {
            !c.is_alphanumeric() && !c.is_whitespace()
        });
        rules
    }

    /// The rules `password` breaks, as sentences ("Password must be at least 12 characters").
    pub fn errors(&self, password: &str) -> Vec<String> {
        self.requirements(password)
            .into_iter()
            .filter(|r| !r.met)
            .map(|r| {
                let mut rule = r.rule;
                if let Some(first) = rule.get(..1) {
                    rule = format!("{}{}", first.to_lowercase(), rule.get(1..).unwrap_or_default());
                }
                format!("Password must {rule}")
            })
            .collect()
    }
}

/// `POST /api/validate-password`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatePasswordRequest {
    pub password: String,
}

/// `CHECK_COMMON_PASSWORDS`' complaint: the password is among the 10,000 most common (the
/// list is the worker's; the screens find this sentence in `/api/validate-password`'s answer).
pub const TOO_COMMON: &str = "This password is one of the most commonly used. Please choose a different password.";

/// The answer of `POST /api/validate-password` (docs/api.md, "Public": `{"valid","errors":[...]}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordValidation {
    pub valid: bool,
    pub errors: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed_policy() -> PasswordPolicy {
        PasswordPolicy {
            min_length: 12,
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: true,
            require_special: false,
            admin_min_length: 16,
        }
    }

    #[test]
    fn admins_need_the_larger_minimum() {
        let policy = seed_policy();
        assert_eq!(policy.for_role(false).min_length, 12);
        assert_eq!(policy.for_role(true).min_length, 16);
        assert_eq!(PasswordPolicy { admin_min_length: 8, ..seed_policy() }.for_role(true).min_length, 12);
        assert_eq!(policy.for_role(true).errors("Abcdefghijk1mn")[0], "Password must be at least 16 characters");
    }

    #[test]
    fn the_documented_example_password_misses_length_and_number() {
        // The checklist: ✗ at least 12 ✓ uppercase ✓ lowercase ✗ number.
        let rules = seed_policy().requirements("MyPassword");
        let met: Vec<(&str, bool)> = rules.iter().map(|r| (r.rule.as_str(), r.met)).collect();
        assert_eq!(
            met,
            vec![
                ("Be at least 12 characters", false),
                ("Contain an uppercase letter", true),
                ("Contain a lowercase letter", true),
                ("Contain a number", false),
            ]
        );
        assert_eq!(
            seed_policy().errors("MyPassword"),
            vec!["Password must be at least 12 characters", "Password must contain a number"]
        );
        assert!(seed_policy().errors("MyNewPassword123").is_empty());
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let policy = PasswordPolicy { min_length: 4, ..seed_policy() };
        let policy = PasswordPolicy { require_uppercase: false, require_numbers: false, ..policy };
        assert!(policy.errors("äöüß").is_empty(), "4 characters, 8 bytes");
        assert_eq!(policy.errors("äöü").len(), 1);
    }

    #[test]
    fn overlong_passwords_are_refused() {
        let policy = PasswordPolicy { min_length: 1, ..seed_policy() };
        let long = format!("Aa1{}", "x".repeat(MAX_PASSWORD_CHARS));
        assert_eq!(policy.errors(&long), vec![format!("Password must be at most {MAX_PASSWORD_CHARS} characters")]);
    }

    #[test]
    fn special_characters_are_neither_letters_digits_nor_spaces() {
        let policy = PasswordPolicy {
            min_length: 1,
            require_uppercase: false,
            require_lowercase: false,
            require_numbers: false,
            require_special: true,
            admin_min_length: 1,
        };
        assert_eq!(policy.errors("abc 123").len(), 1);
        assert!(policy.errors("abc-123").is_empty());
    }
}
