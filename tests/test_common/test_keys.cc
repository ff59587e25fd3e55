#include "tests/test_common/test_keys.h"

#include <map>
#include <mutex>
#include <stdexcept>

#include <boost/json/serialize.hpp>

#include "signet/jose/jws.h"

namespace signet::testing {
namespace {

const jose::Jwk& cached_key(jose::Algorithm alg, std::string_view prefix) {
  static std::mutex mu;
  static std::map<std::pair<std::string, jose::Algorithm>, jose::Jwk> keys;
  std::lock_guard lock(mu);
  const auto id = std::make_pair(std::string(prefix), alg);
  auto it = keys.find(id);
  if (it == keys.end()) {
    auto key =
        jose::generate_jwk(alg, std::string(prefix) + "-" + std::string(jose::to_string(alg)));
    if (!key) {
      throw std::runtime_error("test key generation failed");
    }
    it = keys.emplace(id, std::move(key).value()).first;
  }
  return it->second;
}

}  // namespace

const jose::Jwk& test_key(jose::Algorithm alg) {
  return cached_key(alg, "test");
}
const jose::Jwk& other_key(jose::Algorithm alg) {
  return cached_key(alg, "other");
}

jose::Jwk public_half(const jose::Jwk& key) {
  auto parsed = jose::parse_jwk(jose::to_public_json(key));
  if (!parsed) {
    throw std::runtime_error(std::string("public_half: ") +
                             std::string(jose::to_string(parsed.error())));
  }
  return std::move(parsed).value();
}

std::string mint(const jose::Jwk& key, const boost::json::object& claims, std::string_view typ) {
  boost::json::object header;
  if (!typ.empty()) {
    header["typ"] = typ;
  }
  auto token = jose::sign_compact(key, std::move(header), boost::json::serialize(claims));
  if (!token) {
    throw std::runtime_error(std::string("mint: ") + std::string(jose::to_string(token.error())));
  }
  return std::move(token).value();
}

}  // namespace signet::testing
