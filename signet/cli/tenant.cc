#include "signet/cli/tenant.h"

#include "signet/cli/admin_support.h"

namespace signet::cli {

Tenant open_tenant(const std::string& data_dir, const std::string& store) {
  Tenant t;
  t.data_dir = prepare_data_dir(data_dir);
  t.store = open_store(t.data_dir, {.url = store});
  return t;
}

Tenant open_existing_tenant(const std::string& data_dir, const std::string& store) {
  Tenant t;
  // With a database, reading needs nothing from the directory: only keys do (the master key).
  t.data_dir = store.empty() ? existing_data_dir(data_dir) : absolute_data_dir(data_dir);
  t.store = open_existing_store(t.data_dir, {.url = store});
  return t;
}

}  // namespace signet::cli
