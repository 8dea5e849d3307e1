// SPDX-License-Identifier: Apache-2.0
// ResNet-18's convolution shapes, one-layer models of them timed through the
// engine (what bnn-bench --layers reports), and the microkernels' peak rate.
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

// One layer's kind, as far as its speed goes (bnn-tune's cost model).
struct ConvCase {
  ConvGeometry geometry;
  int weight_bits = 1, act_bits = 1;
  Encoding weight_encoding = Encoding::kBipolar, act_encoding = Encoding::kBipolar;
  int out_bits = 1;  // packed output through thresholds; 0 = float output
  PadValue pad_value = PadValue::kZero;
  bool fused_quantize = false;  // a float output whose one-bit Quantize the engine fuses (packed words too)
};

// A one-layer model of a bitserial convolution of `shape` (random weights,
// its input quantized from floats, a 1-bit packed output as between two
// binary layers), timed as the engine runs it (bnn::LayerTrial).
class ConvBench {
 public:
  ConvBench(const ConvShape& shape, int weight_bits, int act_bits, uint32_t seed = 1);
  // Median time of the layer with `kernel` (its default outer tiles and
  // split) on `threads` threads; none when the engine would not run the
  // layer with that kernel (`why` then says why).
  std::optional<Timing> time(const std::string& kernel, int threads, std::string* why = nullptr) const;
  std::string default_kernel() const;  // this CPU's, for the layer

 private:
  std::vector<uint8_t> model_;
};

// The same for a float convolution with a batchnorm's scale and bias fused,
// as the engine runs Bi-Real-Net's stem or a shortcut.
class FloatConvBench {
 public:
  explicit FloatConvBench(const ConvShape& shape, uint32_t seed = 1);
  std::optional<Timing> time(const std::string& kernel, int threads, std::string* why = nullptr) const;
  std::string default_kernel() const;

 private:
  std::vector<uint8_t> model_;
};

// This core's binary-MAC rate with `kernel` on L1-resident data (the physical
// ceiling the layer figures are reported against), in GMAC/s.
double peak_gmacs(const BitserialConvKernel& kernel);

}  // namespace bnn::bench
