-- Mail templates an operator edited (docs/i18n.md, "Mail templates"): per template and
-- language, the three Jinja sources that replace the built-in ones. No row: built in.
CREATE TABLE mail_templates (
    name        TEXT NOT NULL,               -- verification, password-reset, welcome, ...
    locale      TEXT NOT NULL,               -- en, es, fr
    subject     TEXT NOT NULL,
    text_body   TEXT NOT NULL,
    html_body   TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    updated_by  TEXT NOT NULL,               -- the admin's user id or client id
    PRIMARY KEY (name, locale)
);
