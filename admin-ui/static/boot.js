// Starts the page's Leptos app. Each page is a full page load, and the worker names the
// app's module in the page's <head> (a preload of `/<app>_bg.wasm`, chosen by
// `shared::paths::BrowserApp`): the public pages, the account's, or the admin console, so
// a person signing in to an app downloads neither of the others. A separate file (not an
// inline script) so the page's Content-Security-Policy can forbid inline scripts.
const named = document.querySelector('link[rel="preload"][type="application/wasm"]')?.getAttribute('href');
const app = named?.match(/^\/(\w+)_bg\.wasm$/)?.[1] ?? 'public';
// Everything at once, not one after another: this fetch takes the answer the <head>'s
// preload already asked for, beside the scripts. The people's passkey ceremonies
// (navigator.credentials) are plain JS.
const wasm = fetch(`/${app}_bg.wasm`);
const [{ default: init }] = await Promise.all([import(`/${app}.js`), app === 'console' ? null : import('/webauthn.js')]);
init({ module_or_path: wasm });
