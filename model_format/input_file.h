// SPDX-License-Identifier: Apache-2.0
// Opening a file to read without hanging on what is not a file.
//
// A FIFO blocks in open(2) until a writer appears, and a device may never end:
// the file is opened non-blocking, asked what it is, and refused unless it is
// a regular file, before one byte is read. Every reader of a user-named file
// (models, .npy, pictures, ONNX, checkpoints, label lists) goes through here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace bnn {

class InputFile {
 public:
  // Never throws: check error().
  explicit InputFile(const std::string& path);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  // Empty when the file is open; else why not ("cannot open (No such file or
  // directory)", "not a regular file (a FIFO)", ...), without the path.
  const std::string& error() const { return error_; }
  int64_t size() const { return size_; }
  int fd() const { return fd_; }

  // Reads exactly `size` bytes from the current position; "" or the reason
  // (a read error, or the file shrank while it was read).
  std::string read_exactly(void* data, size_t size);

 private:
  int fd_ = -1;
  int64_t size_ = 0;
  std::string error_;
};

// The whole of a regular file of at most `max_bytes`; throws
// std::runtime_error "PATH: reason" (the limit named by `limit_name`).
std::vector<uint8_t> read_regular_file(const std::string& path, int64_t max_bytes, const char* limit_name);

}  // namespace bnn
