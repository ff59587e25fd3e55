#include "signet/store/schema.h"

#include <string>
#include <utility>

namespace signet::store::schema {
namespace {

// Version 1. STRICT tables, so a value of the wrong type is an error rather than a conversion.
// CHECK constraints repeat validate.h's rules as a second line of defence (and for anyone who
// edits the file with the sqlite3 shell). Every foreign key has an index on its child columns so
// cascades do not scan.
//
// `meta.generation` is bumped by triggers on every configuration table, inside the writing
// transaction, whoever writes (this process, the admin CLI, even the sqlite3 shell): a server
// polls it to notice configuration changes (Store::generation). Refresh tokens and failed-login
// counters change on the request path and have no trigger, so they do not flush caches.
constexpr std::string_view kVersion1 = R"sql(
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) STRICT;
INSERT INTO meta (key, value) VALUES ('generation', 0);

CREATE TABLE apis (
  identifier TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  signing_algorithm TEXT NOT NULL CHECK (signing_algorithm IN ('RS256', 'PS256', 'ES256', 'EdDSA')),
  token_lifetime INTEGER NOT NULL CHECK (token_lifetime BETWEEN 1 AND 2592000),
  allow_offline_access INTEGER NOT NULL CHECK (allow_offline_access IN (0, 1)),
  token_profile TEXT NOT NULL CHECK (token_profile IN ('auth0', 'rfc9068')),
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE api_permissions (
  api TEXT NOT NULL REFERENCES apis (identifier) ON DELETE CASCADE,
  value TEXT NOT NULL,
  description TEXT NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY (api, value)
) STRICT;

CREATE TABLE applications (
  client_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  app_type TEXT NOT NULL CHECK (app_type IN ('m2m', 'regular_web', 'native', 'spa')),
  grant_types TEXT NOT NULL,
  token_endpoint_auth_method TEXT NOT NULL
    CHECK (token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post', 'none')),
  client_secret_hash BLOB NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;

-- AUTOINCREMENT: a deleted grant's id is never handed out again, so a script holding an old id
-- cannot change someone else's grant.
CREATE TABLE client_grants (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  client_id TEXT NOT NULL REFERENCES applications (client_id) ON DELETE CASCADE,
  audience TEXT NOT NULL REFERENCES apis (identifier) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  UNIQUE (client_id, audience)
) STRICT;
CREATE INDEX client_grants_audience ON client_grants (audience);

CREATE TABLE client_grant_scopes (
  grant_id INTEGER NOT NULL REFERENCES client_grants (id) ON DELETE CASCADE,
  api TEXT NOT NULL,
  scope TEXT NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY (grant_id, scope),
  FOREIGN KEY (api, scope) REFERENCES api_permissions (api, value) ON DELETE CASCADE
) STRICT;
CREATE INDEX client_grant_scopes_permission ON client_grant_scopes (api, scope);

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash TEXT NOT NULL,
  blocked INTEGER NOT NULL CHECK (blocked IN (0, 1)),
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE user_permissions (
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  api TEXT NOT NULL,
  permission TEXT NOT NULL,
  PRIMARY KEY (user_id, api, permission),
  FOREIGN KEY (api, permission) REFERENCES api_permissions (api, value) ON DELETE CASCADE
) STRICT;
CREATE INDEX user_permissions_permission ON user_permissions (api, permission);

-- At most one current and one next key per algorithm, enforced by the database itself.
CREATE TABLE signing_keys (
  kid TEXT PRIMARY KEY,
  algorithm TEXT NOT NULL CHECK (algorithm IN ('RS256', 'PS256', 'ES256', 'EdDSA')),
  state TEXT NOT NULL CHECK (state IN ('next', 'current', 'previous', 'revoked')),
  encrypted_private_key BLOB NOT NULL,
  public_jwk TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  rotated_at INTEGER
) STRICT;
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (algorithm) WHERE state = 'current';
CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (algorithm) WHERE state = 'next';

CREATE TABLE refresh_tokens (
  id TEXT PRIMARY KEY,
  token_hash BLOB NOT NULL UNIQUE,
  family_id TEXT NOT NULL,
  client_id TEXT NOT NULL REFERENCES applications (client_id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  audience TEXT NOT NULL REFERENCES apis (identifier) ON DELETE CASCADE,
  scopes TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  rotated_at INTEGER,
  revoked INTEGER NOT NULL CHECK (revoked IN (0, 1))
) STRICT;
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_client ON refresh_tokens (client_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_audience ON refresh_tokens (audience);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);

CREATE TABLE failed_logins (
  kind TEXT NOT NULL CHECK (kind IN ('user', 'client')),
  subject TEXT NOT NULL,
  address TEXT NOT NULL,
  count INTEGER NOT NULL,
  first_failure_at INTEGER NOT NULL,
  blocked_until INTEGER,
  PRIMARY KEY (kind, subject, address)
) STRICT;

CREATE TRIGGER apis_ins AFTER INSERT ON apis BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER apis_upd AFTER UPDATE ON apis BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER apis_del AFTER DELETE ON apis BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER api_permissions_ins AFTER INSERT ON api_permissions BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER api_permissions_upd AFTER UPDATE ON api_permissions BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER api_permissions_del AFTER DELETE ON api_permissions BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER applications_ins AFTER INSERT ON applications BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER applications_upd AFTER UPDATE ON applications BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER applications_del AFTER DELETE ON applications BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER client_grants_ins AFTER INSERT ON client_grants BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER client_grants_upd AFTER UPDATE ON client_grants BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER client_grants_del AFTER DELETE ON client_grants BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER client_grant_scopes_ins AFTER INSERT ON client_grant_scopes BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER client_grant_scopes_upd AFTER UPDATE ON client_grant_scopes BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER client_grant_scopes_del AFTER DELETE ON client_grant_scopes BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER users_ins AFTER INSERT ON users BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER users_upd AFTER UPDATE ON users BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER users_del AFTER DELETE ON users BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER user_permissions_ins AFTER INSERT ON user_permissions BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER user_permissions_upd AFTER UPDATE ON user_permissions BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER user_permissions_del AFTER DELETE ON user_permissions BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER signing_keys_ins AFTER INSERT ON signing_keys BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER signing_keys_upd AFTER UPDATE ON signing_keys BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER signing_keys_del AFTER DELETE ON signing_keys BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
)sql";

// Version 2: Auth0's "Add Permissions in the Access Token" switch per API (DESIGN.md "Tokens").
constexpr std::string_view kVersion2 = R"sql(
ALTER TABLE apis ADD COLUMN permissions_claim INTEGER NOT NULL DEFAULT 0
  CHECK (permissions_claim IN (0, 1));
)sql";

// Version 3: refresh tokens remember when they were rotated to the millisecond (a grace period
// compared in whole seconds admitted up to one second more, and a grace of 0 still admitted the
// same second), and keep their successor sealed for retries within the grace period.
constexpr std::string_view kVersion3 = R"sql(
UPDATE refresh_tokens SET rotated_at = rotated_at * 1000 WHERE rotated_at IS NOT NULL;
ALTER TABLE refresh_tokens ADD COLUMN successor_sealed BLOB;
CREATE INDEX refresh_tokens_family_rotated ON refresh_tokens (family_id, rotated_at);
)sql";

// Version 4: what the password grant's throttle needs (server/login_throttle.h): the addresses
// each user signed in from, and counting the accounts one address failed on.
constexpr std::string_view kVersion4 = R"sql(
CREATE TABLE sign_in_addresses (
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  address TEXT NOT NULL,
  last_sign_in_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, address)
) STRICT;
CREATE INDEX failed_logins_address ON failed_logins (kind, address);
)sql";

// Version 5: revisions (types.h Revision), what the Management API's ETags name. One counter in
// meta, bumped by the store at every create and update, so that no two writes ever share a
// revision, even of a record deleted and created again. Rows written before get distinct
// revisions from the same counter, in creation order. The console lists the newest failed logins
// and sign-ins; the indexes keep that from sorting the whole table.
constexpr std::string_view kVersion5 = R"sql(
ALTER TABLE apis ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE applications ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE client_grants ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
INSERT INTO meta (key, value) VALUES ('revision', 0);

UPDATE apis SET revision = n.base + n.rank FROM (
  SELECT rowid AS id, row_number() OVER (ORDER BY rowid) AS rank,
         (SELECT value FROM meta WHERE key = 'revision') AS base FROM apis) AS n
WHERE apis.rowid = n.id;
UPDATE meta SET value = value + (SELECT count(*) FROM apis) WHERE key = 'revision';

UPDATE applications SET revision = n.base + n.rank FROM (
  SELECT rowid AS id, row_number() OVER (ORDER BY rowid) AS rank,
         (SELECT value FROM meta WHERE key = 'revision') AS base FROM applications) AS n
WHERE applications.rowid = n.id;
UPDATE meta SET value = value + (SELECT count(*) FROM applications) WHERE key = 'revision';

UPDATE client_grants SET revision = n.base + n.rank FROM (
  SELECT id, row_number() OVER (ORDER BY id) AS rank,
         (SELECT value FROM meta WHERE key = 'revision') AS base FROM client_grants) AS n
WHERE client_grants.id = n.id;
UPDATE meta SET value = value + (SELECT count(*) FROM client_grants) WHERE key = 'revision';

UPDATE users SET revision = n.base + n.rank FROM (
  SELECT rowid AS id, row_number() OVER (ORDER BY rowid) AS rank,
         (SELECT value FROM meta WHERE key = 'revision') AS base FROM users) AS n
WHERE users.rowid = n.id;
UPDATE meta SET value = value + (SELECT count(*) FROM users) WHERE key = 'revision';

CREATE INDEX failed_logins_first_failure ON failed_logins (first_failure_at);
CREATE INDEX sign_in_addresses_time ON sign_in_addresses (last_sign_in_at);
)sql";

// Version 6: sign-in (docs/sign-in.md). Applications gain their redirect, logout and CORS URLs
// (newline-separated: validate.h keeps control characters out of them), private_key_jwt keys, and
// an auth_method column that admits the new methods. SQLite cannot change the CHECK of the old
// column without rebuilding the table, and dropping it would cascade through the foreign keys of
// grants and refresh tokens; so the old column stays, written with a value it accepts, and is no
// longer read. Clients that took the old default (client_secret_post) now accept HTTP Basic too,
// the new default: before this version the default and a pinned client_secret_post were stored
// alike, and both are secret methods of the same strength.
constexpr std::string_view kVersion6 = R"sql(
ALTER TABLE applications ADD COLUMN auth_method TEXT NOT NULL DEFAULT 'client_secret_basic_or_post'
  CHECK (auth_method IN ('client_secret_basic', 'client_secret_post', 'none',
                         'client_secret_basic_or_post', 'private_key_jwt'));
UPDATE applications SET auth_method = CASE token_endpoint_auth_method
  WHEN 'client_secret_post' THEN 'client_secret_basic_or_post'
  ELSE token_endpoint_auth_method END;
ALTER TABLE applications ADD COLUMN callbacks TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN allowed_logout_urls TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN web_origins TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN jwks TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN jwks_uri TEXT NOT NULL DEFAULT '';

CREATE TABLE authorization_codes (
  code_hash BLOB PRIMARY KEY,
  client_id TEXT NOT NULL REFERENCES applications (client_id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  redirect_uri TEXT NOT NULL,
  code_challenge TEXT NOT NULL,
  audience TEXT NOT NULL,
  scopes TEXT NOT NULL,
  nonce TEXT NOT NULL,
  refresh_family_id TEXT NOT NULL,
  auth_time INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
) STRICT;
CREATE INDEX authorization_codes_expires ON authorization_codes (expires_at);
CREATE INDEX authorization_codes_client ON authorization_codes (client_id);
CREATE INDEX authorization_codes_user ON authorization_codes (user_id);

CREATE TABLE browser_sessions (
  id_hash BLOB PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  auth_time INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX browser_sessions_user ON browser_sessions (user_id);
CREATE INDEX browser_sessions_expires ON browser_sessions (expires_at);
CREATE INDEX browser_sessions_last_seen ON browser_sessions (last_seen_at);

CREATE TABLE client_assertions (
  client_id TEXT NOT NULL REFERENCES applications (client_id) ON DELETE CASCADE,
  jti TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (client_id, jti)
) STRICT;
CREATE INDEX client_assertions_expires ON client_assertions (expires_at);
)sql";

// Version 6 for PostgreSQL: the whole schema as SQLite has it after version 6, so that the
// statements of sql_*.cc read and write both alike.
// - Integers are bigint (SQLite's INTEGER), booleans 0/1 bigints with the same CHECKs, blobs
//   bytea. Tables that statements order by insertion get an identity column named `rowid`, the
//   name of SQLite's implicit one, so `ORDER BY rowid` means the same on both.
// - users.email is unique ASCII case-insensitively, as SQLite's COLLATE NOCASE makes it:
//   signet_ascii_lower folds only A-Z, whatever the database's locale, so both databases agree on
//   which emails are the same.
// - The generation counter is bumped by row triggers on the configuration tables, as in SQLite,
//   and each change also notifies the `signet_configuration` channel, so replicas that LISTEN
//   learn of it at commit instead of at their next poll.
// - applications.token_endpoint_auth_method is SQLite's column from before version 6, kept so
//   that the shared INSERT and UPDATE statements fit; auth_method is the one read.
constexpr std::string_view kPostgresVersion6 = R"sql(
CREATE FUNCTION signet_ascii_lower(t text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT translate(t, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') $$;

CREATE TABLE meta (
  key text PRIMARY KEY,
  value bigint NOT NULL
);
INSERT INTO meta (key, value) VALUES ('generation', 0), ('revision', 0);

CREATE TABLE apis (
  identifier text PRIMARY KEY,
  name text NOT NULL,
  signing_algorithm text NOT NULL CHECK (signing_algorithm IN ('RS256', 'PS256', 'ES256', 'EdDSA')),
  token_lifetime bigint NOT NULL CHECK (token_lifetime BETWEEN 1 AND 2592000),
  allow_offline_access bigint NOT NULL CHECK (allow_offline_access IN (0, 1)),
  token_profile text NOT NULL CHECK (token_profile IN ('auth0', 'rfc9068')),
  created_at bigint NOT NULL,
  permissions_claim bigint NOT NULL DEFAULT 0 CHECK (permissions_claim IN (0, 1)),
  revision bigint NOT NULL DEFAULT 0,
  rowid bigint GENERATED BY DEFAULT AS IDENTITY UNIQUE
);

CREATE TABLE api_permissions (
  api text NOT NULL REFERENCES apis (identifier) ON DELETE CASCADE,
  value text NOT NULL,
  description text NOT NULL,
  position bigint NOT NULL,
  PRIMARY KEY (api, value)
);

CREATE TABLE applications (
  client_id text PRIMARY KEY,
  name text NOT NULL,
  app_type text NOT NULL CHECK (app_type IN ('m2m', 'regular_web', 'native', 'spa')),
  grant_types text NOT NULL,
  token_endpoint_auth_method text NOT NULL
    CHECK (token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post', 'none')),
  client_secret_hash bytea NOT NULL,
  created_at bigint NOT NULL,
  revision bigint NOT NULL DEFAULT 0,
  auth_method text NOT NULL DEFAULT 'client_secret_basic_or_post'
    CHECK (auth_method IN ('client_secret_basic', 'client_secret_post', 'none',
                           'client_secret_basic_or_post', 'private_key_jwt')),
  callbacks text NOT NULL DEFAULT '',
  allowed_logout_urls text NOT NULL DEFAULT '',
  web_origins text NOT NULL DEFAULT '',
  jwks text NOT NULL DEFAULT '',
  jwks_uri text NOT NULL DEFAULT '',
  rowid bigint GENERATED BY DEFAULT AS IDENTITY UNIQUE
);

-- An identity is never handed out again, as SQLite's AUTOINCREMENT: a script holding an old id
-- cannot change someone else's grant.
CREATE TABLE client_grants (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  client_id text NOT NULL REFERENCES applications (client_id) ON DELETE CASCADE,
  audience text NOT NULL REFERENCES apis (identifier) ON DELETE CASCADE,
  created_at bigint NOT NULL,
  revision bigint NOT NULL DEFAULT 0,
  UNIQUE (client_id, audience)
);
CREATE INDEX client_grants_audience ON client_grants (audience);

CREATE TABLE client_grant_scopes (
  grant_id bigint NOT NULL REFERENCES client_grants (id) ON DELETE CASCADE,
  api text NOT NULL,
  scope text NOT NULL,
  position bigint NOT NULL,
  PRIMARY KEY (grant_id, scope),
  FOREIGN KEY (api, scope) REFERENCES api_permissions (api, value) ON DELETE CASCADE
);
CREATE INDEX client_grant_scopes_permission ON client_grant_scopes (api, scope);

CREATE TABLE users (
  id text PRIMARY KEY,
  email text NOT NULL,
  password_hash text NOT NULL,
  blocked bigint NOT NULL CHECK (blocked IN (0, 1)),
  created_at bigint NOT NULL,
  revision bigint NOT NULL DEFAULT 0,
  rowid bigint GENERATED BY DEFAULT AS IDENTITY UNIQUE
);
CREATE UNIQUE INDEX users_email ON users (signet_ascii_lower(email));

CREATE TABLE user_permissions (
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  api text NOT NULL,
  permission text NOT NULL,
  PRIMARY KEY (user_id, api, permission),
  FOREIGN KEY (api, permission) REFERENCES api_permissions (api, value) ON DELETE CASCADE
);
CREATE INDEX user_permissions_permission ON user_permissions (api, permission);

CREATE TABLE signing_keys (
  kid text PRIMARY KEY,
  algorithm text NOT NULL CHECK (algorithm IN ('RS256', 'PS256', 'ES256', 'EdDSA')),
  state text NOT NULL CHECK (state IN ('next', 'current', 'previous', 'revoked')),
  encrypted_private_key bytea NOT NULL,
  public_jwk text NOT NULL,
  created_at bigint NOT NULL,
  rotated_at bigint,
  rowid bigint GENERATED BY DEFAULT AS IDENTITY UNIQUE
);
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (algorithm) WHERE state = 'current';
CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (algorithm) WHERE state = 'next';

CREATE TABLE refresh_tokens (
  id text PRIMARY KEY,
  token_hash bytea NOT NULL UNIQUE,
  family_id text NOT NULL,
  client_id text NOT NULL REFERENCES applications (client_id) ON DELETE CASCADE,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  audience text NOT NULL REFERENCES apis (identifier) ON DELETE CASCADE,
  scopes text NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  rotated_at bigint,
  revoked bigint NOT NULL CHECK (revoked IN (0, 1)),
  successor_sealed bytea
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_client ON refresh_tokens (client_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_audience ON refresh_tokens (audience);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);
CREATE INDEX refresh_tokens_family_rotated ON refresh_tokens (family_id, rotated_at);

CREATE TABLE failed_logins (
  kind text NOT NULL CHECK (kind IN ('user', 'client')),
  subject text NOT NULL,
  address text NOT NULL,
  count bigint NOT NULL,
  first_failure_at bigint NOT NULL,
  blocked_until bigint,
  PRIMARY KEY (kind, subject, address)
);
CREATE INDEX failed_logins_address ON failed_logins (kind, address);
CREATE INDEX failed_logins_first_failure ON failed_logins (first_failure_at);

CREATE TABLE sign_in_addresses (
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  address text NOT NULL,
  last_sign_in_at bigint NOT NULL,
  PRIMARY KEY (user_id, address)
);
CREATE INDEX sign_in_addresses_time ON sign_in_addresses (last_sign_in_at);

CREATE TABLE authorization_codes (
  code_hash bytea PRIMARY KEY,
  client_id text NOT NULL REFERENCES applications (client_id) ON DELETE CASCADE,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  redirect_uri text NOT NULL,
  code_challenge text NOT NULL,
  audience text NOT NULL,
  scopes text NOT NULL,
  nonce text NOT NULL,
  refresh_family_id text NOT NULL,
  auth_time bigint NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  used_at bigint
);
CREATE INDEX authorization_codes_expires ON authorization_codes (expires_at);
CREATE INDEX authorization_codes_client ON authorization_codes (client_id);
CREATE INDEX authorization_codes_user ON authorization_codes (user_id);

CREATE TABLE browser_sessions (
  id_hash bytea PRIMARY KEY,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  auth_time bigint NOT NULL,
  last_seen_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  rowid bigint GENERATED BY DEFAULT AS IDENTITY UNIQUE
);
CREATE INDEX browser_sessions_user ON browser_sessions (user_id);
CREATE INDEX browser_sessions_expires ON browser_sessions (expires_at);
CREATE INDEX browser_sessions_last_seen ON browser_sessions (last_seen_at);

CREATE TABLE client_assertions (
  client_id text NOT NULL REFERENCES applications (client_id) ON DELETE CASCADE,
  jti text NOT NULL,
  expires_at bigint NOT NULL,
  PRIMARY KEY (client_id, jti)
);
CREATE INDEX client_assertions_expires ON client_assertions (expires_at);

CREATE FUNCTION signet_configuration_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE meta SET value = value + 1 WHERE key = 'generation';
  PERFORM pg_notify('signet_configuration', '');
  RETURN NULL;
END
$$;
CREATE TRIGGER apis_changed AFTER INSERT OR UPDATE OR DELETE ON apis
  FOR EACH ROW EXECUTE FUNCTION signet_configuration_changed();
CREATE TRIGGER api_permissions_changed AFTER INSERT OR UPDATE OR DELETE ON api_permissions
  FOR EACH ROW EXECUTE FUNCTION signet_configuration_changed();
CREATE TRIGGER applications_changed AFTER INSERT OR UPDATE OR DELETE ON applications
  FOR EACH ROW EXECUTE FUNCTION signet_configuration_changed();
CREATE TRIGGER client_grants_changed AFTER INSERT OR UPDATE OR DELETE ON client_grants
  FOR EACH ROW EXECUTE FUNCTION signet_configuration_changed();
CREATE TRIGGER client_grant_scopes_changed AFTER INSERT OR UPDATE OR DELETE ON client_grant_scopes
  FOR EACH ROW EXECUTE FUNCTION signet_configuration_changed();
CREATE TRIGGER users_changed AFTER INSERT OR UPDATE OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION signet_configuration_changed();
CREATE TRIGGER user_permissions_changed AFTER INSERT OR UPDATE OR DELETE ON user_permissions
  FOR EACH ROW EXECUTE FUNCTION signet_configuration_changed();
CREATE TRIGGER signing_keys_changed AFTER INSERT OR UPDATE OR DELETE ON signing_keys
  FOR EACH ROW EXECUTE FUNCTION signet_configuration_changed();
)sql";

// Version 7: the event log (docs/operations.md "Event log"). No foreign keys: the record of what a
// client or user did outlives them. AUTOINCREMENT so an id is never reused, even after retention
// has deleted every row: a follower that read up to id N must never miss a later event.
// Indexes serve the listing filters, newest first.
constexpr std::string_view kVersion7 = R"sql(
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  date INTEGER NOT NULL,
  type TEXT NOT NULL,
  description TEXT NOT NULL,
  client_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  audience TEXT NOT NULL,
  scope TEXT NOT NULL,
  error TEXT NOT NULL,
  ip TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  details TEXT NOT NULL
) STRICT;
CREATE INDEX events_date ON events (date);
CREATE INDEX events_type ON events (type, id);
CREATE INDEX events_client ON events (client_id, id);
CREATE INDEX events_user ON events (user_id, id);
)sql";

// Version 7 for PostgreSQL: the same table; an identity column never gives a value twice either.
constexpr std::string_view kPostgresVersion7 = R"sql(
CREATE TABLE events (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  date bigint NOT NULL,
  type text NOT NULL,
  description text NOT NULL,
  client_id text NOT NULL,
  user_id text NOT NULL,
  audience text NOT NULL,
  scope text NOT NULL,
  error text NOT NULL,
  ip text NOT NULL,
  user_agent text NOT NULL,
  details text NOT NULL
);
CREATE INDEX events_date ON events (date);
CREATE INDEX events_type ON events (type, id);
CREATE INDEX events_client ON events (client_id, id);
CREATE INDEX events_user ON events (user_id, id);
)sql";

// Version 8: DPoP (RFC 9449). An application may require sender-constrained access tokens
// (§5.2 `dpop_bound_access_tokens`), and an API may require them for its audience; both are off
// for every existing row. A refresh token, and the authorization code a public client's first
// one comes from (§10 `dpop_jkt`), remember the JWK SHA-256 thumbprint they are bound to, empty
// when unbound: nothing issued before DPoP is bound.
constexpr std::string_view kVersion8 = R"sql(
ALTER TABLE applications ADD COLUMN dpop_bound_access_tokens INTEGER NOT NULL DEFAULT 0
  CHECK (dpop_bound_access_tokens IN (0, 1));
ALTER TABLE apis ADD COLUMN require_dpop INTEGER NOT NULL DEFAULT 0
  CHECK (require_dpop IN (0, 1));
ALTER TABLE refresh_tokens ADD COLUMN jkt TEXT NOT NULL DEFAULT '';
ALTER TABLE authorization_codes ADD COLUMN dpop_jkt TEXT NOT NULL DEFAULT '';
)sql";

// Version 8 for PostgreSQL: the same columns, as bigint like every other integer there.
constexpr std::string_view kPostgresVersion8 = R"sql(
ALTER TABLE applications ADD COLUMN dpop_bound_access_tokens bigint NOT NULL DEFAULT 0
  CHECK (dpop_bound_access_tokens IN (0, 1));
ALTER TABLE apis ADD COLUMN require_dpop bigint NOT NULL DEFAULT 0
  CHECK (require_dpop IN (0, 1));
ALTER TABLE refresh_tokens ADD COLUMN jkt text NOT NULL DEFAULT '';
ALTER TABLE authorization_codes ADD COLUMN dpop_jkt text NOT NULL DEFAULT '';
)sql";

// Version 9: DPoP proofs used (RFC 9449 §11.1), shared by every replica, so that a proof accepted
// by one is refused by all: the keyed hash of the proof's thumbprint and jti, and when the proof
// goes stale (after which its iat refuses it anyway, and the row may go).
constexpr std::string_view kVersion9 = R"sql(
CREATE TABLE dpop_proofs (
  id_hash TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX dpop_proofs_expires ON dpop_proofs (expires_at);
)sql";

constexpr std::string_view kPostgresVersion9 = R"sql(
CREATE TABLE dpop_proofs (
  id_hash text PRIMARY KEY,
  expires_at bigint NOT NULL
);
CREATE INDEX dpop_proofs_expires ON dpop_proofs (expires_at);
)sql";

constexpr Migration kMigrations[] = {
    {1, "tenant tables, generation counter and its triggers", kVersion1, {}},
    {2, "the permissions claim switch of APIs", kVersion2, {}},
    {3, "refresh-token rotation times in milliseconds and sealed successors", kVersion3, {}},
    {4, "sign-in addresses, failed logins by address", kVersion4, {}},
    {5, "record revisions, recent failed logins and sign-ins", kVersion5, {}},
    {6, "sign-in: application URLs and keys, codes, browser sessions, client assertions", kVersion6,
     kPostgresVersion6},
    {7, "the event log", kVersion7, kPostgresVersion7},
    {8, "DPoP: required per application and API, refresh tokens and codes bound to a key",
     kVersion8, kPostgresVersion8},
    {9, "DPoP proofs used, shared by every replica", kVersion9, kPostgresVersion9},
};

// A database written by a newer signet may hold tables or values this one would misread.
StoreError schema_too_new(int version, int latest) {
  return StoreError{StoreErrorCode::kSchemaTooNew,
                    "the database has schema version " + std::to_string(version) +
                        " but this signet knows versions up to " + std::to_string(latest) +
                        "; upgrade signet to open it"};
}

}  // namespace

std::span<const Migration> migrations() {
  return kMigrations;
}

int latest_version() {
  return kMigrations[std::size(kMigrations) - 1].version;
}

Result<int, StoreError> schema_version(sql::Connection& db) {
  if (db.dialect() == sql::Dialect::kSqlite) {
    auto version = db.query_integer("PRAGMA user_version", "PRAGMA user_version returned no row");
    if (!version) {
      return fail(version.error());
    }
    return static_cast<int>(*version);
  }
  // No table yet: a database signet never migrated.
  auto exists = db.query_integer(
      "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = "
      "current_schema() AND tablename = 'schema_version'",
      "counting tables returned no row");
  if (!exists) {
    return fail(exists.error());
  }
  if (*exists == 0) {
    return 0;
  }
  auto version = db.query_integer("SELECT coalesce(max(version), 0) FROM schema_version",
                                  "schema_version returned no row");
  if (!version) {
    return fail(version.error());
  }
  return static_cast<int>(*version);
}

namespace {

// PostgreSQL: while one process migrates, others wait, and each step's transaction begins
// after the previous process's last commit, so that it reads the version that commit wrote. The
// lock is the session's, taken before any transaction begins: a serializable transaction's
// snapshot is taken at its first statement, so a lock taken inside it would come too late. A
// process that dies releases it with its connection. SQLite's BEGIN IMMEDIATE already holds its
// write lock when the transaction reads anything.
class MigrationLock {
 public:
  static Result<MigrationLock, StoreError> take(sql::Connection& db) {
    if (db.dialect() == sql::Dialect::kSqlite) {
      return MigrationLock{nullptr};
    }
    if (auto r = db.exec("SELECT pg_advisory_lock(" + std::string(kLockKey) + ")"); !r) {
      return fail(r.error());
    }
    MigrationLock lock{&db};
    if (auto r = db.exec("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)");
        !r) {
      return fail(r.error());
    }
    return lock;
  }
  MigrationLock(MigrationLock&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  MigrationLock(const MigrationLock&) = delete;
  MigrationLock& operator=(const MigrationLock&) = delete;
  MigrationLock& operator=(MigrationLock&&) = delete;
  ~MigrationLock() {
    if (db_ != nullptr) {
      // A connection that cannot unlock is broken, and its session (with the lock) ends.
      (void)db_->exec("SELECT pg_advisory_unlock(" + std::string(kLockKey) + ")");
    }
  }

 private:
  // Arbitrary but fixed: "signet" in ASCII.
  static constexpr std::string_view kLockKey = "115105103110101116";
  explicit MigrationLock(sql::Connection* db) : db_(db) {}

  sql::Connection* db_;
};

Result<Ok, StoreError> record_version(sql::Connection& db, int version) {
  if (db.dialect() == sql::Dialect::kSqlite) {
    // Part of the same transaction: page 1 of the file holds it.
    return db.exec("PRAGMA user_version = " + std::to_string(version));
  }
  return db.exec("DELETE FROM schema_version; INSERT INTO schema_version (version) VALUES (" +
                 std::to_string(version) + ")");
}

}  // namespace

Result<int, StoreError> migrate(sql::Connection& db, std::span<const Migration> list) {
  const int latest = list.empty() ? 0 : list.back().version;
  auto lock = MigrationLock::take(db);
  if (!lock) {
    return fail(lock.error());
  }
  for (const Migration& m : list) {
    auto tx = sql::Transaction::begin(db, sql::TransactionMode::kWrite);
    if (!tx) {
      return fail(tx.error());
    }
    auto version = schema_version(db);
    if (!version) {
      return fail(version.error());
    }
    if (*version > latest) {
      return fail(schema_too_new(*version, latest));
    }
    if (*version >= m.version) {
      continue;  // applied before, maybe just now by another process
    }
    if (*version != m.version - 1) {
      return fail(StoreError{StoreErrorCode::kInternal,
                             "migrations must be numbered 1, 2, 3, ... without gaps"});
    }
    const std::string_view text = db.pick(m.sqlite, m.postgres);
    if (!text.empty()) {
      if (auto r = db.exec(text); !r) {
        return fail(StoreError{r.error().code, "migration " + std::to_string(m.version) + " (" +
                                                   std::string{m.description} +
                                                   "): " + r.error().message});
      }
    }
    if (auto r = record_version(db, m.version); !r) {
      return fail(r.error());
    }
    if (auto r = tx->commit(); !r) {
      return fail(r.error());
    }
  }
  // Also reached with an empty list, or when every migration was already applied.
  auto version = schema_version(db);
  if (!version) {
    return fail(version.error());
  }
  if (*version > latest) {
    return fail(schema_too_new(*version, latest));
  }
  return *version;
}

Result<Ok, StoreError> require_latest(sql::Connection& db) {
  auto version = schema_version(db);
  if (!version) {
    return fail(version.error());
  }
  const int latest = latest_version();
  if (*version > latest) {
    return fail(schema_too_new(*version, latest));
  }
  if (*version < latest) {
    return fail(StoreError{StoreErrorCode::kSchemaTooOld,
                           "the database has schema version " + std::to_string(*version) +
                               " and this signet needs version " + std::to_string(latest) +
                               "; run `signet migrate --store URL` (or start with --migrate) "
                               "to bring it up to date"});
  }
  return Ok{};
}

}  // namespace signet::store::schema
