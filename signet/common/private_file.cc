#include "signet/common/private_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <system_error>

#include "signet/common/fd_io.h"

namespace signet {
namespace {

namespace fs = std::filesystem;

enum class Placement { kRename, kLink };

fs::path directory_of(const fs::path& path) {
  return path.has_parent_path() ? path.parent_path() : fs::path(".");
}

FileWriteError failure(FileWriteStep step) {
  return FileWriteError{step, errno};
}

// Makes the directory entry durable; best effort (see the header).
void sync_directory(const fs::path& dir) {
  const UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() >= 0) {
    ::fsync(fd.get());
  }
}

Result<Ok, FileWriteError> write_and_place(const fs::path& path, std::string_view content,
                                           mode_t mode, Placement placement) {
  const fs::path dir = directory_of(path);
  // Hidden and named after the target, so that a temporary file left by a crash says whose it is.
  std::string temp = (dir / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
  UniqueFd fd(::mkostemp(temp.data(), O_CLOEXEC));
  if (fd.get() < 0) {
    return fail(failure(FileWriteStep::kCreate));
  }
  // Removed on every way out: after a rename it no longer exists, after a link it is the second
  // name of the file in place.
  struct RemoveTemp {
    const std::string& name;
    ~RemoveTemp() { ::unlink(name.c_str()); }
  } remove_temp{temp};
  if (::fchmod(fd.get(), mode) != 0) {
    return fail(failure(FileWriteStep::kChmod));
  }
  if (!write_all(fd.get(), content)) {
    return fail(failure(FileWriteStep::kWrite));
  }
  if (::fsync(fd.get()) != 0) {
    return fail(failure(FileWriteStep::kSync));
  }
  if (!fd.close()) {
    return fail(failure(FileWriteStep::kClose));
  }
  if (placement == Placement::kRename) {
    if (::rename(temp.c_str(), path.c_str()) != 0) {
      return fail(failure(FileWriteStep::kRename));
    }
  } else if (::link(temp.c_str(), path.c_str()) != 0) {
    return fail(failure(FileWriteStep::kLink));
  }
  sync_directory(dir);
  return Ok{};
}

}  // namespace

std::string_view to_string(FileWriteStep step) {
  switch (step) {
    case FileWriteStep::kCreate:
      return "create";
    case FileWriteStep::kChmod:
      return "chmod";
    case FileWriteStep::kWrite:
      return "write";
    case FileWriteStep::kSync:
      return "fsync";
    case FileWriteStep::kClose:
      return "close";
    case FileWriteStep::kRename:
      return "rename";
    case FileWriteStep::kLink:
      return "link";
  }
  return "write";
}

bool FileWriteError::already_exists() const {
  return step == FileWriteStep::kLink && err == EEXIST;
}

std::string FileWriteError::message() const {
  return std::string(to_string(step)) + " failed: " + std::generic_category().message(err);
}

Result<Ok, FileWriteError> replace_file(const fs::path& path, std::string_view content,
                                        mode_t mode) {
  return write_and_place(path, content, mode, Placement::kRename);
}

Result<Ok, FileWriteError> create_file_exclusively(const fs::path& path, std::string_view content,
                                                   mode_t mode) {
  // Looked up first, so that an existing file is reported as such even in a directory we may not
  // write to (an existing database in a read-only directory is fine); link() still decides a race.
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    return fail(FileWriteError{FileWriteStep::kLink, EEXIST});
  }
  return write_and_place(path, content, mode, Placement::kLink);
}

}  // namespace signet
