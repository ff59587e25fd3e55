#include "signet/cli/keys_command.h"

#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "signet/cli/admin_support.h"
#include "signet/cli/printers.h"
#include "signet/jose/algorithm.h"
#include "signet/keys/error.h"
#include "signet/keys/key_manager.h"
#include "signet/store/types.h"

namespace signet::cli::keys {
namespace {

namespace json = boost::json;

jose::Algorithm parse_alg(const std::string& name) {
  auto alg = jose::parse_algorithm(name);
  if (!alg) {
    throw CommandError{"unsupported algorithm '" + name + "': use RS256, PS256, ES256 or EdDSA"};
  }
  return *alg;
}

std::vector<store::SigningKey> list_keys(store::Store& s) {
  auto keys = s.list_signing_keys();
  if (!keys) {
    throw CommandError{"cannot list signing keys: " + describe(keys.error())};
  }
  return std::move(*keys);
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

// The key manager of the tenant: its store and the master key that seals private halves.
signet::keys::KeyManager key_manager(Tenant& t) {
  return signet::keys::KeyManager(*t.store, load_master_key(t.data_dir));
}

}  // namespace

void run_list(CommandContext& ctx, const ListOptions& o) {
  print_list(ctx.out(), o.json, value_or_throw(ctx.admin(Access::kRead).list_signing_keys()),
             "no signing keys yet: run 'signet keys create --alg RS256'");
}

// Not an admin operation (signet serve does it at start for every algorithm an API signs with):
// done on the local tenant's keys.
void run_create(CommandContext& ctx, const CreateOptions& o) {
  const auto alg = parse_alg(o.alg);
  auto& t = ctx.tenant(Access::kWrite);
  auto manager = key_manager(t);
  auto ensured = manager.ensure_keys(alg, ctx.now());
  if (!ensured) {
    throw CommandError{"cannot create " + o.alg + " keys: " + describe(ensured.error())};
  }
  const auto keys = list_keys(*t.store);
  const auto* current = find_key(keys, alg, store::SigningKeyState::kCurrent);
  const auto* next = find_key(keys, alg, store::SigningKeyState::kNext);
  if (current == nullptr || next == nullptr) {
    throw CommandError{"keys for " + o.alg + " were created but cannot be read back"};
  }
  if (o.json) {
    print_json(ctx.out(),
               json::object{
                   {"alg", jose::to_string(alg)}, {"current", current->kid}, {"next", next->kid}});
    return;
  }
  ctx.out() << jose::to_string(alg) << " current " << current->kid << "\n"
            << jose::to_string(alg) << " next    " << next->kid << "\n";
}

void run_rotate(CommandContext& ctx, const RotateOptions& o) {
  const auto alg = parse_alg(o.alg);
  const auto rotated = value_or_throw(
      ctx.admin(Access::kWrite).rotate_signing_keys(alg),
      {{admin::AdminErrorCode::kNotFound, "(run 'signet keys create --alg " + o.alg + "' first)"}});
  if (o.json) {
    print_json(ctx.out(), json::object{{"alg", jose::to_string(rotated.algorithm)},
                                       {"current", rotated.current_kid}});
    return;
  }
  ctx.out() << rotated.current_kid << "\n";
}

void run_revoke(CommandContext& ctx, const RevokeOptions& o) {
  auto& admin = ctx.admin(Access::kWrite);
  const Hint no_such_key{admin::AdminErrorCode::kNotFound, "(see 'signet keys list')"};
  auto revoked = admin.revoke_signing_key(o.kid);
  if (!revoked && revoked.error().code == admin::AdminErrorCode::kInvalid) {
    // Refused for its state: a current or next key can be rotated out; say how.
    const auto key = value_or_throw(admin.get_signing_key(o.kid), {no_such_key});
    if (key.state == store::SigningKeyState::kCurrent ||
        key.state == store::SigningKeyState::kNext) {
      throw admin_failure(revoked.error(), "('signet keys rotate --alg " +
                                               std::string(jose::to_string(key.algorithm)) + "')");
    }
  }
  const auto key = value_or_throw(std::move(revoked), {no_such_key});
  if (o.json) {
    print_json(ctx.out(),
               json::object{{"revoked", key.kid}, {"alg", jose::to_string(key.algorithm)}});
    return;
  }
  ctx.out() << "revoked " << key.kid << "\n";
}

void run_jwks(CommandContext& ctx, const JwksOptions&) {
  auto manager = key_manager(ctx.tenant(Access::kRead));
  auto jwks = manager.published_jwks();
  if (!jwks) {
    throw CommandError{"cannot build the JWKS: " + describe(jwks.error())};
  }
  print_json(ctx.out(), *jwks);
}

namespace {

void add_alg_option(CLI::App* cmd, std::string& alg) {
  cmd->add_option("--alg", alg, "Signing algorithm: RS256, PS256, ES256 or EdDSA")
      ->capture_default_str();
}

}  // namespace

void add_command(CLI::App& app, VerbRegistrar& verbs) {
  CLI::App* keys = app.add_subcommand(
      "keys",
      "Manage the authorization server's signing keys.\n"
      "Each algorithm has a current key (signs tokens), a next key (published ahead of use) and\n"
      "previous keys (published until revoked, so tokens they signed keep verifying). Private\n"
      "halves are encrypted under the master key: SIGNET_MASTER_KEY, else <data-dir>/master.key.");
  keys->require_subcommand(1);

  verbs.add(keys, "list",
            "List every signing key: kid, algorithm, state, created and rotated times.\n"
            "Never prints private key material.",
            run_list);

  auto create = verbs.add(keys, "create",
                          "Make sure ALG has a current and a next key, creating what is missing.\n"
                          "Idempotent; the server does the same at first start.",
                          run_create);
  add_alg_option(create.command, create.options.alg);

  auto rotate = verbs.add(
      keys, "rotate",
      "Rotate ALG's keys: next becomes current, current becomes previous, and a new next key is\n"
      "created. Prints the kid of the new current key. Tokens already issued keep verifying.",
      run_rotate);
  add_alg_option(rotate.command, rotate.options.alg);

  auto revoke = verbs.add(
      keys, "revoke",
      "Revoke a previous key: it leaves the JWKS, and tokens it signed stop verifying once\n"
      "validators refresh their keys. Current and next keys must be rotated out first.",
      run_revoke);
  revoke.command
      ->add_option("KID", revoke.options.kid,
                   "kid of the previous key to revoke (see 'signet keys list')")
      ->required();

  auto jwks = verbs.add(
      keys, "jwks",
      "Print the published JWKS as JSON: the public next, current and previous keys, exactly\n"
      "what /.well-known/jwks.json serves.",
      run_jwks);
  jwks.command->add_flag("--json", jwks.options.json_given, "Accepted; the JWKS is always JSON");
}

}  // namespace signet::cli::keys
