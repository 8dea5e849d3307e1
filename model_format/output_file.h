// SPDX-License-Identifier: Apache-2.0
// Writing a file the way careful tools do, for every file the project writes
// (models, .npy outputs and dumps, benchmark plots).
//
// The bytes go to a fresh temporary file beside the target (created with
// O_EXCL under an unpredictable name, so no planted symlink or stray file is
// ever written through), which is flushed to disk and renamed over the
// target: a reader sees the old file or the new one, never half of one, and on
// any failure the old file is untouched and no temporary is left.
// - A symlink is followed: the file it points to is replaced, in that file's
//   directory (the link itself stays a link).
// - A device, FIFO, socket or directory is refused, never replaced; "-" means
//   standard output.
// - A replaced file keeps its permission bits (and owner, where allowed); a
//   new one gets 0666 less the umask, as open(2) would give it.
//
// Lives in the model-format library because it is the lowest library every
// tool links; it knows nothing about models.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace bnn {

// A file being written; nothing is visible at the target until commit().
// Destroyed uncommitted (an exception on the way), it removes its temporary.
// Every error throws std::runtime_error naming the target and the reason.
class OutputFile {
 public:
  explicit OutputFile(const std::string& path);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  void write(const void* data, size_t size);
  // Flushes, syncs and renames over the target (or flushes standard output).
  void commit();

 private:
  [[noreturn]] void fail(const std::string& why);
  void discard() noexcept;

  std::string path_;       // as the user gave it, for messages
  std::string target_;     // the regular file that is replaced (symlinks followed)
  std::string temporary_;  // empty for standard output
  int fd_ = -1;
  bool committed_ = false;
};

// The whole file in one call.
void write_file(const std::string& path, const void* data, size_t size);
inline void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  write_file(path, bytes.data(), bytes.size());
}

}  // namespace bnn
