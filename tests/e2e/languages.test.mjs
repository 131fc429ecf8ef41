// End-to-end: the pages and mail in the person's language (docs/i18n.md). In Chromium, an
// app's authorization request with ui_locales=es gets the sign-in page and consent in
// Spanish; a browser whose Accept-Language is French gets French, and the language
// switcher changes it (remembered across a reload); a sign-up on a French page gets its
// verification mail in French. Discovery lists the languages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as oidc from 'openid-client';
import { startWorker, launchChromium, startApp, pointDemoAppAt } from './harness.mjs';

const ADMIN_EMAIL = 'root@example.com';
const ADMIN_PASSWORD = 'e2e-admin-password-123';
const DEMO_SECRET = 'e2e-demo-secret-0123456789abcdef0123456789';
const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'target', 'e2e-screenshots');
let worker;
let browser;
let app;
let demo;

before(async () => {
  worker = await startWorker({ vars: { ADMIN_EMAIL, ADMIN_PASSWORD, DEMO_CLIENT_SECRET: DEMO_SECRET,
    RATE_LIMIT_LOGIN_MAX: '100' } });
  app = await startApp();
  await pointDemoAppAt(worker, app);
  demo = await oidc.discovery(new URL(worker.url), 'demo-app', undefined, oidc.ClientSecretBasic(DEMO_SECRET),
    { execute: [oidc.allowInsecureRequests] });
  browser = await launchChromium();
  await mkdir(SCREENSHOTS, { recursive: true });
});
after(async () => {
  await browser?.close();
  await worker?.stop();
  await app?.close();
});

const lang = (page) => page.evaluate(() => document.documentElement.lang);

test('OIDC Discovery §3: ui_locales_supported lists English, Spanish and French', async () => {
  const metadata = await (await fetch(`${worker.url}/.well-known/openid-configuration`)).json();
  assert.deepEqual(metadata.ui_locales_supported, ['en', 'es', 'fr']);
});

test('OIDC Core §3.1.2.1: ui_locales=es gives the sign-in page and consent in Spanish', async () => {
  const context = await browser.newContext(); // an English browser: the app's request decides
  const page = await context.newPage();
  const url = oidc.buildAuthorizationUrl(demo, { redirect_uri: app.callback, scope: 'openid email',
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256', state: 's', ui_locales: 'de es' });
  await page.goto(url.href);
  await page.getByRole('heading', { name: 'Inicia sesión para continuar en Demo App' }).waitFor();
  assert.equal(await lang(page), 'es');
  await page.screenshot({ path: join(SCREENSHOTS, 'signin-es.png') });
  await page.getByLabel('Correo electrónico').fill(ADMIN_EMAIL);
  await page.getByLabel('Contraseña').fill('not-the-password');
  await page.getByRole('button', { name: 'Iniciar sesión', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: 'El correo o la contraseña no son correctos' }).waitFor();
  await page.getByLabel('Contraseña').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Iniciar sesión', exact: true }).click();
  await page.waitForURL(/\/consent\?request=/);
  await page.getByRole('heading', { name: 'Demo App quiere acceder a tu cuenta' }).waitFor();
  await page.getByText('Ver tu dirección de correo electrónico').waitFor();
  assert.equal(await lang(page), 'es');
  await page.getByRole('button', { name: 'Permitir' }).waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'consent-es.png') });
  await context.close();
});

test('RFC 9110 §12.5.4: a French browser gets sign-in and consent in French; the switcher changes it and is remembered', async () => {
  const context = await browser.newContext({ locale: 'fr-FR' });
  const page = await context.newPage();
  await page.goto(`${worker.url}/signin`);
  await page.getByRole('heading', { name: 'Se connecter' }).waitFor();
  assert.equal(await lang(page), 'fr');
  await page.getByRole('link', { name: 'Mot de passe oublié ?' }).waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'signin-fr.png') });
  // The app's request without ui_locales: the browser's French, through consent.
  const url = oidc.buildAuthorizationUrl(demo, { redirect_uri: app.callback, scope: 'openid profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256', state: 's' });
  await page.goto(url.href);
  await page.getByRole('heading', { name: 'Connectez-vous pour continuer vers Demo App' }).waitFor();
  await page.getByLabel('Adresse e-mail').fill(ADMIN_EMAIL);
  await page.getByLabel('Mot de passe', { exact: true }).fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Se connecter', exact: true }).click();
  await page.getByRole('heading', { name: 'Demo App souhaite accéder à votre compte' }).waitFor();
  await page.getByText('Lire votre nom, votre photo et votre langue').waitFor();
  await page.getByRole('button', { name: 'Autoriser' }).waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'consent-fr.png') });
  await page.goto(`${worker.url}/signin`);
  await page.getByLabel('Langue').selectOption('en');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal(await lang(page), 'en');
  await page.reload();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal(await page.getByLabel('Language').inputValue(), 'en', 'the choice outlives the page');
  await context.close();
});

test('a sign-up on a French page gets its verification mail in French, and its link answers in French', async () => {
  const context = await browser.newContext({ locale: 'fr-FR' });
  const page = await context.newPage();
  await page.goto(`${worker.url}/signup`);
  await page.getByRole('heading', { name: 'Créez votre compte' }).waitFor();
  await page.getByLabel('Nom (facultatif)').fill('Éloïse');
  await page.getByLabel('Adresse e-mail').fill('eloise@example.com');
  await page.getByLabel('Mot de passe', { exact: true }).fill('un mot de passe assez long 1');
  await page.getByRole('button', { name: 'Créer le compte' }).click();
  await page.getByRole('status').filter({ hasText: 'Nous avons envoyé un lien de vérification à eloise@example.com' }).waitFor();
  await context.close();
  const [mail] = await worker.query("SELECT subject, text_body AS text, html_body AS html FROM mail_outbox WHERE to_address = 'eloise@example.com'");
  assert.equal(mail.subject, 'Vérifiez votre adresse e-mail');
  assert.match(mail.text, /^Vérifiez votre adresse e-mail\n\nBonjour Éloïse,/);
  assert.match(mail.text, /Ce lien expire dans \d+ heures\./);
  assert.match(mail.html, /<html lang="fr">/);
  const [user] = await worker.query("SELECT locale FROM users WHERE email = 'eloise@example.com'");
  assert.equal(user.locale, 'fr', 'the account keeps the language');
  // The link in the mail: its page answers in French too.
  const link = /(\/verify-email\?token=[\w-]+)/.exec(mail.text)[1];
  const verify = await browser.newContext({ locale: 'fr-FR' });
  const page2 = await verify.newPage();
  await page2.goto(`${worker.url}${link}`);
  await page2.getByRole('status').filter({ hasText: 'Votre adresse e-mail est vérifiée. Vous pouvez vous connecter.' }).waitFor();
  await page2.goto(`${worker.url}${link}`);
  await page2.getByRole('alert').filter({ hasText: 'Ce lien est invalide, a expiré ou a déjà été utilisé.' }).waitFor();
  await verify.close();
});

test('the account\'s saved language: the account page in Spanish in an English browser; device activation in French', async () => {
  await worker.query("UPDATE users SET locale = 'es' WHERE email = ?1", ADMIN_EMAIL);
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${worker.url}/signin?next=%2Faccount`);
  await page.getByLabel('Email').fill(ADMIN_EMAIL);
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: 'Tu cuenta' }).waitFor();
  assert.equal(await lang(page), 'es');
  await page.getByRole('heading', { name: 'Dónde tienes la sesión iniciada' }).waitFor();
  assert.equal(await page.locator('#profile-locale').inputValue(), 'es', 'the profile shows the saved language');
  await page.locator('#new-password-rules li').filter({ hasText: /^✗ Al menos \d+ caracteres/ }).waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'account-es.png'), fullPage: true });
  await context.close();

  const french = await browser.newContext({ locale: 'fr-FR' });
  const activate = await french.newPage();
  await activate.goto(`${worker.url}/activate`);
  await activate.getByRole('heading', { name: 'Connecter un appareil' }).waitFor();
  await activate.getByText('Saisissez le code affiché sur votre appareil.').waitFor();
  await activate.getByRole('button', { name: 'Continuer' }).waitFor();
  assert.equal(await activate.evaluate(() => document.documentElement.lang), 'fr');
  await french.close();
});

test('the pages the worker writes itself speak the browser\'s language: the error page in French', async () => {
  const res = await fetch(`${worker.url}/authorize?client_id=nobody&response_type=code`, {
    headers: { 'accept-language': 'fr-CH, fr;q=0.9, en;q=0.5' } });
  assert.equal(res.status, 400);
  const page = await res.text();
  assert.match(page, /<html lang="fr"/);
  assert.match(page, /Ce lien de connexion ne fonctionne pas/);
  assert.match(page, /Code d’erreur : <code>invalid_request<\/code>|Code d’erreur : <code>invalid_client<\/code>/);
  const english = await (await fetch(`${worker.url}/authorize?client_id=nobody&response_type=code`)).text();
  assert.match(english, /This sign-in link does not work/, 'DEFAULT_LOCALE without Accept-Language');
});
