#pragma once

#include <CLI/App.hpp>

namespace signet::cli {

// Registers `signet token`: gets an access token from an issuer (client credentials, or a user's
// password) and prints it, reusing a cached one until shortly before it expires; and
// `signet token decode`, which prints a token's header and claims readably and, with --verify,
// checks it against the issuer's published keys. With --dpop the token is bound to a key pair kept
// in a file (signet/client/dpop_key.h), and `signet token proof` prints a DPoP proof made with it
// for one request to an API. The client secret and the password are read from
// stdin, never from the command line. The command's exit status is stored in `exit_code` once it
// has run; failures print one line starting "signet: " on stderr and set status 1.
void add_token_command(CLI::App& app, int& exit_code);

}  // namespace signet::cli
