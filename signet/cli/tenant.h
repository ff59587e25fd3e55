#pragma once

// The local tenant: the data directory and the store in it, opened for a command that writes (and
// may create them) or only reads (and creates nothing).

#include <filesystem>
#include <memory>
#include <string>

#include "signet/store/sqlite_store.h"

namespace signet::cli {

// The data directory (absolute) and the store in it.
struct Tenant {
  std::filesystem::path data_dir;
  std::unique_ptr<store::SqlStore> store;
};

// For commands that write: the directory (created mode 0700 when missing) and the store (created
// when missing). Throws CommandError when either cannot be opened or the directory is not safe.
// `store`: a postgresql:// URL, or empty for <data_dir>/signet.db.
Tenant open_tenant(const std::string& data_dir, const std::string& store = {});
// For read-only commands (list, show): the same, but a missing directory or store is a
// CommandError that says where it looked, and nothing is created.
Tenant open_existing_tenant(const std::string& data_dir, const std::string& store = {});

}  // namespace signet::cli
