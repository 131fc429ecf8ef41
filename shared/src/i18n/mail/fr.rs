//! Courriels en français.

use super::{MailCatalogue, Source};

pub const MAIL: MailCatalogue = MailCatalogue {
    welcome: Source {
        subject: "Bienvenue sur {{ app_name }}",
        text: "Bienvenue sur {{ app_name }}\n\n{% if user.name %}Bonjour {{ user.name }},{% else %}Bonjour,{% endif %}\n\n\
Votre adresse e-mail est vérifiée et votre compte est prêt.\n\
Vous pouvez maintenant vous connecter à toutes les applications qui utilisent ce service.\n{{ url }}\n\n\
Bienvenue,\nL’équipe {{ app_name }}\n",
        html: "<h1>Bienvenue sur {{ app_name }}</h1>\n<p>{% if user.name %}Bonjour {{ user.name }},{% else %}Bonjour,{% endif %}</p>\n\
<p>Votre adresse e-mail est vérifiée et votre compte est prêt.</p>\n\
<p>Vous pouvez maintenant vous connecter à toutes les applications qui utilisent ce service.</p>\n\
{{ button(url, \"Voir votre compte\") }}\n<p>Bienvenue,<br>L’équipe {{ app_name }}</p>\n",
    },
    verification: Source {
        subject: "Vérifiez votre adresse e-mail",
        text: "Vérifiez votre adresse e-mail\n\n{% if user.name %}Bonjour {{ user.name }},{% else %}Bonjour,{% endif %}\n\n\
Confirmez que cette adresse est bien la vôtre pour terminer la création de votre compte {{ app_name }} :\n{{ url }}\n\n\
Ce lien expire dans {{ expires_in }}.\nSi vous n’avez pas créé de compte, ignorez cet e-mail.\n",
        html: "<h1>Vérifiez votre adresse e-mail</h1>\n<p>{% if user.name %}Bonjour {{ user.name }},{% else %}Bonjour,{% endif %}</p>\n\
<p>Confirmez que cette adresse est bien la vôtre pour terminer la création de votre compte {{ app_name }} :</p>\n\
{{ button(url, \"Vérifier l’adresse\") }}\n<p>Ce lien expire dans {{ expires_in }}.</p>\n\
<p>Si vous n’avez pas créé de compte, ignorez cet e-mail.</p>\n",
    },
    password_reset: Source {
        subject: "Réinitialisez votre mot de passe",
        text: "Réinitialisez votre mot de passe\n\n{% if user.name %}Bonjour {{ user.name }},{% else %}Bonjour,{% endif %}\n\n\
Ouvrez le lien ci-dessous pour réinitialiser votre mot de passe :\n{{ url }}\n\n\
Ce lien expire dans {{ expires_in }}.\nSi vous n’êtes pas à l’origine de cette demande, ignorez cet e-mail.\n",
        html: "<h1>Réinitialisez votre mot de passe</h1>\n<p>{% if user.name %}Bonjour {{ user.name }},{% else %}Bonjour,{% endif %}</p>\n\
<p>Ouvrez le lien ci-dessous pour réinitialiser votre mot de passe :</p>\n\
{{ button(url, \"Réinitialiser le mot de passe\") }}\n<p>Ce lien expire dans {{ expires_in }}.</p>\n\
<p>Si vous n’êtes pas à l’origine de cette demande, ignorez cet e-mail.</p>\n",
    },
    new_login: Source {
        subject: "Nouvelle connexion à votre compte {{ app_name }}",
        text: "Nouvelle connexion\n\nVotre compte vient d’être utilisé depuis un navigateur qu’il n’avait jamais \
utilisé.\nQuand : {{ when }}\nAdresse IP : {{ ip_address }}\nNavigateur : {{ device }}\n{% if location %}Lieu : {{ location }}\n{% endif %}{{ url }}\n\n\
Si ce n’était pas vous, changez votre mot de passe maintenant et fermez les sessions que vous ne reconnaissez pas.\n",
        html: "<h1>Nouvelle connexion</h1>\n<p>Votre compte vient d’être utilisé depuis un navigateur qu’il n’avait \
jamais utilisé.</p>\n<p>Quand : {{ when }}<br>Adresse IP : {{ ip_address }}<br>Navigateur : {{ device }}{% if location %}<br>Lieu : {{ location }}{% endif %}</p>\n\
{{ button(url, \"Voir vos sessions\") }}\n\
<p>Si ce n’était pas vous, changez votre mot de passe maintenant et fermez les sessions que vous ne reconnaissez \
pas.</p>\n",
    },
    mfa_enabled: Source {
        subject: "La validation en deux étapes est activée sur votre compte {{ app_name }}",
        text: "La validation en deux étapes est activée\n\nUne application d’authentification a été configurée pour \
votre compte : désormais, la connexion demande votre mot de passe et un code de l’application.\nQuand : {{ when }}\n\
Gardez vos codes de secours en lieu sûr : chacun permet de vous connecter une fois si vous perdez l’application.\n\
{{ url }}\n\nSi ce n’était pas vous, réinitialisez votre mot de passe maintenant et contactez l’assistance.\n",
        html: "<h1>La validation en deux étapes est activée</h1>\n<p>Une application d’authentification a été \
configurée pour votre compte : désormais, la connexion demande votre mot de passe et un code de l’application.</p>\n\
<p>Quand : {{ when }}</p>\n<p>Gardez vos codes de secours en lieu sûr : chacun permet de vous connecter une fois si \
vous perdez l’application.</p>\n{{ button(url, \"Voir votre compte\") }}\n\
<p>Si ce n’était pas vous, réinitialisez votre mot de passe maintenant et contactez l’assistance.</p>\n",
    },
    sign_in_method_changed: Source {
        subject: "Votre façon de vous connecter à {{ app_name }} a changé",
        text: "Votre façon de vous connecter a changé\n\n{{ change }}\nQuand : {{ when }}\nAdresse IP : {{ ip_address }}\n\
{{ url }}\n\nSi ce n’était pas vous, réinitialisez votre mot de passe maintenant : la réinitialisation vous permet \
de retirer les clés d’accès et les comptes liés que vous ne reconnaissez pas.\n",
        html: "<h1>Votre façon de vous connecter a changé</h1>\n<p>{{ change }}</p>\n\
<p>Quand : {{ when }}<br>Adresse IP : {{ ip_address }}</p>\n{{ button(url, \"Voir votre compte\") }}\n\
<p>Si ce n’était pas vous, réinitialisez votre mot de passe maintenant : la réinitialisation vous permet de retirer \
les clés d’accès et les comptes liés que vous ne reconnaissez pas.</p>\n",
    },
    test: Source {
        subject: "Message de test de {{ app_name }}",
        text: "Ceci est un message de test\n\n{{ sent_by }} l’a envoyé depuis la console d’administration pour vérifier \
que les e-mails de {{ app_name }} arrivent.\nQuand : {{ when }}\n\nAucune action n’est nécessaire.\n",
        html: "<h1>Ceci est un message de test</h1>\n<p>{{ sent_by }} l’a envoyé depuis la console d’administration \
pour vérifier que les e-mails de {{ app_name }} arrivent.</p>\n<p>Quand : {{ when }}</p>\n\
<p>Aucune action n’est nécessaire.</p>\n",
    },
    one_hour: "1 heure",
    hours: "{n} heures",
    one_minute: "1 minute",
    minutes: "{n} minutes",
    unknown: "inconnu",
    sent_by: "Cet e-mail vous a été envoyé par {app}.",
    rights: "Tous droits réservés.",
    passkey_added: "Une clé d’accès nommée « {name} » a été ajoutée : elle permet désormais de se connecter à votre compte.",
    passkey_removed: "Une clé d’accès a été supprimée : elle ne permet plus de se connecter, et vos autres sessions ont été fermées.",
    provider_linked: "La connexion avec {provider} a été liée à votre compte : elle vous connecte désormais.",
    provider_unlinked: "La connexion avec {provider} a été dissociée de votre compte, et vos autres sessions ont été fermées.",
    two_step_off: "La validation en deux étapes a été désactivée : l’application d’authentification et les codes de secours ne vous connectent plus, et vos autres sessions ont été fermées.",
    backup_codes_renewed: "De nouveaux codes de secours ont été créés ; les précédents ne fonctionnent plus.",
    password_changed: "Votre mot de passe a été changé, et vos autres sessions ont été fermées.",
    removed_after_reset: "Après la réinitialisation de votre mot de passe, ces moyens de connexion ont été supprimés : {items}.",
    a_passkey: "une clé d’accès",
    signing_in_with: "la connexion avec {provider}",
};
