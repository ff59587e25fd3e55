#include "signet/guard/verified_token.h"

#include <algorithm>

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

}  // namespace signet::guard
