#pragma once

#include <CLI/App.hpp>

namespace signet::cli {

// Registers `signet serve`: the authorization server (token endpoint, JWKS, discovery, userinfo,
// revocation, introspection) over the data directory's store.
void add_serve_command(CLI::App& app, int& exit_code);

}  // namespace signet::cli
