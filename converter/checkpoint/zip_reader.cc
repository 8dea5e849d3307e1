// SPDX-License-Identifier: Apache-2.0
#include "converter/checkpoint/zip_reader.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "converter/ir.h"
#include "model_format/crc32.h"
#include "model_format/limits.h"

namespace bnn::convert {
namespace {

uint64_t le(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

constexpr uint32_t kLocalHeader = 0x04034b50, kCentralHeader = 0x02014b50, kEnd = 0x06054b50;
constexpr uint32_t kEnd64 = 0x06064b50, kEnd64Locator = 0x07064b50;

}  // namespace

ZipArchive::ZipArchive(const uint8_t* data, size_t size, std::string origin)
    : data_(data), size_(size), origin_(std::move(origin)) {
  auto fail = [&](const std::string& why) { throw ConvertError(origin_ + ": not a valid zip archive: " + why); };
  // Range [offset, offset + length) inside the file, without wrap-around.
  auto inside = [&](uint64_t offset, uint64_t length) { return offset <= size_ && length <= size_ - offset; };

  // The end-of-central-directory record: within the last 64 KiB + 22 bytes.
  if (size_ < 22) fail("shorter than an end-of-directory record");
  size_t end = size_;  // not found
  for (size_t i = size_ - 22 + 1; i-- > 0 && size_ - i <= 65535 + 22;) {
    if (le(data_ + i, 4) == kEnd && le(data_ + i + 20, 2) == size_ - i - 22) {
      end = i;
      break;
    }
  }
  if (end == size_) fail("no end-of-directory record (truncated?)");
  if (le(data_ + end + 4, 2) != 0 || le(data_ + end + 6, 2) != 0) fail("multi-disk archives are not supported");
  uint64_t count = le(data_ + end + 10, 2), cd_size = le(data_ + end + 12, 4), cd_offset = le(data_ + end + 16, 4);
  if (count == 0xFFFF || cd_size == 0xFFFFFFFF || cd_offset == 0xFFFFFFFF) {  // ZIP64
    if (end < 20 || le(data_ + end - 20, 4) != kEnd64Locator) fail("ZIP64 fields without a ZIP64 locator");
    const uint64_t record = le(data_ + end - 20 + 8, 8);
    if (!inside(record, 56) || le(data_ + record, 4) != kEnd64) fail("the ZIP64 end record is outside the file");
    count = le(data_ + record + 32, 8);
    cd_size = le(data_ + record + 40, 8);
    cd_offset = le(data_ + record + 48, 8);
    end = static_cast<size_t>(record);  // the directory ends before the ZIP64 record
  }
  if (!inside(cd_offset, cd_size) || cd_offset + cd_size > end) fail("the central directory is outside the file");
  if (count > static_cast<uint64_t>(limits::kMaxZipEntries)) {
    fail(std::to_string(count) + " entries, more than " + std::to_string(limits::kMaxZipEntries) + " (kMaxZipEntries)");
  }

  std::set<std::string> names;
  uint64_t at = cd_offset;
  for (uint64_t n = 0; n < count; ++n) {
    if (!inside(at, 46) || at + 46 > cd_offset + cd_size || le(data_ + at, 4) != kCentralHeader) {
      fail("central directory entry " + std::to_string(n) + " is damaged");
    }
    const uint64_t flags = le(data_ + at + 8, 2), method = le(data_ + at + 10, 2);
    uint64_t compressed = le(data_ + at + 20, 4), uncompressed = le(data_ + at + 24, 4);
    const uint64_t name_length = le(data_ + at + 28, 2), extra_length = le(data_ + at + 30, 2);
    const uint64_t comment_length = le(data_ + at + 32, 2);
    uint64_t local = le(data_ + at + 42, 4);
    const uint64_t record = 46 + name_length + extra_length + comment_length;
    if (!inside(at, record) || at + record > cd_offset + cd_size) fail("central directory entry " + std::to_string(n) + " runs past the directory");
    ZipEntry e;
    e.name.assign(reinterpret_cast<const char*>(data_ + at + 46), name_length);
    e.crc32 = static_cast<uint32_t>(le(data_ + at + 16, 4));
    // ZIP64 extended information: the 8-byte fields, in order, for each field that is 0xFFFFFFFF.
    for (uint64_t x = at + 46 + name_length; x + 4 <= at + 46 + name_length + extra_length;) {
      const uint64_t id = le(data_ + x, 2), length = le(data_ + x + 2, 2);
      if (x + 4 + length > at + 46 + name_length + extra_length) fail("entry " + quoted(e.name) + ": damaged extra field");
      if (id == 0x0001) {
        uint64_t y = x + 4;
        for (uint64_t* field : {&uncompressed, &compressed, &local}) {
          if (*field != 0xFFFFFFFF) continue;
          if (y + 8 > x + 4 + length) fail("entry " + quoted(e.name) + ": short ZIP64 field");
          *field = le(data_ + y, 8);
          y += 8;
        }
      }
      x += 4 + length;
    }
    // torch.jit.save's archives hold code and constants beside the data.
    if (e.name.find("/code/") != std::string::npos || e.name.find("/constants.pkl") != std::string::npos) {
      throw ConvertError(origin_ + ": a TorchScript model (torch.jit.save / torch.jit.trace), not a torch.save "
                         "checkpoint: export it with torch.onnx.export(model, example_input, 'model.onnx') and convert "
                         "that, or save its weights with torch.save(model.state_dict(), 'model.pt') and give --arch");
    }
    if (flags & 1) fail("entry " + quoted(e.name) + " is encrypted");
    if (method != 0) {
      fail("entry " + quoted(e.name) + " is compressed (method " + std::to_string(method) +
           "); torch.save writes uncompressed entries");
    }
    if (compressed != uncompressed) fail("entry " + quoted(e.name) + ": stored sizes differ");
    if (!names.insert(e.name).second) fail("entry " + quoted(e.name) + " appears twice");
    // The local header repeats the name; the data follows it.
    if (!inside(local, 30) || le(data_ + local, 4) != kLocalHeader) fail("entry " + quoted(e.name) + ": no local header at its offset");
    const uint64_t local_name = le(data_ + local + 26, 2), local_extra = le(data_ + local + 28, 2);
    if (local_name != name_length || !inside(local + 30, local_name) ||
        std::memcmp(data_ + local + 30, e.name.data(), name_length) != 0) {
      fail("entry " + quoted(e.name) + ": its local header names another file");
    }
    e.data_offset = local + 30 + local_name + local_extra;
    e.size = uncompressed;
    if (!inside(e.data_offset, e.size) || e.data_offset + e.size > cd_offset) {
      fail("entry " + quoted(e.name) + ": its " + std::to_string(e.size) + " bytes run past the end of the data (truncated?)");
    }
    entries_.push_back(std::move(e));
    at += record;
  }
  // No two entries may share bytes.
  std::vector<const ZipEntry*> by_offset;
  for (const ZipEntry& e : entries_) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(), [](auto* a, auto* b) { return a->data_offset < b->data_offset; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    if (by_offset[i - 1]->data_offset + by_offset[i - 1]->size > by_offset[i]->data_offset) {
      fail("entries " + quoted(by_offset[i - 1]->name) + " and " + quoted(by_offset[i]->name) + " overlap");
    }
  }
  crc_checked_.assign(entries_.size(), false);
}

const ZipEntry* ZipArchive::find(const std::string& name) const {
  for (const ZipEntry& e : entries_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

const uint8_t* ZipArchive::read(const ZipEntry& entry) const {
  const size_t index = static_cast<size_t>(&entry - entries_.data());
  if (!crc_checked_.at(index)) {
    if (crc32(data_ + entry.data_offset, entry.size) != entry.crc32) {
      throw ConvertError(origin_ + ": entry " + quoted(entry.name) + " fails its CRC-32 check (damaged file)");
    }
    crc_checked_[index] = true;
  }
  return data_ + entry.data_offset;
}

}  // namespace bnn::convert
