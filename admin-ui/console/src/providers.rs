//! `/admin/providers`: the identity providers people may sign in with (configured by
//! settings, so read-only here) and how many accounts use each (`GET /api/providers`).

use leptos::prelude::*;
use shared::admin::ProviderSummary;
use shared::paths;

use crate::calls::call;

#[derive(serde::Deserialize)]
struct ProviderList {
    data: Vec<ProviderSummary>,
}

fn protocol(name: &str) -> &'static str {
    match name {
        "openid_connect" => "OpenID Connect",
        "github" => "GitHub OAuth + REST API",
        "facebook" => "Facebook Login + Graph API",
        "apple" => "Sign in with Apple",
        _ => "other",
    }
}

#[component]
pub fn ProvidersList() -> impl IntoView {
    let providers = LocalResource::new(|| async {
        call::<ProviderList>("GET", paths::PROVIDERS, None).await.map(|l| l.map(|l| l.data).unwrap_or_default())
    });
    view! {
        <h1>"Sign-in providers"</h1>
        <p class="muted">"Other identity providers people may sign in with. They are set up by settings ("
            <code>"GOOGLE_OAUTH_ENABLED"</code>", … and "<code>"OIDC_PROVIDERS"</code>"), not here."</p>
        <section class="card">
            {move || match providers.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
                Some(Ok(list)) if list.is_empty() => {
                    view! { <p class="muted">"No providers are set up: people sign in with passwords and passkeys."</p> }.into_any()
                }
                Some(Ok(list)) => view! {
                    <table class="table">
                        <caption class="sr-only">"Sign-in providers"</caption>
                        <thead><tr><th scope="col">"Provider"</th><th scope="col">"Protocol"</th><th scope="col">"At"</th>
                            <th scope="col">"Set up by"</th><th scope="col">"Users"</th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|p| {
                                let by = if p.preset { format!("{}_OAUTH_ENABLED", p.name.to_uppercase()) } else { "OIDC_PROVIDERS".into() };
                                view! { <tr><td>{p.display_name}" "<code>{format!("/auth/{}", p.name)}</code></td>
                                    <td>{protocol(&p.protocol)}</td><td>{p.location}</td><td><code>{by}</code></td>
                                    <td>{p.users}</td></tr> }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
        </section>
    }
}
