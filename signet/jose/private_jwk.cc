#include "signet/jose/private_jwk.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>

#include "signet/jose/base64url.h"
#include "signet/jose/crypto.h"
#include "signet/jose/openssl_handle.h"

namespace signet::jose {
namespace {

constexpr std::size_t kP256ScalarBytes = 32;   // RFC 7518 §6.2.2.1: d is the full order length
constexpr std::size_t kEd25519SeedBytes = 32;  // RFC 8037 §2: d is the 32-byte seed

// Bytes that held a secret are wiped before their memory is given back.
struct WipedBytes {
  std::string bytes;
  WipedBytes() = default;
  WipedBytes(const WipedBytes&) = delete;
  WipedBytes& operator=(const WipedBytes&) = delete;
  ~WipedBytes() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

// The big-endian bytes of a private parameter, left-padded to `pad_to`; false when OpenSSL does
// not have it.
bool private_bn(const EVP_PKEY* key, const char* param, std::size_t pad_to, WipedBytes& out) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &raw) != 1) {
    return clear_openssl_errors();
  }
  const SecretBnPtr bn(raw);
  const auto length = static_cast<std::size_t>(BN_num_bytes(bn.get()));
  if (pad_to != 0 && length > pad_to) {
    return false;
  }
  out.bytes.assign(std::max(pad_to, length), '\0');
  return BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.bytes.data()),
                      static_cast<int>(out.bytes.size())) >= 0;
}

bool add_private_bn(boost::json::object& o, std::string_view member, const EVP_PKEY* key,
                    const char* param, std::size_t pad_to) {
  WipedBytes bytes;
  if (!private_bn(key, param, pad_to, bytes)) {
    return false;
  }
  o[member] = base64url_encode(bytes.bytes);
  return true;
}

}  // namespace

std::optional<boost::json::object> to_private_json(const Jwk& key) {
  if (!key.has_private || !key.pkey) {
    return std::nullopt;
  }
  boost::json::object o = to_public_json(key);
  const EVP_PKEY* pkey = key.pkey.get();
  bool ok = false;
  switch (key.kty) {
    case KeyType::kRsa: {
      // RFC 7518 §6.3.2: with "d", the CRT members too, so that readers need not recompute them.
      static constexpr std::pair<std::string_view, const char*> kMembers[] = {
          {"d", OSSL_PKEY_PARAM_RSA_D},          {"p", OSSL_PKEY_PARAM_RSA_FACTOR1},
          {"q", OSSL_PKEY_PARAM_RSA_FACTOR2},    {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},
          {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2}, {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1}};
      ok = std::all_of(std::begin(kMembers), std::end(kMembers), [&](const auto& member) {
        return add_private_bn(o, member.first, pkey, member.second, 0);
      });
      break;
    }
    case KeyType::kEc:
      ok = add_private_bn(o, "d", pkey, OSSL_PKEY_PARAM_PRIV_KEY, kP256ScalarBytes);
      break;
    case KeyType::kOkp: {
      WipedBytes seed;
      seed.bytes.assign(kEd25519SeedBytes, '\0');
      std::size_t length = seed.bytes.size();
      ok = EVP_PKEY_get_raw_private_key(pkey, reinterpret_cast<unsigned char*>(seed.bytes.data()),
                                        &length) == 1 &&
           length == kEd25519SeedBytes;
      if (ok) {
        o["d"] = base64url_encode(seed.bytes);
      } else {
        clear_openssl_errors();
      }
      break;
    }
  }
  if (!ok) {
    return std::nullopt;
  }
  return o;
}

}  // namespace signet::jose
