#pragma once

// The console's files (the top-level console/ folder), compiled into the binary by
// cmake/embed_assets.cmake: `signet serve` reads nothing from disk to serve them.

#include <span>
#include <string_view>

namespace signet::console {

struct Asset {
  std::string_view path;          // relative to the console's base path: "app.js", "pages/apis.js"
  std::string_view content_type;  // with a charset for text
  std::string_view body;
  std::string_view etag;  // a strong validator, quoted: a hash of the body made at build time
};

// Every asset, sorted by path. The table lives for the whole program.
std::span<const Asset> assets();

}  // namespace signet::console
