// SPDX-License-Identifier: Apache-2.0
// A heap block aligned for any SIMD load (64 bytes), owned by the engine:
// model constants, activation arenas and scratch live in these. It is not
// cleared: every byte is written before it is read (the validator proves each
// activation is written before any layer reads it), and clearing would commit
// every page of a large arena up front.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>

namespace bnn {

constexpr size_t kAlignment = 64;

constexpr int64_t align_up(int64_t bytes) {
  return (bytes + static_cast<int64_t>(kAlignment) - 1) / static_cast<int64_t>(kAlignment) *
         static_cast<int64_t>(kAlignment);
}

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t bytes) : size_(bytes) {
    if (bytes == 0) return;
    // Rounded in size_t, after a check: a size near SIZE_MAX (a caller's
    // corrupt length) would otherwise wrap to a tiny block.
    if (bytes > SIZE_MAX - kAlignment) throw std::bad_alloc();
    const size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
    data_.reset(static_cast<uint8_t*>(std::aligned_alloc(kAlignment, rounded)));
    if (!data_) throw std::bad_alloc();
  }
  uint8_t* data() const { return data_.get(); }
  size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, Free> data_;
  size_t size_ = 0;
};

}  // namespace bnn
