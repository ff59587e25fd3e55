#pragma once

#include <CLI/App.hpp>

namespace signet::cli {

// Registers `signet dev-cert`: a local CA and a certificate for localhost/127.0.0.1/::1 signed by
// it, in <data-dir>/tls (or --out-dir), for `signet serve` and `signet api --tls-cert/--tls-key`;
// then how to make clients trust the CA. Idempotent: an existing CA is kept, and the server
// certificate is replaced only when it is missing, about to expire, not from that CA, or --force.
// The command's exit status is stored in `exit_code` once it has run; failures print one line
// starting "signet: " on stderr and set a non-zero status.
void add_dev_cert_command(CLI::App& app, int& exit_code);

}  // namespace signet::cli
