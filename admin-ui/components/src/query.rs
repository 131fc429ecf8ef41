//! The page's query string for the public pages. They are reached by full page loads
//! (redirects from `/authorize`, mailed links, plain links), not by a client-side router,
//! so the query never changes while a page lives; reading it needs no router (which keeps
//! `leptos_router` out of the public module).

use web_sys::UrlSearchParams;

/// The current page's query parameters.
pub struct Params(Option<UrlSearchParams>);

impl Params {
    fn current() -> Params {
        let search = leptos::prelude::window().location().search().unwrap_or_default();
        Params(UrlSearchParams::new_with_str(&search).ok())
    }

    /// The first value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<String> {
        self.0.as_ref()?.get(name)
    }
}

/// A handle on the page's query, `Copy` so closures can capture it (the shape of
/// `leptos_router::hooks::use_query_map`'s memo, so pages read it the same way).
#[derive(Clone, Copy, Debug, Default)]
pub struct PageQuery;

impl PageQuery {
    pub fn with<R>(&self, f: impl FnOnce(&Params) -> R) -> R {
        f(&Params::current())
    }

    pub fn with_untracked<R>(&self, f: impl FnOnce(&Params) -> R) -> R {
        self.with(f)
    }
}

/// The page's query.
pub fn use_query_map() -> PageQuery {
    PageQuery
}
