#include "signet/cli/clients_command.h"

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "signet/cli/admin_support.h"
#include "signet/cli/printers.h"
#include "signet/store/types.h"
#include "signet/store/validate.h"

namespace signet::cli::clients {
namespace {

namespace json = boost::json;

store::ApplicationType parse_type(const std::string& name) {
  auto type = store::parse_application_type(name);
  if (!type) {
    throw CommandError{"unknown application type '" + name +
                       "': use m2m, regular_web, native or spa"};
  }
  return *type;
}

// The grant type names as typed; which of them suit the application is the admin service's rule.
std::vector<store::GrantType> parse_grant_types(const std::vector<std::string>& values) {
  const auto names = split_list(values);
  if (names.empty()) {
    throw CommandError{
        "--grant-types needs at least one of authorization_code, client_credentials, password, "
        "refresh_token"};
  }
  std::vector<store::GrantType> out;
  for (const auto& name : names) {
    auto g = store::parse_grant_type(name);
    if (!g) {
      throw CommandError{"unsupported grant type '" + name +
                         "': use authorization_code, client_credentials, password or "
                         "refresh_token"};
    }
    out.push_back(*g);
  }
  return out;
}

// The method's name as typed; which methods suit the application is the admin service's rule.
store::TokenEndpointAuthMethod parse_auth_method(const std::string& name) {
  auto method = store::parse_token_endpoint_auth_method(name);
  if (!method) {
    throw CommandError{"unsupported token endpoint auth method '" + name +
                       "': use client_secret_basic_or_post, client_secret_basic, "
                       "client_secret_post, private_key_jwt or none"};
  }
  return *method;
}

// The JWK Set in the file --jwks names; what it may hold is the admin service's rule.
std::string read_jwks(const std::string& path) {
  return read_text_file(path, store::kMaxBlobLength, "the JWK Set (--jwks)");
}

const Hint kNoSuchApplication{admin::AdminErrorCode::kNotFound, "(see 'signet clients list')"};

// The one time a secret is shown: after create and rotate-secret.
void print_with_secret(CommandContext& ctx, bool json, const admin::ApplicationWithSecret& app,
                       const std::string& headline) {
  if (!json) {
    ctx.out() << headline << "\n\n";
  }
  print_record(ctx.out(), json, app);
}

}  // namespace

void run_create(CommandContext& ctx, const CreateOptions& o) {
  admin::ApplicationDraft draft;
  draft.name = o.name;
  draft.type = parse_type(o.type);
  if (!o.grant_types.empty()) {  // none given: the type's defaults
    draft.grant_types = parse_grant_types(o.grant_types);
  }
  if (!o.auth_method.empty()) {  // none given: the type's default
    draft.token_endpoint_auth_method = parse_auth_method(o.auth_method);
  }
  draft.callbacks = split_list(o.callbacks);
  draft.allowed_logout_urls = split_list(o.logout_urls);
  draft.web_origins = split_list(o.web_origins);
  if (!o.jwks_file.empty()) {
    draft.jwks = read_jwks(o.jwks_file);
  }
  draft.jwks_uri = o.jwks_uri;
  draft.dpop_bound_access_tokens = o.require_dpop.value_or(false);
  const auto created = value_or_throw(ctx.admin(Access::kWrite).create_application(draft));
  print_with_secret(ctx, o.json, created,
                    "created application " + created.application.name + " with client_id " +
                        created.application.client_id);
}

void run_list(CommandContext& ctx, const ListOptions& o) {
  auto& admin = ctx.admin(Access::kRead);
  print_list(ctx.out(), o.json,
             all_pages([&](const auto& page) { return admin.list_applications(page); }),
             "no applications yet: create one with 'signet clients create --name \"My App\"'");
}

void run_show(CommandContext& ctx, const ShowOptions& o) {
  print_record(
      ctx.out(), o.json,
      value_or_throw(ctx.admin(Access::kRead).get_application(o.client_id), {kNoSuchApplication}));
}

void run_update(CommandContext& ctx, const UpdateOptions& o) {
  if (!o.name && !o.type && !o.grant_types && !o.auth_method && !o.callbacks && !o.logout_urls &&
      !o.web_origins && !o.jwks_file && !o.jwks_uri && !o.require_dpop) {
    throw CommandError{
        "nothing to update: give --name, --type, --grant-types, --auth-method, --callbacks, "
        "--logout-urls, --web-origins, --jwks, --jwks-uri or --require-dpop/--no-require-dpop"};
  }
  // Every flag is read before the tenant is opened, so a typo changes nothing.
  admin::ApplicationPatch patch;
  patch.name = o.name;
  if (o.type) {
    patch.type = parse_type(*o.type);
  }
  if (o.grant_types) {
    patch.grant_types = parse_grant_types(*o.grant_types);
  }
  if (o.auth_method) {
    patch.token_endpoint_auth_method = parse_auth_method(*o.auth_method);
  }
  if (o.callbacks) {
    patch.callbacks = split_list(*o.callbacks);
  }
  if (o.logout_urls) {
    patch.allowed_logout_urls = split_list(*o.logout_urls);
  }
  if (o.web_origins) {
    patch.web_origins = split_list(*o.web_origins);
  }
  if (o.jwks_file) {
    patch.jwks = o.jwks_file->empty() ? std::string{} : read_jwks(*o.jwks_file);
  }
  patch.jwks_uri = o.jwks_uri;
  patch.dpop_bound_access_tokens = o.require_dpop;
  print_record(ctx.out(), o.json,
               value_or_throw(ctx.admin(Access::kWrite).update_application(o.client_id, patch, {}),
                              {kNoSuchApplication}));
}

void run_rotate_secret(CommandContext& ctx, const RotateSecretOptions& o) {
  const auto rotated =
      value_or_throw(ctx.admin(Access::kWrite).rotate_secret(o.client_id), {kNoSuchApplication});
  const auto method = rotated.application.token_endpoint_auth_method;
  const bool dormant = method == store::TokenEndpointAuthMethod::kNone ||
                       method == store::TokenEndpointAuthMethod::kPrivateKeyJwt;
  print_with_secret(ctx, o.json, rotated,
                    dormant ? "new client secret for " + rotated.application.client_id +
                                  "; it is used once the application authenticates with a "
                                  "secret: signet clients update " +
                                  shell_quote(rotated.application.client_id) +
                                  " --auth-method client_secret_basic_or_post"
                            : "new client secret for " + rotated.application.client_id +
                                  "; the old one no longer works");
}

void run_delete(CommandContext& ctx, const DeleteOptions& o) {
  auto& admin = ctx.admin(Access::kWrite);
  const auto app = value_or_throw(admin.get_application(o.client_id), {kNoSuchApplication});
  // Counted only to ask about what goes with the application (the store cascades).
  const auto grants = value_or_throw(
      admin.list_client_grants(admin::PageRequest{0, 1}, {app.client_id, std::nullopt}));
  confirm_deletion(ctx, o.yes,
                   "Delete application '" + app.client_id + "' (" + app.name +
                       "), its secret, client grants (" + std::to_string(grants.total) +
                       ") and refresh tokens?");
  const auto deleted =
      value_or_throw(admin.delete_application(app.client_id), {kNoSuchApplication});
  if (o.json) {
    print_json(ctx.out(), json::object{{"client_id", deleted.application.client_id},
                                       {"deleted", true},
                                       {"deleted_client_grants", deleted.client_grants}});
    return;
  }
  ctx.out() << "deleted application " << deleted.application.client_id << " ("
            << deleted.application.name << ") and its " << deleted.client_grants
            << " client grant(s); its secret and refresh tokens no longer work\n";
}

namespace {

void add_id_argument(CLI::App* cmd, std::string& client_id) {
  cmd->add_option("ID", client_id, "The application's client_id (see 'signet clients list')")
      ->required();
}

constexpr const char* kTypeHelp =
    "Application type: m2m (a service acting for itself), regular_web, native or spa";
constexpr const char* kGrantTypesHelp =
    "Grant types the application may use at /oauth/token, separated by commas or spaces, or "
    "repeated: "
    "authorization_code, client_credentials, password, refresh_token";
constexpr const char* kAuthMethodHelp =
    "How the application authenticates at /oauth/token: client_secret_basic_or_post (its secret "
    "by HTTP Basic or in the form body), client_secret_basic or client_secret_post (only that "
    "one), private_key_jwt (a JWT signed with its private key; give --jwks or --jwks-uri), or "
    "none (a public spa or native app, without a secret)";
constexpr const char* kCallbacksHelp =
    "Allowed callback URLs for /authorize (https://app.example.com/callback, or "
    "com.example.app:/callback for a native app), separated by commas or spaces, or repeated";
constexpr const char* kLogoutUrlsHelp =
    "Allowed URLs to return to after logout, separated by commas or spaces, or repeated";
constexpr const char* kWebOriginsHelp =
    "Origins whose pages may call /oauth/token (scheme://host[:port], e.g. "
    "http://localhost:3000), separated by commas or spaces, or repeated";
constexpr const char* kJwksHelp =
    "A file holding the application's JWK Set (its public keys only), for private_key_jwt";
constexpr const char* kRequireDpopHelp =
    "Refuse the application's token requests that carry no DPoP proof (RFC 9449 \"DPoP-bound\n"
    "access tokens\"): every token it gets is bound to its key, none is a bearer token";
constexpr const char* kJwksUriHelp =
    "Where the application publishes its JWK Set (https; http only for localhost), for "
    "private_key_jwt";

}  // namespace

void add_command(CLI::App& app, VerbRegistrar& verbs) {
  CLI::App* clients = app.add_subcommand(
      "clients",
      "Manage applications: the OAuth clients that get tokens from /oauth/token.\n"
      "Each has a client_id and, unless it is public or uses private_key_jwt, a client secret;\n"
      "the secret is shown once, when it is made, and\n"
      "stored only as a keyed hash under the master key (SIGNET_MASTER_KEY, else\n"
      "<data-dir>/master.key). Give an application access to an API with 'signet grants create'.");
  clients->require_subcommand(1);

  auto create =
      verbs.add(clients, "create",
                "Create an application with a new client_id and client secret, and print both.\n"
                "The secret is printed this once only: store it right away.",
                run_create);
  create.command
      ->add_option("--name", create.options.name, "A name for people, e.g. \"Messages client\"")
      ->required();
  create.command->add_option("--type", create.options.type, kTypeHelp)->capture_default_str();
  create.command
      ->add_option("--grant-types", create.options.grant_types,
                   std::string(kGrantTypesHelp) +
                       " (default: client_credentials for m2m, authorization_code,refresh_token "
                       "for spa and native, authorization_code,password,refresh_token for "
                       "regular_web)")
      ->allow_extra_args(false);
  create.command->add_option(
      "--auth-method", create.options.auth_method,
      std::string(kAuthMethodHelp) +
          " (default: none for spa and native, client_secret_basic_or_post otherwise)");
  create.command->add_option("--callbacks", create.options.callbacks, kCallbacksHelp)
      ->allow_extra_args(false);
  create.command->add_option("--logout-urls", create.options.logout_urls, kLogoutUrlsHelp)
      ->allow_extra_args(false);
  create.command->add_option("--web-origins", create.options.web_origins, kWebOriginsHelp)
      ->allow_extra_args(false);
  create.command->add_option("--jwks", create.options.jwks_file, kJwksHelp)->type_name("FILE");
  create.command->add_option("--jwks-uri", create.options.jwks_uri, kJwksUriHelp)->type_name("URL");
  add_require_dpop_flags(create.command, create.options.require_dpop, kRequireDpopHelp);
  create.command->footer("Example: signet clients create --name \"Messages client\" --type m2m");

  verbs.add(clients, "list", "List every application. Never prints a secret or its hash.",
            run_list);

  auto show = verbs.add(
      clients, "show",
      "Show one application's settings. Never prints its secret or the secret's hash.", run_show);
  add_id_argument(show.command, show.options.client_id);

  auto update =
      verbs.add(clients, "update", "Change an application's settings. Only the flags given change.",
                run_update);
  add_id_argument(update.command, update.options.client_id);
  update.command->add_option("--name", update.options.name, "New name");
  update.command->add_option("--type", update.options.type, kTypeHelp);
  add_list_option(update.command, "--grant-types", update.options.grant_types, kGrantTypesHelp);
  update.command->add_option("--auth-method", update.options.auth_method, kAuthMethodHelp);
  add_list_option(update.command, "--callbacks", update.options.callbacks,
                  std::string(kCallbacksHelp) + "; replaces the list (\"\" empties it)");
  add_list_option(update.command, "--logout-urls", update.options.logout_urls,
                  std::string(kLogoutUrlsHelp) + "; replaces the list (\"\" empties it)");
  add_list_option(update.command, "--web-origins", update.options.web_origins,
                  std::string(kWebOriginsHelp) + "; replaces the list (\"\" empties it)");
  update.command
      ->add_option("--jwks", update.options.jwks_file,
                   std::string(kJwksHelp) + "; replaces the keys and any --jwks-uri")
      ->type_name("FILE");
  update.command
      ->add_option("--jwks-uri", update.options.jwks_uri,
                   std::string(kJwksUriHelp) + "; replaces any --jwks keys (\"\" clears it)")
      ->type_name("URL");
  add_require_dpop_flags(update.command, update.options.require_dpop, kRequireDpopHelp);

  auto rotate = verbs.add(
      clients, "rotate-secret",
      "Give an application a new client secret and print it (once). The old secret stops\n"
      "working at once; tokens already issued stay valid until they expire.",
      run_rotate_secret);
  add_id_argument(rotate.command, rotate.options.client_id);

  auto del = verbs.add(
      clients, "delete",
      "Delete an application, with its client grants and refresh tokens. Its secret stops\n"
      "working at once; access tokens already issued stay valid until they expire.",
      run_delete);
  add_id_argument(del.command, del.options.client_id);
  add_yes_flag(del.command, del.options.yes);
}

}  // namespace signet::cli::clients
