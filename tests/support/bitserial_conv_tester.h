// SPDX-License-Identifier: Apache-2.0
// BitserialConvTester (XNNPACK's GemmMicrokernelTester idea): set a shape
// with chained setters, then test() runs a kernel descriptor on random data
// and compares it exactly with a naive integer convolution over decoded
// values. Each kernel runs over split row ranges and channel ranges, each
// block checked to write only inside itself, with exactly the scratch it
// asks for, once with a float output (no scale or bias: the accumulator
// itself) and once with a threshold output (packed codes).
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/bitpack.h"
#include "kernels/ref/quantize.h"
#include "kernels/registry.h"
#include "support/naive.h"
#include "support/random.h"

namespace bnn::test {

class BitserialConvTester {
 public:
  BitserialConvTester& input(int h, int w, int c) { g_.in_h = h, g_.in_w = w, g_.in_c = c; return *this; }
  BitserialConvTester& output_channels(int c) { g_.out_c = c; return *this; }
  BitserialConvTester& kernel(int h, int w) { g_.kernel_h = h, g_.kernel_w = w; return *this; }
  BitserialConvTester& stride(int h, int w) { g_.stride_h = h, g_.stride_w = w; return *this; }
  BitserialConvTester& pads(int top, int left, int bottom, int right) {
    g_.pad_top = top, g_.pad_left = left, g_.pad_bottom = bottom, g_.pad_right = right;
    return *this;
  }
  BitserialConvTester& dilation(int h, int w) { g_.dilation_h = h, g_.dilation_w = w; return *this; }
  BitserialConvTester& groups(int g) { g_.groups = g; return *this; }
  BitserialConvTester& bits(int weight_bits, int act_bits) { wbits_ = weight_bits, abits_ = act_bits; return *this; }
  BitserialConvTester& encodings(Encoding w, Encoding a) { wenc_ = w, aenc_ = a; return *this; }
  BitserialConvTester& pad_value(PadValue p) { pad_ = p; return *this; }
  BitserialConvTester& seed(uint32_t s) { seed_ = s; return *this; }
  BitserialConvTester& loop(GemmLoopSchedule l) { loop_ = l; return *this; }

  // The geometry with its output extent filled in.
  ConvGeometry geometry() const {
    ConvGeometry g = g_;
    g.out_h = naive_extent(g.in_h, g.pad_top, g.pad_bottom, g.kernel_h, g.stride_h, g.dilation_h);
    g.out_w = naive_extent(g.in_w, g.pad_left, g.pad_right, g.kernel_w, g.stride_w, g.dilation_w);
    return g;
  }
  bool valid() const { return geometry().out_h >= 1 && geometry().out_w >= 1; }

  std::string name() const {
    std::ostringstream s;
    s << g_.in_h << "x" << g_.in_w << "x" << g_.in_c << "->" << g_.out_c << " k" << g_.kernel_h << "x" << g_.kernel_w
      << " s" << g_.stride_h << "x" << g_.stride_w << " p" << g_.pad_top << "." << g_.pad_left << "." << g_.pad_bottom
      << "." << g_.pad_right << " d" << g_.dilation_h << "x" << g_.dilation_w << " g" << g_.groups << " W" << wbits_
      << (wenc_ == Encoding::kBipolar ? "b" : "u") << "A" << abits_ << (aenc_ == Encoding::kBipolar ? "b" : "u")
      << (pad_ == PadValue::kMinusOne ? " pad-1" : "") << " seed" << seed_ << " outer " << loop_.outer_px << "x"
      << loop_.outer_oc << (loop_.channels_outer ? " channels-outer" : "");
    return s.str();
  }

  void test(const BitserialConvKernel& k) const {
    INFO("kernel " << k.name << ", case " << name());
    const ConvGeometry g = geometry();
    REQUIRE(valid());
    {
      BitserialConvArgs probe;
      probe.geometry = g;
      if (!bitserial_conv_supports(k, probe)) return;  // e.g. groups on a GEMM kernel: the engine picks another
    }
    Random rng(seed_);
    const int cg = g.in_c / g.groups;
    const std::vector<uint8_t> x_codes = rng.codes(size_t(g.in_h) * g.in_w * g.in_c, abits_);
    const std::vector<uint8_t> w_codes = rng.codes(size_t(g.out_c) * g.kernel_h * g.kernel_w * cg, wbits_);
    std::vector<uint64_t> x(size_t(g.in_h) * g.in_w * packed_row_words(g.in_c, abits_));
    pack_codes(x_codes.data(), int64_t(g.in_h) * g.in_w, g.in_c, abits_, x.data());
    std::vector<uint64_t> w(size_t(g.out_c) * g.kernel_h * g.kernel_w * packed_row_words(cg, wbits_));
    pack_codes(w_codes.data(), int64_t(g.out_c) * g.kernel_h * g.kernel_w, cg, wbits_, w.data());
    const std::vector<int64_t> want = naive_conv_hwc<int, int64_t>(
        g, code_values(x_codes, abits_, aenc_), code_values(w_codes, wbits_, wenc_), pad_ == PadValue::kMinusOne ? -1 : 0);

    BitserialConvLayer layer;
    layer.conv = {g, x.data(), abits_, aenc_, w.data(), wbits_, wenc_, pad_};
    const size_t pixels = size_t(g.out_h) * g.out_w;

    // Float output: the accumulator, converted exactly.
    std::vector<float> out(pixels * g.out_c, -12345.0f);
    layer.out_float = out.data();
    run_split(k, layer, g, loop_);
    for (size_t i = 0; i < out.size(); ++i) {
      if (out[i] != static_cast<float>(want[i])) {
        FAIL("accumulator " << i << " (pixel " << i / g.out_c << ", channel " << i % g.out_c << "): got " << out[i]
                            << ", want " << want[i]);
      }
    }

    // The float transform in full (scale, bias, residual, an activation: each
    // kind in turn over the seeds, the residual before or after it) with the
    // next layer's one-bit quantize fused: the floats transform_to_float makes
    // of the exact accumulators, and the bits quantize_ref makes of those floats.
    {
      std::vector<float> scale(g.out_c), bias(g.out_c), q_scale(g.out_c), q_bias(g.out_c), q_t(g.out_c);
      std::vector<float> slope(g.out_c), shift_in(g.out_c), shift_out(g.out_c);
      for (int c = 0; c < g.out_c; ++c) {
        scale[c] = static_cast<float>(rng.uniform_int(-8, 8)) / 4.0f + 0.125f;
        bias[c] = static_cast<float>(rng.uniform_int(-16, 16)) / 2.0f;
        q_scale[c] = static_cast<float>(rng.uniform_int(-4, 4)) + 0.5f;
        q_bias[c] = static_cast<float>(rng.uniform_int(-8, 8));
        slope[c] = static_cast<float>(rng.uniform_int(-4, 4)) / 8.0f;
        shift_in[c] = static_cast<float>(rng.uniform_int(-8, 8)) / 4.0f;
        shift_out[c] = static_cast<float>(rng.uniform_int(-8, 8)) / 4.0f;
      }
      std::vector<float> residual(pixels * g.out_c);
      for (float& r : residual) r = static_cast<float>(rng.uniform_int(-20, 20)) / 4.0f;
      std::vector<float> want_float(pixels * g.out_c), acc_f(want.size());
      for (size_t i = 0; i < want.size(); ++i) acc_f[i] = static_cast<float>(want[i]);
      FloatTransform t;
      t.scale = scale.data();
      t.bias = bias.data();
      const ActivationKind kinds[] = {ActivationKind::kRelu, ActivationKind::kRprelu, ActivationKind::kPrelu,
                                      ActivationKind::kHardtanh, ActivationKind::kNone};
      t.activation.kind = kinds[seed_ % 5];
      t.activation.slope = slope.data();
      t.activation.shift_in = shift_in.data();
      t.activation.shift_out = shift_out.data();
      t.activation.min_value = -1.5f;
      t.activation.max_value = 2.25f;
      t.residual_after_activation = (seed_ / 5) % 2 == 1;
      for (size_t p = 0; p < pixels; ++p) {
        transform_to_float(acc_f.data() + p * g.out_c, g.out_c, t, residual.data() + p * g.out_c,
                           want_float.data() + p * g.out_c);
      }
      // Thresholds on the quantize's own values at a middle pixel: the boundary is hit.
      const size_t middle = (size_t(g.out_h) / 2 * g.out_w + g.out_w / 2) * g.out_c;
      for (int c = 0; c < g.out_c; ++c) q_t[c] = want_float[middle + c] * q_scale[c] + q_bias[c];
      std::vector<uint64_t> want_bits(pixels * words_for(g.out_c));
      quantize_ref(want_float.data(), static_cast<int64_t>(pixels), g.out_c, q_scale.data(), q_bias.data(),
                   q_t.data(), 1, want_bits.data());
      std::vector<float> fused_out(pixels * g.out_c, -12345.0f);
      std::vector<uint64_t> bits(want_bits.size(), ~uint64_t{0});
      BitserialConvLayer fused = layer;
      fused.to_float = t;
      fused.residual = residual.data();
      fused.out_float = fused_out.data();
      fused.quantize = {q_scale.data(), q_bias.data(), q_t.data(), bits.data()};
      run_split(k, fused, g, loop_);
      if (std::memcmp(fused_out.data(), want_float.data(), fused_out.size() * sizeof(float)) != 0) {
        FAIL("the float transform (activation " << static_cast<int>(t.activation.kind) << ", residual "
             << std::string(t.residual_after_activation ? "after" : "before") << ") differs from transform_to_float");
      }
      for (size_t i = 0; i < bits.size(); ++i) {
        if (bits[i] != want_bits[i]) FAIL("fused quantize word " << i << ": got " << bits[i] << ", want " << want_bits[i]);
      }
      // In place, as the engine plans a residual block whose shortcut dies
      // there: the output written over its own residual.
      std::vector<float> shared = residual;
      fused.residual = shared.data();
      fused.out_float = shared.data();
      std::fill(bits.begin(), bits.end(), ~uint64_t{0});
      run_split(k, fused, g, loop_);
      if (std::memcmp(shared.data(), want_float.data(), shared.size() * sizeof(float)) != 0) {
        FAIL("the float transform written over its residual differs from transform_to_float");
      }
      if (bits != want_bits) FAIL("the fused quantize of the output written over its residual differs");
    }

    // Threshold outputs, mixed directions, 1 to 4 bits (kernels may decide
    // on their raw sums for interior pixels, on the accumulators elsewhere).
    // Thresholds sit at -1, 0 or +1 from the accumulators of an interior
    // pixel, so the boundary itself is hit there; one channel in five gets
    // extreme levels instead (int32's ends, +-2^25 and one past: kernels
    // clamp thresholds to their exact range).
    const size_t probe = (size_t(g.out_h) / 2 * g.out_w + g.out_w / 2) * g.out_c;
    const int32_t extremes[] = {INT32_MIN, -(1 << 25) - 1, -(1 << 25), (1 << 25), (1 << 25) + 1, INT32_MAX};
    for (int out_bits : {4, 3, 2, 1}) {
      const int levels = (1 << out_bits) - 1;
      std::vector<int32_t> thresholds(size_t(g.out_c) * levels);
      std::vector<int8_t> direction(g.out_c);
      for (int c = 0; c < g.out_c; ++c) {
        direction[c] = rng.uniform_int(0, 1) ? 1 : -1;
        const bool extreme = c % 5 == 4;
        for (int l = 0; l < levels; ++l) {
          thresholds[c * levels + l] = extreme ? extremes[rng.uniform_int(0, 5)]
                                               : static_cast<int32_t>(want[probe + c]) + rng.uniform_int(-1, 1);
        }
      }
      std::vector<uint64_t> packed(pixels * packed_row_words(g.out_c, out_bits), ~uint64_t{0});
      layer.out_float = nullptr;
      layer.out_packed = packed.data();
      layer.to_bits = {thresholds.data(), direction.data(), out_bits};
      run_split(k, layer, g, loop_);
      std::vector<uint8_t> codes(pixels * g.out_c);
      unpack_codes(packed.data(), static_cast<int64_t>(pixels), g.out_c, out_bits, codes.data());
      for (size_t i = 0; i < codes.size(); ++i) {
        const int c = static_cast<int>(i % g.out_c);
        int q = 0;
        for (int l = 0; l < levels; ++l) {
          q += direction[c] > 0 ? want[i] >= thresholds[c * levels + l] : want[i] <= thresholds[c * levels + l];
        }
        if (codes[i] != q) FAIL(out_bits << "-bit code " << i << ": got " << int(codes[i]) << ", want " << q);
      }
      // Bits past out_c stay 0 (the buffer started as all ones).
      const int64_t words = words_for(g.out_c);
      if (g.out_c % 64 != 0) {
        for (size_t p = 0; p < pixels * out_bits; ++p) {
          if (packed[(p + 1) * words - 1] >> (g.out_c % 64)) FAIL("tail bits set in plane row " << p);
        }
      }
    }
  }

 private:
  // Prepares the kernel for this layer (as the engine does at load), then runs
  // rows [0, h/3) with all channels, and rows [h/3, h) as two channel blocks
  // when the kernel can split channels: a split must change nothing, and no
  // block may write outside itself.
  static void run_split(const BitserialConvKernel& k, const BitserialConvLayer& layer, const ConvGeometry& g,
                        GemmLoopSchedule loop) {
    const auto plan = bitserial_conv_prepare(k, layer, loop);
    std::vector<uint8_t> scratch(bitserial_conv_scratch_bytes(k, plan.get(), g, layer.conv.act_bits));
    auto run = [&](const OutputBlock& block) { run_block(k, plan.get(), layer, g, block, scratch.data()); };
    const int third = g.out_h / 3;
    run(OutputBlock{0, third, 0, g.out_c});
    const int step = bitserial_conv_channel_step(k, layer.out_packed || layer.quantize.packed);
    const int steps = step > 0 ? (g.out_c + step - 1) / step : 0;
    if (steps < 2) {
      run(OutputBlock{third, g.out_h, 0, g.out_c});
      return;
    }
    const int mid = step * (steps / 2);
    run(OutputBlock{third, g.out_h, mid, g.out_c});
    run(OutputBlock{third, g.out_h, 0, mid});
  }

  // One block, checked to leave every output outside it as it was (floats
  // compared bit for bit; packed outputs byte by byte, a byte holding 8
  // channels: the direct kernels split at 8-channel tiles). The bits past
  // out_c belong to the block that ends there.
  static void run_block(const BitserialConvKernel& k, const BitserialGemmPlan* plan, const BitserialConvLayer& layer,
                        const ConvGeometry& g, const OutputBlock& block, void* scratch) {
    const size_t pixels = size_t(g.out_h) * g.out_w;
    const bool packed = layer.out_packed != nullptr;
    const int64_t row_bytes = words_for(g.out_c) * 8;  // of one bit plane
    const int64_t channel_end = block.channel_end == g.out_c ? INT64_MAX : block.channel_end;
    auto inside = [&](size_t p, int64_t c0, int64_t c1) {
      const int oy = static_cast<int>(p / g.out_w);
      return oy >= block.row_begin && oy < block.row_end && c0 < channel_end && c1 > block.channel_begin;
    };
    auto* out = packed ? reinterpret_cast<uint8_t*>(layer.out_packed) : reinterpret_cast<uint8_t*>(layer.out_float);
    const size_t row = packed ? size_t(layer.to_bits.bits * row_bytes) : size_t(g.out_c) * sizeof(float);  // bytes per pixel
    const std::vector<uint8_t> before(out, out + pixels * row);
    const auto* bits = reinterpret_cast<uint8_t*>(layer.quantize.packed);
    std::vector<uint8_t> bits_before;  // the fused quantize's, when there is one
    if (bits) bits_before.assign(bits, bits + pixels * row_bytes);
    bitserial_conv_run(k, plan, layer, block, scratch);
    for (size_t i = 0; i < bits_before.size(); ++i) {
      const int64_t c0 = int64_t(i % row_bytes) * 8;
      if (!inside(i / row_bytes, c0, c0 + 8) && bits_before[i] != bits[i]) {
        FAIL("block rows " << block.row_begin << "-" << block.row_end << " channels " << block.channel_begin << "-"
                           << block.channel_end << " wrote fused quantize byte " << i << " outside itself");
      }
    }
    for (size_t p = 0; p < pixels; ++p) {
      for (size_t b = 0; b < row; ++b) {
        // The channels byte b covers: 8 of a packed plane, or a quarter of one float.
        const int64_t c0 = packed ? int64_t(b % row_bytes) * 8 : int64_t(b / sizeof(float));
        const int64_t c1 = packed ? c0 + 8 : c0 + 1;
        if (!inside(p, c0, c1) && before[p * row + b] != out[p * row + b]) {
          FAIL("block rows " << block.row_begin << "-" << block.row_end << " channels " << block.channel_begin << "-"
                             << block.channel_end << " wrote pixel " << p << " byte " << b << " outside itself");
        }
      }
    }
  }

  ConvGeometry g_ = [] {
    ConvGeometry g;
    g.in_h = g.in_w = 5;
    g.in_c = g.out_c = 8;
    return g;
  }();
  int wbits_ = 1, abits_ = 1;
  Encoding wenc_ = Encoding::kBipolar, aenc_ = Encoding::kBipolar;
  PadValue pad_ = PadValue::kZero;
  uint32_t seed_ = 1;
  GemmLoopSchedule loop_;
};

}  // namespace bnn::test
