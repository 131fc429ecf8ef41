//! Admin tokens (docs/api.md, "Admin and account API"): an access token from this server
//! that carries the `admin` scope and whose subject is an active user with role `admin`
//! or `super_admin`, or a client an admin granted the `admin` scope (a service account
//! using client_credentials). Checked on every call: a demoted admin's token stops
//! working at once, not when it expires.

use crate::engine::clients::ClientStore;
use crate::engine::identity::users::{Role, User, UserStore, ADMIN_SCOPE};
use crate::engine::oauth::access_token::{self, RevocationStore, VerificationKeySource};
use crate::engine::oauth::userinfo::{check_binding, presented_token, BearerError, DpopPresentation};
use crate::engine::platform::config::Config;
use crate::engine::platform::error::ErrorResponse;
use crate::engine::platform::ports::{JwsSigner, SqlRunner, UnixTime};

/// Who is calling the admin API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminPrincipal {
    /// A signed-in admin, and the browser session their token was issued in (its `sid`;
    /// `None` for a token from a grant without a session).
    User(Box<User>, Option<String>),
    /// A service account's client_id.
    Client(String),
}

impl AdminPrincipal {
    /// A signed-in admin whose token names no session.
    pub fn user(user: User) -> AdminPrincipal {
        AdminPrincipal::User(Box::new(user), None)
    }

    /// The browser session the caller's token was issued in.
    pub fn session(&self) -> Option<&str> {
        match self {
            AdminPrincipal::User(_, session) => session.as_deref(),
            AdminPrincipal::Client(_) => None,
        }
    }

    /// A signed-in super_admin (never a service account): the only one who may read the
    /// outbox or change first-party and bootstrap clients.
    pub fn is_super_admin(&self) -> bool {
        matches!(self, AdminPrincipal::User(user, _) if user.role == Role::SuperAdmin)
    }

    /// For audit entries: actor type and id.
    pub fn actor(&self) -> (&'static str, &str) {
        match self {
            AdminPrincipal::User(user, _) => ("user", &user.id),
            AdminPrincipal::Client(id) => ("client", id),
        }
    }
}

/// `ADMIN_ALLOWED_IPS` (docs/security.md, "The admin API"): whether an admin call from
/// `address` (`CF-Connecting-IP`) is accepted. An empty list accepts any; with a list, an
/// unknown address is refused.
pub fn address_allowed(config: &Config, address: Option<&str>) -> bool {
    config.security.admin_allowed_ips.is_empty()
        || crate::engine::platform::net::listed(&config.security.admin_allowed_ips, address)
}

/// [`BearerError`] with the admin API's realm in its challenge (RFC 6750 §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminAuthError(pub BearerError);

impl From<BearerError> for AdminAuthError {
    fn from(e: BearerError) -> Self {
        AdminAuthError(e)
    }
}

impl From<crate::engine::platform::error::InternalError> for AdminAuthError {
    fn from(e: crate::engine::platform::error::InternalError) -> Self {
        AdminAuthError(BearerError::Internal(e))
    }
}

impl ErrorResponse for AdminAuthError {
    fn code(&self) -> &'static str {
        self.0.code()
    }
    fn status(&self) -> u16 {
        self.0.status()
    }
    fn description(&self) -> Option<String> {
        self.0.description()
    }
    fn log_detail(&self) -> Option<String> {
        self.0.log_detail()
    }
    fn www_authenticate(&self) -> Option<String> {
        self.0.www_authenticate().map(|c| c.replacen(r#"realm="userinfo""#, r#"realm="admin""#, 1))
    }
}

/// The admin behind the `Authorization` header, or the RFC 6750 error to answer. A
/// DPoP-bound admin token counts only with `Authorization: DPoP` and a proof of its key
/// (`dpop`, RFC 9449 §7), as at UserInfo.
#[allow(clippy::too_many_arguments)]
pub async fn admin_principal<S, C>(
    authorization: Option<&str>,
    dpop: Option<&DpopPresentation<'_>>,
    config: &Config,
    store: &S,
    signer: &C,
    keys: &impl VerificationKeySource<C::PublicKey>,
    now: UnixTime,
) -> Result<AdminPrincipal, AdminAuthError>
where
    S: UserStore + RevocationStore + ClientStore + SqlRunner,
    C: JwsSigner,
{
    let token = presented_token(authorization, None)?;
    let invalid = || BearerError::InvalidToken("the access token is invalid, expired or revoked".into());
    let Ok(claims) = access_token::verify(token, config, signer, keys, now).await? else {
        return Err(invalid().into());
    };
    // Revocation read while a DPoP proof's jti is recorded: one round trip, not two.
    let (revoked, bound) = futures_util::future::join(
        store.access_token_revoked(&claims),
        check_binding(&claims, token, dpop, store, signer, now),
    )
    .await;
    if revoked? {
        return Err(invalid().into());
    }
    bound?;
    if !claims.scope.split(' ').any(|s| s == ADMIN_SCOPE) {
        return Err(BearerError::InsufficientScope(ADMIN_SCOPE).into());
    }
    let not_admin = || BearerError::InsufficientScope(ADMIN_SCOPE).into();
    // client_credentials tokens name the client as their subject.
    if claims.sub == claims.client_id {
        return match store.client_with_secrets(&claims.client_id).await? {
            Some((client, _)) if client.scopes.iter().any(|s| s == ADMIN_SCOPE) => {
                Ok(AdminPrincipal::Client(client.client_id))
            }
            Some(_) => Err(not_admin()),
            None => Err(invalid().into()),
        };
    }
    match store.user_by_id(&claims.sub).await? {
        Some(user) if user.active && matches!(user.role, Role::Admin | Role::SuperAdmin) => {
            Ok(AdminPrincipal::User(Box::new(user), claims.sid.clone()))
        }
        Some(user) if user.active => Err(not_admin()),
        _ => Err(invalid().into()),
    }
}

#[cfg(test)]
mod tests {
    use pollster::block_on;

    use super::*;
    use crate::engine::clients::AuthMethod;
    use crate::engine::oauth::access_token::AccessTokenClaims;
    use crate::engine::platform::ports::SystemRandom;
    use crate::engine::test_support::alice;
    use crate::engine::test_support::confidential;
    use crate::engine::test_support::dev_vars;
    use crate::engine::test_support::{test_keys, TestKeys};
    use crate::native::{NativeSigner, SqliteStore};

    const NOW: UnixTime = 1_795_000_000;

    struct Fixture {
        config: Config,
        store: SqliteStore,
        keys: TestKeys,
    }

    fn fixture() -> Fixture {
        let vars = dev_vars();
        let config = Config::load(&|name: &'static str| vars.get(name).cloned()).unwrap();
        let store = SqliteStore::open_in_memory().unwrap();
        let keys = test_keys(&store, &config);
        Fixture { config, store, keys }
    }

    impl Fixture {
        fn token(&self, sub: &str, client_id: &str, scope: &str) -> String {
            let claims =
                AccessTokenClaims::new(&self.config, sub, client_id, scope, 3600, NOW * 1000, &SystemRandom).unwrap();
            block_on(claims.sign(&NativeSigner, &self.keys.key)).unwrap()
        }

        fn check(&self, authorization: Option<&str>) -> Result<AdminPrincipal, AdminAuthError> {
            block_on(admin_principal(authorization, None, &self.config, &self.store, &NativeSigner, &self.keys, NOW))
        }
    }

    #[test]
    fn rfc6750_3_no_token_is_a_bare_401_challenge_in_the_admin_realm() {
        let f = fixture();
        let e = f.check(None).unwrap_err();
        assert_eq!(e.status(), 401);
        assert_eq!(e.www_authenticate().as_deref(), Some(r#"Bearer realm="admin""#));
        let garbage = f.check(Some("Bearer not-a-jwt")).unwrap_err();
        assert_eq!(garbage.status(), 401);
        assert!(garbage.www_authenticate().unwrap().starts_with(r#"Bearer realm="admin", error="invalid_token""#));
    }

    #[test]
    fn only_active_admins_with_the_admin_scope_pass() {
        let f = fixture();
        let mut admin = alice();
        admin.role = Role::Admin;
        f.store.insert_user(&admin).unwrap();
        let with_scope = f.token(&admin.id, "authority-admin", "openid admin");
        assert_eq!(f.check(Some(&format!("Bearer {with_scope}"))).unwrap(), AdminPrincipal::user(admin.clone()));

        let without = f.token(&admin.id, "authority-admin", "openid profile");
        let e = f.check(Some(&format!("Bearer {without}"))).unwrap_err();
        assert_eq!((e.status(), e.code()), (403, "insufficient_scope"));

        f.store.deactivate_user(&admin.id).unwrap();
        assert_eq!(f.check(Some(&format!("Bearer {with_scope}"))).unwrap_err().status(), 401, "disabled: at once");
    }

    #[test]
    fn a_plain_user_holding_an_admin_scoped_token_is_refused() {
        let f = fixture();
        let user = alice();
        f.store.insert_user(&user).unwrap();
        let token = f.token(&user.id, "authority-admin", "admin");
        let e = f.check(Some(&format!("Bearer {token}"))).unwrap_err();
        assert_eq!((e.status(), e.code()), (403, "insufficient_scope"));
    }

    #[test]
    fn a_service_account_needs_the_admin_scope_in_its_registration() {
        let f = fixture();
        let mut service = confidential(AuthMethod::ClientSecretBasic);
        service.scopes.push(ADMIN_SCOPE.into());
        block_on(f.store.ensure_client(&service, None, NOW)).unwrap();
        let token = f.token(&service.client_id, &service.client_id, "admin");
        assert_eq!(f.check(Some(&format!("Bearer {token}"))).unwrap(), AdminPrincipal::Client(service.client_id));

        let unknown = f.token("ghost", "ghost", "admin");
        assert_eq!(f.check(Some(&format!("Bearer {unknown}"))).unwrap_err().status(), 401);
    }
}
