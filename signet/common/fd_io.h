#pragma once

// Writing a whole buffer to a file descriptor, for the few places that write files with POSIX
// calls (key files, certificates, the token cache) because they need O_EXCL, modes and fsync.

#include <unistd.h>

#include <cerrno>
#include <string_view>

namespace signet {

// Writes all of `data`, retrying on EINTR and short writes. False on error, with errno set by
// the failing write (a write of 0 bytes counts as an error rather than a retry, so a stuck
// descriptor cannot loop forever).
inline bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace signet
