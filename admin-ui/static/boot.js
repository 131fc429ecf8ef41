// Loads the Leptos app. A separate file (not an inline script) so the page's
// Content-Security-Policy can forbid inline scripts.
import init from '/admin_ui.js';

init({ module_or_path: '/admin_ui_bg.wasm' });
