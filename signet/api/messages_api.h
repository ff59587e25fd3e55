#pragma once

// The quickstart's sample API: /api/public for anyone, /api/private for any valid token,
// /api/private-scoped for a token with read:messages.

#include <string>

#include "signet/guard/guard.h"
#include "signet/http/router.h"

namespace signet::api {

constexpr std::string_view kMessagesScope = "read:messages";  // what /api/private-scoped requires

// The routes of the messages API, protected by `guard` (which must outlive the router).
http::Router messages_router(guard::Guard& guard);

}  // namespace signet::api
