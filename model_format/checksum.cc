// SPDX-License-Identifier: Apache-2.0
#include "model_format/checksum.h"

#include <cstring>

namespace bnn {
namespace {

class Hasher {
 public:
  void add(uint64_t word) {
    h_ ^= word + 0x9E3779B97F4A7C15ull + (h_ << 6) + (h_ >> 2);
    h_ *= 0xFF51AFD7ED558CCDull;
    h_ ^= h_ >> 33;
  }
  void add_bytes(const uint8_t* data, size_t size) {
    add(size);
    size_t i = 0;
    for (; i + 8 <= size; i += 8) {
      uint64_t word;
      std::memcpy(&word, data + i, 8);
      add(word);
    }
    uint64_t tail = 0;
    if (size > i) std::memcpy(&tail, data + i, size - i);  // data may be null when size is 0
    add(tail);
  }
  uint64_t value() const { return h_ == 0 ? 1 : h_; }

 private:
  uint64_t h_ = 0xCBF29CE484222325ull;
};

}  // namespace

uint64_t constants_checksum(const fb::Model& model) {
  Hasher h;
  if (model.buffers()) {
    for (uint32_t i = 0; i < model.buffers()->size(); ++i) {
      const auto* data = model.buffers()->Get(i)->data();
      h.add(i);
      h.add_bytes(data ? data->data() : nullptr, data ? data->size() : 0);
    }
  }
  return h.value();
}

uint64_t constants_checksum(const fb::ModelT& model) {
  Hasher h;
  for (size_t i = 0; i < model.buffers.size(); ++i) {
    h.add(i);
    h.add_bytes(model.buffers[i]->data.data(), model.buffers[i]->data.size());
  }
  return h.value();
}

}  // namespace bnn
