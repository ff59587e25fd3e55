#pragma once

// Owning and writing file descriptors, for the few places that handle files with POSIX calls
// (key files, certificates, the token cache) because they need O_EXCL, O_NOFOLLOW, modes and fsync.

#include <unistd.h>

#include <cerrno>
#include <string_view>
#include <utility>

namespace signet {

// Closes a file descriptor when it goes out of scope. A negative descriptor (a failed open) is
// held as "none", so `UniqueFd fd(::open(...)); if (fd.get() < 0) ...` reads naturally.
class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      close();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~UniqueFd() { close(); }

  int get() const { return fd_; }

  // Closes now and reports whether the close succeeded: on some file systems a write error
  // surfaces only here. True when there was nothing to close; errno is set on failure.
  bool close() {
    const int fd = std::exchange(fd_, -1);
    return fd < 0 || ::close(fd) == 0;
  }

 private:
  int fd_;
};

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
