// SPDX-License-Identifier: Apache-2.0
// The engine end to end: a small binarized ResNet built with the builder runs
// and matches a naive float evaluation of the same network written here, in
// PyTorch's CHW layout, with none of the engine's code.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <numeric>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "bnn/engine.h"
#include "bnn/layer_trial.h"
#include "engine/memory_plan.h"
#include "engine/parallel.h"
#include "engine/thread_pool.h"
#include "kernels/registry.h"
#include "model_format/builder.h"
#include "support/random.h"

namespace bnn {
namespace {

// ---------------------------------------------------------------- naive CHW math

struct Chw {
  int c = 0, h = 0, w = 0;
  std::vector<double> v;  // [c][h][w]
  double& at(int ci, int y, int x) { return v[(size_t(ci) * h + y) * w + x]; }
  double at(int ci, int y, int x) const { return v[(size_t(ci) * h + y) * w + x]; }
};

Chw make_chw(int c, int h, int w) { return {c, h, w, std::vector<double>(size_t(c) * h * w)}; }

// Weights are given in OHWI (the builder's order); `pad` is the padded tap's value.
Chw conv(const Chw& x, const std::vector<double>& w_ohwi, int out_c, int k, int stride, int pad, int dilation = 1,
         int groups = 1, double pad_value = 0) {
  const int oh = (x.h + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
  const int ow = (x.w + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
  const int cg = x.c / groups, og = out_c / groups;
  Chw y = make_chw(out_c, oh, ow);
  for (int o = 0; o < out_c; ++o)
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox) {
        double sum = 0;
        for (int i = 0; i < cg; ++i)
          for (int ky = 0; ky < k; ++ky)
            for (int kx = 0; kx < k; ++kx) {
              const int iy = oy * stride - pad + ky * dilation, ix = ox * stride - pad + kx * dilation;
              const bool inside = iy >= 0 && iy < x.h && ix >= 0 && ix < x.w;
              const double a = inside ? x.at((o / og) * cg + i, iy, ix) : pad_value;
              sum += a * w_ohwi[((size_t(o) * k + ky) * k + kx) * cg + i];
            }
        y.at(o, oy, ox) = sum;
      }
  return y;
}

template <typename F>
Chw per_channel(const Chw& x, F f) {
  Chw y = x;
  for (int ci = 0; ci < x.c; ++ci)
    for (int i = 0; i < x.h * x.w; ++i) y.v[size_t(ci) * x.h * x.w + i] = f(ci, x.v[size_t(ci) * x.h * x.w + i]);
  return y;
}

std::vector<double> to_double(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

std::vector<double> code_values(const std::vector<uint8_t>& codes, int bits, bool bipolar) {
  std::vector<double> v;
  for (uint8_t q : codes) v.push_back(bipolar ? 2.0 * q - ((1 << bits) - 1) : q);
  return v;
}

// ---------------------------------------------------------------- the network

// Every parameter of the test network, so the builder and the naive evaluation
// read the same numbers.
struct TinyResNet {
  test::Random rng{2024};
  // stem: conv 3x3 3->16, scale/bias, PReLU; maxpool 3x3 s2 p1
  std::vector<float> stem_w = rng.normals(16 * 9 * 3, 0, 0.5f), stem_scale = rng.normals(16, 1, 0.2f),
                     stem_bias = rng.normals(16, 0, 0.3f), stem_slope = rng.uniforms(16, 0.05f, 0.3f);
  // block 1 (XNOR style): BN+sign -> W1A1 -> BN+sign folded to integer thresholds -> W1A1 + residual, RPReLU
  std::vector<float> q1_scale = rng.normals(16, 0, 1), q1_bias = rng.normals(16, 0, 0.5f);
  std::vector<uint8_t> c1_w = rng.codes(16 * 9 * 16, 1), c2_w = rng.codes(16 * 9 * 16, 1);
  std::vector<int32_t> c1_thresholds = int_thresholds(16, -20, 20);
  std::vector<int8_t> c1_direction = directions(16);
  std::vector<float> c2_scale = rng.normals(16, 0.05f, 0.02f), c2_bias = rng.normals(16, 0, 0.2f),
                     c2_slope = rng.uniforms(16, 0.1f, 0.3f), c2_in = rng.normals(16, 0, 0.1f), c2_out = rng.normals(16, 0, 0.1f);
  // block 2 (downsample, DoReFa W2A2): 2-bit unipolar activations, 2-bit bipolar weights, stride 2
  std::vector<float> q2_thresholds = sorted_thresholds(16, 3);
  std::vector<uint8_t> c3_w = rng.codes(24 * 9 * 16, 2);
  std::vector<float> c3_scale = rng.normals(24, 0.02f, 0.01f), c3_bias = rng.normals(24, 0, 0.2f);
  std::vector<float> sc_w = rng.normals(24 * 16, 0, 0.3f), sc_scale = rng.normals(24, 1, 0.1f), sc_bias = rng.normals(24, 0, 0.1f);
  // block 3: -1 padding, groups 2, dilation 2, residual after ReLU; then BN and a PReLU layer
  std::vector<float> q3_thresholds = rng.normals(24, 0, 0.3f);
  std::vector<uint8_t> c4_w = rng.codes(24 * 9 * 12, 1);
  std::vector<float> c4_scale = rng.normals(24, 0.05f, 0.02f), c4_bias = rng.normals(24, 0, 0.2f);
  std::vector<float> bn_scale = rng.normals(24, 1, 0.2f), bn_bias = rng.normals(24, 0, 0.2f),
                     act_slope = rng.uniforms(24, 0.0f, 0.2f);
  // head
  std::vector<float> fc_w = rng.normals(10 * 24, 0, 0.5f), fc_bias = rng.normals(10, 0, 0.1f);
  // A schedule given to every bitserial conv (none when kernel and knobs are empty).
  fb::ScheduleT schedule;
  bool scheduled = false;

  std::vector<int32_t> int_thresholds(int n, int lo, int hi) {
    std::vector<int32_t> t(n);
    for (int32_t& v : t) v = rng.uniform_int(lo, hi);
    return t;
  }
  std::vector<int8_t> directions(int n) {
    std::vector<int8_t> d(n);
    for (int8_t& v : d) v = rng.uniform_int(0, 1) ? 1 : -1;
    return d;
  }
  std::vector<float> sorted_thresholds(int channels, int levels) {
    std::vector<float> t;
    for (int c = 0; c < channels; ++c) {
      std::vector<float> l = rng.uniforms(levels, -0.5f, 1.5f);
      std::sort(l.begin(), l.end());
      t.insert(t.end(), l.begin(), l.end());
    }
    return t;
  }

  std::vector<uint8_t> build() const {
    ModelBuilder b;
    int x = b.input("image", 11, 13, 3);
    FloatTransformSpec stem;
    stem.scale = stem_scale;
    stem.bias = stem_bias;
    stem.activation.kind = ActivationKind::kPrelu;
    stem.activation.slope = stem_slope;
    x = b.conv2d("stem", x, 16, WindowSpec::square(3, 1, 1), stem_w, stem);
    x = b.max_pool("pool", x, WindowSpec::square(3, 2, 1));

    int q = b.quantize("b1.sign1", x, 1, Encoding::kBipolar, std::vector<float>(16, 0.0f), q1_scale, q1_bias);
    q = b.bitserial_conv2d("b1.conv1", q, 16, WindowSpec::square(3, 1, 1), CodeWeights{1, Encoding::kBipolar, c1_w},
                           ThresholdSpec{1, Encoding::kBipolar, c1_thresholds, c1_direction});
    if (scheduled) b.set_schedule(q, schedule);
    FloatTransformSpec t2;
    t2.scale = c2_scale;
    t2.bias = c2_bias;
    t2.residual = x;
    t2.activation = {ActivationKind::kRprelu, c2_slope, c2_in, c2_out};
    x = b.bitserial_conv2d("b1.conv2", q, 16, WindowSpec::square(3, 1, 1), CodeWeights{1, Encoding::kBipolar, c2_w}, t2);
    if (scheduled) b.set_schedule(x, schedule);

    q = b.quantize("b2.quant", x, 2, Encoding::kUnipolar, q2_thresholds);
    FloatTransformSpec t3;
    t3.scale = c3_scale;
    t3.bias = c3_bias;
    const int main_path = b.bitserial_conv2d("b2.conv", q, 24, WindowSpec::square(3, 2, 1),
                                             CodeWeights{2, Encoding::kBipolar, c3_w}, t3);
    if (scheduled) b.set_schedule(main_path, schedule);
    int shortcut = b.avg_pool("b2.down.pool", x, WindowSpec::square(2, 2, 0), true, /*ceil_mode=*/true);
    FloatTransformSpec ts;
    ts.scale = sc_scale;
    ts.bias = sc_bias;
    shortcut = b.conv2d("b2.down.conv", shortcut, 24, WindowSpec::square(1), sc_w, ts);
    ActivationSpec hardtanh;
    hardtanh.kind = ActivationKind::kHardtanh;
    hardtanh.min_value = -1.5f;
    hardtanh.max_value = 1.5f;
    x = b.add("b2.add", main_path, shortcut, hardtanh);

    q = b.quantize("b3.sign", x, 1, Encoding::kBipolar, q3_thresholds);
    FloatTransformSpec t4;
    t4.scale = c4_scale;
    t4.bias = c4_bias;
    t4.residual = x;
    t4.residual_after_activation = true;
    t4.activation.kind = ActivationKind::kRelu;
    x = b.bitserial_conv2d("b3.conv", q, 24, WindowSpec::square(3, 1, 2, 2), CodeWeights{1, Encoding::kBipolar, c4_w},
                           t4, /*groups=*/2, PadValue::kMinusOne);
    x = b.batchnorm("b3.bn", x, bn_scale, bn_bias);
    ActivationSpec prelu;
    prelu.kind = ActivationKind::kPrelu;
    prelu.slope = act_slope;
    x = b.activation("b3.prelu", x, prelu);

    x = b.global_avg_pool("gap", x);
    FloatTransformSpec head;
    head.bias = fc_bias;
    x = b.dense("fc", x, 10, fc_w, head);
    b.set_output(b.softmax("prob", x));
    return b.finish();
  }

  // The naive evaluation. `engine` holds the engine's output of every layer
  // (CHW, by layer name). Each binarization is decided on the engine's own
  // float input, after checking that it agrees with the naive value: a value
  // a few ulps from a threshold may then fall either way in both, so the exact
  // comparison of the binary layers cannot hinge on float rounding.
  // `binarized` collects each quantized tensor (CHW) for that comparison.
  std::vector<double> evaluate(const Chw& image, const std::map<std::string, std::vector<float>>& engine,
                               std::vector<Chw>* binarized) const {
    auto engine_input = [&](const std::string& layer, const Chw& naive) {
      const std::vector<float>& got = engine.at(layer);
      REQUIRE(got.size() == naive.v.size());
      Chw x = naive;
      for (size_t i = 0; i < got.size(); ++i) {
        REQUIRE(got[i] == doctest::Approx(naive.v[i]).epsilon(1e-4).scale(1.0));
        x.v[i] = got[i];
      }
      return x;
    };
    Chw x = conv(image, to_double(stem_w), 16, 3, 1, 1);
    x = per_channel(x, [&](int c, double v) {
      v = v * stem_scale[c] + stem_bias[c];
      return v >= 0 ? v : stem_slope[c] * v;
    });
    {  // max pool 3x3 s2 p1
      Chw p = make_chw(16, (x.h + 2 - 3) / 2 + 1, (x.w + 2 - 3) / 2 + 1);
      for (int c = 0; c < 16; ++c)
        for (int oy = 0; oy < p.h; ++oy)
          for (int ox = 0; ox < p.w; ++ox) {
            double best = -INFINITY;
            for (int ky = 0; ky < 3; ++ky)
              for (int kx = 0; kx < 3; ++kx) {
                const int iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx;
                if (iy >= 0 && iy < x.h && ix >= 0 && ix < x.w) best = std::max(best, x.at(c, iy, ix));
              }
            p.at(c, oy, ox) = best;
          }
      x = p;
    }
    x = engine_input("pool", x);
    Chw s1 = per_channel(x, [&](int c, double v) {
      const float y = static_cast<float>(v) * q1_scale[c] + q1_bias[c];
      return y >= 0 ? 1.0 : -1.0;
    });
    binarized->push_back(s1);
    Chw a1 = conv(s1, code_values(c1_w, 1, true), 16, 3, 1, 1);
    Chw s2 = per_channel(a1, [&](int c, double acc) {
      return (c1_direction[c] > 0 ? acc >= c1_thresholds[c] : acc <= c1_thresholds[c]) ? 1.0 : -1.0;
    });
    binarized->push_back(s2);
    Chw a2 = conv(s2, code_values(c2_w, 1, true), 16, 3, 1, 1);
    Chw y1 = a2;
    for (size_t i = 0; i < y1.v.size(); ++i) {
      const int c = static_cast<int>(i / (y1.h * y1.w));
      const double v = a2.v[i] * c2_scale[c] + c2_bias[c] + x.v[i] - c2_in[c];
      y1.v[i] = (v >= 0 ? v : c2_slope[c] * v) + c2_out[c];
    }
    y1 = engine_input("b1.conv2", y1);
    Chw s3 = per_channel(y1, [&](int c, double v) {
      int q = 0;
      for (int l = 0; l < 3; ++l) q += static_cast<float>(v) >= q2_thresholds[c * 3 + l];
      return double(q);
    });
    binarized->push_back(s3);
    Chw main_path = per_channel(conv(s3, code_values(c3_w, 2, true), 24, 3, 2, 1),
                                [&](int c, double v) { return v * c3_scale[c] + c3_bias[c]; });
    // Average pool 2x2 s2, ceil mode: the last column's window holds one pixel.
    Chw pooled = make_chw(16, (y1.h + 1) / 2, (y1.w + 1) / 2);
    for (int c = 0; c < 16; ++c)
      for (int oy = 0; oy < pooled.h; ++oy)
        for (int ox = 0; ox < pooled.w; ++ox) {
          double sum = 0;
          int n = 0;
          for (int iy = 2 * oy; iy < std::min(2 * oy + 2, y1.h); ++iy)
            for (int ix = 2 * ox; ix < std::min(2 * ox + 2, y1.w); ++ix) sum += y1.at(c, iy, ix), ++n;
          pooled.at(c, oy, ox) = sum / n;
        }
    Chw shortcut = per_channel(conv(pooled, to_double(sc_w), 24, 1, 1, 0),
                               [&](int c, double v) { return v * sc_scale[c] + sc_bias[c]; });
    REQUIRE(shortcut.h == main_path.h);
    REQUIRE(shortcut.w == main_path.w);
    Chw y2 = main_path;
    for (size_t i = 0; i < y2.v.size(); ++i) y2.v[i] = std::min(1.5, std::max(-1.5, main_path.v[i] + shortcut.v[i]));
    y2 = engine_input("b2.add", y2);
    Chw s4 = per_channel(y2, [&](int c, double v) { return static_cast<float>(v) >= q3_thresholds[c] ? 1.0 : -1.0; });
    binarized->push_back(s4);
    Chw a4 = conv(s4, code_values(c4_w, 1, true), 24, 3, 1, 2, 2, 2, -1.0);
    Chw y3 = a4;
    for (size_t i = 0; i < y3.v.size(); ++i) {
      const int c = static_cast<int>(i / (y3.h * y3.w));
      const double v = std::max(0.0, a4.v[i] * c4_scale[c] + c4_bias[c]) + y2.v[i];
      const double bn = v * bn_scale[c] + bn_bias[c];
      y3.v[i] = bn >= 0 ? bn : act_slope[c] * bn;
    }
    std::vector<double> gap(24, 0.0);
    for (int c = 0; c < 24; ++c) {
      for (int i = 0; i < y3.h * y3.w; ++i) gap[c] += y3.v[size_t(c) * y3.h * y3.w + i];
      gap[c] /= y3.h * y3.w;
    }
    std::vector<double> logits(10);
    for (int o = 0; o < 10; ++o) {
      logits[o] = fc_bias[o];
      for (int i = 0; i < 24; ++i) logits[o] += gap[i] * fc_w[o * 24 + i];
    }
    const double top = *std::max_element(logits.begin(), logits.end());
    double total = 0;
    for (double& l : logits) total += (l = std::exp(l - top));
    for (double& l : logits) l /= total;
    return logits;
  }
};

TEST_CASE("a small binarized ResNet matches a naive float evaluation of the same network") {
  const TinyResNet net;
  const std::vector<uint8_t> bytes = net.build();
  const auto model = Model::load_buffer(bytes.data(), bytes.size());
  Session session(model);
  test::Random rng(77);
  for (int image_index = 0; image_index < 4; ++image_index) {
    CAPTURE(image_index);
    Chw image = make_chw(3, 11, 13);
    std::vector<float> input = rng.normals(image.v.size());
    for (size_t i = 0; i < input.size(); ++i) image.v[i] = input[i];

    std::map<std::string, std::vector<float>> engine_outputs;
    std::vector<std::vector<float>> engine_binarized;
    std::vector<float> got(10);
    session.run(input.data(), got.data(), [&](int layer, const TensorView& view) {
      engine_outputs[model->layers()[layer].name] = view.values_chw();
      if (view.info->type == ElementType::kPacked) engine_binarized.push_back(view.values_chw());
    });
    std::vector<Chw> naive_binarized;
    const std::vector<double> want = net.evaluate(image, engine_outputs, &naive_binarized);
    // Binarized activations are exact: no value may differ.
    REQUIRE(engine_binarized.size() == naive_binarized.size());
    for (size_t t = 0; t < naive_binarized.size(); ++t) {
      CAPTURE(t);
      REQUIRE(engine_binarized[t].size() == naive_binarized[t].v.size());
      size_t differ = 0;
      for (size_t i = 0; i < engine_binarized[t].size(); ++i) differ += engine_binarized[t][i] != naive_binarized[t].v[i];
      CHECK(differ == 0);
    }
    // Float layers: float32 against double, a handful of roundings per value.
    for (int o = 0; o < 10; ++o) CHECK(got[o] == doctest::Approx(want[o]).epsilon(1e-4).scale(1e-3));
    CHECK(std::max_element(got.begin(), got.end()) - got.begin() ==
          std::max_element(want.begin(), want.end()) - want.begin());
  }
  // The binarized activations checked above include those of one-bit
  // quantizes fused into the binary conv before them (model.cc): some are.
}

TEST_CASE("LayerTrial: every candidate schedule of every convolution gives the default's bits - bad layers refused") {
  const TinyResNet net;
  const std::vector<uint8_t> bytes = net.build();
  const auto model = Model::load_buffer(bytes.data(), bytes.size());
  int convs = 0, schedules = 0, tiled = 0, split_channels = 0;
  for (int i = 0; i < static_cast<int>(model->layers().size()); ++i) {
    const std::string& kind = model->layers()[i].kind;
    if (kind != "Conv2D" && kind != "BitserialConv2D") {
      CHECK_THROWS_AS(LayerTrial(bytes, i, 1), Error);
      continue;
    }
    ++convs;
    for (int threads : {1, 3}) {
      CAPTURE(i);
      CAPTURE(threads);
      LayerTrial trial(bytes, i, threads);
      CHECK(trial.kernel() == model->layers()[i].kernel);  // the default is what a loaded model binds
      // use() marks the outputs all ones (or, written in place, they hold
      // the residual input): a run that writes nothing shows.
      const std::vector<uint8_t> unwritten = trial.output();
      trial.run();
      const std::vector<uint8_t> want = trial.output();
      CHECK(want != unwritten);
      for (const LayerSchedule& s : trial.candidates()) {  // none where only the default runs the layer
        CAPTURE(to_string(s));
        REQUIRE(trial.use(s).empty());  // every candidate is one the engine follows
        CHECK(trial.kernel() == s.kernel);
        trial.run();
        CHECK(trial.output() == want);
        ++schedules;
        tiled += s.tile_pixels > 0;
        split_channels += threads > 1 && trial.splits_channels(s);
      }
    }
  }
  CHECK(convs >= 3);
  CHECK(schedules >= 100);
  CHECK(tiled > 0);           // outer tiles were among what gave the same bits
  CHECK(split_channels > 0);  // and channel splits at 3 threads
  int first_conv = 0;
  while (model->layers()[first_conv].kind != "BitserialConv2D") ++first_conv;
  CHECK_THROWS_AS(LayerTrial(bytes, -1, 1), Error);
  CHECK_THROWS_AS(LayerTrial(bytes, static_cast<int>(model->layers().size()), 1), Error);
  CHECK_THROWS_AS(LayerTrial(bytes, first_conv, 0), Error);
  CHECK_THROWS_AS(LayerTrial(bytes, first_conv, kMaxThreads + 1), Error);
  CHECK_THROWS_AS(LayerTrial(std::vector<uint8_t>(bytes.begin(), bytes.begin() + bytes.size() / 2), 1, 1), Error);
}

TEST_CASE("a one-bit quantize fused into the pool or binary conv before it gives the unfused bits - any thread count") {
  test::Random rng(79);
  const int c = 130;  // two words and a tail
  const std::vector<uint8_t> w1 = rng.codes(size_t(c) * 9 * c, 1), w2 = rng.codes(size_t(c) * 9 * c, 1);
  const std::vector<float> s1 = rng.normals(c, 0.05f, 0.02f), b1 = rng.normals(c, 0, 0.3f);
  const std::vector<float> qs = rng.normals(c, 0, 1), qb = rng.normals(c, 0, 0.3f), qt = rng.normals(c, 0, 0.2f);
  auto build = [&](bool apart) {
    ModelBuilder b;
    int x = b.input("image", 9, 11, c);
    x = b.max_pool("pool", x, WindowSpec::square(3, 1, 1));
    if (apart) x = b.batchnorm("identity0", x, std::vector<float>(c, 1.0f), std::vector<float>(c, 0.0f));
    int q = b.quantize("sign1", x, 1, Encoding::kBipolar, qt, qs, qb);
    FloatTransformSpec t;
    t.scale = s1;
    t.bias = b1;
    t.residual = x;
    int y = b.bitserial_conv2d("conv1", q, c, WindowSpec::square(3, 1, 1), CodeWeights{1, Encoding::kBipolar, w1}, t);
    // Threads split its output channels: fused bits of one word from two blocks.
    fb::ScheduleT by_channels;
    by_channels.parallel_axis = fb::ParallelAxis::CHANNELS;
    by_channels.tuned_for = std::make_unique<fb::CpuIdentityT>();
    by_channels.tuned_for->arch = cpu_arch();
    by_channels.tuned_for->model_name = cpu_model_name();
    b.set_schedule(y, by_channels);
    if (apart) y = b.max_pool("identity1", y, WindowSpec::square(1));  // keeps the quantize from the conv
    q = b.quantize("sign2", y, 1, Encoding::kBipolar, qt, qs, qb);
    y = b.bitserial_conv2d("conv2", q, c, WindowSpec::square(3, 1, 1), CodeWeights{1, Encoding::kBipolar, w2},
                           FloatTransformSpec{});
    b.set_output(b.global_avg_pool("gap", y));
    return b.finish();
  };
  const std::vector<uint8_t> fused_bytes = build(false), apart_bytes = build(true);
  const auto fused = Model::load_buffer(fused_bytes.data(), fused_bytes.size());
  const auto apart = Model::load_buffer(apart_bytes.data(), apart_bytes.size());
  auto count_fused = [](const Model& m) {
    int n = 0;
    for (const LayerInfo& l : m.layers()) n += l.kernel.rfind("fused into ", 0) == 0;
    return n;
  };
  CHECK(count_fused(*fused) == 2);  // into the pool and into the conv
  CHECK(count_fused(*apart) == 1);  // into the identity pool
  const std::vector<float> input = rng.normals(size_t(9) * 11 * c);
  std::vector<float> want(c), got(c);
  Session(apart, {1}).run(input.data(), want.data());
  for (int threads : {1, 2, 3}) {
    CAPTURE(threads);
    Session(fused, {threads}).run(input.data(), got.data());
    CHECK(std::memcmp(got.data(), want.data(), sizeof(float) * c) == 0);
  }
}

TEST_CASE("a residual block writes its output over a shortcut nothing reads later - never over one read again") {
  test::Random rng(80);
  const int c = 70, h = 9, w = 10;
  const std::vector<uint8_t> w1 = rng.codes(size_t(c) * 9 * c, 1), w2 = rng.codes(size_t(c) * 9 * c, 1);
  const std::vector<float> s1 = rng.normals(c, 0.05f, 0.02f), b1 = rng.normals(c, 0, 0.3f);
  const std::vector<float> qt = rng.normals(c, 0, 0.2f), stem_w = rng.normals(size_t(c) * 3, 0, 1);
  // x1 = conv1(sign x0) + r1, x2 = conv2(sign x1) + r2. chain: r1 = x0, r2 = x1, each dies at its conv.
  // reread: r1 = r2 = x0, read again by conv2, so conv1 must not take its bytes; copied: conv1 reads an
  // identity copy of x0 instead (the same values, nothing shared), the answer for reread.
  enum class Form { kChain, kReread, kCopied };
  auto build = [&](Form form) {
    ModelBuilder b;
    const int x0 = b.conv2d("stem", b.input("image", h, w, 3), c, WindowSpec::square(1), stem_w, FloatTransformSpec{});
    const int copy = form == Form::kCopied ? b.max_pool("copy", x0, WindowSpec::square(1)) : x0;
    FloatTransformSpec t;
    t.scale = s1;
    t.bias = b1;
    t.residual = copy;
    int q = b.quantize("sign1", x0, 1, Encoding::kBipolar, qt);
    const int x1 = b.bitserial_conv2d("conv1", q, c, WindowSpec::square(3, 1, 1), CodeWeights{1, Encoding::kBipolar, w1}, t);
    t.residual = form == Form::kChain ? x1 : x0;
    q = b.quantize("sign2", x1, 1, Encoding::kBipolar, qt);
    const int x2 = b.bitserial_conv2d("conv2", q, c, WindowSpec::square(3, 1, 1), CodeWeights{1, Encoding::kBipolar, w2}, t);
    b.set_output(b.global_avg_pool("gap", x2));
    return b.finish();
  };
  const std::vector<uint8_t> chain_bytes = build(Form::kChain), reread_bytes = build(Form::kReread),
                             copied_bytes = build(Form::kCopied);
  const auto chain = Model::load_buffer(chain_bytes.data(), chain_bytes.size());
  const auto reread = Model::load_buffer(reread_bytes.data(), reread_bytes.size());
  const auto copied = Model::load_buffer(copied_bytes.data(), copied_bytes.size());
  // The chain's three float tensors share one buffer: less than two of them.
  const int64_t tensor_bytes = int64_t{h} * w * c * 4;
  CHECK(chain->arena_bytes() < tensor_bytes * 3 / 2);
  CHECK(reread->arena_bytes() >= 2 * tensor_bytes);
  const std::vector<float> input = rng.normals(size_t(h) * w * 3);
  std::vector<float> want(c), got(c);
  Session(copied, {1}).run(input.data(), want.data());
  for (int threads : {1, 2}) {
    CAPTURE(threads);
    Session(reread, {threads}).run(input.data(), got.data());
    CHECK(std::memcmp(got.data(), want.data(), sizeof(float) * c) == 0);
  }
}

TEST_CASE("outputs are bit-identical for any thread count and across runs") {
  const std::vector<uint8_t> bytes = TinyResNet().build();
  const auto model = Model::load_buffer(bytes.data(), bytes.size());
  test::Random rng(78);
  const std::vector<float> input = rng.normals(3 * 11 * 13);
  std::vector<float> one(10), two(10), again(10);
  Session single(model, {1}), dual(model, {2});
  single.run(input.data(), one.data());
  dual.run(input.data(), two.data());
  single.run(input.data(), again.data());
  CHECK(std::memcmp(one.data(), two.data(), sizeof(float) * 10) == 0);
  CHECK(std::memcmp(one.data(), again.data(), sizeof(float) * 10) == 0);
}

TEST_CASE("the arena reuses memory: smaller than all activations together") {
  const std::vector<uint8_t> bytes = TinyResNet().build();
  const auto model = Model::load_buffer(bytes.data(), bytes.size());
  int64_t all = 0;
  for (const LayerInfo& l : model->layers()) all += model->tensors()[l.output].element_count() * 4;
  CHECK(model->arena_bytes() > 0);
  CHECK(model->arena_bytes() < all / 2);
}

TEST_CASE("plan_memory never overlaps two buffers that are alive at the same time") {
  test::Random rng(79);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<BufferLifetime> buffers(rng.uniform_int(1, 30));
    for (BufferLifetime& b : buffers) {
      b.bytes = rng.uniform_int(1, 5000);
      b.first_step = rng.uniform_int(0, 20);
      b.last_step = b.first_step + rng.uniform_int(0, 6);
    }
    const MemoryPlan plan = plan_memory(buffers);
    for (size_t i = 0; i < buffers.size(); ++i) {
      REQUIRE(plan.offsets[i] % 64 == 0);
      REQUIRE(plan.offsets[i] + buffers[i].bytes <= plan.arena_bytes);
      for (size_t j = i + 1; j < buffers.size(); ++j) {
        const bool same_time = buffers[i].first_step <= buffers[j].last_step && buffers[j].first_step <= buffers[i].last_step;
        const bool same_bytes = plan.offsets[i] < plan.offsets[j] + buffers[j].bytes &&
                                plan.offsets[j] < plan.offsets[i] + buffers[i].bytes;
        REQUIRE_FALSE((same_time && same_bytes));
      }
    }
  }
}

TEST_CASE("a schedule naming a float kernel by its old name binds to it") {
  ModelBuilder b;
  const int x = b.input("x", 6, 6, 3);
  const int y = b.conv2d("conv", x, 16, WindowSpec::square(3, 1, 1), std::vector<float>(16 * 9 * 3, 0.5f),
                         FloatTransformSpec{});
  // The 16x4 block's first name, in this CPU's default ISA for the layer
  // (a kernel of another ISA may round differently, and is refused).
  const bool avx512 = isa_available(Isa::kAvx512F), avx2 = isa_available(Isa::kAvx2);
  const std::string old_name = avx512 ? "conv2d_f32_16x1__avx512vpopcnt"
                               : avx2 ? "conv2d_f32_16x1__avx2" : "conv2d_f32_16x1__portable";
  const std::string new_name = avx512 ? "conv2d_f32_16x4__avx512f"
                               : avx2 ? "conv2d_f32_16x4__avx2" : "conv2d_f32_16x4__portable";
  fb::ScheduleT schedule;
  schedule.kernel = old_name;
  schedule.tuned_for = std::make_unique<fb::CpuIdentityT>();
  schedule.tuned_for->arch = cpu_arch();
  schedule.tuned_for->model_name = cpu_model_name();
  b.set_schedule(y, schedule);
  b.set_output(y);
  const std::vector<uint8_t> bytes = b.finish();
  const auto model = Model::load_buffer(bytes.data(), bytes.size());
  CHECK(model->layers()[0].kernel == new_name);
  CHECK(model->layers()[0].schedule_note.empty());
}

TEST_CASE("a schedule naming a float kernel that rounds unlike the default falls back - outputs keep their bits") {
  ModelBuilder b;
  const int x = b.input("x", 6, 6, 3);
  const int y = b.conv2d("conv", x, 16, WindowSpec::square(3, 1, 1), std::vector<float>(16 * 9 * 3, 0.5f),
                         FloatTransformSpec{});
  b.set_output(y);
  const std::vector<uint8_t> plain = b.finish();
  const auto untuned = Model::load_buffer(plain.data(), plain.size());
  const std::string default_name = untuned->layers()[0].kernel;
  const Conv2DKernel *fallback = nullptr, *portable = nullptr;
  for (const Conv2DKernel& k : conv2d_kernels()) {
    if (default_name == k.name) fallback = &k;
    if (std::string(k.name) == "conv2d_f32_16x4__portable") portable = &k;
  }
  REQUIRE(fallback != nullptr);
  REQUIRE(portable != nullptr);
  if (portable->rounding == fallback->rounding) return;  // AArch64, or BNN_ISA=portable: one rounding here
  fb::ScheduleT schedule;
  schedule.kernel = portable->name;
  schedule.tuned_for = std::make_unique<fb::CpuIdentityT>();
  schedule.tuned_for->arch = cpu_arch();
  schedule.tuned_for->model_name = cpu_model_name();
  b.set_schedule(y, schedule);
  const std::vector<uint8_t> bytes = b.finish();
  const auto model = Model::load_buffer(bytes.data(), bytes.size());
  CHECK(model->layers()[0].kernel == default_name);
  CHECK(model->layers()[0].schedule_note.find("cannot run this layer") != std::string::npos);
}

TEST_CASE("a schedule naming an unknown kernel falls back to the default and says so") {
  ModelBuilder b;
  const int x = b.input("x", 4, 4, 8);
  const int q = b.quantize("q", x, 1, Encoding::kBipolar, std::vector<float>(8));
  const int y = b.bitserial_conv2d("conv", q, 4, WindowSpec::square(3, 1, 1),
                                   CodeWeights{1, Encoding::kBipolar, std::vector<uint8_t>(4 * 9 * 8, 1)}, FloatTransformSpec{});
  fb::ScheduleT schedule;
  schedule.kernel = "bitserial_conv_8x4c2__imaginary_isa";
  schedule.tile_oc = 8;
  b.set_schedule(y, schedule);
  b.set_output(y);
  const std::vector<uint8_t> bytes = b.finish();
  const auto model = Model::load_buffer(bytes.data(), bytes.size());
  const LayerInfo& conv = model->layers()[1];
  CHECK(find_bitserial_conv_kernel(conv.kernel) != nullptr);  // this CPU's default
  CHECK(conv.schedule_note.find("'bitserial_conv_8x4c2__imaginary_isa', which this build does not have; using '" +
                                conv.kernel + "'") != std::string::npos);
  CHECK(model->describe().find("note: schedule names kernel") != std::string::npos);
}

// A model's output for one input at a thread count.
std::vector<float> run_model(const std::vector<uint8_t>& bytes, const std::vector<float>& image, int threads) {
  const auto model = Model::load_buffer(bytes.data(), bytes.size());
  Session session(model, {threads});
  std::vector<float> out(model->output().element_count());
  session.run(image.data(), out.data());
  return out;
}

TEST_CASE("scheduled outer tiles - loop orders and parallel axes give bit-identical outputs - and a schedule from another CPU falls back") {
  const TinyResNet base;
  const std::vector<uint8_t> untuned = base.build();
  test::Random rng(77);
  const std::vector<float> image = rng.normals(3 * 11 * 13, 0, 1);
  auto run = [&](const std::vector<uint8_t>& bytes, int threads) { return run_model(bytes, image, threads); };
  const std::vector<float> want = run(untuned, 1);
  struct Knobs {
    int tile_oc, tile_rows, tile_pixels;
    fb::LoopOrder order;
    fb::ParallelAxis axis;
  };
  using O = fb::LoopOrder;
  using A = fb::ParallelAxis;
  // Float-output layers of 16 and 24 channels split by channels at 2 threads
  // (register blocks); the packed 16-channel one has a single 64-bit word, so
  // it splits rows.
  for (const Knobs& k : {Knobs{8, 0, 5, O::DEFAULT, A::DEFAULT}, Knobs{0, 2, 0, O::DEFAULT, A::ROWS},
                         Knobs{16, 0, 1000, O::CHANNELS_OUTER, A::DEFAULT}, Knobs{1, 1, 0, O::PIXELS_OUTER, A::ROWS},
                         Knobs{0, 0, 0, O::DEFAULT, A::CHANNELS}, Knobs{8, 0, 16, O::CHANNELS_OUTER, A::CHANNELS}}) {
    TinyResNet net;
    net.scheduled = true;
    net.schedule.tile_oc = k.tile_oc;
    net.schedule.tile_rows = k.tile_rows;
    net.schedule.tile_pixels = k.tile_pixels;
    net.schedule.loop_order = k.order;
    net.schedule.parallel_axis = k.axis;
    const std::vector<uint8_t> tuned = net.build();
    for (int threads : {1, 2}) {
      INFO("tile_oc " << k.tile_oc << " tile_rows " << k.tile_rows << " tile_pixels " << k.tile_pixels << " order "
                      << fb::EnumNameLoopOrder(k.order) << " axis " << fb::EnumNameParallelAxis(k.axis) << ", "
                      << threads << " threads");
      CHECK(run(tuned, threads) == want);
    }
  }
  TinyResNet foreign;
  foreign.scheduled = true;
  foreign.schedule.tile_oc = 8;
  foreign.schedule.tuned_for = std::make_unique<fb::CpuIdentityT>();
  foreign.schedule.tuned_for->arch = "aarch64";
  foreign.schedule.tuned_for->model_name = "Cortex-A72";
  const std::vector<uint8_t> bytes = foreign.build();
  const auto model = Model::load_buffer(bytes.data(), bytes.size());
  CHECK(model->layers()[3].schedule_note.find("tuned for Cortex-A72 (aarch64)") != std::string::npos);
  CHECK(run(bytes, 1) == want);
}

TEST_CASE("a channel split of a packed output gives each thread whole words - bit-identical to one thread") {
  // 130 packed output channels are 3 words: at 2 threads a CHANNELS schedule
  // gives one thread channels 0-63 and the other 64-129 of every pixel (the
  // TSan stage runs this), then a float layer reads all of them.
  test::Random rng(91);
  const std::vector<uint8_t> w1 = rng.codes(130 * 9 * 70, 1), w2 = rng.codes(20 * 9 * 130, 1);
  std::vector<int32_t> thresholds(130);
  std::vector<int8_t> direction(130);
  for (int c = 0; c < 130; ++c) {
    thresholds[c] = rng.uniform_int(-30, 30);
    direction[c] = rng.uniform_int(0, 1) ? 1 : -1;
  }
  auto build = [&](bool scheduled) {
    ModelBuilder b;
    const int x = b.input("x", 6, 7, 70);
    const int q = b.quantize("q", x, 1, Encoding::kBipolar, std::vector<float>(70, 0.0f));
    const int y = b.bitserial_conv2d("packed", q, 130, WindowSpec::square(3, 1, 1), CodeWeights{1, Encoding::kBipolar, w1},
                                     ThresholdSpec{1, Encoding::kBipolar, thresholds, direction});
    const int z = b.bitserial_conv2d("float", y, 20, WindowSpec::square(3, 1, 1), CodeWeights{1, Encoding::kBipolar, w2},
                                     FloatTransformSpec{});
    if (scheduled) {
      fb::ScheduleT schedule;
      schedule.parallel_axis = fb::ParallelAxis::CHANNELS;
      schedule.loop_order = fb::LoopOrder::CHANNELS_OUTER;
      schedule.tile_pixels = 16;
      b.set_schedule(y, schedule);
      b.set_schedule(z, schedule);
    }
    b.set_output(z);
    return b.finish();
  };
  const std::vector<float> image = rng.normals(6 * 7 * 70, 0, 1);
  auto run = [&](const std::vector<uint8_t>& bytes, int threads) { return run_model(bytes, image, threads); };
  const std::vector<float> want = run(build(false), 1);
  const std::vector<uint8_t> split = build(true);
  CHECK(run(split, 2) == want);
  CHECK(run(split, 1) == want);
}

TEST_CASE("Session refuses a bad thread count") {
  const std::vector<uint8_t> bytes = TinyResNet().build();
  const auto model = Model::load_buffer(bytes.data(), bytes.size());
  CHECK_THROWS_AS(Session(model, {0}), Error);
  CHECK_THROWS_AS(Session(nullptr), Error);
}

}  // namespace
}  // namespace bnn

TEST_CASE("thread pool: every task runs once - thread ids in range - back to back jobs - a slow thread's share is taken") {
  for (int threads : {1, 2, 3, 5}) {
    bnn::ThreadPool pool(threads);
    CHECK(pool.size() == threads);
    for (int tasks : {0, 1, 2, 7, 64, 1000}) {
      INFO(threads << " threads, " << tasks << " tasks");
      std::vector<std::atomic<int>> runs(static_cast<size_t>(tasks));
      std::atomic<bool> bad_thread{false};
      for (int job = 0; job < 20; ++job) {
        pool.run(tasks, [&](int thread, int task) {
          if (thread < 0 || thread >= threads) bad_thread = true;
          runs[static_cast<size_t>(task)].fetch_add(1);
        });
      }
      CHECK_FALSE(bad_thread.load());
      for (const std::atomic<int>& r : runs) CHECK(r.load() == 20);
    }
  }
  // One task that sleeps: the other tasks still run (on any thread) and run()
  // returns only after it.
  bnn::ThreadPool pool(2);
  std::atomic<int> done{0};
  pool.run(16, [&](int, int task) {
    if (task == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    done.fetch_add(1);
  });
  CHECK(done.load() == 16);
  // After the workers have gone to sleep, a new job wakes them.
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::atomic<int> after{0};
  pool.run(8, [&](int, int) { after.fetch_add(1); });
  CHECK(after.load() == 8);
  // The workers take part (the caller alone would pass everything above):
  // tasks that wait for another thread's task, idle and after the workers slept.
  for (int round = 0; round < 2; ++round) {
    CAPTURE(round);
    bnn::ThreadPool two(2);
    if (round == 1) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::atomic<bool> worker_ran{false};
    two.run(8, [&](int thread, int) {
      if (thread != 0) worker_ran = true;
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      while (!worker_ran && std::chrono::steady_clock::now() < until) std::this_thread::yield();
    });
    CHECK(worker_ran.load());
  }
}

TEST_CASE("parallel_ranges and parallel_blocks cover the output exactly once for any pool size") {
  for (int threads : {1, 2, 4}) {
    bnn::ThreadPool pool(threads);
    for (int rows : {1, 2, 7, 56, 113}) {
      std::vector<std::atomic<int>> hit(static_cast<size_t>(rows));
      bnn::parallel_ranges(pool, rows, [&](int, int begin, int end) {
        for (int r = begin; r < end; ++r) hit[static_cast<size_t>(r)].fetch_add(1);
      });
      for (const std::atomic<int>& h : hit) CHECK(h.load() == 1);
      std::vector<std::atomic<int>> cells(static_cast<size_t>(rows) * 70);
      for (bnn::SplitAxis axis : {bnn::SplitAxis::kRows, bnn::SplitAxis::kChannels}) {
        for (auto& c : cells) c = 0;
        bnn::parallel_blocks(pool, rows, 70, axis, 16, [&](int, const bnn::OutputBlock& b) {
          for (int r = b.row_begin; r < b.row_end; ++r)
            for (int c = b.channel_begin; c < b.channel_end; ++c) cells[static_cast<size_t>(r) * 70 + c].fetch_add(1);
        });
        for (const std::atomic<int>& c : cells) CHECK(c.load() == 1);
      }
    }
  }
}
