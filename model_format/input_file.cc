// SPDX-License-Identifier: Apache-2.0
#include "model_format/input_file.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace bnn {
namespace {

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

InputFile::InputFile(const std::string& path) {
  // O_NONBLOCK: opening a FIFO with no writer returns at once instead of
  // waiting for one; it is cleared again for the reads of a regular file.
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd_ < 0) {
    error_ = std::string("cannot open (") + std::strerror(errno) + ")";
    return;
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    error_ = std::string("cannot read (") + std::strerror(errno) + ")";
  } else if (!S_ISREG(st.st_mode)) {
    error_ = S_ISDIR(st.st_mode) ? "cannot read (a directory)"
                                 : std::string("not a regular file (") + kind_of(st.st_mode) + "): give a file";
  } else if (::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK) != 0) {
    error_ = std::string("cannot read (") + std::strerror(errno) + ")";
  } else {
    size_ = static_cast<int64_t>(st.st_size);
    return;
  }
  ::close(fd_);
  fd_ = -1;
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::string InputFile::read_exactly(void* data, size_t size) {
  auto* bytes = static_cast<uint8_t*>(data);
  size_t got = 0;
  while (got < size) {
    const ssize_t n = ::read(fd_, bytes + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::string("cannot read (") + std::strerror(errno) + ")";
    if (n == 0) return "cannot read (the file shrank while it was read)";
    got += static_cast<size_t>(n);
  }
  return "";
}

std::vector<uint8_t> read_regular_file(const std::string& path, int64_t max_bytes, const char* limit_name) {
  InputFile file(path);
  if (!file.error().empty()) throw std::runtime_error(path + ": " + file.error());
  if (file.size() > max_bytes) {
    throw std::runtime_error(path + ": larger than " + std::to_string(max_bytes) + " bytes (limit " + limit_name + ")");
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(file.size()));
  const std::string error = file.read_exactly(bytes.data(), bytes.size());
  if (!error.empty()) throw std::runtime_error(path + ": " + error);
  return bytes;
}

}  // namespace bnn
