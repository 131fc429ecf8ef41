//! Correo en español.

use super::{MailCatalogue, Source};

pub const MAIL: MailCatalogue = MailCatalogue {
    welcome: Source {
        subject: "Te damos la bienvenida a {{ app_name }}",
        text: "Te damos la bienvenida a {{ app_name }}\n\n{% if user.name %}Hola, {{ user.name }}:{% else %}Hola:{% endif %}\n\n\
Tu dirección de correo está verificada y tu cuenta está lista.\n\
Ya puedes iniciar sesión en todas las aplicaciones que usan este servicio.\n{{ url }}\n\n\
Un saludo,\nEl equipo de {{ app_name }}\n",
        html: "<h1>Te damos la bienvenida a {{ app_name }}</h1>\n<p>{% if user.name %}Hola, {{ user.name }}:{% else %}Hola:{% endif %}</p>\n\
<p>Tu dirección de correo está verificada y tu cuenta está lista.</p>\n\
<p>Ya puedes iniciar sesión en todas las aplicaciones que usan este servicio.</p>\n\
{{ button(url, \"Ver tu cuenta\") }}\n<p>Un saludo,<br>El equipo de {{ app_name }}</p>\n",
    },
    verification: Source {
        subject: "Verifica tu dirección de correo",
        text: "Verifica tu dirección de correo\n\n{% if user.name %}Hola, {{ user.name }}:{% else %}Hola:{% endif %}\n\n\
Confirma que esta dirección es tuya para terminar de crear tu cuenta de {{ app_name }}:\n{{ url }}\n\n\
Este enlace caduca en {{ expires_in }}.\nSi no has creado ninguna cuenta, ignora este correo.\n",
        html: "<h1>Verifica tu dirección de correo</h1>\n<p>{% if user.name %}Hola, {{ user.name }}:{% else %}Hola:{% endif %}</p>\n\
<p>Confirma que esta dirección es tuya para terminar de crear tu cuenta de {{ app_name }}:</p>\n\
{{ button(url, \"Verificar correo\") }}\n<p>Este enlace caduca en {{ expires_in }}.</p>\n\
<p>Si no has creado ninguna cuenta, ignora este correo.</p>\n",
    },
    password_reset: Source {
        subject: "Restablece tu contraseña",
        text: "Restablece tu contraseña\n\n{% if user.name %}Hola, {{ user.name }}:{% else %}Hola:{% endif %}\n\n\
Abre el enlace siguiente para restablecer tu contraseña:\n{{ url }}\n\n\
Este enlace caduca en {{ expires_in }}.\nSi no lo has pedido tú, ignora este correo.\n",
        html: "<h1>Restablece tu contraseña</h1>\n<p>{% if user.name %}Hola, {{ user.name }}:{% else %}Hola:{% endif %}</p>\n\
<p>Abre el enlace siguiente para restablecer tu contraseña:</p>\n{{ button(url, \"Restablecer contraseña\") }}\n\
<p>Este enlace caduca en {{ expires_in }}.</p>\n<p>Si no lo has pedido tú, ignora este correo.</p>\n",
    },
    new_login: Source {
        subject: "Nuevo inicio de sesión en tu cuenta de {{ app_name }}",
        text: "Nuevo inicio de sesión\n\nSe acaba de iniciar sesión en tu cuenta desde un navegador que no había usado \
antes.\nCuándo: {{ when }}\nDirección IP: {{ ip_address }}\nNavegador: {{ device }}\n{% if location %}Ubicación: {{ location }}\n{% endif %}{{ url }}\n\n\
Si no has sido tú, cambia tu contraseña ahora y cierra las sesiones que no reconozcas.\n",
        html: "<h1>Nuevo inicio de sesión</h1>\n<p>Se acaba de iniciar sesión en tu cuenta desde un navegador que no \
había usado antes.</p>\n<p>Cuándo: {{ when }}<br>Dirección IP: {{ ip_address }}<br>Navegador: {{ device }}{% if location %}<br>Ubicación: {{ location }}{% endif %}</p>\n\
{{ button(url, \"Revisar tus sesiones\") }}\n\
<p>Si no has sido tú, cambia tu contraseña ahora y cierra las sesiones que no reconozcas.</p>\n",
    },
    mfa_enabled: Source {
        subject: "La verificación en dos pasos está activada en tu cuenta de {{ app_name }}",
        text: "La verificación en dos pasos está activada\n\nSe configuró una aplicación de autenticación en tu cuenta: \
a partir de ahora, iniciar sesión pide tu contraseña y un código de la aplicación.\nCuándo: {{ when }}\n\
Guarda tus códigos de respaldo en un lugar seguro: cada uno te permite iniciar sesión una vez si pierdes la \
aplicación.\n{{ url }}\n\nSi no has sido tú, restablece tu contraseña ahora y contacta con el soporte.\n",
        html: "<h1>La verificación en dos pasos está activada</h1>\n<p>Se configuró una aplicación de autenticación en \
tu cuenta: a partir de ahora, iniciar sesión pide tu contraseña y un código de la aplicación.</p>\n\
<p>Cuándo: {{ when }}</p>\n<p>Guarda tus códigos de respaldo en un lugar seguro: cada uno te permite iniciar sesión \
una vez si pierdes la aplicación.</p>\n{{ button(url, \"Revisar tu cuenta\") }}\n\
<p>Si no has sido tú, restablece tu contraseña ahora y contacta con el soporte.</p>\n",
    },
    sign_in_method_changed: Source {
        subject: "Ha cambiado cómo inicias sesión en {{ app_name }}",
        text: "Ha cambiado cómo inicias sesión\n\n{{ change }}\nCuándo: {{ when }}\nDirección IP: {{ ip_address }}\n\
{{ url }}\n\nSi no has sido tú, restablece tu contraseña ahora: al hacerlo podrás quitar las llaves de acceso y las \
cuentas vinculadas que no reconozcas.\n",
        html: "<h1>Ha cambiado cómo inicias sesión</h1>\n<p>{{ change }}</p>\n\
<p>Cuándo: {{ when }}<br>Dirección IP: {{ ip_address }}</p>\n{{ button(url, \"Revisar tu cuenta\") }}\n\
<p>Si no has sido tú, restablece tu contraseña ahora: al hacerlo podrás quitar las llaves de acceso y las cuentas \
vinculadas que no reconozcas.</p>\n",
    },
    test: Source {
        subject: "Mensaje de prueba de {{ app_name }}",
        text: "Este es un mensaje de prueba\n\n{{ sent_by }} lo envió desde la consola de administración para comprobar \
que el correo de {{ app_name }} llega.\nCuándo: {{ when }}\n\nNo hace falta hacer nada.\n",
        html: "<h1>Este es un mensaje de prueba</h1>\n<p>{{ sent_by }} lo envió desde la consola de administración \
para comprobar que el correo de {{ app_name }} llega.</p>\n<p>Cuándo: {{ when }}</p>\n<p>No hace falta hacer nada.</p>\n",
    },
    one_hour: "1 hora",
    hours: "{n} horas",
    one_minute: "1 minuto",
    minutes: "{n} minutos",
    unknown: "desconocido",
    sent_by: "{app} te ha enviado este correo.",
    rights: "Todos los derechos reservados.",
    passkey_added: "Se añadió una llave de acceso llamada «{name}»: ahora inicia sesión en tu cuenta.",
    passkey_removed: "Se eliminó una llave de acceso: ya no inicia sesión y se cerraron tus otras sesiones.",
    provider_linked: "Se vinculó el inicio de sesión con {provider} a tu cuenta: ahora te permite entrar.",
    provider_unlinked: "Se desvinculó el inicio de sesión con {provider} de tu cuenta y se cerraron tus otras sesiones.",
    two_step_off: "Se desactivó la verificación en dos pasos: la aplicación de autenticación y los códigos de respaldo ya no inician sesión, y se cerraron tus otras sesiones.",
    backup_codes_renewed: "Se generaron nuevos códigos de respaldo; los anteriores ya no sirven.",
    password_changed: "Se cambió tu contraseña y se cerraron tus otras sesiones.",
    removed_after_reset: "Tras restablecer tu contraseña, se eliminaron estas formas de iniciar sesión: {items}.",
    a_passkey: "una llave de acceso",
    signing_in_with: "el inicio de sesión con {provider}",
};
