#include "signet/common/file_safety.h"

#include <pwd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <system_error>
#include <vector>

#include "signet/common/shell_quote.h"

namespace signet {
namespace {

constexpr mode_t kWriteByOthers = S_IWGRP | S_IWOTH;
constexpr mode_t kAnyByOthers = S_IRWXG | S_IRWXO;
constexpr uid_t kRootUid = 0;
// bytes; getpwuid_r's buffer when sysconf gives no hint (glibc's own fallback is 1024)
constexpr long kFallbackPasswdBufferBytes = 16384;

std::string octal_mode(mode_t mode) {
  std::array<char, 8> buf{};
  std::snprintf(buf.data(), buf.size(), "%04o", static_cast<unsigned>(mode & 07777));
  return buf.data();
}

// The user's name, or "uid N" when the password database has none.
std::string user_name(uid_t uid) {
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buf(static_cast<std::size_t>(size > 0 ? size : kFallbackPasswdBufferBytes));
  struct passwd pw {};
  struct passwd* found = nullptr;
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr &&
      found->pw_name != nullptr && found->pw_name[0] != '\0') {
    return found->pw_name;
  }
  return "uid " + std::to_string(uid);
}

// The name to give chown: the user's name, else the number, which chown also takes.
std::string chown_owner(uid_t uid) {
  const std::string name = user_name(uid);
  return name.starts_with("uid ") ? std::to_string(uid) : name;
}

UnsafeFile unsafe(UnsafeFileCode code, std::string_view what, const std::filesystem::path& path,
                  std::string_view problem) {
  return UnsafeFile{code, std::string(what) + " " + path.string() + " " + std::string(problem)};
}

std::string_view fix_mode(Trust trust) {
  switch (trust) {
    case Trust::kDirectory:
      return "700";
    case Trust::kSecretFile:
      return "600";
    case Trust::kPublicFile:
      return "644";
  }
  return "600";
}

}  // namespace

std::string_view to_string(UnsafeFileCode code) {
  switch (code) {
    case UnsafeFileCode::kMissing:
      return "missing";
    case UnsafeFileCode::kWrongType:
      return "wrong file type";
    case UnsafeFileCode::kSymlink:
      return "symbolic link";
    case UnsafeFileCode::kWrongOwner:
      return "owned by another user";
    case UnsafeFileCode::kWritableByOthers:
      return "writable by others";
    case UnsafeFileCode::kReadableByOthers:
      return "readable by others";
    case UnsafeFileCode::kIo:
      return "cannot be checked";
  }
  return "unknown";
}

Result<Ok, UnsafeFile> check_file_status(const std::filesystem::path& path, const struct stat& st,
                                         Trust trust, std::string_view what) {
  const std::string quoted = shell_quote(path.string());
  if (S_ISLNK(st.st_mode)) {
    return fail(unsafe(UnsafeFileCode::kSymlink, what, path,
                       "is a symbolic link, which signet does not follow for files it trusts: "
                       "put the file itself there"));
  }
  if (trust == Trust::kDirectory && !S_ISDIR(st.st_mode)) {
    return fail(unsafe(UnsafeFileCode::kWrongType, what, path, "is not a directory"));
  }
  if (trust != Trust::kDirectory && !S_ISREG(st.st_mode)) {
    return fail(unsafe(UnsafeFileCode::kWrongType, what, path, "is not a regular file"));
  }
  const uid_t me = ::geteuid();
  // Root is accepted too: root can read and replace anything, so its ownership changes nothing.
  if (st.st_uid != me && st.st_uid != kRootUid) {
    return fail(unsafe(UnsafeFileCode::kWrongOwner, what, path,
                       "belongs to " + user_name(st.st_uid) + ", not to " + user_name(me) +
                           " who runs signet, so it is not trusted: run 'sudo chown " +
                           std::string(trust == Trust::kDirectory ? "-R " : "") + chown_owner(me) +
                           " " + quoted + "' or use one of your own"));
  }
  const std::string chmod = "run 'chmod " + std::string(fix_mode(trust)) + " " + quoted + "'";
  // Someone else who can write it can replace what signet reads with what they choose.
  if ((st.st_mode & kWriteByOthers) != 0) {
    return fail(unsafe(UnsafeFileCode::kWritableByOthers, what, path,
                       "is writable by group or others (mode " + octal_mode(st.st_mode) + "), so " +
                           (trust == Trust::kDirectory ? "they could swap the files in it"
                                                       : "they could change it") +
                           ": " + chmod));
  }
  // Whoever can read a secret file holds the secret.
  if (trust == Trust::kSecretFile && (st.st_mode & kAnyByOthers) != 0) {
    return fail(unsafe(UnsafeFileCode::kReadableByOthers, what, path,
                       "is accessible to group or others (mode " + octal_mode(st.st_mode) +
                           "), and holds a secret: " + chmod));
  }
  return Ok{};
}

Result<Ok, UnsafeFile> check_path(const std::filesystem::path& path, Trust trust,
                                  std::string_view what) {
  struct stat st {};
  const int looked_up =
      trust == Trust::kDirectory ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st);
  if (looked_up != 0) {
    const int err = errno;
    if (err == ENOENT) {
      return fail(unsafe(UnsafeFileCode::kMissing, what, path, "does not exist"));
    }
    if (err == ENOTDIR && trust == Trust::kDirectory) {
      return fail(unsafe(UnsafeFileCode::kWrongType, what, path, "is not a directory"));
    }
    return fail(unsafe(UnsafeFileCode::kIo, what, path,
                       "cannot be checked: " + std::generic_category().message(err)));
  }
  return check_file_status(path, st, trust, what);
}

}  // namespace signet
