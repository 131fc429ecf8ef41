//! The person's half of the device flow (RFC 8628 §3.3): `/activate` looks up the code
//! they typed, shows what the device asks for, and records Allow or Deny.
//!
//! Wrong codes are limited per client address (`USER_CODE_FAILURES` a minute; §5.1 asks
//! for brute-force protection) and each is audited as `device.user_code_rejected`.

use serde_json::json;
use shared::account::Message;
use shared::device::DeviceRequestDetails;

use crate::engine::clients::ClientStore;
use crate::engine::identity::rate_limit::{self, Bucket};
use crate::engine::identity::sessions::Session;
use crate::engine::identity::users::User;
use crate::engine::oauth::device::{normalize_user_code, user_code_hash, DeviceAnswer, DeviceCode, DeviceStore};
use crate::engine::oauth::scope::describe_scopes;
use crate::engine::oauth::scope::ScopeStore;
use crate::engine::ops::audit::{AuditEvent, AuditStore};
use crate::engine::platform::error::ApiError;
use crate::engine::platform::ports::SqlRunner;
use crate::engine::platform::request::{request_context_view, Platform, RequestContext};
use crate::engine::tables::session_clients;

/// Wrong user codes allowed per client address per minute.
pub const USER_CODE_FAILURES: (u32, u32) = (5, 60);

pub struct Activation<'a, P: Platform> {
    pub rc: RequestContext<'a, P>,
}

request_context_view!(Activation);

fn unknown_code() -> ApiError {
    ApiError::bad_request("invalid_user_code", "That code is not valid or has expired. Check the code on your device.")
}

impl<P: Platform> Activation<'_, P> {
    fn caller(&self) -> &str {
        self.meta.ip_address.as_deref().unwrap_or("unknown")
    }

    /// The live request behind a typed code, and the code in canonical form.
    async fn find(&self, typed: &str) -> Result<(DeviceCode, String), ApiError> {
        rate_limit::check(self.kv, Bucket::UserCode, self.caller(), USER_CODE_FAILURES, self.now).await?;
        let found = match normalize_user_code(typed) {
            Some(code) => {
                let hash = user_code_hash(self.config, &code)?;
                self.store.pending_by_user_code(&hash, self.now).await?.map(|row| (row, code))
            }
            None => None,
        };
        match found {
            Some(found) => Ok(found),
            None => {
                rate_limit::count_failure(self.kv, Bucket::UserCode, self.caller(), USER_CODE_FAILURES, self.now)
                    .await?;
                let event = AuditEvent::new("device.user_code_rejected", self.meta, self.now, self.rng)?;
                self.store.record(&event).await?;
                Err(unknown_code())
            }
        }
    }

    /// `POST /api/device/lookup`: what the device that shows this code asks for.
    pub async fn lookup(&self, typed: &str) -> Result<DeviceRequestDetails, ApiError> {
        let (row, code) = self.find(typed).await?;
        let Some((client, _)) = self.store.client_with_secrets(&row.client_id).await? else {
            return Err(unknown_code());
        };
        let described = self.store.scope_descriptions().await?;
        let scopes = describe_scopes(row.scope.split(' ').filter(|s| !s.is_empty()), &described);
        Ok(DeviceRequestDetails {
            user_code: code,
            client_id: client.client_id,
            client_name: client.client_name,
            logo_uri: client.logo_uri,
            scopes,
        })
    }

    /// `POST /api/device/decision`: the signed-in person allows (`device.approved`) or
    /// denies (`device.denied`) the device's request. Only scopes this person may hold are
    /// granted (no `admin` for a plain user).
    pub async fn decide(&self, typed: &str, allow: bool, user: &User, session: &Session) -> Result<Message, ApiError> {
        let (row, _) = self.find(typed).await?;
        let requested: Vec<String> = row.scope.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect();
        let scope = user.grantable(&requested).join(" ");
        let amr = session.amr.join(" ");
        let answer = DeviceAnswer {
            user_code_hash: &row.user_code_hash,
            approve: allow,
            user_id: &user.id,
            scope: &scope,
            auth_time: session.auth_time,
            amr: &amr,
            session_id: &session.id_hash,
        };
        if !self.store.decide_device_code(&answer, self.now).await? {
            // Answered in another tab, or expired, since the lookup.
            return Err(unknown_code());
        }
        let name = if allow { "device.approved" } else { "device.denied" };
        let event = AuditEvent::new(name, self.meta, self.now, self.rng)?
            .actor("user", &user.id)
            .resource("client", &row.client_id)
            .metadata(json!({ "scope": scope }));
        let mut statements = vec![event.statement()];
        if allow {
            // OIDC Back-Channel Logout: the device's client is told when this session ends.
            statements.push(session_clients::insert(&session.id_hash, &row.client_id, self.now));
        }
        self.store.batch(&statements).await?;
        let message = if allow {
            "Your device is connected. You can return to your device."
        } else {
            "The request was denied. You can return to your device."
        };
        Ok(Message { message: message.into() })
    }
}

#[cfg(test)]
mod tests {
    use pollster::block_on;

    use super::*;
    use crate::engine::clients::{AuthMethod, ClientType};
    use crate::engine::oauth::device::{device_code_hash, DeviceStatus, POLL_INTERVAL};
    use crate::engine::ops::audit::RequestMeta;
    use crate::engine::platform::config::Config;
    use crate::engine::platform::error::ErrorResponse;
    use crate::engine::platform::ports::UnixTime;
    use crate::engine::test_support::{alice, context_of, dev_vars};
    use crate::native::{MemoryKv, SqliteStore};
    use shared::oauth::grant;

    const NOW: UnixTime = 1_800_000_000;

    fn setup() -> (Config, SqliteStore, MemoryKv) {
        let vars = dev_vars();
        let config = Config::load(&|n: &'static str| vars.get(n).cloned()).unwrap();
        let store = SqliteStore::open_in_memory().unwrap();
        let mut tv = crate::engine::test_support::confidential(AuthMethod::None);
        tv.client_id = "tv".into();
        tv.client_name = "Living Room TV".into();
        tv.client_type = ClientType::Public;
        tv.grant_types = vec![grant::DEVICE_CODE.into()];
        tv.scopes = vec!["openid".into(), "admin".into()];
        block_on(store.ensure_client(&tv, None, 0)).unwrap();
        let code = DeviceCode {
            device_code_hash: device_code_hash("device"),
            user_code_hash: user_code_hash(&config, "WDJB-MJHT").unwrap(),
            client_id: "tv".into(),
            scope: "openid admin".into(),
            status: DeviceStatus::Pending,
            user_id: None,
            auth_time: None,
            amr: None,
            session_id: None,
            interval: POLL_INTERVAL,
            last_polled_at: None,
            created_at: NOW,
            expires_at: NOW + 300,
            resources: Default::default(),
        };
        assert!(block_on(store.insert_device_code(&code)).unwrap());
        (config, store, MemoryKv::default())
    }

    fn session() -> Session {
        Session {
            id_hash: "session-hash".into(),
            user_id: alice().id,
            auth_time: NOW - 60,
            auth_time_ms: None,
            amr: vec!["pwd".into()],
            created_at: NOW - 60,
            last_seen_at: NOW,
            expires_at: NOW + 3600,
            ip_address: None,
            user_agent: None,
            location: None,
        }
    }

    #[test]
    fn rfc8628_3_3_a_typed_code_shows_the_client_and_scopes_and_allow_records_the_user() {
        let (config, store, kv) = setup();
        let meta = RequestMeta::default();
        let a = Activation { rc: context_of(&config, &store, &kv, &meta, NOW) };
        let details = block_on(a.lookup("wdjbmjht")).unwrap();
        assert_eq!(details.user_code, "WDJB-MJHT");
        assert_eq!(details.client_name, "Living Room TV");
        assert_eq!(details.scopes.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["openid", "admin"]);
        block_on(a.decide("WDJB-MJHT", true, &alice(), &session())).unwrap();
        let row = block_on(store.device_code(&device_code_hash("device"))).unwrap().unwrap();
        assert_eq!(row.status, DeviceStatus::Approved);
        assert_eq!(row.user_id, Some(alice().id));
        assert_eq!(row.scope, "openid", "a plain user cannot grant admin");
        assert_eq!(row.auth_time, Some(NOW - 60));
        let again = block_on(a.decide("WDJB-MJHT", false, &alice(), &session())).unwrap_err();
        assert_eq!(again.code(), "invalid_user_code", "answered once");
        let events: Vec<String> =
            store.audit_events().unwrap().iter().map(|e| e["event"].as_str().unwrap().to_owned()).collect();
        assert!(events.contains(&"device.approved".to_owned()));
    }

    #[test]
    fn rfc8628_5_1_wrong_codes_are_audited_and_throttled_per_address() {
        let (config, store, kv) = setup();
        let meta = RequestMeta { ip_address: Some("203.0.113.5".into()), user_agent: None, location: None };
        let a = Activation { rc: context_of(&config, &store, &kv, &meta, NOW) };
        for wrong in ["BBBB-BBBB", "nonsense", "CCCC-CCCC", "DDDD-DDDD", "FFFF-FFFF"] {
            assert_eq!(block_on(a.lookup(wrong)).unwrap_err().code(), "invalid_user_code", "{wrong}");
        }
        let throttled = block_on(a.lookup("WDJB-MJHT")).unwrap_err();
        assert_eq!(throttled.status(), 429, "even the right code waits out the minute");
        let rejected =
            store.audit_events().unwrap().iter().filter(|e| e["event"] == "device.user_code_rejected").count();
        assert_eq!(rejected, 5);
        let other = RequestMeta { ip_address: Some("198.51.100.1".into()), user_agent: None, location: None };
        let b = Activation { rc: RequestContext { meta: &other, ..a.rc } };
        assert!(block_on(b.lookup("WDJB-MJHT")).is_ok(), "another address is not held back");
    }
}
