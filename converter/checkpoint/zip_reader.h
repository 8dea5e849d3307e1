// SPDX-License-Identifier: Apache-2.0
// A ZIP archive read in memory, as torch.save writes it (PyTorch >= 1.6):
// stored (uncompressed) entries, optionally ZIP64. Every offset and size in
// the central directory and the local headers is checked against the file
// before use; entries may not overlap; a read entry's CRC-32 is verified.
// Compressed or encrypted entries are refused by name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace bnn::convert {

struct ZipEntry {
  std::string name;
  uint64_t data_offset = 0;  // of the stored bytes in the archive
  uint64_t size = 0;
  uint32_t crc32 = 0;
};

class ZipArchive {
 public:
  // Parses the directory of `size` bytes at `data` (which must outlive the
  // archive). `origin` names the file in errors. Throws ConvertError.
  ZipArchive(const uint8_t* data, size_t size, std::string origin);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(const std::string& name) const;
  // The entry's bytes, after checking its CRC-32 (once per entry).
  const uint8_t* read(const ZipEntry& entry) const;
  const std::string& origin() const { return origin_; }

 private:
  const uint8_t* data_;
  size_t size_;
  std::string origin_;
  std::vector<ZipEntry> entries_;
  mutable std::vector<bool> crc_checked_;
};

}  // namespace bnn::convert
