#pragma once

// One rule for every file and directory signet trusts with a secret: the data directory and its
// master.key, the directory and keys `signet dev-cert` writes, the token cache.
//
// - It belongs to the effective user, or to root (whom nobody can keep out anyway).
// - Nobody else can write it. For a directory that means nobody else can add, rename or remove its
//   entries: whoever can could swap in a master key, a CA or a token of their own.
// - A secret file is not even readable by others: whoever reads a master key decrypts every
//   signing key, whoever reads a CA key can make certificates.
// - A file is what it claims: a regular file, never a symbolic link (a link planted beside our
//   files must not redirect us to a file of someone else's choosing).
//
// Anything else is refused with one sentence that names the path, says what is wrong, and gives
// the command that fixes it (`chmod 700 DIR`, `sudo chown USER FILE`); nothing is changed behind
// the user's back.

#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "signet/common/result.h"

namespace signet {

// What a path must be.
enum class Trust {
  kDirectory,   // a directory others cannot write (fixed with chmod 700)
  kSecretFile,  // a regular file others can neither read nor write (fixed with chmod 600)
  kPublicFile,  // a regular file others may read but not write, e.g. a certificate (chmod 644)
};

enum class UnsafeFileCode {
  kMissing,           // the path must exist (check_path only: callers decide if that is fine)
  kWrongType,         // a directory must be a directory, a file a regular file
  kSymlink,           // a file must not be a symbolic link
  kWrongOwner,        // the owner must be the effective user or root
  kWritableByOthers,  // group and others must not have write permission
  kReadableByOthers,  // a secret file: group and others must have no permission at all
  kIo,                // the path could not be looked up (stat failed other than ENOENT)
};

// Stable text for logs and tests ("writable by others", ...).
std::string_view to_string(UnsafeFileCode code);

struct UnsafeFile {
  UnsafeFileCode code;
  // "the data directory /srv/signet-data is writable by group or others (mode 0775): run
  // 'chmod 700 /srv/signet-data'": the path as given, the fix with the path shell-quoted.
  std::string message;
};

// Checks `st`, the status of `path` (from fstat on a descriptor opened with O_NOFOLLOW, so that the
// file checked is the file then read; or from check_path). `what` names the path for the user,
// e.g. "the master key file". Never kMissing or kIo.
Result<Ok, UnsafeFile> check_file_status(const std::filesystem::path& path, const struct stat& st,
                                         Trust trust, std::string_view what);

// Looks `path` up and checks it. A file is looked up with lstat, so a symbolic link is kSymlink;
// a directory is followed (a data directory may be a link to another disk) and its target checked.
// kMissing when it does not exist, kIo when it cannot be looked up.
Result<Ok, UnsafeFile> check_path(const std::filesystem::path& path, Trust trust,
                                  std::string_view what);

}  // namespace signet
