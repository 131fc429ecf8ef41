// Loads one of the two Leptos apps: the admin console under /admin, the public pages
// everywhere else, so a person signing in to an app never downloads the console. A
// separate file (not an inline script) so the page's Content-Security-Policy can forbid
// inline scripts.
const path = location.pathname;
const app = path === '/admin' || path.startsWith('/admin/') ? 'console' : 'public';
// The public pages' passkey ceremonies (navigator.credentials) are plain JS.
if (app === 'public') await import('/webauthn.js');
const { default: init } = await import(`/${app}.js`);
init({ module_or_path: `/${app}_bg.wasm` });
