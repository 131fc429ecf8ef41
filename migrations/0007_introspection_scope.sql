-- RFC 7662 §4: a client may introspect the tokens issued to it; a resource server that
-- must introspect other clients' tokens is registered with this scope (an operator's
-- service account holding `admin` may as well).
INSERT INTO scopes (name, description, is_default, created_at) VALUES
    ('introspection', 'Check tokens issued to other applications (resource servers)', 0, 0);
