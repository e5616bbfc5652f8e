-- ES256 signing epochs (DESIGN section 10): each epoch's public key, signed by the Orchestrator's root key, so every
-- service trusts an epoch only when its certificate verifies. The epochs of an upgraded installation (rotated under the
-- shared HS256 key) are certified by the Orchestrator at its next start (SigningKeyRing); no other row ever is.
ALTER TABLE auth_signing_epochs ADD COLUMN public_key text, ADD COLUMN certificate text,
    ADD COLUMN from_shared_key boolean NOT NULL DEFAULT false;
UPDATE auth_signing_epochs SET from_shared_key = true;
