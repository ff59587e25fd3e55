#pragma once

// Writing a file that holds a secret (master.key, private keys, the token cache) or that must never
// be seen half-written (a certificate a server is about to load), the one way signet does it:
//
// - The content goes to a fresh temporary file beside `path`, created by mkostemp (O_CREAT|O_EXCL,
//   mode 0600): nobody else's file, never readable by others, not even for a moment.
// - Its mode is set to exactly `mode` with fchmod, which the umask does not touch.
// - It is fsynced, then put in place in one step: rename() for replace_file (readers see the old
//   file or the new one, never a part), link() for create_file_exclusively (which fails with
//   EEXIST when the name exists, so of two processes creating at once exactly one wins).
// - The directory is fsynced, so the new entry survives a crash (best effort: the file is in place
//   by then, and a directory that cannot be opened or synced must not turn that into a failure).
// - On any failure the temporary file is removed and `path` is left as it was.

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "signet/common/result.h"

namespace signet {

// The call that failed, for messages ("chmod failed: ...") and for callers that tell cases apart.
enum class FileWriteStep {
  kCreate,  // mkostemp: the temporary file could not be created in the directory
  kChmod,   // fchmod to the requested mode
  kWrite,   // writing the content
  kSync,    // fsync of the file
  kClose,   // close (a deferred write error)
  kRename,  // rename over the target (replace_file)
  kLink,    // link to the target (create_file_exclusively); EEXIST: the file exists
};

// "create", "chmod", "write", "fsync", "close", "rename", "link": the system call, as users and
// tests know it.
std::string_view to_string(FileWriteStep step);

struct FileWriteError {
  FileWriteStep step;
  int err;  // errno of the failing call

  // create_file_exclusively found `path` already there: nothing was written.
  bool already_exists() const;
  // "rename failed: Permission denied"
  std::string message() const;
};

// Replaces (or creates) `path` with `content` and mode `mode`, atomically: see above.
Result<Ok, FileWriteError> replace_file(const std::filesystem::path& path, std::string_view content,
                                        mode_t mode);

// Creates `path` with `content` and mode `mode`, only if nothing has that name yet (not even a
// dangling symbolic link); otherwise fails with already_exists() and leaves it alone, without
// creating anything in the directory.
Result<Ok, FileWriteError> create_file_exclusively(const std::filesystem::path& path,
                                                   std::string_view content, mode_t mode);

}  // namespace signet
