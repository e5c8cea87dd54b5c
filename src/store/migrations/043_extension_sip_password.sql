-- SIP credentials of extensions (docs/routing.md, "Provisioning"): the password a phone registers the extension's
-- PJSIP endpoint with, made by the engine at creation and shown once. Stored sealed (AES-256-GCM under the
-- engine's secrets key, src/tenants/secret-box.ts), not hashed: the engine pushes it to Asterisk again after
-- every Asterisk restart. Null: an extension made before this migration, with no password until one is reset.

ALTER TABLE extensions ADD COLUMN sip_password_sealed text CHECK (length(sip_password_sealed) <= 1000);
