#include "converter/checkpoint/arch_presets.h"

#include <map>

#include "converter/checkpoint/graph_writer.h"

namespace bnn::convert {
namespace {

const std::vector<int> kBlocks18 = {4, 4, 4, 4}, kBlocks34 = {6, 8, 12, 6};

std::vector<int> blocks_of(const std::string& arch) { return arch == "bireal34" ? kBlocks34 : kBlocks18; }

void add_bn(KeyShapes& k, const std::string& prefix, int64_t c) {
  for (const char* field : {".weight", ".bias", ".running_mean", ".running_var"}) k.push_back({prefix + field, {c}});
  k.push_back({prefix + ".num_batches_tracked", {}});
}

// ---- Bi-Real-Net (liuzechun/Bi-Real-net, birealnet.py): one binary 3x3 conv
// per block with its own real shortcut; weights stored flat as (out*in*9, 1).

KeyShapes bireal_keys(const std::string& arch, const ArchDims& d) {
  KeyShapes k;
  k.push_back({"conv1.weight", {d.widths[0], d.in_channels, 7, 7}});
  add_bn(k, "bn1", d.widths[0]);
  const std::vector<int> blocks = blocks_of(arch);
  for (int s = 0; s < 4; ++s) {
    for (int i = 0; i < blocks[s]; ++i) {
      const std::string p = "layer" + std::to_string(s + 1) + "." + std::to_string(i);
      const int64_t c = d.widths[s], cin = (i == 0 && s > 0) ? d.widths[s - 1] : c;
      k.push_back({p + ".binary_conv.weights", {c * cin * 9, 1}});
      add_bn(k, p + ".bn1", c);
      if (i == 0 && s > 0) {
        k.push_back({p + ".downsample.1.weight", {c, cin, 1, 1}});
        add_bn(k, p + ".downsample.2", c);
      }
    }
  }
  k.push_back({"fc.weight", {d.classes, d.widths[3]}});
  k.push_back({"fc.bias", {d.classes}});
  return k;
}

std::string bireal_graph(GraphWriter& g, const std::string& arch, const ArchDims& d) {
  std::string x = g.max_pool(g.conv_bn(g.input(), "conv1.weight", 7, 2, 3, "bn1"), 3, 2, 1);
  const std::vector<int> blocks = blocks_of(arch);
  for (int s = 0; s < 4; ++s) {
    for (int i = 0; i < blocks[s]; ++i) {
      const std::string p = "layer" + std::to_string(s + 1) + "." + std::to_string(i);
      const bool down = i == 0 && s > 0;
      const int64_t c = d.widths[s], cin = down ? d.widths[s - 1] : c;
      // In the order of the published forward(): the binary branch, then the shortcut.
      const std::string w = g.binarized_weight(g.weight(p + ".binary_conv.weights", {c, cin, 3, 3}));
      const std::string out = g.batchnorm(g.conv(g.sign(x), w, 3, down ? 2 : 1, 1), p + ".bn1");
      const std::string shortcut =
          down ? g.conv_bn(g.avg_pool(x, 2, 2), p + ".downsample.1.weight", 1, 1, 0, p + ".downsample.2") : x;
      x = g.add(out, shortcut);
    }
  }
  return g.dense(g.op("GlobalAveragePool", {x}), "fc");
}

// ---- ReActNet, ResNet-based (liuzechun/ReActNet resnet/2_step2/birealnet.py):
// Bi-Real's structure with RSign (LearnableBias move0 before the sign) and
// RPReLU (move1, PReLU, move2) after the add; weights stored (out, in, 3, 3);
// in eval, conv(x, sign(W)) * mean|W| per output channel.

KeyShapes reactnet_keys(const ArchDims& d) {
  KeyShapes k;
  k.push_back({"conv1.weight", {d.widths[0], d.in_channels, 7, 7}});
  add_bn(k, "bn1", d.widths[0]);
  for (int s = 0; s < 4; ++s) {
    for (int i = 0; i < kBlocks18[s]; ++i) {
      const std::string p = "layer" + std::to_string(s + 1) + "." + std::to_string(i);
      const int64_t c = d.widths[s], cin = (i == 0 && s > 0) ? d.widths[s - 1] : c;
      k.push_back({p + ".move0.bias", {1, cin, 1, 1}});
      k.push_back({p + ".binary_conv.weight", {c, cin, 3, 3}});
      add_bn(k, p + ".bn1", c);
      k.push_back({p + ".move1.bias", {1, c, 1, 1}});
      k.push_back({p + ".prelu.weight", {c}});
      k.push_back({p + ".move2.bias", {1, c, 1, 1}});
      if (i == 0 && s > 0) {
        k.push_back({p + ".downsample.1.weight", {c, cin, 1, 1}});
        add_bn(k, p + ".downsample.2", c);
      }
    }
  }
  k.push_back({"fc.weight", {d.classes, d.widths[3]}});
  k.push_back({"fc.bias", {d.classes}});
  return k;
}

std::string reactnet_graph(GraphWriter& g, const ArchDims& d) {
  std::string x = g.max_pool(g.conv_bn(g.input(), "conv1.weight", 7, 2, 3, "bn1"), 3, 2, 1);
  for (int s = 0; s < 4; ++s) {
    for (int i = 0; i < kBlocks18[s]; ++i) {
      const std::string p = "layer" + std::to_string(s + 1) + "." + std::to_string(i);
      const bool down = i == 0 && s > 0;
      const std::string w = g.weight(p + ".binary_conv.weight");
      std::string out = g.conv(g.sign(g.learnable_bias(x, p + ".move0.bias")), g.op("Sign", {w}), 3, down ? 2 : 1, 1);
      out = g.batchnorm(g.op("Mul", {out, g.reshape(g.mean_abs_scale(w), {-1, 1, 1})}), p + ".bn1");
      const std::string shortcut =
          down ? g.conv_bn(g.avg_pool(x, 2, 2), p + ".downsample.1.weight", 1, 1, 0, p + ".downsample.2") : x;
      out = g.learnable_bias(g.add(out, shortcut), p + ".move1.bias");
      x = g.learnable_bias(g.prelu(out, p + ".prelu.weight"), p + ".move2.bias");
    }
  }
  (void)d;
  return g.dense(g.op("GlobalAveragePool", {x}), "fc");
}

ArchDims infer_dims(const WeightFile& w) {
  ArchDims d;
  std::vector<int64_t> shape;
  if (w.shape("conv1.weight", &shape) && shape.size() == 4) {
    d.widths[0] = static_cast<int>(shape[0]);
    d.in_channels = static_cast<int>(shape[1]);
  }
  for (int s = 0; s < 4; ++s) {
    if (w.shape("layer" + std::to_string(s + 1) + ".0.bn1.weight", &shape) && shape.size() == 1) {
      d.widths[s] = static_cast<int>(shape[0]);
    }
  }
  if (w.shape("fc.weight", &shape) && shape.size() == 2) d.classes = static_cast<int>(shape[0]);
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
  static const std::vector<ArchPreset> presets = {
      {"bireal18", "Bi-Real-Net-18: one binary 3x3 conv per block, each with a real-valued shortcut",
       "liuzechun/Bi-Real-net pytorch_implementation/BiReal18_34/birealnet.py @ 27cf653",
       "activations binarized as x >= 0 -> +1 (the code's torch.sign gives 0 at exactly 0)"},
      {"bireal34", "Bi-Real-Net-34: as bireal18 with [6, 8, 12, 6] blocks",
       "liuzechun/Bi-Real-net pytorch_implementation/BiReal18_34/birealnet.py @ 27cf653",
       "activations binarized as x >= 0 -> +1 (the code's torch.sign gives 0 at exactly 0)"},
      {"reactnet18", "ReActNet (Bi-Real-based ResNet-18): RSign before and RPReLU after each binary conv",
       "liuzechun/ReActNet resnet/2_step2/birealnet.py @ 341f5ef",
       "activations binarized as x + move0 >= 0 -> +1 (the code's torch.sign gives 0 at exactly 0)"},
  };
  return presets;
}

const ArchPreset* find_arch_preset(const std::string& name) {
  for (const ArchPreset& p : arch_presets()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

KeyShapes expected_keys(const ArchPreset& preset, const ArchDims& dims) {
  if (preset.name == "reactnet18") return reactnet_keys(dims);
  return bireal_keys(preset.name, dims);
}

Graph graph_from_weights(const WeightFile& weights, const ArchPreset& preset, const std::vector<int>& input_chw) {
  const ArchDims dims = infer_dims(weights);
  const KeyShapes expected = expected_keys(preset, dims);
  std::map<std::string, std::vector<int64_t>> wanted(expected.begin(), expected.end());
  for (const auto& [key, shape] : expected) {
    std::vector<int64_t> found;
    if (!weights.shape(key, &found)) {
      throw ConvertError("--arch " + preset.name + ": the checkpoint has no '" + key + "' (expected shape " +
                         shape_text(shape) + ")");
    }
    if (found != shape) {
      throw ConvertError("--arch " + preset.name + ": '" + key + "' has shape " + shape_text(found) + ", expected " +
                         shape_text(shape));
    }
  }
  for (const std::string& key : weights.names()) {
    if (!wanted.count(key)) {
      std::vector<int64_t> found;
      weights.shape(key, &found);
      throw ConvertError("--arch " + preset.name + ": the checkpoint has '" + key + "' (shape " + shape_text(found) +
                         "), which " + preset.name + " does not have (a different architecture?)");
    }
  }
  GraphWriter g(weights, {1, input_chw.at(0), input_chw.at(1), input_chw.at(2)});
  if (input_chw.at(0) != dims.in_channels) {
    throw ConvertError("--input has " + std::to_string(input_chw[0]) + " channels; the checkpoint's first conv takes " +
                       std::to_string(dims.in_channels));
  }
  return g.finish(preset.name == "reactnet18" ? reactnet_graph(g, dims) : bireal_graph(g, preset.name, dims));
}

}  // namespace bnn::convert
