#pragma once

// Auth0's Management API v2 shapes (docs/management-api.md) for the admin records, both ways:
// the Management API writes records and reads drafts and patches; RemoteAdmin (the CLI with
// --server) writes drafts and patches and reads records. One codec, so the two ends cannot drift.
//
// Readers of what a caller sends (drafts and patches) are strict: a member of the wrong type, a
// value outside the model, or a member the shape does not have is kInvalid naming it. A silently
// ignored misspelt field would be a change the caller believes was made. Readers of records (what
// a server answers) check every member they use the same way, but pass over members they do not
// know, so that a CLI keeps working against a newer server that answers with more fields.

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "signet/admin/admin.h"

namespace signet::admin {

// Auth0's user connection: signet's users all live in one username-password database.
inline constexpr std::string_view kDatabaseConnection = "Username-Password-Authentication";

// RFC 3339 in UTC with milliseconds, as Auth0 writes dates: 2026-12-06T04:00:00.000Z.
std::string format_date(store::Timestamp t);
// Reads what format_date writes (and the same without milliseconds); nullopt else.
std::optional<store::Timestamp> parse_date(std::string_view text);
// The same, keeping the milliseconds (event dates).
std::optional<store::PreciseTimestamp> parse_precise_date(std::string_view text);

// "access_token", "access_token_authz", "rfc9068_profile", "rfc9068_profile_authz".
std::string_view token_dialect(store::TokenProfile profile, bool permissions_claim);
// Auth0's app_type: "non_interactive" for machine-to-machine.
std::string_view app_type_name(store::ApplicationType type);
// Also accepts signet's own "m2m".
std::optional<store::ApplicationType> parse_app_type(std::string_view text);

// --- records to JSON
boost::json::object api_to_json(const store::Api& api, bool is_system);
boost::json::object application_to_json(const store::Application& app);
boost::json::object application_to_json(const ApplicationWithSecret& app);
boost::json::object client_grant_to_json(const store::ClientGrant& grant);
boost::json::object user_to_json(const store::User& user);
boost::json::object signing_key_to_json(const store::SigningKey& key);
boost::json::object log_event_to_json(const LogEvent& event);

// --- JSON to records (what RemoteAdmin reads back); kInvalid naming the member on a bad shape.
AdminResult<store::Api> api_from_json(const boost::json::value& json);
AdminResult<store::Application> application_from_json(const boost::json::value& json);
AdminResult<ApplicationWithSecret> application_with_secret_from_json(
    const boost::json::value& json);
AdminResult<store::ClientGrant> client_grant_from_json(const boost::json::value& json);
AdminResult<store::User> user_from_json(const boost::json::value& json);
AdminResult<store::SigningKey> signing_key_from_json(const boost::json::value& json);
AdminResult<LogEvent> log_event_from_json(const boost::json::value& json);

// --- drafts and patches, both ways
boost::json::object api_draft_to_json(const ApiDraft& draft);
AdminResult<ApiDraft> api_draft_from_json(const boost::json::object& json);
// Only the whole-list form of permissions travels (Auth0's "scopes"); add/remove lists are
// resolved against the record by the caller first (RemoteAdmin reads, applies, and writes with
// If-Match). kInvalid when the patch holds add/remove lists.
AdminResult<boost::json::object> api_patch_to_json(const ApiPatch& patch);
AdminResult<ApiPatch> api_patch_from_json(const boost::json::object& json);

boost::json::object application_draft_to_json(const ApplicationDraft& draft);
AdminResult<ApplicationDraft> application_draft_from_json(const boost::json::object& json);
boost::json::object application_patch_to_json(const ApplicationPatch& patch);
AdminResult<ApplicationPatch> application_patch_from_json(const boost::json::object& json);

boost::json::object user_draft_to_json(const UserDraft& draft);
AdminResult<UserDraft> user_draft_from_json(const boost::json::object& json);
boost::json::object user_patch_to_json(const UserPatch& patch);
AdminResult<UserPatch> user_patch_from_json(const boost::json::object& json);

// A client grant's "scope": an array of strings.
AdminResult<std::vector<std::string>> grant_scope_from_json(const boost::json::object& json,
                                                            bool required);

// Applies `patch` to `api` (what RemoteAdmin does before it writes the whole list): kInvalid
// when a removed permission is not one of the API's, and then `api` is left as it was.
AdminResult<Ok> apply_api_patch(const ApiPatch& patch, store::Api& api);

}  // namespace signet::admin
