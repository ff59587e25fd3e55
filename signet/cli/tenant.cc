#include "signet/cli/tenant.h"

#include <charconv>

#include "signet/cli/admin_support.h"

namespace signet::cli {
namespace {

bool is_not_found(const store::StoreError& e) {
  return e.code == store::StoreErrorCode::kNotFound;
}

}  // namespace

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

store::Api require_api(store::Store& s, std::string_view identifier) {
  auto api = s.get_api(identifier);
  if (!api) {
    if (is_not_found(api.error())) {
      throw CommandError{"no API with identifier " + std::string(identifier) +
                         " (see 'signet apis list')"};
    }
    throw store_failure("read API " + std::string(identifier), api.error());
  }
  return std::move(api).value();
}

store::Application require_application(store::Store& s, std::string_view client_id) {
  auto app = s.get_application(client_id);
  if (!app) {
    if (is_not_found(app.error())) {
      throw CommandError{"no application with client_id " + std::string(client_id) +
                         " (see 'signet clients list')"};
    }
    throw store_failure("read application " + std::string(client_id), app.error());
  }
  return std::move(app).value();
}

store::ClientGrant require_grant(store::Store& s, std::int64_t id) {
  auto grant = s.get_client_grant(id);
  if (!grant) {
    if (is_not_found(grant.error())) {
      throw CommandError{"no client grant with id " + std::to_string(id) +
                         " (see 'signet grants list')"};
    }
    throw store_failure("read client grant " + std::to_string(id), grant.error());
  }
  return std::move(grant).value();
}

store::User require_user(store::Store& s, std::string_view id_or_email) {
  auto user = s.get_user(id_or_email);
  if (!user && is_not_found(user.error())) {
    user = s.find_user_by_email(id_or_email);
  }
  if (!user) {
    if (is_not_found(user.error())) {
      throw CommandError{"no user with id or email " + std::string(id_or_email) +
                         " (see 'signet users list')"};
    }
    throw store_failure("read user " + std::string(id_or_email), user.error());
  }
  return std::move(user).value();
}

std::int64_t parse_grant_id(std::string_view text) {
  std::int64_t id = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, id);
  if (text.empty() || ec != std::errc{} || ptr != end || id <= 0) {
    throw CommandError{"'" + std::string(text) +
                       "' is not a grant id: grant ids are positive numbers (see 'signet grants "
                       "list')"};
  }
  return id;
}

}  // namespace signet::cli
