// SPDX-License-Identifier: Apache-2.0
// One bitserial convolution layer set up with random data, to time kernels on
// its real shape: what bnn-bench reports and what bnn-tune compares.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "apps/bench/timing.h"
#include "kernels/registry.h"

namespace bnn::bench {

struct ConvShape {
  std::string name;  // e.g. "C2"
  int in_h, in_w, in_c, out_c, kernel, stride, pad;

  ConvGeometry geometry() const;
  int64_t macs() const;  // multiply-accumulates of one image
};

// The ResNet-18 convolutions C2-C12 as TVM's bitserial paper numbers them
// (C1, the 7x7 first layer, stays full precision).
std::vector<ConvShape> resnet18_layers();

// The full-precision convolutions around them in Bi-Real-Net-18: the stem C1
// (7x7 s2 on the 224x224 image) and the three 1x1 shortcut convolutions S1-S3
// that follow a 2x2 average pool.
std::vector<ConvShape> resnet18_float_layers();

// One layer's kind, as far as its speed goes (what bnn-tune times).
struct ConvCase {
  ConvGeometry geometry;
  int weight_bits = 1, act_bits = 1;
  Encoding weight_encoding = Encoding::kBipolar, act_encoding = Encoding::kBipolar;
  int out_bits = 1;  // packed output through thresholds; 0 = float output
  PadValue pad_value = PadValue::kZero;
};

class ConvBench {
 public:
  ConvBench(const ConvShape& shape, int weight_bits, int act_bits, uint32_t seed = 1);
  explicit ConvBench(const ConvCase& c, uint32_t seed = 1);
  ConvBench(const ConvBench&) = delete;  // layer_ points into this object's buffers
  ConvBench& operator=(const ConvBench&) = delete;

  // Median time of the whole layer (the output its ConvCase describes; the
  // ConvShape constructor makes a 1-bit packed one, as between two binary
  // layers) with `kernel` and its outer tiles `loop`
  // on `threads` threads, split by `axis` as the engine splits it (none: the
  // engine's default split).
  Timing time(const BitserialConvKernel& kernel, int threads, GemmLoopSchedule loop = {},
              std::optional<SplitAxis> axis = std::nullopt, TimingBudget budget = {}) const;
  const BitserialConvArgs& args() const { return layer_.conv; }

 private:
  std::vector<uint64_t> input_, weights_, output_;
  std::vector<float> float_output_;
  std::vector<int32_t> thresholds_;
  BitserialConvLayer layer_;
};

// One float convolution layer with random data and a batchnorm's scale and
// bias fused, as the engine runs Bi-Real-Net's stem or a shortcut.
class FloatConvBench {
 public:
  explicit FloatConvBench(const ConvShape& shape, uint32_t seed = 1);
  FloatConvBench(const FloatConvBench&) = delete;
  FloatConvBench& operator=(const FloatConvBench&) = delete;

  // Median time of the whole layer with `kernel`, its output rows split
  // over `threads` threads as the engine splits them.
  Timing time(const Conv2DKernel& kernel, int threads) const;

 private:
  std::vector<float> input_, weights_, scale_, bias_, output_;
  Conv2DLayer layer_;
};

// This core's binary-MAC rate with `kernel` on L1-resident data (the physical
// ceiling the layer figures are reported against), in GMAC/s.
double peak_gmacs(const BitserialConvKernel& kernel);

}  // namespace bnn::bench
