#include "signet/keys/dev_cert_files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <system_error>
#include <utility>

#include "signet/common/fd_io.h"
#include "signet/common/file_safety.h"
#include "signet/common/private_file.h"
#include "signet/common/shell_quote.h"

namespace signet::keys {
namespace {

namespace fs = std::filesystem;

constexpr mode_t kDirMode = S_IRWXU;  // 0700: it holds private keys
constexpr mode_t kPublicFileMode = S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH;  // 0644: certificates
constexpr mode_t kSecretFileMode = S_IRUSR | S_IWUSR;                      // 0600: private keys
constexpr mode_t kGroupOtherBits = S_IRWXG | S_IRWXO;
constexpr std::string_view kDirWhat = "the certificate directory";

std::string errno_text(int err) {
  return std::generic_category().message(err);
}

std::string describe(const DevCertError& e) {
  return std::string(to_string(e.code)) + ": " + e.message;
}

// 2036-02-27
std::string day(std::chrono::sys_seconds t) {
  const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(t)};
  std::array<char, 16> buf{};
  std::snprintf(buf.data(), buf.size(), "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf.data();
}

// Creates `dir` (mode 0700, parents as needed) when it is missing, and checks it (see the header).
// Since nobody else can change its entries, the files in it stay the ones checked while we run.
Result<Ok, std::string> prepare_dir(const fs::path& dir) {
  auto checked = check_path(dir, Trust::kDirectory, kDirWhat);
  if (!checked && checked.error().code == UnsafeFileCode::kMissing) {
    std::error_code ec;
    fs::create_directories(dir.parent_path(), ec);  // a failure shows in mkdir's errno
    if (::mkdir(dir.c_str(), kDirMode) == 0) {
      // mkdir's mode passes through the umask; the directory must be exactly owner-only.
      if (::chmod(dir.c_str(), kDirMode) != 0) {
        return fail("cannot set mode 0700 on " + dir.string() + ": " + errno_text(errno));
      }
    } else if (errno != EEXIST) {
      return fail("cannot create " + dir.string() + ": " + errno_text(errno));
    }
    // Checked again: another process may have created it first, with other modes.
    checked = check_path(dir, Trust::kDirectory, kDirWhat);
  }
  if (!checked) {
    return fail(checked.error().message);
  }
  return Ok{};
}

// An exclusive lock on the directory, held as long as the descriptor is open.
Result<UniqueFd, std::string> lock_dir(const fs::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) {
    return fail("cannot open " + dir.string() + ": " + errno_text(errno));
  }
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) {
      return fail("cannot lock " + dir.string() + ": " + errno_text(errno));
    }
  }
  return fd;
}

// Reads a PEM file into `out`; false when it does not exist. The file must be the user's (or
// root's), a regular file and writable by nobody else (file_safety.h); a key (Trust::kSecretFile)
// that others can only read is let through, for the caller to make owner-only if it keeps it.
// Files larger than any PEM that dev-cert writes are refused rather than read.
Result<bool, std::string> read_pem_file(const fs::path& path, Trust trust, std::string_view what,
                                        std::string& out) {
  // O_NOFOLLOW: a link must not make us trust (or later chmod) another file; O_NONBLOCK: a FIFO
  // must not hang us, it is refused below as not a regular file.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    const int err = errno;
    if (err == ENOENT) {
      return false;
    }
    if (err == ELOOP) {
      if (auto safe = check_path(path, trust, what); !safe) {
        return fail(safe.error().message);
      }
    }
    return fail("cannot read " + path.string() + ": " + errno_text(err));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return fail("cannot read " + path.string() + ": " + errno_text(errno));
  }
  if (auto safe = check_file_status(path, st, trust, what);
      !safe && safe.error().code != UnsafeFileCode::kReadableByOthers) {
    return fail(safe.error().message);
  }
  // Reserved once, so a secret is never left behind in a buffer that grew.
  out.assign(kMaxDevCertPemBytes + 1, '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = ::read(fd.get(), out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return fail("cannot read " + path.string() + ": " + errno_text(errno));
    }
    if (n == 0) {
      break;
    }
    got += static_cast<std::size_t>(n);
  }
  if (got > kMaxDevCertPemBytes) {
    return fail(path.string() + " is larger than any PEM file signet dev-cert writes");
  }
  out.resize(got);
  return true;
}

// Replaces `path` atomically (common/private_file.h): readers see the old file or the new one,
// never a part, and a key is never readable by others, not even for a moment.
Result<Ok, std::string> write_file(const fs::path& path, std::string_view content, mode_t mode) {
  auto written = replace_file(path, content, mode);
  if (!written && written.error().step == FileWriteStep::kCreate) {
    return fail("cannot create a file in " + path.parent_path().string() + ": " +
                errno_text(written.error().err));
  }
  if (!written) {
    return fail("cannot write " + path.string() + ": " + errno_text(written.error().err));
  }
  return Ok{};
}

// The key first: a crash between the two renames leaves a pair that does not match, which the
// next run reports or replaces, never a certificate whose key is lost.
Result<Ok, std::string> write_pair(const fs::path& cert_path, const fs::path& key_path,
                                   const CertifiedKey& pair) {
  if (auto key = write_file(key_path, pair.key_pem, kSecretFileMode); !key) {
    return key;
  }
  return write_file(cert_path, pair.cert_pem, kPublicFileMode);
}

// A kept private key that others can read is tightened to 0600 (it may have been copied around).
// Returns true when it changed the mode.
Result<bool, std::string> make_owner_only(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || (st.st_mode & kGroupOtherBits) == 0) {
    return false;
  }
  if (::chmod(path.c_str(), kSecretFileMode) != 0) {
    return fail(path.string() + " is readable by others and cannot be made owner-only: " +
                errno_text(errno) + "; run: chmod 600 " + shell_quote(path.string()));
  }
  return true;
}

Result<Ok, std::string> keep_key(const fs::path& path, DevCertOutcome& out) {
  auto tightened = make_owner_only(path);
  if (!tightened) {
    return fail(tightened.error());
  }
  if (*tightened) {
    out.tightened.push_back(path);
  }
  return Ok{};
}

// Why the CA in the directory must be replaced; nullopt when it can stay (its summary is then in
// out.ca). A CA that exists but cannot be used is an error rather than silently replaced: clients
// may trust it, and whoever removes it should know that.
Result<std::optional<std::string>, std::string> ca_problem(const DevCertPaths& p,
                                                           const CertifiedKey& ca,
                                                           std::chrono::sys_seconds t,
                                                           DevCertOutcome& out) {
  using Reason = std::optional<std::string>;
  auto checked = check_dev_ca(ca);
  if (!checked && checked.error().code == DevCertErrorCode::kUnconstrained) {
    // Made before signet constrained its CA: its key, unencrypted on disk, could sign for any
    // site. Replaced, and the report says that clients must trust the new one.
    return Reason{
        "the previous CA could sign for any name; the new one only for localhost, 127.0.0.0/8 "
        "and ::1"};
  }
  if (!checked) {
    return fail(shell_quote(p.ca.string()) + " and " + shell_quote(p.ca_key.string()) +
                " are not a CA signet can use (" + describe(checked.error()) +
                "): remove both to create a new CA, which clients must then trust instead");
  }
  if (checked->not_after - kDevCertRenewBefore <= t) {
    return Reason{"the previous CA expires on " + day(checked->not_after)};
  }
  if (checked->not_before > t) {
    return Reason{"the previous CA is not valid until " + day(checked->not_before) +
                  " (was the clock changed?)"};
  }
  out.ca = std::move(*checked);
  return Reason{};
}

// The CA in the directory, or a new one.
Result<CertifiedKey, std::string> ensure_ca(const DevCertPaths& p, std::chrono::sys_seconds t,
                                            DevCertOutcome& out) {
  CertifiedKey ca;
  auto has_cert = read_pem_file(p.ca, Trust::kPublicFile, "the CA certificate", ca.cert_pem);
  if (!has_cert) {
    return fail(has_cert.error());
  }
  auto has_key = read_pem_file(p.ca_key, Trust::kSecretFile, "the CA key", ca.key_pem);
  if (!has_key) {
    return fail(has_key.error());
  }
  if (*has_cert && *has_key) {
    auto problem = ca_problem(p, ca, t, out);
    if (!problem) {
      return fail(problem.error());
    }
    out.new_ca_reason = std::move(*problem);
    if (!out.new_ca_reason) {
      if (auto kept = keep_key(p.ca_key, out); !kept) {
        return fail(kept.error());
      }
      return ca;
    }
  } else if (*has_cert || *has_key) {
    out.new_ca_reason = (*has_cert ? p.ca_key : p.ca).filename().string() + " was missing";
  } else {
    out.new_ca_reason = "none found in " + p.dir.string();
  }
  out.replaced_ca = *has_cert;  // a ca.pem that clients may trust is about to be overwritten

  auto created = create_dev_ca(t);
  if (!created) {
    return fail("cannot create the CA: " + describe(created.error()));
  }
  ca = std::move(*created);
  if (auto written = write_pair(p.ca, p.ca_key, ca); !written) {
    return fail(written.error());
  }
  out.created.push_back(p.ca);
  out.created.push_back(p.ca_key);
  auto summary = check_dev_ca(ca);
  if (!summary) {
    return fail("the new CA does not check out: " + describe(summary.error()));
  }
  out.ca = std::move(*summary);
  return ca;
}

// Why the server certificate in the directory must be replaced; nullopt when it can stay.
Result<std::optional<std::string>, std::string> server_cert_problem(const DevCertPaths& p,
                                                                    const CertifiedKey& ca,
                                                                    bool force,
                                                                    std::chrono::sys_seconds t,
                                                                    DevCertOutcome& out) {
  using Reason = std::optional<std::string>;
  if (force) {
    return Reason{"--force"};
  }
  if (out.new_ca_reason) {
    return Reason{"the CA is new"};
  }
  CertifiedKey server;
  auto has_cert =
      read_pem_file(p.cert, Trust::kPublicFile, "the server certificate", server.cert_pem);
  if (!has_cert) {
    return fail(has_cert.error());
  }
  auto has_key = read_pem_file(p.key, Trust::kSecretFile, "the server key", server.key_pem);
  if (!has_key) {
    return fail(has_key.error());
  }
  if (!*has_cert && !*has_key) {
    return Reason{"none found in " + p.dir.string()};
  }
  if (!*has_cert || !*has_key) {
    return Reason{(*has_cert ? p.key : p.cert).filename().string() + " was missing"};
  }
  auto checked = check_dev_server_cert(server, ca.cert_pem, t);
  if (!checked) {
    if (checked.error().code == DevCertErrorCode::kUntrusted) {
      return Reason{"the previous one does not verify against the CA: " + checked.error().message};
    }
    return Reason{"the previous one cannot be used: " + describe(checked.error())};
  }
  if (checked->not_after - kDevCertRenewBefore <= t) {
    return Reason{"the previous one expires on " + day(checked->not_after)};
  }
  out.server = std::move(*checked);
  if (auto kept = keep_key(p.key, out); !kept) {
    return fail(kept.error());
  }
  return Reason{};
}

Result<Ok, std::string> ensure_server_cert(const DevCertPaths& p, const CertifiedKey& ca,
                                           bool force, std::chrono::sys_seconds t,
                                           DevCertOutcome& out) {
  auto problem = server_cert_problem(p, ca, force, t, out);
  if (!problem) {
    return fail(problem.error());
  }
  out.new_server_reason = std::move(*problem);
  if (!out.new_server_reason) {
    return Ok{};
  }
  auto created = create_dev_server_cert(ca, t);
  if (!created) {
    return fail("cannot create the server certificate: " + describe(created.error()));
  }
  if (auto written = write_pair(p.cert, p.key, *created); !written) {
    return written;
  }
  out.created.push_back(p.cert);
  out.created.push_back(p.key);
  auto summary = summarize_cert(created->cert_pem);
  if (!summary) {
    return fail("the new server certificate does not parse: " + describe(summary.error()));
  }
  out.server = std::move(*summary);
  return Ok{};
}

}  // namespace

DevCertPaths dev_cert_paths(const fs::path& dir) {
  return DevCertPaths{dir, dir / kDevCaFileName, dir / kDevCaKeyFileName, dir / kDevCertFileName,
                      dir / kDevKeyFileName};
}

Result<DevCertOutcome, std::string> ensure_dev_cert_files(const DevCertPaths& paths, bool force,
                                                          std::chrono::sys_seconds now) {
  if (auto prepared = prepare_dir(paths.dir); !prepared) {
    return fail(prepared.error());
  }
  // Held until we return: two runs at once must not pair one run's CA with the other's certificate.
  auto lock = lock_dir(paths.dir);
  if (!lock) {
    return fail(lock.error());
  }
  DevCertOutcome out;
  auto ca = ensure_ca(paths, now, out);
  if (!ca) {
    return fail(ca.error());
  }
  if (auto server = ensure_server_cert(paths, *ca, force, now, out); !server) {
    return fail(server.error());
  }
  return out;
}

}  // namespace signet::keys
