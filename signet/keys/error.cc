#include "signet/keys/error.h"

namespace signet::keys {

std::string_view to_string(KeyErrorCode code) {
  switch (code) {
    case KeyErrorCode::kMasterKeyMalformed:
      return "malformed master key";
    case KeyErrorCode::kMasterKeyFileInsecure:
      return "insecure master key file";
    case KeyErrorCode::kMasterKeyFileMalformed:
      return "malformed master key file";
    case KeyErrorCode::kMasterKeyFileIo:
      return "master key file i/o error";
    case KeyErrorCode::kSealedTruncated:
      return "sealed blob truncated";
    case KeyErrorCode::kSealedVersion:
      return "unknown sealed blob version";
    case KeyErrorCode::kSealedWrongMasterKey:
      return "wrong master key";
    case KeyErrorCode::kSealedAuthentication:
      return "sealed blob failed authentication";
    case KeyErrorCode::kCrypto:
      return "crypto failure";
    case KeyErrorCode::kStore:
      return "store failure";
    case KeyErrorCode::kNoSigningKey:
      return "no signing key";
    case KeyErrorCode::kNotPrevious:
      return "not a previous key";
    case KeyErrorCode::kKeyMismatch:
      return "private key does not match public key";
  }
  return "unknown error";
}

}  // namespace signet::keys
