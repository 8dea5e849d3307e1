// SPDX-License-Identifier: Apache-2.0
#include "converter/checkpoint/arch_presets.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include "converter/checkpoint/graph_writer.h"
#include "model_format/limits.h"

namespace bnn::convert {
namespace {

const std::vector<int> kBlocks18 = {4, 4, 4, 4}, kBlocks34 = {6, 8, 12, 6};

// Each network below is written once, over a GraphWriter: recording, it lists
// the keys (and shapes) a checkpoint must hold; reading, it builds the graph.

std::string block_prefix(const std::string& stages, int s, int i) {
  return stages + std::to_string(s + 1) + "." + std::to_string(i);
}

// ---- Bi-Real-Net (liuzechun/Bi-Real-net, birealnet.py): one binary 3x3 conv
// per block with its own real shortcut; weights stored flat as (out*in*9, 1).

std::string bireal_graph(GraphWriter& g, const std::string& arch, const ArchDims& d) {
  std::string x =
      g.max_pool(g.conv_bn(g.input(), "conv1.weight", {d.widths[0], d.in_channels, 7, 7}, 2, 3, "bn1"), 3, 2, 1);
  const std::vector<int> blocks = arch == "bireal34" ? kBlocks34 : kBlocks18;
  for (int s = 0; s < 4; ++s) {
    for (int i = 0; i < blocks[s]; ++i) {
      const std::string p = block_prefix("layer", s, i);
      const bool down = i == 0 && s > 0;
      const int64_t c = d.widths[s], cin = down ? d.widths[s - 1] : c;
      // In the order of the published forward(): the binary branch, then the shortcut.
      const std::string w = g.binarized_weight(g.weight(p + ".binary_conv.weights", {c * cin * 9, 1}, {c, cin, 3, 3}));
      const std::string out = g.batchnorm(g.conv(g.sign(x), w, 3, down ? 2 : 1, 1), p + ".bn1", c);
      const std::string shortcut =
          down ? g.conv_bn(g.avg_pool(x, 2, 2), p + ".downsample.1.weight", {c, cin, 1, 1}, 1, 0, p + ".downsample.2")
               : x;
      x = g.add(out, shortcut);
    }
  }
  return g.dense(g.op("GlobalAveragePool", {x}), "fc", d.widths[3], d.classes);
}

// ---- ReActNet, ResNet-based (liuzechun/ReActNet resnet/2_step2/birealnet.py):
// Bi-Real's structure with RSign (LearnableBias move0 before the sign) and
// RPReLU (move1, PReLU, move2) after the add; weights stored (out, in, 3, 3);
// in eval, conv(x, sign(W)) * mean|W| per output channel.

std::string reactnet_graph(GraphWriter& g, const ArchDims& d) {
  std::string x =
      g.max_pool(g.conv_bn(g.input(), "conv1.weight", {d.widths[0], d.in_channels, 7, 7}, 2, 3, "bn1"), 3, 2, 1);
  for (int s = 0; s < 4; ++s) {
    for (int i = 0; i < kBlocks18[s]; ++i) {
      const std::string p = block_prefix("layer", s, i);
      const bool down = i == 0 && s > 0;
      const int64_t c = d.widths[s], cin = down ? d.widths[s - 1] : c;
      const std::string binarized = g.sign(g.learnable_bias(x, p + ".move0.bias", cin));
      const std::string w = g.weight(p + ".binary_conv.weight", {c, cin, 3, 3});
      std::string out = g.conv(binarized, g.op("Sign", {w}), 3, down ? 2 : 1, 1);
      out = g.batchnorm(g.op("Mul", {out, g.reshape(g.mean_abs_scale(w), {-1, 1, 1})}), p + ".bn1", c);
      const std::string shortcut =
          down ? g.conv_bn(g.avg_pool(x, 2, 2), p + ".downsample.1.weight", {c, cin, 1, 1}, 1, 0, p + ".downsample.2")
               : x;
      out = g.learnable_bias(g.add(out, shortcut), p + ".move1.bias", c);
      x = g.learnable_bias(g.prelu(out, p + ".prelu.weight", c), p + ".move2.bias", c);
    }
  }
  return g.dense(g.op("GlobalAveragePool", {x}), "fc", d.widths[3], d.classes);
}

// ---- IR-Net ResNet-18 1w1a (htqin/IR-Net ImageNet/ResNet18/1w1a): two binary
// convs per block, each with its own shortcut and a hardtanh after the add;
// the input is binarized inside the conv; weights standardized per output
// channel, binarized, scaled by 2^round(log2(mean|standardized W|)).

// IR-Net's binarized weight, sign(bw) * 2^round(log2(mean|bw|)) per output
// channel of bw = (W - mean) / std (unbiased), computed here in double: the
// result is +-2^k, which float32 evaluation (PyTorch's, or an ONNX export's)
// gives too unless a weight lies within rounding of its channel's mean.
std::string irnet_weight(GraphWriter& g, const std::string& key, const std::vector<int64_t>& shape) {
  Constant w = g.read(key, shape);
  if (w.values.empty()) return g.constant(w.shape, {});  // recording the keys
  const int64_t c = shape.at(0), n = c ? w.size() / c : 0;
  for (int64_t o = 0; o < c; ++o) {
    double* v = w.values.data() + o * n;
    double mean = 0;
    for (int64_t i = 0; i < n; ++i) mean += v[i];
    mean /= static_cast<double>(n);
    double var = 0;
    for (int64_t i = 0; i < n; ++i) var += (v[i] - mean) * (v[i] - mean);
    const double std = std::sqrt(var / static_cast<double>(n > 1 ? n - 1 : 1));
    double mean_abs = 0;
    for (int64_t i = 0; i < n; ++i) mean_abs += std::fabs((v[i] - mean) / std);
    mean_abs /= static_cast<double>(n);
    const double scale = std::exp2(std::nearbyint(std::log2(mean_abs)));
    for (int64_t i = 0; i < n; ++i) v[i] = v[i] - mean > 0 ? scale : v[i] - mean < 0 ? -scale : 0;
  }
  return g.constant(w.shape, std::move(w.values));
}

std::string hardtanh(GraphWriter& g, const std::string& x) { return g.op("Clip", {x, g.scalar(-1), g.scalar(1)}); }

std::string irnet_graph(GraphWriter& g, const ArchDims& d) {
  std::string x = g.max_pool(
      hardtanh(g, g.conv_bn(g.input(), "conv1.weight", {d.widths[0], d.in_channels, 7, 7}, 2, 3, "bn1")), 3, 2, 1);
  for (int s = 0; s < 4; ++s) {
    for (int i = 0; i < 2; ++i) {
      const std::string p = block_prefix("layer", s, i);
      const bool down = i == 0 && s > 0;
      const int64_t c = d.widths[s], cin = down ? d.widths[s - 1] : c;
      std::string out = g.batchnorm(
          g.conv(g.sign(x), irnet_weight(g, p + ".conv1.weight", {c, cin, 3, 3}), 3, down ? 2 : 1, 1), p + ".bn1", c);
      const std::string shortcut =
          down ? g.conv_bn(x, p + ".downsample.0.weight", {c, cin, 1, 1}, 2, 0, p + ".downsample.1") : x;
      x = hardtanh(g, g.add(out, shortcut));
      out = g.batchnorm(g.conv(g.sign(x), irnet_weight(g, p + ".conv2.weight", {c, c, 3, 3}), 3, 1, 1), p + ".bn2", c);
      x = hardtanh(g, g.add(out, x));
    }
  }
  const std::string pooled = g.op("Flatten", {g.avg_pool(x, 7, 1)}, {{"axis", GraphWriter::integer(1)}});
  const std::string logits = g.op("LogSoftmax", {g.dense(g.batchnorm(pooled, "bn2", d.widths[3]), "fc", d.widths[3],
                                                          d.classes, false)},
                                   {{"axis", GraphWriter::integer(1)}});
  for (const char* field : {".weight", ".bias", ".running_mean", ".running_var"}) g.unused(std::string("bn3") + field, {d.classes});
  g.unused("bn3.num_batches_tracked", {});  // constructed but unused by forward()
  return logits;
}

// ---- The parity suite's layouts (tests/parity/models.py: ResNet with stem.0/1,
// layers.N, head_bn, fc), for XNOR-Net and DoReFa ResNet-18, which have no
// one public reference layout (docs/checkpoint-layouts.md).

std::string suite_stem(GraphWriter& g, const ArchDims& d) {
  return g.max_pool(
      g.op("Relu", {g.conv_bn(g.input(), "stem.0.weight", {d.widths[0], d.in_channels, 7, 7}, 2, 3, "stem.1")}), 3, 2,
      1);
}

std::string suite_head(GraphWriter& g, const std::string& x, const ArchDims& d) {
  const std::string pooled = g.op("GlobalAveragePool", {g.op("Relu", {g.batchnorm(x, "head_bn", d.widths[3])})});
  return g.dense(pooled, "fc", d.widths[3], d.classes);
}

// sign(W) * mean|W| over (1, 2, 3) in one mean (the suite's BinConv2d).
std::string xnor_weight(GraphWriter& g, const std::string& key, const std::vector<int64_t>& shape) {
  const std::string w = g.weight(key, shape);
  const std::string scale = g.op("ReduceMean", {g.op("Abs", {w})},
                                 {{"axes", GraphWriter::ints({1, 2, 3})}, {"keepdims", GraphWriter::integer(1)}});
  return g.op("Mul", {scale, g.op("Sign", {w})});
}

// ---- torchvision's ResNet-18 as binary-networks-pytorch binarizes it
// (1adrianb/binary-networks-pytorch @ 51bdeee, README recipe: BasicInputBinarizer,
// XNORWeightBinarizer, BasicScaleBinarizer): a binarized module computes
// conv(sign(x), sign(W') * ||W'||_1 / n per output channel) * alpha, with
// W' = W - mean over input channels when the weights were centred; alpha is
// its `activation_post_process.alpha`. A module is binarized iff the file has
// its alpha; a file with none binarizes every conv but conv1 (XNOR-Net keeps
// the first and last layers real). torchvision's block: conv1, bn1, ReLU,
// conv2, bn2, + (downsample or x), ReLU; so every binarized input but the
// image is a ReLU's output and its sign is {0, 1} (docs/numerics.md).

bool binarized(const ArchDims& d, const std::string& module) {
  if (d.scaled.empty()) return module != "conv1" && module != "fc";
  return std::find(d.scaled.begin(), d.scaled.end(), module) != d.scaled.end();
}

std::string bnnlib_weight(GraphWriter& g, const std::string& key, const std::vector<int64_t>& shape, bool center) {
  std::string w = g.weight(key, shape);
  const bool conv = shape.size() == 4;
  if (center) {
    const std::string mean = g.op("ReduceMean", {w}, {{"axes", GraphWriter::ints({1})}, {"keepdims", GraphWriter::integer(1)}});
    w = g.op("Sub", {w, g.op("Expand", {mean, g.op("Shape", {w})})});
  }
  int64_t n = 1;
  for (size_t i = 1; i < shape.size(); ++i) n *= shape[i];
  std::string norm = g.op("ReduceL1", {w}, {{"axes", GraphWriter::ints({conv ? 3 : 1})}, {"keepdims", GraphWriter::integer(1)}});
  if (conv) norm = g.op("ReduceSum", {norm, g.constant({2}, {2, 1})}, {{"keepdims", GraphWriter::integer(1)}});
  const std::string alpha = g.op("Div", {norm, g.scalar(static_cast<double>(n))});
  return g.op("Mul", {g.op("Sign", {w}), g.op("Expand", {alpha, g.op("Shape", {w})})});
}

// A torchvision conv (no bias), binarized or not, then its batchnorm.
std::string tv_conv_bn(GraphWriter& g, const ArchDims& d, const std::string& x, const std::string& module,
                       const std::vector<int64_t>& shape, int stride, int pad, const std::string& bn) {
  if (!binarized(d, module)) return g.conv_bn(x, module + ".weight", shape, stride, pad, bn);
  std::string y = g.conv(g.op("Sign", {x}), bnnlib_weight(g, module + ".weight", shape, d.center_weights),
                         static_cast<int>(shape[2]), stride, pad);
  if (!d.scaled.empty()) y = g.op("Mul", {y, g.weight(module + ".activation_post_process.alpha", {1, shape[0], 1, 1})});
  return g.batchnorm(y, bn, shape[0]);
}

// torchvision's resnet18 body: conv1, bn1, ReLU, max pool, then layerS.I blocks
// (conv1, bn1, ReLU, conv2, bn2, + (downsample or x), ReLU). `conv_bn` writes one
// conv of `module` ("conv1", "layer1.0.conv2", "layer2.0.downsample.0") and its
// batchnorm, as the training code quantizes it.
using ConvBn = std::function<std::string(const std::string& x, const std::string& module,
                                         const std::vector<int64_t>& shape, int stride, int pad, const std::string& bn)>;

std::string torchvision_body(GraphWriter& g, const ArchDims& d, const ConvBn& conv_bn) {
  std::string x =
      g.max_pool(g.op("Relu", {conv_bn(g.input(), "conv1", {d.widths[0], d.in_channels, 7, 7}, 2, 3, "bn1")}), 3, 2, 1);
  for (int s = 0; s < 4; ++s) {
    for (int i = 0; i < 2; ++i) {
      const std::string p = block_prefix("layer", s, i);
      const bool down = i == 0 && s > 0;
      const int64_t c = d.widths[s], cin = down ? d.widths[s - 1] : c;
      std::string out = g.op("Relu", {conv_bn(x, p + ".conv1", {c, cin, 3, 3}, down ? 2 : 1, 1, p + ".bn1")});
      out = conv_bn(out, p + ".conv2", {c, c, 3, 3}, 1, 1, p + ".bn2");
      const std::string shortcut =
          down ? conv_bn(x, p + ".downsample.0", {c, cin, 1, 1}, 2, 0, p + ".downsample.1") : x;
      x = g.op("Relu", {g.add(out, shortcut)});
    }
  }
  return x;
}

std::string torchvision_xnor_graph(GraphWriter& g, const ArchDims& d) {
  const std::string x = torchvision_body(
      g, d, [&](const std::string& in, const std::string& module, const std::vector<int64_t>& shape, int stride, int pad,
                const std::string& bn) { return tv_conv_bn(g, d, in, module, shape, stride, pad, bn); });
  const std::string pooled = g.op("Flatten", {g.op("GlobalAveragePool", {x})}, {{"axis", GraphWriter::integer(1)}});
  if (!binarized(d, "fc")) return g.dense(pooled, "fc", d.widths[3], d.classes, false);
  const std::string w = bnnlib_weight(g, "fc.weight", {d.classes, d.widths[3]}, d.center_weights);
  std::string y = g.op("Gemm", {g.op("Sign", {pooled}), w, g.weight("fc.bias", {d.classes})},
                       {{"alpha", GraphWriter::real(1)}, {"beta", GraphWriter::real(1)}, {"transB", GraphWriter::integer(1)}});
  if (!d.scaled.empty()) y = g.op("Mul", {y, g.weight("fc.activation_post_process.alpha", {1, d.classes})});
  return y;
}

std::string xnor_graph(GraphWriter& g, const ArchDims& d) {
  if (d.torchvision) return torchvision_xnor_graph(g, d);
  std::string x = suite_stem(g, d);
  for (int b = 0; b < 8; ++b) {
    const int s = b / 2;
    const bool down = b % 2 == 0 && s > 0;
    const std::string p = "layers." + std::to_string(b);
    const int64_t c = d.widths[s], cin = down ? d.widths[s - 1] : c;
    std::string h = g.conv(g.sign(g.batchnorm(x, p + ".bn1", cin)), xnor_weight(g, p + ".conv1.weight", {c, cin, 3, 3}),
                           3, down ? 2 : 1, 1);
    h = g.conv(g.sign(g.batchnorm(h, p + ".bn2", c)), xnor_weight(g, p + ".conv2.weight", {c, c, 3, 3}), 3, 1, 1);
    h = g.batchnorm(h, p + ".bn3", c);
    const std::string shortcut =
        down ? g.batchnorm(g.conv(g.sign(x), xnor_weight(g, p + ".shortcut.1.weight", {c, cin, 1, 1}), 1, 2, 0),
                           p + ".shortcut.2", c)
             : x;
    x = g.add(h, shortcut);
  }
  return suite_head(g, x, d);
}

// DoReFa's k-bit activation: round(clamp(x, 0, 1) * n) / n.
std::string dorefa_act(GraphWriter& g, const std::string& x, int bits) {
  const double n = (1 << bits) - 1;
  const std::string clipped = g.op("Clip", {x, g.scalar(0), g.scalar(1)});
  return g.op("Div", {g.op("Round", {g.op("Mul", {clipped, g.scalar(n)})}), g.scalar(n)});
}

// DoReFa's weights: W1 = sign(W) * mean|W| (one scalar; the suite's sign is
// where(W >= 0, 1, -1), Jzz24's torch.sign); Wk = 2 * round((tanh W / (2
// max|tanh W|) + 1/2) * n) / n - 1.
std::string dorefa_weight(GraphWriter& g, const std::string& key, const std::vector<int64_t>& shape, int bits,
                          bool torch_sign = false) {
  const std::string w = g.weight(key, shape);
  if (bits == 1) {
    const std::string e = g.op("ReduceMean", {g.op("Abs", {w})}, {{"keepdims", GraphWriter::integer(0)}});
    return g.op("Mul", {torch_sign ? g.op("Sign", {w}) : g.sign(w), e});
  }
  const double n = (1 << bits) - 1;
  const std::string t = g.op("Tanh", {w});
  const std::string peak = g.op("ReduceMax", {g.op("Abs", {t})}, {{"keepdims", GraphWriter::integer(0)}});
  const std::string unit = g.op("Add", {g.op("Div", {t, g.op("Mul", {g.scalar(2), peak})}), g.scalar(0.5)});
  const std::string levels = g.op("Div", {g.op("Round", {g.op("Mul", {unit, g.scalar(n)})}), g.scalar(n)});
  return g.op("Sub", {g.op("Mul", {g.scalar(2), levels}), g.scalar(1)});
}

// ---- DoReFa on torchvision's ResNet-18 (Jzz24/pytorch_quantization
// models/resnet_imagenet.py, model_utils/quant_dorefa.py @ 0c2d93c): every conv
// but conv1 is a QuanConv quantizing its own input as round(clamp(0.1 x, 0, 1)
// * n) / n and its weights as DoReFa's; the head is AvgPool2d(7) and a
// Linear_Q with 8-bit weights on k-bit activations (read back as floats, exactly).

std::string jzz_act(GraphWriter& g, const std::string& x, int bits) {
  return dorefa_act(g, g.op("Mul", {x, g.scalar(0.1)}), bits);
}

// A QuanConv and its batchnorm; conv1 stays a real conv.
std::string jzz_conv_bn(GraphWriter& g, const std::string& x, const std::string& module,
                        const std::vector<int64_t>& shape, int stride, int pad, const std::string& bn, int wbits,
                        int abits) {
  if (module == "conv1") return g.conv_bn(x, module + ".weight", shape, stride, pad, bn);
  const std::string y = g.conv(jzz_act(g, x, abits), dorefa_weight(g, module + ".weight", shape, wbits, true),
                               static_cast<int>(shape[2]), stride, pad);
  return g.batchnorm(y, bn, shape[0]);
}

std::string torchvision_dorefa_graph(GraphWriter& g, const ArchDims& d, int wbits, int abits) {
  const std::string x = torchvision_body(
      g, d, [&](const std::string& in, const std::string& module, const std::vector<int64_t>& shape, int stride, int pad,
                const std::string& bn) { return jzz_conv_bn(g, in, module, shape, stride, pad, bn, wbits, abits); });
  const std::string pooled = g.op("Flatten", {g.avg_pool(x, 7, 1)}, {{"axis", GraphWriter::integer(1)}});
  const std::string w = dorefa_weight(g, "fc.weight", {d.classes, d.widths[3]}, 8, true);
  return g.op("Gemm", {jzz_act(g, pooled, abits), w, g.weight("fc.bias", {d.classes})},
              {{"alpha", GraphWriter::real(1)}, {"beta", GraphWriter::real(1)}, {"transB", GraphWriter::integer(1)}});
}

std::string dorefa_graph(GraphWriter& g, const ArchDims& d, int wbits, int abits) {
  if (d.torchvision) return torchvision_dorefa_graph(g, d, wbits, abits);
  std::string x = suite_stem(g, d);
  for (int b = 0; b < 8; ++b) {
    const int s = b / 2;
    const bool down = b % 2 == 0 && s > 0;
    const std::string p = "layers." + std::to_string(b);
    const int64_t c = d.widths[s], cin = down ? d.widths[s - 1] : c;
    std::string h = g.conv(dorefa_act(g, g.batchnorm(x, p + ".bn1", cin), abits),
                           dorefa_weight(g, p + ".conv1.weight", {c, cin, 3, 3}, wbits), 3, down ? 2 : 1, 1);
    h = g.conv(dorefa_act(g, g.batchnorm(h, p + ".bn2", c), abits),
               dorefa_weight(g, p + ".conv2.weight", {c, c, 3, 3}, wbits), 3, 1, 1);
    const std::string shortcut =
        down ? g.conv_bn(x, p + ".shortcut.0.weight", {c, cin, 1, 1}, 2, 0, p + ".shortcut.1") : x;
    x = g.add(h, shortcut);
  }
  return suite_head(g, x, d);
}

// ---- ReActNet-A (liuzechun/ReActNet mobilenet/2_step2/reactnet.py @ a6cd08d):
// MobileNet-V1's layout with binary convs. Each block: shift, sign, binary
// 3x3 (flat `weights`, mean|W| scale), batchnorm, + the (pooled) input, RPReLU
// (move12, prelu1, move13); then shift, sign, binary 1x1 and batchnorm + the
// first half's output, or two of them side by side, concatenated, where the
// width doubles; RPReLU (move22, prelu2, move23). A block strides 2 where the
// width changes, except into the second stage's width.

std::string reactnet_a_graph(GraphWriter& g, const ArchDims& d) {
  const std::vector<int>& ch = d.block_channels;
  std::string x = g.conv_bn(g.input(), "feature.0.conv1.weight", {ch[0], d.in_channels, 3, 3}, 2, 1, "feature.0.bn1");
  for (size_t i = 1; i < ch.size(); ++i) {
    const std::string p = "feature." + std::to_string(i);
    const int64_t cin = ch[i - 1], cout = ch[i];
    const int stride = cin != cout && cout != ch[1] ? 2 : 1;
    auto binary_conv = [&](const std::string& binarized, const std::string& key, int64_t o, int64_t k, int s) {
      const std::string w = g.binarized_weight(g.weight(p + key, {o * cin * k * k, 1}, {o, cin, k, k}));
      return g.conv(binarized, w, static_cast<int>(k), s, static_cast<int>(k / 2));
    };
    std::string out1 = g.batchnorm(
        binary_conv(g.sign(g.learnable_bias(x, p + ".move11.bias", cin)), ".binary_3x3.weights", cin, 3, stride),
        p + ".bn1", cin);
    if (stride == 2) x = g.avg_pool(x, 2, 2);
    out1 = g.learnable_bias(g.prelu(g.learnable_bias(g.add(x, out1), p + ".move12.bias", cin), p + ".prelu1.weight", cin),
                            p + ".move13.bias", cin);
    const std::string shifted = g.sign(g.learnable_bias(out1, p + ".move21.bias", cin));  // read by one or two convs
    std::string out2;
    if (cin == cout) {
      out2 = g.add(g.batchnorm(binary_conv(shifted, ".binary_pw.weights", cout, 1, 1), p + ".bn2", cout), out1);
    } else {
      const std::string a = g.add(g.batchnorm(binary_conv(shifted, ".binary_pw_down1.weights", cin, 1, 1), p + ".bn2_1", cin), out1);
      const std::string b = g.add(g.batchnorm(binary_conv(shifted, ".binary_pw_down2.weights", cin, 1, 1), p + ".bn2_2", cin), out1);
      out2 = g.op("Concat", {a, b}, {{"axis", GraphWriter::integer(1)}});
    }
    x = g.learnable_bias(g.prelu(g.learnable_bias(out2, p + ".move22.bias", cout), p + ".prelu2.weight", cout),
                         p + ".move23.bias", cout);
  }
  return g.dense(g.op("GlobalAveragePool", {x}), "fc", ch.back(), d.classes);
}

// The network of `preset` over `g`.
std::string network(GraphWriter& g, const ArchPreset& preset, const ArchDims& d, std::pair<int, int> bits) {
  if (preset.name == "reactnet18") return reactnet_graph(g, d);
  if (preset.name == "reactneta") return reactnet_a_graph(g, d);
  if (preset.name == "irnet18") return irnet_graph(g, d);
  if (preset.name == "xnor18") return xnor_graph(g, d);
  if (preset.name == "dorefa18") return dorefa_graph(g, d, bits.first, bits.second);
  return bireal_graph(g, preset.name, d);
}

// A channel count read from a file's shapes: -1 (refused below) unless 1 to kMaxChannels.
int dim(int64_t v) { return v >= 1 && v <= limits::kMaxChannels ? static_cast<int>(v) : -1; }

ArchDims infer_dims(const WeightFile& w) {
  ArchDims d;
  std::vector<int64_t> shape;
  if (w.shape("conv1.weight", &shape) && shape.size() == 4) {
    d.widths[0] = dim(shape[0]);
    d.in_channels = dim(shape[1]);
  }
  for (int s = 0; s < 4; ++s) {
    if (w.shape("layer" + std::to_string(s + 1) + ".0.bn1.weight", &shape) && shape.size() == 1) {
      d.widths[s] = dim(shape[0]);
    }
  }
  if (w.shape("stem.0.weight", &shape) && shape.size() == 4) {  // the parity suite's layout
    d.widths[0] = dim(shape[0]);
    d.in_channels = dim(shape[1]);
  }
  for (int s = 0; s < 4; ++s) {
    if (w.shape("layers." + std::to_string(2 * s) + ".conv1.weight", &shape) && shape.size() == 4) {
      d.widths[s] = dim(shape[0]);
    }
  }
  if (w.shape("fc.weight", &shape) && shape.size() == 2) d.classes = dim(shape[0]);
  // torchvision's layout: layerS.0.conv1 (the suite's is layers.N; Bi-Real's binary_conv).
  d.torchvision = w.shape("layer1.0.conv1.weight", &shape);
  for (int s = 0; d.torchvision && s < 4; ++s) {
    if (w.shape("layer" + std::to_string(s + 1) + ".0.conv1.weight", &shape) && shape.size() == 4) {
      d.widths[s] = dim(shape[0]);
    }
  }
  const std::string alpha = ".activation_post_process.alpha";
  for (const std::string& key : w.names()) {
    if (key.size() > alpha.size() && key.compare(key.size() - alpha.size(), alpha.size(), alpha) == 0) {
      d.scaled.push_back(key.substr(0, key.size() - alpha.size()));
    }
  }
  if (w.shape("feature.0.conv1.weight", &shape) && shape.size() == 4) {  // ReActNet-A
    d.block_channels[0] = dim(shape[0]);
    d.in_channels = dim(shape[1]);
    for (size_t i = 1; i < d.block_channels.size(); ++i) {
      if (w.shape("feature." + std::to_string(i) + ".prelu2.weight", &shape) && shape.size() == 1) {
        d.block_channels[i] = dim(shape[0]);
      }
    }
  }
  return d;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  if (shape.empty()) return "scalar";
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "x" : "") + std::to_string(shape[i]);
  return s;
}

}  // namespace

const std::vector<ArchPreset>& arch_presets() {
  static const std::vector<ArchPreset> presets = [] {
    std::vector<ArchPreset> list = {
      {"bireal18", "Bi-Real-Net-18: one binary 3x3 conv per block, each with a real-valued shortcut",
       "liuzechun/Bi-Real-net pytorch_implementation/BiReal18_34/birealnet.py @ 27cf653",
       "activations binarized as x >= 0 -> +1 (the code's torch.sign gives 0 at exactly 0)"},
      {"bireal34", "Bi-Real-Net-34: as bireal18 with [6, 8, 12, 6] blocks",
       "liuzechun/Bi-Real-net pytorch_implementation/BiReal18_34/birealnet.py @ 27cf653",
       "activations binarized as x >= 0 -> +1 (the code's torch.sign gives 0 at exactly 0)"},
      {"irnet18", "IR-Net ResNet-18 1w1a: two binary convs per block, each with a shortcut and hardtanh",
       "htqin/IR-Net ImageNet/ResNet18/1w1a/models/resnet.py, modules/ir_1w1a.py @ 831282f",
       "activations binarized as x >= 0 -> +1; the output is the published LogSoftmax of fc; bn3 is in the "
       "state dict but unused by forward(), so it is ignored; the head's AvgPool2d(7) needs a 7x7 final map "
       "(a 224x224 input)"},
      {"xnor18", "XNOR-Net-style ResNet-18: binary convs with sign(W) * mean|W| per output channel",
       "torchvision's resnet18 names as binary-networks-pytorch (1adrianb @ 51bdeee) binarizes them, with its "
       "activation_post_process.alpha; or bnn-engine's parity suite (tests/parity/models.py XnorBlock, stem.0, "
       "layers.N); no public XNOR-Net ResNet-18 has one reference layout",
       "real weights in the file, binarized by the converter; torchvision layout: a module is binarized iff the "
       "file has its alpha (none: every conv but conv1), weights uncentred unless --center-weights (the "
       "library's README recipe centres them; the file cannot say), sign() of a ReLU's output is {0, 1}; suite "
       "layout: first conv and fc real, activations binarized as x >= 0 -> +1"},
      {"dorefa18", "DoReFa ResNet-18: k-bit activations round(clamp(x, 0, 1) * n) / n and k-bit weights",
       "torchvision's resnet18 names as Jzz24/pytorch_quantization models/resnet_imagenet.py @ 0c2d93c quantizes "
       "them (QuanConv, an 8-bit Linear_Q head); or bnn-engine's parity suite (tests/parity/models.py DoReFaBlock)",
       "--bits WxA (default 1x2): the file does not say how many bits it was trained with; torchvision layout: "
       "activations round(clamp(0.1 x, 0, 1) * n) / n as that code does, the head's AvgPool2d(7) needs 224x224"},
      {"reactnet18", "ReActNet (Bi-Real-based ResNet-18): RSign before and RPReLU after each binary conv",
       "liuzechun/ReActNet resnet/2_step2/birealnet.py @ 341f5ef",
       "activations binarized as x + move0 >= 0 -> +1 (the code's torch.sign gives 0 at exactly 0)"},
      {"reactneta", "ReActNet-A: the MobileNet-shaped ReActNet, 13 blocks, concatenating downsampling blocks",
       "liuzechun/ReActNet mobilenet/2_step2/reactnet.py @ a6cd08d",
       "activations binarized as x + move >= 0 -> +1 (the code's torch.sign gives 0 at exactly 0); the step-2 "
       "checkpoint (flat `weights` per binary conv)"},
    };
    for (ArchPreset& p : list) {
      if (p.name == "dorefa18") p.bits = {{1, 2}, {2, 2}, {1, 1}, {4, 4}};
      if (p.name == "irnet18") {
        p.input_note = "irnet18's head is AvgPool2d(7), so its last feature map must be 7x7: a 224x224 input "
                       "(--input 3x224x224), or any size that gives 7x7 after the 32x downsampling (193 to 224)";
      }
    }
    return list;
  }();
  return presets;
}

const ArchPreset* find_arch_preset(const std::string& name) {
  for (const ArchPreset& p : arch_presets()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

KeyShapes expected_keys(const ArchPreset& preset, const ArchDims& dims) {
  GraphWriter recorder(nullptr, {1, dims.in_channels, preset.input_chw.at(1), preset.input_chw.at(2)});
  network(recorder, preset, dims, preset.bits.front());
  return recorder.keys();
}

Graph graph_from_weights(const WeightFile& weights, const ArchPreset& preset, const std::vector<int>& input_chw,
                         std::pair<int, int> bits, bool center_weights) {
  if (bits == std::pair<int, int>{0, 0}) bits = preset.bits.front();
  if (std::find(preset.bits.begin(), preset.bits.end(), bits) == preset.bits.end()) {
    std::string allowed;
    for (const auto& [w, a] : preset.bits) allowed += (allowed.empty() ? "" : ", ") + std::to_string(w) + "x" + std::to_string(a);
    throw ConvertError("--arch " + preset.name + " takes --bits " + allowed + ", not " + std::to_string(bits.first) + "x" +
                       std::to_string(bits.second));
  }
  ArchDims dims = infer_dims(weights);
  dims.center_weights = center_weights;
  std::vector<int> counts = {dims.in_channels, dims.classes};
  counts.insert(counts.end(), dims.widths.begin(), dims.widths.end());
  counts.insert(counts.end(), dims.block_channels.begin(), dims.block_channels.end());
  for (int v : counts) {
    if (v < 1) {
      throw ConvertError("--arch " + preset.name + ": the checkpoint has a layer with 0 channels or classes, or more "
                         "than " + std::to_string(limits::kMaxChannels) + " (kMaxChannels)");
    }
  }
  GraphWriter recorder(nullptr, {1, dims.in_channels, input_chw.at(1), input_chw.at(2)});
  network(recorder, preset, dims, bits);
  const KeyShapes& expected = recorder.keys();
  std::map<std::string, std::vector<int64_t>> wanted(expected.begin(), expected.end());
  for (const auto& [key, shape] : expected) {
    std::vector<int64_t> found;
    if (!weights.shape(key, &found)) {
      // Present but not a readable tensor: let the reader say why (a global, a bad view...).
      if (std::find(weights.names().begin(), weights.names().end(), key) != weights.names().end()) weights.read(key);
      throw ConvertError("--arch " + preset.name + ": the checkpoint has no " + quoted(key) + " (expected shape " +
                         shape_text(shape) + ")");
    }
    if (found != shape) {
      throw ConvertError("--arch " + preset.name + ": " + quoted(key) + " has shape " + shape_text(found) + ", expected " +
                         shape_text(shape));
    }
  }
  for (const std::string& key : weights.names()) {
    if (!wanted.count(key)) {
      std::vector<int64_t> found;
      weights.shape(key, &found);
      throw ConvertError("--arch " + preset.name + ": the checkpoint has " + quoted(key) + " (shape " + shape_text(found) +
                         "), which " + preset.name + " does not have (a different architecture?)");
    }
  }
  if (input_chw.at(0) != dims.in_channels) {
    throw ConvertError("--input has " + std::to_string(input_chw[0]) + " channels; the checkpoint's first conv takes " +
                       std::to_string(dims.in_channels));
  }
  GraphWriter g(&weights, {1, input_chw.at(0), input_chw.at(1), input_chw.at(2)});
  return g.finish(network(g, preset, dims, bits));
}

}  // namespace bnn::convert
