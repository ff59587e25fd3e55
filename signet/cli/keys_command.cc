#include "signet/cli/keys_command.h"

#include "signet/cli/admin_support.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "signet/jose/algorithm.h"
#include "signet/keys/error.h"
#include "signet/keys/key_manager.h"
#include "signet/keys/master_key.h"
#include "signet/store/sqlite_store.h"
#include "signet/store/types.h"

namespace signet::cli {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

struct KeysOptions {
  std::string data_dir{kDefaultDataDir};
  bool json = false;
  std::string alg = "RS256";
  std::string kid;
};

jose::Algorithm parse_alg(const std::string& name) {
  auto alg = jose::parse_algorithm(name);
  if (!alg) {
    throw CommandError{"unsupported algorithm '" + name + "': use RS256, PS256, ES256 or EdDSA"};
  }
  return *alg;
}

// Everything a keys subcommand works on, opened from the data directory.
struct Context {
  fs::path data_dir;
  std::unique_ptr<store::SqliteStore> store;
};

Context open_context(const KeysOptions& o) {
  Context c;
  c.data_dir = prepare_data_dir(o.data_dir);
  c.store = open_store(c.data_dir);
  return c;
}

// For list and jwks, which only read: a missing data directory or store is an error, not created.
Context open_existing_context(const KeysOptions& o) {
  Context c;
  c.data_dir = existing_data_dir(o.data_dir);
  c.store = open_existing_store(c.data_dir);
  return c;
}

std::vector<store::SigningKey> list_keys(store::Store& s) {
  auto keys = s.list_signing_keys();
  if (!keys) {
    throw CommandError{"cannot list signing keys: " + describe(keys.error())};
  }
  return std::move(*keys);
}

// Public metadata only: the private half never leaves the store, not even encrypted.
json::object key_json(const store::SigningKey& k) {
  json::object o;
  o["kid"] = k.kid;
  o["alg"] = jose::to_string(k.algorithm);
  o["state"] = store::to_string(k.state);
  o["created_at"] = format_time(k.created_at);
  if (k.rotated_at) {
    o["rotated_at"] = format_time(*k.rotated_at);
  } else {
    o["rotated_at"] = nullptr;
  }
  return o;
}

void print_keys(const std::vector<store::SigningKey>& keys) {
  std::vector<std::vector<std::string>> rows{{"KID", "ALG", "STATE", "CREATED", "ROTATED"}};
  for (const auto& k : keys) {
    rows.push_back({k.kid, std::string(jose::to_string(k.algorithm)),
                    std::string(store::to_string(k.state)), format_time(k.created_at),
                    k.rotated_at ? format_time(*k.rotated_at) : "-"});
  }
  signet::cli::print_table(rows);
}

const store::SigningKey* find_key(const std::vector<store::SigningKey>& keys, jose::Algorithm alg,
                                  store::SigningKeyState state) {
  for (const auto& k : keys) {
    if (k.algorithm == alg && k.state == state) {
      return &k;
    }
  }
  return nullptr;
}

void run_list(const KeysOptions& o) {
  auto c = open_existing_context(o);
  const auto keys = list_keys(*c.store);
  if (o.json) {
    json::array out;
    for (const auto& k : keys) {
      out.push_back(key_json(k));
    }
    std::cout << json::serialize(out) << "\n";
    return;
  }
  if (keys.empty()) {
    std::cout << "no signing keys yet: run 'signet keys create --alg RS256'\n";
    return;
  }
  print_keys(keys);
}

void run_create(const KeysOptions& o) {
  const auto alg = parse_alg(o.alg);
  auto c = open_context(o);
  keys::KeyManager manager(*c.store, load_master_key(c.data_dir));
  auto ensured = manager.ensure_keys(alg, now());
  if (!ensured) {
    throw CommandError{"cannot create " + o.alg + " keys: " + describe(ensured.error())};
  }
  const auto keys = list_keys(*c.store);
  const auto* current = find_key(keys, alg, store::SigningKeyState::kCurrent);
  const auto* next = find_key(keys, alg, store::SigningKeyState::kNext);
  if (current == nullptr || next == nullptr) {
    throw CommandError{"keys for " + o.alg + " were created but cannot be read back"};
  }
  if (o.json) {
    std::cout << json::serialize(json::object{
                     {"alg", jose::to_string(alg)}, {"current", current->kid}, {"next", next->kid}})
              << "\n";
    return;
  }
  std::cout << jose::to_string(alg) << " current " << current->kid << "\n"
            << jose::to_string(alg) << " next    " << next->kid << "\n";
}

void run_rotate(const KeysOptions& o) {
  const auto alg = parse_alg(o.alg);
  auto c = open_context(o);
  keys::KeyManager manager(*c.store, load_master_key(c.data_dir));
  auto rotated = manager.rotate(alg, now());
  if (!rotated) {
    std::string hint;
    if (rotated.error().code == keys::KeyErrorCode::kNoSigningKey) {
      hint = " (run 'signet keys create --alg " + o.alg + "' first)";
    } else if (rotated.error().code == keys::KeyErrorCode::kSealedWrongMasterKey) {
      hint = "; nothing was changed";
    }
    throw CommandError{"cannot rotate " + o.alg + " keys: " + describe(rotated.error()) + hint};
  }
  if (o.json) {
    std::cout << json::serialize(json::object{{"alg", jose::to_string(alg)}, {"current", *rotated}})
              << "\n";
    return;
  }
  std::cout << *rotated << "\n";
}

void run_revoke(const KeysOptions& o) {
  auto c = open_context(o);
  // Looked up first only to say precisely why a revoke is refused; the store checks the state
  // again inside its own transaction.
  auto key = c.store->get_signing_key(o.kid);
  if (!key) {
    if (key.error().code == store::StoreErrorCode::kNotFound) {
      throw CommandError{"no signing key with kid " + o.kid + " (see 'signet keys list')"};
    }
    throw CommandError{"cannot read key " + o.kid + ": " + describe(key.error())};
  }
  const std::string alg(jose::to_string(key->algorithm));
  switch (key->state) {
    case store::SigningKeyState::kPrevious:
      break;
    case store::SigningKeyState::kRevoked:
      throw CommandError{"key " + o.kid + " is already revoked"};
    case store::SigningKeyState::kCurrent:
    case store::SigningKeyState::kNext:
      throw CommandError{"key " + o.kid + " is " + std::string(store::to_string(key->state)) +
                         ": only previous keys can be revoked; rotate first ('signet keys "
                         "rotate --alg " +
                         alg + "')"};
  }
  keys::KeyManager manager(*c.store, load_master_key(c.data_dir));
  auto revoked = manager.revoke(o.kid, now());
  if (!revoked) {
    throw CommandError{"cannot revoke key " + o.kid + ": " + describe(revoked.error())};
  }
  if (o.json) {
    std::cout << json::serialize(json::object{{"revoked", o.kid}, {"alg", alg}}) << "\n";
    return;
  }
  std::cout << "revoked " << o.kid << "\n";
}

void run_jwks(const KeysOptions& o) {
  auto c = open_existing_context(o);
  keys::KeyManager manager(*c.store, load_master_key(c.data_dir));
  auto jwks = manager.published_jwks();
  if (!jwks) {
    throw CommandError{"cannot build the JWKS: " + describe(jwks.error())};
  }
  std::cout << json::serialize(*jwks) << "\n";
}

// Runs one subcommand, turning its failures into the exit status and a "signet: " line.
template <typename F>
void run(F&& body, const KeysOptions& o, int& exit_code) {
  run_command([&] { body(o); }, exit_code);
}

void add_common_options(CLI::App* cmd, KeysOptions& o) {
  add_data_dir_option(cmd, o.data_dir);
  cmd->add_flag("--json", o.json, "Print JSON on stdout instead of text (jwks always prints JSON)");
}

void add_alg_option(CLI::App* cmd, KeysOptions& o) {
  cmd->add_option("--alg", o.alg, "Signing algorithm: RS256, PS256, ES256 or EdDSA")
      ->capture_default_str();
}

}  // namespace

void add_keys_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<KeysOptions>();
  CLI::App* keys = app.add_subcommand(
      "keys",
      "Manage the authorization server's signing keys.\n"
      "Each algorithm has a current key (signs tokens), a next key (published ahead of use) and\n"
      "previous keys (published until revoked, so tokens they signed keep verifying). Private\n"
      "halves are encrypted under the master key: SIGNET_MASTER_KEY, else <data-dir>/master.key.");
  keys->require_subcommand(1);

  CLI::App* list = keys->add_subcommand(
      "list",
      "List every signing key: kid, algorithm, state, created and rotated times.\n"
      "Never prints private key material.");
  add_common_options(list, *o);
  list->callback([o, &exit_code] { run(run_list, *o, exit_code); });

  CLI::App* create =
      keys->add_subcommand("create",
                           "Make sure ALG has a current and a next key, creating what is missing.\n"
                           "Idempotent; the server does the same at first start.");
  add_common_options(create, *o);
  add_alg_option(create, *o);
  create->callback([o, &exit_code] { run(run_create, *o, exit_code); });

  CLI::App* rotate = keys->add_subcommand(
      "rotate",
      "Rotate ALG's keys: next becomes current, current becomes previous, and a new next key is\n"
      "created. Prints the kid of the new current key. Tokens already issued keep verifying.");
  add_common_options(rotate, *o);
  add_alg_option(rotate, *o);
  rotate->callback([o, &exit_code] { run(run_rotate, *o, exit_code); });

  CLI::App* revoke = keys->add_subcommand(
      "revoke",
      "Revoke a previous key: it leaves the JWKS, and tokens it signed stop verifying once\n"
      "validators refresh their keys. Current and next keys must be rotated out first.");
  add_common_options(revoke, *o);
  revoke->add_option("KID", o->kid, "kid of the previous key to revoke (see 'signet keys list')")
      ->required();
  revoke->callback([o, &exit_code] { run(run_revoke, *o, exit_code); });

  CLI::App* jwks = keys->add_subcommand(
      "jwks",
      "Print the published JWKS as JSON: the public next, current and previous keys, exactly\n"
      "what /.well-known/jwks.json serves.");
  add_common_options(jwks, *o);
  jwks->callback([o, &exit_code] { run(run_jwks, *o, exit_code); });
}

}  // namespace signet::cli
