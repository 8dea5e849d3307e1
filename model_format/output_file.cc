#include "model_format/output_file.h"

#include <cerrno>
#include <climits>
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

// The permission bits a new file gets from open(2) with 0666. umask() can
// only be read by setting it: restored at once (the tools call this before
// starting threads that create files).
mode_t new_file_mode() {
  const mode_t mask = ::umask(077);
  ::umask(mask);
  return 0666 & ~mask;
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
  target_ = target;

  std::string temporary = directory_of(target) + "/." + name_of(target) + ".XXXXXX";
  fd_ = ::mkostemp(temporary.data(), O_CLOEXEC);
  if (fd_ < 0) fail("cannot write in " + directory_of(target) + " (" + errno_text() + ")");
  temporary_ = temporary;
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
