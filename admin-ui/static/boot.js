// Loads one of the two Leptos apps: the admin console under /admin, the public pages
// everywhere else, so a person signing in to an app never downloads the console. A
// separate file (not an inline script) so the page's Content-Security-Policy can forbid
// inline scripts.
const path = location.pathname;
const app = path === '/admin' || path.startsWith('/admin/') ? 'console' : 'public';
// Everything at once, not one after another: the wasm module's download starts now (the
// page's <head> already asked for it, and this fetch takes that answer), beside the
// scripts. The public pages' passkey ceremonies (navigator.credentials) are plain JS.
const wasm = fetch(`/${app}_bg.wasm`);
const [{ default: init }] = await Promise.all([import(`/${app}.js`), app === 'public' ? import('/webauthn.js') : null]);
init({ module_or_path: wasm });
