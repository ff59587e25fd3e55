#include "signet/guard/verified_token.h"

#include <algorithm>

#include "signet/jose/json.h"

namespace signet::guard {

bool VerifiedToken::has_scope(std::string_view scope) const {
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

std::size_t VerifiedToken::footprint() const {
  // The claims object dominates; count its members generously rather than walk it exactly.
  std::size_t bytes = sizeof(*this) + subject.size() + kid.size() + jkt.size();
  for (const auto& s : scopes) {
    bytes += sizeof(s) + s.size();
  }
  for (const auto& member : claims) {
    bytes += 64 + member.key().size();
    if (member.value().is_string()) {
      bytes += member.value().get_string().size();
    } else if (member.value().is_array()) {
      for (const auto& e : member.value().get_array()) {
        bytes += 32 + (e.is_string() ? e.get_string().size() : 0);
      }
    }
  }
  return bytes;
}

Result<std::string_view, Ok> bound_key(const boost::json::object& claims) {
  const auto* cnf = claims.if_contains("cnf");
  if (cnf == nullptr) {
    return std::string_view{};
  }
  const auto* cnf_object = cnf->if_object();
  if (cnf_object == nullptr) {
    return fail(Ok{});
  }
  if (!cnf_object->contains("jkt")) {
    return std::string_view{};
  }
  auto jkt = jose::get_string(*cnf_object, "jkt");
  if (!jkt || jkt->empty()) {
    return fail(Ok{});
  }
  return *jkt;
}

}  // namespace signet::guard
