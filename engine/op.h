// SPDX-License-Identifier: Apache-2.0
// A bound layer: its kernel chosen and its constants resolved at load time, so
// that running it allocates nothing and decides nothing (ncnn's
// create_pipeline/forward split, Larq's prepare/run).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/output_transform.h"

namespace bnn {

class ThreadPool;
struct QuantizeKernel;

struct TensorRecord {
  int64_t bytes = 0;
  const uint8_t* constant = nullptr;  // constant data, or null for an activation
  int64_t arena_offset = -1;          // activations: offset in the session arena
};

// What an op sees while it runs.
struct RunContext {
  const TensorRecord* tensors = nullptr;
  uint8_t* arena = nullptr;
  uint8_t* scratch = nullptr;  // `threads` slices of scratch_stride bytes
  size_t scratch_stride = 0;
  ThreadPool* pool = nullptr;  // the session's threads (its size() slices of scratch)

  template <typename T>
  T* data(int tensor) const {
    const TensorRecord& r = tensors[tensor];
    return reinterpret_cast<T*>(r.constant ? const_cast<uint8_t*>(r.constant) : arena + r.arena_offset);
  }
  void* scratch_for(int thread) const { return scratch + thread * scratch_stride; }
};

// A one-bit Quantize as the op producing its input can take it on.
struct QuantizeFusion {
  FusedQuantize params;  // packed left null: bound per run
  const QuantizeKernel* kernel = nullptr;  // the Quantize's own kernel, for producers that call it
  int input = -1, output = -1;
};

class Op {
 public:
  virtual ~Op() = default;
  virtual void run(const RunContext& ctx) const = 0;

  // Fusion (model.cc): a one-bit Quantize describes itself; the op that
  // produced its input may take it on (writing the packed bits in its
  // epilogue), and the Quantize then does nothing.
  virtual bool describe_quantize(QuantizeFusion*) const { return false; }
  virtual bool take_quantize(const QuantizeFusion&) { return false; }
  virtual void skip_as_fused() {}

  std::vector<int> inputs;     // activation tensors read (residuals included)
  int output = -1;
  std::vector<int> also_writes;  // tensors written besides `output` (a fused layer's)
  // An input whose bytes `output` may take when this op is its last reader
  // (model.cc): each output element is written after the same element of it
  // is read, by the same thread. -1: none.
  int in_place_input = -1;
  size_t scratch_bytes = 0;    // per thread
  std::string kernel;          // the kernel's descriptor name
  int64_t macs = 0;
};

}  // namespace bnn
