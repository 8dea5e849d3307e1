// SPDX-License-Identifier: Apache-2.0
#include "converter/int8_stem.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "converter/ir.h"
#include "model_format/builder.h"
#include "model_format/printable_text.h"

namespace bnn::convert {

std::optional<InputRange> preprocessing_range(const std::vector<uint8_t>& model) {
  const fb::InputInfo* info = fb::GetModel(model.data())->input_info();
  if (!info || !info->mean() || !info->std() || info->mean()->size() == 0 ||
      info->mean()->size() != info->std()->size()) {
    return std::nullopt;
  }
  InputRange range{INFINITY, -INFINITY, "the preprocessing's mean and std (pixels 0 to 255)"};
  for (uint32_t c = 0; c < info->mean()->size(); ++c) {
    const float mean = info->mean()->Get(c), std = info->std()->Get(c);
    for (float pixel : {0.0f, 1.0f}) {
      const float x = (pixel - mean) / std;
      range.min = std::min(range.min, x);
      range.max = std::max(range.max, x);
    }
  }
  return range;
}

std::vector<uint8_t> int8_stem(const std::vector<uint8_t>& model, const InputRange& range, Int8StemReport* report) {
  ModelBuilder b = ModelBuilder::from_bytes(model.data(), model.size());
  const fb::ModelT& m = b.model();
  int layer = -1;
  for (int i = 0; i < b.layer_count(); ++i) {
    if (m.layers[i]->options.AsConv2D()) {
      layer = i;
      break;
    }
  }
  if (layer < 0) throw ConvertError("--int8-stem: the model has no float convolution");
  const fb::LayerT& l = *m.layers[layer];
  const fb::Conv2DT& conv = *l.options.AsConv2D();
  const std::string name = "--int8-stem: layer " + std::to_string(layer) + " '" + printable(l.name) + "'";
  if (conv.input != m.inputs.at(0)) {
    throw ConvertError(name + ", the first float convolution, does not read the model's input (its input range is "
                              "unknown): only a first layer can be made int8");
  }
  if (conv.groups != 1) throw ConvertError(name + " is a grouped convolution (int8 needs groups 1)");
  if (!(std::isfinite(range.min) && std::isfinite(range.max) && range.min <= range.max)) {
    throw ConvertError("--int8-stem: the input range from " + range.source + " is not finite");
  }
  // Widened to hold 0: the code of 0 is an integer, so zero padding is exact.
  const double lo = std::min(0.0, double{range.min}), hi = std::max(0.0, double{range.max});
  if (!(hi > lo)) throw ConvertError("--int8-stem: every input from " + range.source + " is 0");
  ModelBuilder::InputQuantization input;
  input.scale = static_cast<float>((hi - lo) / 255.0);
  input.zero_point = static_cast<int>(std::clamp(std::nearbyint(-lo / input.scale), 0.0, 255.0));

  const fb::TensorT& wt = *m.tensors.at(conv.weights);
  const int channels = wt.shape.at(0);
  const std::vector<uint8_t>& bytes = m.buffers.at(wt.buffer)->data;
  const size_t count = bytes.size() / sizeof(float);
  std::vector<float> w(count);
  std::memcpy(w.data(), bytes.data(), count * sizeof(float));
  const size_t per_channel = count / channels;
  const float* old_scale = nullptr;
  std::vector<float> old_scale_values;
  if (conv.transform && conv.transform->scale >= 0) {
    const std::vector<uint8_t>& s = m.buffers.at(m.tensors.at(conv.transform->scale)->buffer)->data;
    old_scale_values.resize(channels);
    std::memcpy(old_scale_values.data(), s.data(), channels * sizeof(float));
    old_scale = old_scale_values.data();
  }
  std::vector<int8_t> q(count);
  std::vector<float> scale(channels);
  double worst = 0.0;
  for (int o = 0; o < channels; ++o) {
    const float* wo = w.data() + o * per_channel;
    double max_abs = 0.0;
    for (size_t i = 0; i < per_channel; ++i) max_abs = std::max(max_abs, std::fabs(double{wo[i]}));
    const double w_scale = max_abs > 0.0 ? max_abs / 127.0 : 1.0;
    for (size_t i = 0; i < per_channel; ++i) {
      const double code = std::clamp(std::nearbyint(wo[i] / w_scale), -127.0, 127.0);
      q[o * per_channel + i] = static_cast<int8_t>(code);
      if (max_abs > 0.0) worst = std::max(worst, std::fabs(code * w_scale - wo[i]) / max_abs);
    }
    scale[o] = static_cast<float>(double{input.scale} * w_scale * (old_scale ? double{old_scale[o]} : 1.0));
  }
  if (report) {
    report->layer = l.name;
    report->input_scale = input.scale;
    report->input_zero_point = input.zero_point;
    report->max_weight_error = worst;
  }
  b.convert_to_int8(layer, q, input, scale);
  return b.finish();
}

}  // namespace bnn::convert
