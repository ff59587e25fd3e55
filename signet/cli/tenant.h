#pragma once

// The tenant as the admin commands (`signet apis|clients|grants|users`) see it: the store in the
// data directory, and the records they name by id, read or refused with a message that says where
// to look ("no API with identifier X (see 'signet apis list')").

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "signet/store/sqlite_store.h"
#include "signet/store/types.h"

namespace signet::cli {

// The data directory (absolute) and the store in it.
struct Tenant {
  std::filesystem::path data_dir;
  std::unique_ptr<store::SqliteStore> store;
};

// For commands that write: the directory (created mode 0700 when missing) and the store (created
// when missing). Throws CommandError when either cannot be opened or the directory is not safe.
Tenant open_tenant(const std::string& data_dir);
// For read-only commands (list, show): the same, but a missing directory or store is a
// CommandError that says where it looked, and nothing is created.
Tenant open_existing_tenant(const std::string& data_dir);

// Each returns the named record or throws CommandError: "no ... (see 'signet ... list')" when it
// does not exist, store_failure() for anything else.
store::Api require_api(store::Store& s, std::string_view identifier);
store::Application require_application(store::Store& s, std::string_view client_id);
store::ClientGrant require_grant(store::Store& s, std::int64_t id);
// Users are named by id or by email: the id is tried first, then the email (case-insensitively).
store::User require_user(store::Store& s, std::string_view id_or_email);

// A grant id as typed: a positive decimal integer, else CommandError.
std::int64_t parse_grant_id(std::string_view text);

}  // namespace signet::cli
