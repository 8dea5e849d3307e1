// The table of kernel descriptors that the engine, the tests, bnn-bench and
// bnn-tune all enumerate. A schedule names a kernel by its descriptor name.
#pragma once

#include <cstddef>
#include <string>

#include "kernels/ref/bitserial_conv.h"
#include "kernels/ref/conv2d.h"

namespace bnn {

// Instruction sets a kernel may need. Only "portable" exists so far.
enum class Isa : unsigned { kPortable = 0 };
const char* isa_name(Isa isa);

// One bitserial convolution kernel: computes output rows [row_begin, row_end)
// of a layer, fused with its output transform.
struct BitserialConvKernel {
  const char* name;
  Isa isa;
  int tile_oc;  // output channels per register block
  int tile_px;  // output pixels per register block
  void (*run)(const BitserialConvLayer& layer, int row_begin, int row_end, void* scratch);
  size_t (*scratch_bytes)(const ConvGeometry& g, int act_bits);
};

struct Conv2DKernel {
  const char* name;
  Isa isa;
  void (*run)(const Conv2DLayer& layer, int row_begin, int row_end, void* scratch);
  size_t (*scratch_bytes)(const ConvGeometry& g);
};

template <typename Kernel>
struct KernelTable {
  const Kernel* begin_;
  const Kernel* end_;
  const Kernel* begin() const { return begin_; }
  const Kernel* end() const { return end_; }
  size_t size() const { return static_cast<size_t>(end_ - begin_); }
};

KernelTable<BitserialConvKernel> bitserial_conv_kernels();
KernelTable<Conv2DKernel> conv2d_kernels();

// The descriptor called `name`, or null.
const BitserialConvKernel* find_bitserial_conv_kernel(const std::string& name);
const Conv2DKernel* find_conv2d_kernel(const std::string& name);

}  // namespace bnn
