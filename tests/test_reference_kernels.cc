// Each reference kernel against a naive computation on decoded values.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include "kernels/bitpack.h"
#include "kernels/output_transform.h"
#include "kernels/ref/bitserial_conv.h"
#include "kernels/ref/conv2d.h"
#include "kernels/ref/dense.h"
#include "kernels/ref/elementwise.h"
#include "kernels/ref/pool.h"
#include "kernels/ref/quantize.h"
#include "support/naive.h"
#include "support/random.h"

namespace bnn {
namespace {

using test::make_geometry;

struct BitserialCase {
  int in_h, in_w, in_c, out_c, kernel, stride, pad, dilation, groups;
  int weight_bits, act_bits;
  Encoding weight_encoding, act_encoding;
  PadValue pad_value;

  std::string name() const {
    std::ostringstream s;
    s << in_h << "x" << in_w << "x" << in_c << "->" << out_c << " k" << kernel << " s" << stride << " p" << pad << " d"
      << dilation << " g" << groups << " W" << weight_bits << (weight_encoding == Encoding::kBipolar ? "b" : "u") << "A"
      << act_bits << (act_encoding == Encoding::kBipolar ? "b" : "u")
      << (pad_value == PadValue::kMinusOne ? " pad-1" : " pad0");
    return s.str();
  }
};

// Checks every accumulator of one case exactly against the naive convolution.
void check_bitserial_case(const BitserialCase& c, uint32_t seed) {
  INFO("case " << c.name() << ", seed " << seed);
  test::Random rng(seed);
  const ConvGeometry g = make_geometry(c.in_h, c.in_w, c.in_c, c.out_c, c.kernel, c.stride, c.pad, c.dilation, c.groups);
  REQUIRE(g.out_h >= 1);
  REQUIRE(g.out_w >= 1);
  const int cg = c.in_c / c.groups;
  const std::vector<uint8_t> x_codes = rng.codes(size_t(c.in_h) * c.in_w * c.in_c, c.act_bits);
  const std::vector<uint8_t> w_codes = rng.codes(size_t(c.out_c) * c.kernel * c.kernel * cg, c.weight_bits);

  std::vector<uint64_t> x(size_t(c.in_h) * c.in_w * packed_row_words(c.in_c, c.act_bits));
  pack_codes(x_codes.data(), int64_t(c.in_h) * c.in_w, c.in_c, c.act_bits, x.data());
  std::vector<uint64_t> w(size_t(c.out_c) * c.kernel * c.kernel * packed_row_words(cg, c.weight_bits));
  pack_codes(w_codes.data(), int64_t(c.out_c) * c.kernel * c.kernel, cg, c.weight_bits, w.data());

  BitserialConvArgs args;
  args.geometry = g;
  args.input = x.data();
  args.act_bits = c.act_bits;
  args.act_encoding = c.act_encoding;
  args.weights = w.data();
  args.weight_bits = c.weight_bits;
  args.weight_encoding = c.weight_encoding;
  args.pad_value = c.pad_value;

  const int pad = c.pad_value == PadValue::kMinusOne ? -1 : 0;
  const std::vector<int64_t> expected = test::naive_conv_hwc<int, int64_t>(
      g, test::code_values(x_codes, c.act_bits, c.act_encoding), test::code_values(w_codes, c.weight_bits, c.weight_encoding),
      pad);

  std::vector<uint8_t> scratch(bitserial_conv2d_ref_scratch_bytes(g, c.act_bits));
  std::vector<int32_t> acc(c.out_c);
  for (int oy = 0; oy < g.out_h; ++oy) {
    for (int ox = 0; ox < g.out_w; ++ox) {
      bitserial_conv_pixel_ref(args, oy, ox, acc.data(), reinterpret_cast<uint64_t*>(scratch.data()));
      for (int oc = 0; oc < c.out_c; ++oc) {
        const int64_t want = expected[(size_t(oy) * g.out_w + ox) * c.out_c + oc];
        if (acc[oc] != want) {
          FAIL_CHECK("pixel (" << oy << ", " << ox << ") channel " << oc << ": got " << acc[oc] << ", want " << want);
          return;
        }
      }
    }
  }
}

// Random cases from the parameter grid; odd channel counts, every stride,
// pad, kernel and bit combination appear, with borders on every image.
std::vector<BitserialCase> sample_bitserial_cases(int count, uint32_t seed) {
  test::Random rng(seed);
  const int channels[] = {1, 3, 7, 63, 64, 65, 100, 130};
  const int out_channels[] = {1, 2, 5, 16};
  const int kernels[] = {1, 3, 5, 7};
  const int pads[] = {0, 1, 2, 3};
  const int bit_combos[][2] = {{1, 1}, {1, 2}, {2, 1}, {2, 2}, {1, 4}, {3, 2}, {4, 4}};
  std::vector<BitserialCase> cases;
  while (static_cast<int>(cases.size()) < count) {
    BitserialCase c;
    c.in_h = rng.uniform_int(1, 9);
    c.in_w = rng.uniform_int(1, 9);
    c.in_c = channels[rng.uniform_int(0, 7)];
    c.out_c = out_channels[rng.uniform_int(0, 3)];
    c.kernel = kernels[rng.uniform_int(0, 3)];
    c.stride = rng.uniform_int(1, 2);
    c.pad = pads[rng.uniform_int(0, 3)];
    c.dilation = rng.uniform_int(0, 4) == 0 ? 2 : 1;
    c.groups = 1;
    if (rng.uniform_int(0, 4) == 0 && c.in_c % 2 == 0 && c.out_c % 2 == 0) c.groups = 2;
    const auto& bits = bit_combos[rng.uniform_int(0, 6)];
    c.weight_bits = bits[0];
    c.act_bits = bits[1];
    c.weight_encoding = rng.uniform_int(0, 1) ? Encoding::kBipolar : Encoding::kUnipolar;
    c.act_encoding = rng.uniform_int(0, 1) ? Encoding::kBipolar : Encoding::kUnipolar;
    c.pad_value = (c.act_encoding == Encoding::kBipolar && rng.uniform_int(0, 2) == 0) ? PadValue::kMinusOne
                                                                                        : PadValue::kZero;
    if (test::naive_extent(c.in_h, c.pad, c.pad, c.kernel, c.stride, c.dilation) < 1 ||
        test::naive_extent(c.in_w, c.pad, c.pad, c.kernel, c.stride, c.dilation) < 1) {
      continue;
    }
    cases.push_back(c);
  }
  return cases;
}

TEST_CASE("bitserial_conv_ref: ResNet-like shapes and borders - exact") {
  const Encoding B = Encoding::kBipolar, U = Encoding::kUnipolar;
  const PadValue Z = PadValue::kZero, M = PadValue::kMinusOne;
  const BitserialCase cases[] = {
      {8, 8, 64, 64, 3, 1, 1, 1, 1, 1, 1, B, B, Z},    // a ResNet 3x3, one word
      {9, 7, 65, 16, 3, 2, 1, 1, 1, 1, 1, B, B, Z},    // one bit past a word, stride 2, odd sizes
      {6, 6, 128, 8, 1, 2, 0, 1, 1, 1, 1, B, B, Z},    // 1x1 stride-2 downsample
      {5, 5, 3, 4, 7, 2, 3, 1, 1, 1, 1, B, B, Z},      // 7x7 over a tiny image: mostly border
      {8, 8, 64, 16, 3, 1, 1, 1, 1, 1, 1, B, B, M},    // daBNN's -1 padding
      {7, 7, 100, 12, 3, 1, 1, 1, 1, 1, 2, B, U, Z},   // W1A2 (DoReFa)
      {7, 7, 100, 12, 3, 1, 1, 1, 1, 2, 2, U, U, Z},   // W2A2 unipolar
      {7, 7, 100, 12, 3, 1, 1, 1, 1, 2, 2, B, B, M},   // W2A2 bipolar, -1 padding
      {6, 5, 130, 6, 3, 1, 2, 2, 1, 4, 4, U, B, Z},    // W4A4, dilation 2
      {6, 6, 64, 8, 3, 1, 1, 1, 2, 1, 1, B, B, Z},     // groups 2: 32 channels per group
      {6, 6, 100, 10, 3, 1, 1, 1, 5, 1, 2, B, U, Z},   // groups 5: 20 channels, unaligned cuts
  };
  uint32_t seed = 100;
  for (const BitserialCase& c : cases) check_bitserial_case(c, seed++);
}

TEST_CASE("bitserial_conv_ref: sampled shape grid - exact (fast tier)") {
  uint32_t seed = 1000;
  for (const BitserialCase& c : sample_bitserial_cases(150, 7)) check_bitserial_case(c, seed++);
}

TEST_CASE("bitserial_conv_ref: sampled shape grid - exact (full tier)" * doctest::test_suite("slow")) {
  uint32_t seed = 5000;
  for (const BitserialCase& c : sample_bitserial_cases(2000, 8)) check_bitserial_case(c, seed++);
}

TEST_CASE("bitserial_conv2d_ref: fused threshold output equals counting thresholds on the accumulator") {
  test::Random rng(21);
  for (int out_bits : {1, 2, 3}) {
    CAPTURE(out_bits);
    const ConvGeometry g = make_geometry(6, 5, 70, 67, 3, 1, 1);
    const std::vector<uint8_t> x_codes = rng.codes(6 * 5 * 70, 1);
    const std::vector<uint8_t> w_codes = rng.codes(67 * 9 * 70, 1);
    std::vector<uint64_t> x(6 * 5 * packed_row_words(70, 1)), w(67 * 9 * packed_row_words(70, 1));
    pack_codes(x_codes.data(), 30, 70, 1, x.data());
    pack_codes(w_codes.data(), 67 * 9, 70, 1, w.data());
    const int levels = (1 << out_bits) - 1;
    std::vector<int32_t> thresholds(67 * levels);
    std::vector<int8_t> direction(67);
    for (int c = 0; c < 67; ++c) {
      direction[c] = rng.uniform_int(0, 1) ? 1 : -1;
      for (int l = 0; l < levels; ++l) thresholds[c * levels + l] = rng.uniform_int(-60, 60);
    }
    BitserialConvLayer layer;
    layer.conv.geometry = g;
    layer.conv.input = x.data();
    layer.conv.weights = w.data();
    layer.to_bits = {thresholds.data(), direction.data(), out_bits};
    std::vector<uint64_t> out(g.out_h * g.out_w * packed_row_words(67, out_bits));
    layer.out_packed = out.data();
    std::vector<uint8_t> scratch(bitserial_conv2d_ref_scratch_bytes(g, 1));
    bitserial_conv2d_ref(layer, 0, g.out_h, scratch.data());

    const auto acc = test::naive_conv_hwc<int, int64_t>(g, test::code_values(x_codes, 1, Encoding::kBipolar),
                                                         test::code_values(w_codes, 1, Encoding::kBipolar), 0);
    std::vector<uint8_t> got(acc.size());
    unpack_codes(out.data(), g.out_h * g.out_w, 67, out_bits, got.data());
    for (size_t i = 0; i < acc.size(); ++i) {
      const int c = static_cast<int>(i % 67);
      int q = 0;
      for (int l = 0; l < levels; ++l) {
        q += direction[c] > 0 ? acc[i] >= thresholds[c * levels + l] : acc[i] <= thresholds[c * levels + l];
      }
      REQUIRE(got[i] == q);
    }
  }
}

TEST_CASE("bitserial_conv2d_ref: fused float output (scale - bias - residual - activations)") {
  test::Random rng(22);
  const ConvGeometry g = make_geometry(5, 6, 40, 24, 3, 1, 1);
  const std::vector<uint8_t> x_codes = rng.codes(5 * 6 * 40, 2);
  const std::vector<uint8_t> w_codes = rng.codes(24 * 9 * 40, 1);
  std::vector<uint64_t> x(30 * packed_row_words(40, 2)), w(24 * 9 * packed_row_words(40, 1));
  pack_codes(x_codes.data(), 30, 40, 2, x.data());
  pack_codes(w_codes.data(), 24 * 9, 40, 1, w.data());
  const auto acc = test::naive_conv_hwc<int, int64_t>(g, test::code_values(x_codes, 2, Encoding::kUnipolar),
                                                       test::code_values(w_codes, 1, Encoding::kBipolar), 0);
  const std::vector<float> scale = rng.normals(24, 0.1f, 0.05f), bias = rng.normals(24);
  const std::vector<float> slope = rng.uniforms(24, 0.0f, 0.5f), shift_in = rng.normals(24), shift_out = rng.normals(24);
  const std::vector<float> residual = rng.normals(30 * 24);

  for (ActivationKind kind : {ActivationKind::kNone, ActivationKind::kRelu, ActivationKind::kPrelu,
                              ActivationKind::kRprelu, ActivationKind::kHardtanh}) {
    for (bool after : {false, true}) {
      CAPTURE(static_cast<int>(kind));
      CAPTURE(after);
      BitserialConvLayer layer;
      layer.conv.geometry = g;
      layer.conv.input = x.data();
      layer.conv.act_bits = 2;
      layer.conv.act_encoding = Encoding::kUnipolar;
      layer.conv.weights = w.data();
      layer.to_float.scale = scale.data();
      layer.to_float.bias = bias.data();
      layer.to_float.residual_after_activation = after;
      layer.to_float.activation = {kind, slope.data(), shift_in.data(), shift_out.data(), -0.5f, 0.75f};
      layer.residual = residual.data();
      std::vector<float> out(30 * 24);
      layer.out_float = out.data();
      std::vector<uint8_t> scratch(bitserial_conv2d_ref_scratch_bytes(g, 2));
      bitserial_conv2d_ref(layer, 0, g.out_h, scratch.data());
      for (size_t i = 0; i < out.size(); ++i) {
        const int c = static_cast<int>(i % 24);
        double y = double(acc[i]) * scale[c] + bias[c];
        auto act = [&](double v) {
          switch (kind) {
            case ActivationKind::kNone: return v;
            case ActivationKind::kRelu: return std::max(v, 0.0);
            case ActivationKind::kPrelu: return v >= 0 ? v : slope[c] * v;
            case ActivationKind::kRprelu: {
              const double s = v - shift_in[c];
              return (s >= 0 ? s : slope[c] * s) + shift_out[c];
            }
            case ActivationKind::kHardtanh: return std::min(std::max(v, -0.5), 0.75);
          }
          return v;
        };
        y = after ? act(y) + residual[i] : act(y + residual[i]);
        REQUIRE(out[i] == doctest::Approx(y).epsilon(1e-5));
      }
    }
  }
}

TEST_CASE("conv2d_ref matches a double-precision convolution") {
  test::Random rng(31);
  struct Case { int h, w, c, o, k, s, p, d, groups; };
  const Case cases[] = {{9, 9, 3, 8, 7, 2, 3, 1, 1},  {8, 7, 1, 5, 3, 1, 1, 1, 1}, {6, 6, 65, 4, 1, 2, 0, 1, 1},
                        {7, 5, 6, 9, 3, 1, 2, 2, 3},  {5, 5, 8, 8, 3, 1, 1, 1, 8}, {4, 9, 3, 2, 5, 3, 0, 1, 1}};
  for (const Case& c : cases) {
    CAPTURE(c.h);
    CAPTURE(c.c);
    CAPTURE(c.k);
    const ConvGeometry g = make_geometry(c.h, c.w, c.c, c.o, c.k, c.s, c.p, c.d, c.groups);
    const std::vector<float> x = rng.normals(size_t(c.h) * c.w * c.c);
    const std::vector<float> w = rng.normals(size_t(c.o) * c.k * c.k * (c.c / c.groups));
    const std::vector<float> bias = rng.normals(c.o);
    const auto want = test::naive_conv_hwc<float, double>(g, x, w, 0.0f);
    std::vector<float> out(size_t(g.out_h) * g.out_w * c.o);
    Conv2DLayer layer;
    layer.geometry = g;
    layer.input = x.data();
    layer.weights = w.data();
    layer.transform.bias = bias.data();
    layer.output = out.data();
    std::vector<uint8_t> scratch(conv2d_ref_scratch_bytes(g));
    // Two row ranges: a split must not change anything.
    conv2d_ref(layer, 0, g.out_h / 2, scratch.data());
    conv2d_ref(layer, g.out_h / 2, g.out_h, scratch.data());
    for (size_t i = 0; i < out.size(); ++i) {
      REQUIRE(out[i] == doctest::Approx(want[i] + bias[i % c.o]).epsilon(1e-4).scale(1.0));
    }
  }
}

TEST_CASE("quantize_ref: thresholds count - x >= 0 is +1 - -0 is +1 - NaN is code 0") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> x = {-1.0f, -0.0f, 0.0f, 1e-30f, -1e-30f, nan, 5.0f};
  const std::vector<float> zero = {0.0f};
  std::vector<float> thresholds(1, 0.0f);
  std::vector<uint64_t> packed(x.size());
  quantize_ref(x.data(), static_cast<int64_t>(x.size()), 1, nullptr, nullptr, thresholds.data(), 1, packed.data());
  const uint64_t want[] = {0, 1, 1, 1, 0, 0, 1};
  for (size_t i = 0; i < x.size(); ++i) CHECK(packed[i] == want[i]);

  // Two bits with scale and bias: q = #{l : x * s + b >= t_l}.
  test::Random rng(41);
  const int channels = 67, rows = 5;
  const std::vector<float> data = rng.normals(rows * channels, 0.0f, 2.0f);
  const std::vector<float> scale = rng.normals(channels), bias = rng.normals(channels);
  std::vector<float> t(channels * 3);
  for (int c = 0; c < channels; ++c) {
    std::vector<float> three = rng.normals(3);
    std::sort(three.begin(), three.end());
    std::copy(three.begin(), three.end(), t.begin() + c * 3);
  }
  std::vector<uint64_t> out(rows * packed_row_words(channels, 2));
  quantize_ref(data.data(), rows, channels, scale.data(), bias.data(), t.data(), 2, out.data());
  std::vector<uint8_t> codes(rows * channels);
  unpack_codes(out.data(), rows, channels, 2, codes.data());
  for (int i = 0; i < rows * channels; ++i) {
    const int c = i % channels;
    const float y = data[i] * scale[c] + bias[c];
    CHECK(codes[i] == (y >= t[c * 3]) + (y >= t[c * 3 + 1]) + (y >= t[c * 3 + 2]));
  }
}

TEST_CASE("max and average pooling match naive windows - padding and ceil-mode extents included") {
  test::Random rng(51);
  struct Case { int h, w, c, k, s, p; bool extra; };
  // `extra`: one more output row/column than the floor rule (PyTorch's ceil mode).
  for (const Case& pc : {Case{8, 8, 5, 2, 2, 0, false}, Case{9, 7, 3, 3, 2, 1, false}, Case{8, 8, 4, 3, 2, 0, true}, Case{8, 8, 3, 3, 2, 1, true},
                         Case{5, 6, 65, 3, 1, 1, false}, Case{6, 6, 2, 2, 2, 1, false}}) {
    ConvGeometry g = make_geometry(pc.h, pc.w, pc.c, pc.c, pc.k, pc.s, pc.p);
    if (pc.extra) {
      g.out_h += 1;
      g.out_w += 1;
    }
    const std::vector<float> x = rng.normals(size_t(pc.h) * pc.w * pc.c);
    std::vector<float> max_out(size_t(g.out_h) * g.out_w * pc.c), avg_in(max_out.size()), avg_ex(max_out.size());
    max_pool_float_ref(g, x.data(), max_out.data());
    avg_pool_float_ref(g, true, x.data(), avg_in.data());
    avg_pool_float_ref(g, false, x.data(), avg_ex.data());
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox)
        for (int c = 0; c < pc.c; ++c) {
          float best = -INFINITY;
          double sum = 0;
          int valid = 0, padded = 0;
          for (int ky = 0; ky < pc.k; ++ky)
            for (int kx = 0; kx < pc.k; ++kx) {
              const int iy = oy * pc.s - pc.p + ky, ix = ox * pc.s - pc.p + kx;
              if (iy < pc.h + pc.p && ix < pc.w + pc.p) ++padded;  // inside the padded input
              if (iy < 0 || iy >= pc.h || ix < 0 || ix >= pc.w) continue;
              const float v = x[(size_t(iy) * pc.w + ix) * pc.c + c];
              best = std::max(best, v);
              sum += v;
              ++valid;
            }
          const size_t i = (size_t(oy) * g.out_w + ox) * pc.c + c;
          REQUIRE(max_out[i] == best);
          REQUIRE(avg_in[i] == doctest::Approx(sum / padded).epsilon(1e-5));
          REQUIRE(avg_ex[i] == doctest::Approx(sum / valid).epsilon(1e-5));
        }
  }
}

TEST_CASE("max_pool_packed_ref takes the max code (OR for one bit)") {
  test::Random rng(52);
  for (int bits : {1, 2, 4}) {
    const ConvGeometry g = make_geometry(7, 6, 70, 70, 3, 2, 1);
    const std::vector<uint8_t> codes = rng.codes(7 * 6 * 70, bits);
    std::vector<uint64_t> in(42 * packed_row_words(70, bits)), out(g.out_h * g.out_w * packed_row_words(70, bits));
    pack_codes(codes.data(), 42, 70, bits, in.data());
    std::vector<uint8_t> scratch(max_pool_packed_ref_scratch_bytes(g));
    max_pool_packed_ref(g, bits, in.data(), out.data(), scratch.data());
    std::vector<uint8_t> got(g.out_h * g.out_w * 70);
    unpack_codes(out.data(), g.out_h * g.out_w, 70, bits, got.data());
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox)
        for (int c = 0; c < 70; ++c) {
          int best = 0;
          for (int ky = 0; ky < 3; ++ky)
            for (int kx = 0; kx < 3; ++kx) {
              const int iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx;
              if (iy >= 0 && iy < 7 && ix >= 0 && ix < 6) best = std::max<int>(best, codes[(iy * 6 + ix) * 70 + c]);
            }
          REQUIRE(got[(oy * g.out_w + ox) * 70 + c] == best);
        }
  }
}

TEST_CASE("global average pool - dense - softmax and the elementwise layers match double-precision math") {
  test::Random rng(61);
  const std::vector<float> x = rng.normals(7 * 5 * 33);
  std::vector<float> gap(33);
  global_avg_pool_ref(x.data(), 35, 33, gap.data());
  for (int c = 0; c < 33; ++c) {
    double sum = 0;
    for (int p = 0; p < 35; ++p) sum += x[p * 33 + c];
    CHECK(gap[c] == doctest::Approx(sum / 35).epsilon(1e-5));
  }

  const std::vector<float> w = rng.normals(10 * 33), bias = rng.normals(10);
  FloatTransform t;
  t.bias = bias.data();
  std::vector<float> logits(10), scratch(10), prob(10);
  dense_ref(gap.data(), 33, w.data(), 10, t, logits.data(), scratch.data());
  double total = 0;
  for (int o = 0; o < 10; ++o) {
    double sum = bias[o];
    for (int i = 0; i < 33; ++i) sum += double(gap[i]) * w[o * 33 + i];
    CHECK(logits[o] == doctest::Approx(sum).epsilon(1e-5));
  }
  softmax_ref(logits.data(), 10, prob.data());
  const float max_logit = *std::max_element(logits.begin(), logits.end());
  for (int o = 0; o < 10; ++o) total += std::exp(double(logits[o]) - max_logit);
  for (int o = 0; o < 10; ++o) CHECK(prob[o] == doctest::Approx(std::exp(double(logits[o]) - max_logit) / total).epsilon(1e-5));

  const std::vector<float> a = rng.normals(4 * 6), b = rng.normals(4 * 6), scale = rng.normals(6), shift = rng.normals(6);
  std::vector<float> y(24);
  batchnorm_ref(a.data(), 4, 6, scale.data(), shift.data(), y.data());
  for (int i = 0; i < 24; ++i) CHECK(y[i] == doctest::Approx(double(a[i]) * scale[i % 6] + shift[i % 6]));
  ActivationParams relu;
  relu.kind = ActivationKind::kRelu;
  add_ref(a.data(), b.data(), 4, 6, relu, y.data());
  for (int i = 0; i < 24; ++i) CHECK(y[i] == doctest::Approx(std::max(0.0, double(a[i]) + b[i])));
  ActivationParams hardtanh;
  hardtanh.kind = ActivationKind::kHardtanh;
  activation_ref(a.data(), 4, 6, hardtanh, y.data());
  for (int i = 0; i < 24; ++i) CHECK(y[i] == std::min(1.0f, std::max(-1.0f, a[i])));
}

}  // namespace
}  // namespace bnn
