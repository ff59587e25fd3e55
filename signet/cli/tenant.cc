#include "signet/cli/tenant.h"

#include "signet/cli/admin_support.h"

namespace signet::cli {

Tenant open_tenant(const std::string& data_dir) {
  Tenant t;
  t.data_dir = prepare_data_dir(data_dir);
  t.store = open_store(t.data_dir);
  return t;
}

Tenant open_existing_tenant(const std::string& data_dir) {
  Tenant t;
  t.data_dir = existing_data_dir(data_dir);
  t.store = open_existing_store(t.data_dir);
  return t;
}

}  // namespace signet::cli
