#pragma once

#include <string>
#include <string_view>

namespace signet::keys {

// Every way handling signing-key material can fail. Callers branch on the code; the message adds
// what the code cannot say (which file, which kid, the store's or OpenSSL's reason) and never holds
// key material.
enum class KeyErrorCode {
  kMasterKeyMalformed,      // SIGNET_MASTER_KEY must be 32 bytes as 64 hex digits or base64url
  kMasterKeyFileInsecure,   // the master key file must be a regular file, the effective user's (or
                            // root's), accessible to its owner only (signet/common/file_safety.h)
  kMasterKeyFileMalformed,  // the master key file must hold 32 bytes as base64url text
  kMasterKeyFileIo,         // the master key file could not be created, read or written
  kSealedTruncated,         // a sealed blob must hold version, key check, nonce and tag
  kSealedVersion,           // a sealed blob must start with a format version we know
  kSealedWrongMasterKey,    // the blob was sealed under another master key
  kSealedAuthentication,    // the blob or its associated data (kid, algorithm) was altered
  kCrypto,                  // OpenSSL or jose failed (key generation, PEM, sealing)
  kStore,                   // the store refused or failed
  kNoSigningKey,            // no current key for the algorithm: ensure_keys was not run
  kNotPrevious,  // only a previous key may be revoked; rotate a current or next out first
  kKeyMismatch,  // the decrypted private key does not match the stored public JWK
};

// Stable text for logs and the admin CLI ("wrong master key", ...).
std::string_view to_string(KeyErrorCode code);

struct KeyError {
  KeyErrorCode code;
  std::string message;  // human-readable detail; never holds a key, PEM or master key
};

}  // namespace signet::keys
