// SPDX-License-Identifier: Apache-2.0
#include "model_format/output_file.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace bnn {
namespace {

constexpr int kMaxSymlinkHops = 40;  // Linux's own limit (ELOOP)

std::string directory_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string name_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string errno_text() { return std::strerror(errno); }

// The permission bits a new file gets from open(2) with 0666. The umask is
// read from /proc (umask() can only read it by changing it, which would race
// with other threads creating files); without /proc, the restrictive 0600
// that mkostemp gave stays.
mode_t new_file_mode() {
  FILE* status = std::fopen("/proc/self/status", "re");
  if (!status) return 0600;
  char line[256];
  unsigned mask = 077;
  while (std::fgets(line, sizeof line, status)) {
    if (std::sscanf(line, "Umask: %o", &mask) == 1) break;
  }
  std::fclose(status);
  return 0666 & ~static_cast<mode_t>(mask);
}

}  // namespace

OutputFile::OutputFile(const std::string& path) : path_(path) {
  if (path.empty()) throw std::runtime_error("an output path is empty");
  if (path == "-") {
    fd_ = STDOUT_FILENO;
    return;
  }
  // Follow symlinks to the file that is replaced; stop at one that is absent.
  std::string target = path;
  struct stat st {};
  bool exists = false;
  for (int hops = 0;; ++hops) {
    if (hops > kMaxSymlinkHops) fail("cannot write (too many levels of symbolic links)");
    if (::lstat(target.c_str(), &st) != 0) {
      if (errno != ENOENT) fail("cannot write (" + errno_text() + ")");
      break;
    }
    if (!S_ISLNK(st.st_mode)) {
      exists = true;
      break;
    }
    char link[PATH_MAX];
    const ssize_t n = ::readlink(target.c_str(), link, sizeof link - 1);
    if (n < 0) fail("cannot write (" + errno_text() + ")");
    const std::string to(link, static_cast<size_t>(n));
    target = !to.empty() && to[0] == '/' ? to : directory_of(target) + "/" + to;
  }
  if (exists && S_ISDIR(st.st_mode)) fail("cannot write (a directory)");
  if (exists && !S_ISREG(st.st_mode)) {
    fail("is not a regular file (a device, FIFO or socket): refusing to replace it; "
         "write to a file, or give '-' for standard output");
  }
  // A file the user may not write stays as it is (writing it in place was
  // refused the same way); the directory being writable is not enough.
  if (exists && ::faccessat(AT_FDCWD, target.c_str(), W_OK, AT_EACCESS) != 0) {
    fail("cannot write (" + errno_text() + "): refusing to replace a file you may not write");
  }
  target_ = target;

  // ".NAME.XXXXXX", the name cut so the whole fits in a file name (255 bytes).
  temporary_ = directory_of(target) + "/." + name_of(target).substr(0, 200) + ".XXXXXX";
  fd_ = ::mkostemp(temporary_.data(), O_CLOEXEC);
  if (fd_ < 0) {
    temporary_.clear();  // nothing was created
    const std::string dir = directory_of(target);
    fail("cannot write in " + dir + " (" + errno_text() + ")" +
         (dir.rfind("/proc/", 0) == 0 ? "; for standard output give '-'" : ""));
  }
  if (exists) {
    // Keep the old file's owner (root replacing a user's file) and mode; an
    // owner that cannot be kept is not an error, the mode is.
    if (st.st_uid != ::geteuid() || st.st_gid != ::getegid()) (void)!::fchown(fd_, st.st_uid, st.st_gid);
    if (::fchmod(fd_, st.st_mode & 07777) != 0) fail("cannot keep the file's permissions (" + errno_text() + ")");
  } else if (::fchmod(fd_, new_file_mode()) != 0) {
    fail("cannot set the file's permissions (" + errno_text() + ")");
  }
}

OutputFile::~OutputFile() {
  if (!committed_) discard();
}

void OutputFile::discard() noexcept {
  if (temporary_.empty()) return;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  ::unlink(temporary_.c_str());
  temporary_.clear();
}

void OutputFile::fail(const std::string& why) {
  discard();
  throw std::runtime_error(path_ + ": " + why);
}

void OutputFile::write(const void* data, size_t size) {
  if (committed_ || fd_ < 0) throw std::logic_error("OutputFile::write after commit");
  const auto* bytes = static_cast<const uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd_, bytes, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot write (" + errno_text() + ")");
    bytes += n;
    size -= static_cast<size_t>(n);
  }
}

void OutputFile::commit() {
  if (committed_) return;
  if (temporary_.empty()) {  // standard output: nothing to rename
    committed_ = true;
    return;
  }
  if (::fsync(fd_) != 0) fail("cannot write (" + errno_text() + ")");
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("cannot write (" + errno_text() + ")");
  if (::rename(temporary_.c_str(), target_.c_str()) != 0) fail("cannot replace " + target_ + " (" + errno_text() + ")");
  temporary_.clear();
  committed_ = true;
  // The rename is durable once the directory is synced; a file system that
  // cannot sync directories (EINVAL) has nothing more to do.
  const int dir = ::open(directory_of(target_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    const int error = ::fsync(dir) == 0 ? 0 : errno;
    ::close(dir);
    if (error != 0 && error != EINVAL) {
      throw std::runtime_error(path_ + ": written, but its directory could not be synced (" + std::strerror(error) + ")");
    }
  }
}

void write_file(const std::string& path, const void* data, size_t size) {
  OutputFile file(path);
  file.write(data, size);
  file.commit();
}

}  // namespace bnn
