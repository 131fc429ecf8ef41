//! The client form of the console's client screens: its fields as signals, the metadata
//! they say, and the rules of `shared::clients` checked live as the admin types.

use leptos::prelude::*;
use shared::clients::{ClientMetadata, ClientSettings, FAPI2};
use shared::oauth::{grant, REQUEST_OBJECT_SIGNING_ALGS};
use ui_components::api::get_json;

/// The form's fields, as signals.
#[derive(Clone, Copy)]
pub struct Fields {
    name: RwSignal<String>,
    auth_method: RwSignal<String>,
    application_type: RwSignal<String>,
    grants: RwSignal<Vec<String>>,
    redirect_uris: RwSignal<String>,
    post_logout: RwSignal<String>,
    scope: RwSignal<String>,
    logo_uri: RwSignal<String>,
    client_uri: RwSignal<String>,
    tos_uri: RwSignal<String>,
    policy_uri: RwSignal<String>,
    contacts: RwSignal<String>,
    backchannel_uri: RwSignal<String>,
    backchannel_sid: RwSignal<bool>,
    jwks: RwSignal<String>,
    jwks_uri: RwSignal<String>,
    resources: RwSignal<String>,
    dpop_bound: RwSignal<bool>,
    require_par: RwSignal<bool>,
    request_object_alg: RwSignal<String>,
    profile: RwSignal<String>,
}

fn lines(text: &str) -> Vec<String> {
    text.split(['\n', ',']).map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

impl Fields {
    pub fn new(s: &ClientSettings) -> Fields {
        let text = |v: &Option<String>| RwSignal::new(v.clone().unwrap_or_default());
        Fields {
            name: RwSignal::new(s.client_name.clone()),
            auth_method: RwSignal::new(s.token_endpoint_auth_method.clone()),
            application_type: RwSignal::new(s.application_type.clone()),
            grants: RwSignal::new(s.grant_types.clone()),
            redirect_uris: RwSignal::new(s.redirect_uris.join("\n")),
            post_logout: RwSignal::new(s.post_logout_redirect_uris.join("\n")),
            scope: RwSignal::new(s.scope.clone()),
            logo_uri: text(&s.logo_uri),
            client_uri: text(&s.client_uri),
            tos_uri: text(&s.tos_uri),
            policy_uri: text(&s.policy_uri),
            contacts: RwSignal::new(s.contacts.join("\n")),
            backchannel_uri: text(&s.backchannel_logout_uri),
            backchannel_sid: RwSignal::new(s.backchannel_logout_session_required),
            jwks: RwSignal::new(s.jwks.as_ref().map(|j| j.to_string()).unwrap_or_default()),
            jwks_uri: text(&s.jwks_uri),
            resources: RwSignal::new(s.allowed_resources.join("\n")),
            dpop_bound: RwSignal::new(s.dpop_bound_access_tokens),
            require_par: RwSignal::new(s.require_pushed_authorization_requests),
            request_object_alg: text(&s.request_object_signing_alg),
            profile: text(&s.security_profile),
        }
    }

    /// The metadata the form says; response types follow the grants (RFC 7591 §2.1).
    fn metadata(&self) -> ClientMetadata {
        let grants = self.grants.get();
        let mut response_types = Vec::new();
        if grants.iter().any(|g| g == "authorization_code") {
            response_types.push("code".to_string());
        }
        if grants.iter().any(|g| g == "implicit") {
            response_types.extend(["id_token".to_string(), "id_token token".to_string()]);
        }
        ClientMetadata {
            client_name: Some(self.name.get()),
            token_endpoint_auth_method: Some(self.auth_method.get()),
            application_type: Some(self.application_type.get()),
            grant_types: Some(grants),
            response_types: Some(response_types),
            redirect_uris: Some(lines(&self.redirect_uris.get())),
            post_logout_redirect_uris: Some(lines(&self.post_logout.get())),
            scope: Some(self.scope.get()),
            logo_uri: Some(self.logo_uri.get()),
            client_uri: Some(self.client_uri.get()),
            tos_uri: Some(self.tos_uri.get()),
            policy_uri: Some(self.policy_uri.get()),
            contacts: Some(lines(&self.contacts.get())),
            backchannel_logout_uri: Some(self.backchannel_uri.get()),
            backchannel_logout_session_required: Some(self.backchannel_sid.get()),
            // Not JSON: kept as a string, which the shared rules call "not a JWK set".
            jwks: Some(match self.jwks.get().trim() {
                "" => serde_json::json!({}),
                text => serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.to_owned())),
            }),
            jwks_uri: Some(self.jwks_uri.get()),
            allowed_resources: Some(lines(&self.resources.get())),
            dpop_bound_access_tokens: Some(self.dpop_bound.get()),
            require_pushed_authorization_requests: Some(self.require_par.get()),
            request_object_signing_alg: Some(self.request_object_alg.get()),
            security_profile: Some(self.profile.get()),
            ..Default::default()
        }
    }

    /// The rules the form breaks right now (scopes against the discovery document's).
    fn problems(&self, known: Option<Vec<String>>) -> Vec<String> {
        let settings = ClientSettings::new(&self.metadata(), "");
        settings.problems(known.as_deref()).into_iter().map(|p| p.message).collect()
    }
}

/// The scopes the server knows, from discovery.
fn known_scopes() -> LocalResource<Option<Vec<String>>> {
    LocalResource::new(|| async {
        let doc = get_json::<serde_json::Value>("/.well-known/openid-configuration").await.ok()?;
        doc.get("scopes_supported")?
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
    })
}

#[component]
pub fn ClientForm(
    fields: Fields,
    submit_label: &'static str,
    on_save: Callback<ClientMetadata>,
    busy: RwSignal<bool>,
) -> impl IntoView {
    let scopes = known_scopes();
    let problems = move || fields.problems(scopes.get().flatten());
    let touched = RwSignal::new(false);
    let text = move |id: &'static str, label: &'static str, signal: RwSignal<String>| {
        view! {
            <label for=id>{label}</label>
            <input id=id type="text" prop:value=signal on:input=move |ev| { touched.set(true); signal.set(event_target_value(&ev)); }/>
        }
    };
    let area = move |id: &'static str, label: &'static str, signal: RwSignal<String>| {
        view! {
            <label for=id>{label}</label>
            <textarea id=id rows="3" prop:value=signal on:input=move |ev| { touched.set(true); signal.set(event_target_value(&ev)); }></textarea>
        }
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        touched.set(true);
        if problems().is_empty() {
            on_save.run(fields.metadata());
        }
    };
    view! {
        <form class="form" on:submit=on_submit aria-label="Client settings">
            {text("client-name", "Name", fields.name)}
            <label for="auth-method">"Client authentication"</label>
            <select id="auth-method" prop:value=fields.auth_method on:change=move |ev| { touched.set(true); fields.auth_method.set(event_target_value(&ev)); }>
                <option value="client_secret_basic">"client_secret_basic (confidential)"</option>
                <option value="client_secret_post">"client_secret_post (confidential)"</option>
                <option value="client_secret_jwt">"client_secret_jwt (confidential: a JWT MACed with the secret)"</option>
                <option value="private_key_jwt">"private_key_jwt (confidential: a JWT signed with the client's key)"</option>
                <option value="none">"none (public: SPA, mobile, device)"</option>
            </select>
            <label for="application-type">"Application type"</label>
            <select id="application-type" prop:value=fields.application_type on:change=move |ev| { touched.set(true); fields.application_type.set(event_target_value(&ev)); }>
                <option value="web">"web (https redirect URIs)"</option>
                <option value="native">"native (mobile or desktop: app schemes, any loopback port)"</option>
            </select>
            <fieldset class="checks">
                <legend>"Grant types"</legend>
                {grant::ALL.iter().map(|grant| {
                    let grant = (*grant).to_string();
                    let id = format!("grant-{}", grant.replace([':', '_'], "-"));
                    let label_for = id.clone();
                    let (checked_grant, toggled_grant) = (grant.clone(), grant.clone());
                    view! {
                        <label for=label_for class="check">
                            <input id=id type="checkbox" prop:checked=move || fields.grants.get().contains(&checked_grant)
                                on:change=move |ev| {
                                    touched.set(true);
                                    let on = event_target_checked(&ev);
                                    fields.grants.update(|g| {
                                        g.retain(|x| x != &toggled_grant);
                                        if on { g.push(toggled_grant.clone()); }
                                    });
                                }/>
                            " "{grant}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            {area("redirect-uris", "Redirect URIs (one per line)", fields.redirect_uris)}
            {area("post-logout-uris", "Post-logout redirect URIs (one per line)", fields.post_logout)}
            {text("client-scope", "Scopes (space-separated)", fields.scope)}
            {text("logo-uri", "Logo URL (https)", fields.logo_uri)}
            {text("client-uri", "Home page (https)", fields.client_uri)}
            {text("tos-uri", "Terms of service (https)", fields.tos_uri)}
            {text("policy-uri", "Privacy policy (https)", fields.policy_uri)}
            {area("contacts", "Contacts (emails, one per line)", fields.contacts)}
            <Show when=move || fields.auth_method.get() == "private_key_jwt">
                {area("client-jwks", "Public keys: a JWK set (JSON), or leave empty and give a JWKS URL", fields.jwks)}
                {text("client-jwks-uri", "JWKS URL (https)", fields.jwks_uri)}
            </Show>
            <label for="dpop-bound" class="check">
                <input id="dpop-bound" type="checkbox" prop:checked=move || fields.dpop_bound.get()
                    on:change=move |ev| { touched.set(true); fields.dpop_bound.set(event_target_checked(&ev)); }/>
                " Tokens must be DPoP-bound (the app proves its key at every token request, RFC 9449)"
            </label>
            <label for="require-par" class="check">
                <input id="require-par" type="checkbox" prop:checked=move || fields.require_par.get()
                    on:change=move |ev| { touched.set(true); fields.require_par.set(event_target_checked(&ev)); }/>
                " Authorization requests must be pushed first (PAR, RFC 9126)"
            </label>
            <label for="request-object-alg">"Request objects signed with (RFC 9101)"</label>
            <select id="request-object-alg" prop:value=fields.request_object_alg on:change=move |ev| { touched.set(true); fields.request_object_alg.set(event_target_value(&ev)); }>
                <option value="">"any of the server's algorithms"</option>
                {REQUEST_OBJECT_SIGNING_ALGS.iter().map(|alg| view! { <option value=*alg>{*alg}</option> }).collect_view()}
            </select>
            <label for="security-profile">"Security profile"</label>
            <select id="security-profile" prop:value=fields.profile on:change=move |ev| {
                touched.set(true);
                let chosen = event_target_value(&ev);
                // Choosing FAPI 2.0 turns on what it requires, as the server does.
                if chosen == FAPI2 {
                    fields.require_par.set(true);
                    fields.dpop_bound.set(true);
                }
                fields.profile.set(chosen);
            }>
                <option value="">"none"</option>
                <option value=FAPI2>"FAPI 2.0 Security Profile (PAR, DPoP, private_key_jwt, 60-second codes)"</option>
            </select>
            {area("allowed-resources", "Resources it may ask tokens for (identifiers, one per line; empty: any)", fields.resources)}
            {text("backchannel-uri", "Back-channel logout URI (told when a session ends)", fields.backchannel_uri)}
            <label for="backchannel-sid" class="check">
                <input id="backchannel-sid" type="checkbox" prop:checked=move || fields.backchannel_sid.get()
                    on:change=move |ev| { touched.set(true); fields.backchannel_sid.set(event_target_checked(&ev)); }/>
                " The app needs the session id (sid) in logout tokens"
            </label>
            <ul class="problems error" role="alert" aria-live="polite" aria-label="Problems">
                {move || touched.get().then(|| problems().into_iter().map(|p| view! { <li>{p}</li> }).collect_view())}
            </ul>
            <button type="submit" class="btn btn-primary" disabled=move || busy.get() || (touched.get() && !problems().is_empty())>{submit_label}</button>
        </form>
    }
}
