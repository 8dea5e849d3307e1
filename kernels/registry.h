// SPDX-License-Identifier: Apache-2.0
// The tables of kernel descriptors that the engine, the tests, bnn-bench and
// bnn-tune all enumerate. A schedule names a kernel by its descriptor name,
// XNNPACK-style: <op>_<OC>x<PX>c<W>__<isa>, the register tile (output channels
// x output pixels) and the depth step in 64-bit words always visible.
//
// Families with variants have tables: bitserial conv, float conv, int8 conv,
// quantize, dense, float pooling. Packed max pooling, elementwise layers and
// softmax run their reference functions directly until they have variants of
// their own.
#pragma once

#include <cstddef>
#include <cstdint>

#include <memory>
#include <string>
#include <vector>

#include "kernels/bitserial_gemm.h"
#include "kernels/conv2d_int8.h"
#include "kernels/cpu_features.h"
#include "kernels/output_transform.h"
#include "kernels/ref/bitserial_conv.h"
#include "kernels/ref/conv2d.h"

namespace bnn {

// A bitserial convolution kernel: the reference (no microkernel), the GEMM
// driver (bitserial_gemm.h) or the direct driver (bitserial_direct.h) with one
// ISA's microkernel and its register tile.
struct BitserialConvKernel {
  const char* name;
  Isa isa;
  int tile_oc;     // output channels per register block
  int tile_px;     // output pixels per register block
  int tile_words;  // packed 64-bit words per depth step
  BgemmUkernel ukernel;  // the GEMM driver's microkernel, or null
  BconvDirectUkernel direct = nullptr;  // the direct driver's microkernel, or null
  // This CPU's default only for layers of at least this many output channels
  // (wide tiles waste lanes and registers on narrow layers).
  int default_min_out_c = 0;
  // Neither: the reference.
  bool reference() const { return !ukernel && !direct; }
};

// The one way to use any bitserial descriptor (engine, tests, bench, tune):
// check it supports the layer, prepare it once (packs weights; null for the
// reference), then run output blocks with its scratch.
bool bitserial_conv_supports(const BitserialConvKernel& k, const BitserialConvArgs& args);
std::shared_ptr<const BitserialGemmPlan> bitserial_conv_prepare(const BitserialConvKernel& k,
                                                                const BitserialConvLayer& layer,
                                                                GemmLoopSchedule loop = {});
size_t bitserial_conv_scratch_bytes(const BitserialConvKernel& k, const BitserialGemmPlan* plan,
                                    const ConvGeometry& g, int act_bits);
void bitserial_conv_run(const BitserialConvKernel& k, const BitserialGemmPlan* plan, const BitserialConvLayer& layer,
                        const OutputBlock& block, void* scratch);
// This CPU's default kernel for a layer: the last table entry whose ISA is
// available, that supports the layer and whose default_min_out_c it meets.
// The engine's binder and bnn-tune both ask this.
const BitserialConvKernel* default_bitserial_conv_kernel(const BitserialConvArgs& args);
// The granule a channel split of this layer must respect, or 0 when the
// kernel computes whole pixels only (the reference): then blocks span all
// channels.
// (A property of the kernel: its plans always take its tile.)
int bitserial_conv_channel_step(const BitserialConvKernel& k, bool packed_output);

// A float convolution kernel. `prepare` repacks the weights once (empty for
// the reference, which reads OHWI directly); `run` gets them back and
// computes one output block: any rows, and channels split at multiples of
// conv2d_channel_step (all of them for the reference).
struct Conv2DKernel {
  const char* name;
  Isa isa;
  int tile_oc, tile_px;
  std::vector<float> (*prepare)(const Conv2DLayer& layer);
  void (*run)(const Conv2DLayer& layer, const float* packed, const OutputBlock& block, void* scratch);
  size_t (*scratch_bytes)(const ConvGeometry& g);
  bool grouped;  // handles groups > 1
  FloatRounding rounding;
};

// An int8 convolution kernel (Int8Conv2D): the reference (layout.group 0,
// no plan) or the band driver of one ISA (kernels/conv2d_int8.h).
struct Int8ConvKernel {
  const char* name;
  Isa isa;
  Int8ConvLayout (*layout)();  // the plan layout its run function reads; null for the reference
  void (*run)(const Int8ConvLayer& layer, const Int8ConvPlan& plan, int row_begin, int row_end, void* scratch);
};

// The one way to use an int8 descriptor: prepare once (null plan for the
// reference), size the scratch, run output rows.
std::shared_ptr<const Int8ConvPlan> int8_conv_prepare(const Int8ConvKernel& k, const Int8ConvLayer& layer);
size_t int8_conv_scratch_bytes(const Int8ConvKernel& k, const Int8ConvPlan* plan, const ConvGeometry& g);
void int8_conv_run(const Int8ConvKernel& k, const Int8ConvPlan* plan, const Int8ConvLayer& layer, int row_begin,
                   int row_end, void* scratch);

struct QuantizeKernel {
  const char* name;
  Isa isa;
  void (*run)(const float* x, int64_t rows, int channels, const float* scale, const float* bias,
              const float* thresholds, int bits, uint64_t* packed);
};

struct DenseKernel {
  const char* name;
  Isa isa;
  void (*run)(const float* x, int in_features, const float* weights, int out_features,
              const FloatTransform& transform, float* out, void* scratch);
};

// Float pooling, one entry per ISA: window max and average, global average.
struct PoolKernel {
  const char* name;  // the ISA part of the descriptor: "max_pool_f32__<name>"
  Isa isa;
  // Output rows [row_begin, row_end).
  void (*max_pool)(const ConvGeometry& g, const float* input, float* output, int row_begin, int row_end);
  void (*avg_pool)(const ConvGeometry& g, bool count_include_pad, const float* input, float* output, int row_begin,
                   int row_end);
  void (*global_avg_pool)(const float* input, int64_t pixels, int channels, float* output);
};

template <typename Kernel>
struct KernelTable {
  const Kernel* begin_;
  const Kernel* end_;
  const Kernel* begin() const { return begin_; }
  const Kernel* end() const { return end_; }
  size_t size() const { return static_cast<size_t>(end_ - begin_); }
};

// Each table lists the portable reference first; later entries are preferred.
KernelTable<BitserialConvKernel> bitserial_conv_kernels();
KernelTable<Conv2DKernel> conv2d_kernels();
KernelTable<Int8ConvKernel> int8_conv_kernels();
KernelTable<QuantizeKernel> quantize_kernels();
KernelTable<DenseKernel> dense_kernels();
KernelTable<PoolKernel> pool_kernels();

// This CPU's default for a layer: the last entry whose ISA is available and
// that `usable` accepts (the engine's binder and bnn-tune both ask this one
// function), or the table's first entry when none is.
template <typename Kernel, typename Usable>
const Kernel* default_kernel(KernelTable<Kernel> table, const Usable& usable) {
  const Kernel* chosen = table.begin();
  for (const Kernel& k : table) {
    if (isa_available(k.isa) && usable(k)) chosen = &k;
  }
  return chosen;
}

// Whether float convolution kernel `k` may run a layer of geometry g: it
// handles the layer's groups and rounds like this CPU's default for it, so
// that a tuned choice gives the untuned model's bits. The binder and the
// tuner both ask this.
bool conv2d_kernel_fits(const Conv2DKernel& k, const ConvGeometry& g);
// The granule of a float kernel's channel split (its register block), or 0
// when it computes whole pixels only (the reference).
int conv2d_channel_step(const Conv2DKernel& k);

// A kernel name as a schedule may hold it, as the kernel is called now
// (kernels renamed since keep binding); other names unchanged.
std::string current_kernel_name(const std::string& name);

// The bitserial descriptor called `name`, or null.
const BitserialConvKernel* find_bitserial_conv_kernel(const std::string& name);

}  // namespace bnn
