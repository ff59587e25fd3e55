#pragma once

// The rules for what an application's URLs and keys may hold, checked where an admin writes them
// (the store only bounds their size). Each returns a sentence saying what to write instead.
//
// - callbacks and allowed logout URLs: absolute, without a fragment or userinfo; https, http, or a
//   private-use scheme of a native app (com.example.app:/callback, RFC 8252 §7.1). Schemes a
//   browser would run or read locally (javascript:, data:, file:...) are refused.
// - web origins: exactly scheme://host[:port] as browsers send it in Origin (RFC 6454 §6.2).
// - jwks: a JWK Set (RFC 7517 §5) of public signing keys that signet can verify with.
// - jwks_uri: https, or http to this machine only (a development client's keys).

#include <string>
#include <string_view>

#include "signet/common/result.h"

namespace signet::admin {

// `what` names the list in the message ("callback", "allowed logout URL").
Result<Ok, std::string> check_redirect_url(std::string_view what, std::string_view url);
Result<Ok, std::string> check_web_origin(std::string_view origin);
Result<Ok, std::string> check_jwks(std::string_view jwks);
Result<Ok, std::string> check_jwks_uri(std::string_view uri);

}  // namespace signet::admin
