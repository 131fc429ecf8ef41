//! English mail.

use super::{MailCatalogue, Source};

pub const MAIL: MailCatalogue = MailCatalogue {
    welcome: Source {
        subject: "Welcome to {{ app_name }}",
        text: "Welcome to {{ app_name }}\n\n{% if user.name %}Hi {{ user.name }},{% else %}Hello,{% endif %}\n\n\
Your email address is verified and your account is ready.\n\
You can now sign in to every application that uses this service.\n{{ url }}\n\n\
Welcome aboard,\nThe {{ app_name }} team\n",
        html: "<h1>Welcome to {{ app_name }}</h1>\n<p>{% if user.name %}Hi {{ user.name }},{% else %}Hello,{% endif %}</p>\n\
<p>Your email address is verified and your account is ready.</p>\n\
<p>You can now sign in to every application that uses this service.</p>\n\
{{ button(url, \"View your account\") }}\n<p>Welcome aboard,<br>The {{ app_name }} team</p>\n",
    },
    verification: Source {
        subject: "Verify your email address",
        text: "Verify your email address\n\n{% if user.name %}Hi {{ user.name }},{% else %}Hello,{% endif %}\n\n\
Confirm that this address is yours to finish creating your {{ app_name }} account:\n{{ url }}\n\n\
This link expires in {{ expires_in }}.\nIf you did not create an account, ignore this email.\n",
        html: "<h1>Verify your email address</h1>\n<p>{% if user.name %}Hi {{ user.name }},{% else %}Hello,{% endif %}</p>\n\
<p>Confirm that this address is yours to finish creating your {{ app_name }} account:</p>\n\
{{ button(url, \"Verify email\") }}\n<p>This link expires in {{ expires_in }}.</p>\n\
<p>If you did not create an account, ignore this email.</p>\n",
    },
    password_reset: Source {
        subject: "Reset your password",
        text: "Reset your password\n\n{% if user.name %}Hi {{ user.name }},{% else %}Hello,{% endif %}\n\n\
Click the link below to reset your password:\n{{ url }}\n\n\
This link expires in {{ expires_in }}.\nIf you didn't request this, ignore this email.\n",
        html: "<h1>Reset your password</h1>\n<p>{% if user.name %}Hi {{ user.name }},{% else %}Hello,{% endif %}</p>\n\
<p>Click the link below to reset your password:</p>\n{{ button(url, \"Reset password\") }}\n\
<p>This link expires in {{ expires_in }}.</p>\n<p>If you didn't request this, ignore this email.</p>\n",
    },
    new_login: Source {
        subject: "New sign-in to your {{ app_name }} account",
        text: "New sign-in\n\nYour account was just signed in to from a browser it has not used before.\n\
When: {{ when }}\nIP address: {{ ip_address }}\nBrowser: {{ device }}\n{% if location %}Location: {{ location }}\n{% endif %}{{ url }}\n\n\
If this was not you, change your password now and sign out the sessions you do not recognise.\n",
        html: "<h1>New sign-in</h1>\n<p>Your account was just signed in to from a browser it has not used before.</p>\n\
<p>When: {{ when }}<br>IP address: {{ ip_address }}<br>Browser: {{ device }}{% if location %}<br>Location: {{ location }}{% endif %}</p>\n\
{{ button(url, \"Review your sessions\") }}\n\
<p>If this was not you, change your password now and sign out the sessions you do not recognise.</p>\n",
    },
    mfa_enabled: Source {
        subject: "Two-step sign-in is on for your {{ app_name }} account",
        text: "Two-step sign-in is on\n\nAn authenticator app was set up for your account: from now on, signing in \
takes your password and a code from the app.\nWhen: {{ when }}\n\
Keep your backup codes somewhere safe: each one signs you in once if the app is lost.\n{{ url }}\n\n\
If this was not you, reset your password now and contact support.\n",
        html: "<h1>Two-step sign-in is on</h1>\n<p>An authenticator app was set up for your account: from now on, \
signing in takes your password and a code from the app.</p>\n<p>When: {{ when }}</p>\n\
<p>Keep your backup codes somewhere safe: each one signs you in once if the app is lost.</p>\n\
{{ button(url, \"Review your account\") }}\n<p>If this was not you, reset your password now and contact support.</p>\n",
    },
    sign_in_method_changed: Source {
        subject: "How you sign in to {{ app_name }} changed",
        text: "How you sign in changed\n\n{{ change }}\nWhen: {{ when }}\nIP address: {{ ip_address }}\n{{ url }}\n\n\
If this was not you, reset your password now: the reset lets you remove passkeys and linked accounts you do not \
recognise.\n",
        html: "<h1>How you sign in changed</h1>\n<p>{{ change }}</p>\n<p>When: {{ when }}<br>IP address: {{ ip_address }}</p>\n\
{{ button(url, \"Review your account\") }}\n<p>If this was not you, reset your password now: the reset lets you \
remove passkeys and linked accounts you do not recognise.</p>\n",
    },
    test: Source {
        subject: "Test message from {{ app_name }}",
        text: "This is a test message\n\n{{ sent_by }} sent it from the admin console to check that {{ app_name }}'s \
mail arrives.\nWhen: {{ when }}\n\nNothing needs to be done.\n",
        html: "<h1>This is a test message</h1>\n<p>{{ sent_by }} sent it from the admin console to check that \
{{ app_name }}'s mail arrives.</p>\n<p>When: {{ when }}</p>\n<p>Nothing needs to be done.</p>\n",
    },
    one_hour: "1 hour",
    hours: "{n} hours",
    one_minute: "1 minute",
    minutes: "{n} minutes",
    unknown: "unknown",
    sent_by: "This email was sent by {app}.",
    rights: "All rights reserved.",
    passkey_added: "A passkey named “{name}” was added: it now signs in to your account.",
    passkey_removed: "A passkey was removed: it no longer signs in, and your other sessions were signed out.",
    provider_linked: "Signing in with {provider} was linked to your account: it now signs you in.",
    provider_unlinked: "Signing in with {provider} was unlinked from your account, and your other sessions were signed out.",
    two_step_off: "Two-step sign-in was turned off: the authenticator app and the backup codes no longer sign you in, and your other sessions were signed out.",
    backup_codes_renewed: "New backup codes were made; the earlier ones no longer work.",
    password_changed: "Your password was changed, and your other sessions were signed out.",
    removed_after_reset: "After your password reset, these ways to sign in were removed: {items}.",
    a_passkey: "a passkey",
    signing_in_with: "sign-in with {provider}",
};
