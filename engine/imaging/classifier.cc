// SPDX-License-Identifier: Apache-2.0
// bnn::Classifier: buffers sized once per model, nothing allocated per frame.
#include "bnn/classifier.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <string>
#include <utility>

namespace bnn {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

Classifier::Classifier(std::shared_ptr<const Model> model, const SessionOptions& options)
    : session_(model, options), preprocessor_(model->preprocessing()) {
  const size_t classes = static_cast<size_t>(model->output().element_count());
  input_.resize(static_cast<size_t>(model->input().element_count()));
  logits_.resize(classes);
  probabilities_.resize(classes);
  order_.resize(classes);
  // Whether the output is already probabilities: the layer writing it is a softmax.
  for (const LayerInfo& layer : model->layers()) {
    if (layer.output >= 0 && &model->tensors()[layer.output] == &model->output()) {
      ends_in_softmax_ = layer.kind == "Softmax";
      ends_in_log_softmax_ = layer.kind == "LogSoftmax";
    }
  }
  labels_ = model->labels();
  labels_.resize(std::max(labels_.size(), classes));
  for (size_t i = 0; i < labels_.size(); ++i) {
    if (labels_[i].empty()) labels_[i] = "class " + std::to_string(i);
  }
}

void Classifier::set_preprocessing(const Preprocessing& preprocessing) {
  const Preprocessing& now = preprocessor_.preprocessing();
  if (preprocessing.channels != now.channels || preprocessing.height != now.height || preprocessing.width != now.width) {
    throw Error("preprocessing for a " + std::to_string(preprocessing.channels) + "x" +
                std::to_string(preprocessing.height) + "x" + std::to_string(preprocessing.width) + " input, the model's is " +
                std::to_string(now.channels) + "x" + std::to_string(now.height) + "x" + std::to_string(now.width));
  }
  preprocessor_ = ImagePreprocessor(preprocessing);  // validates it (colour against channels, mean and std sizes)
}

void Classifier::set_labels(std::vector<std::string> labels) {
  if (labels.size() != logits_.size()) {
    throw Error(std::to_string(labels.size()) + " labels for a model with " + std::to_string(logits_.size()) +
                " classes");
  }
  labels_ = std::move(labels);
}

void Classifier::run(const ImageView& frame) {
  const auto t0 = std::chrono::steady_clock::now();
  preprocessor_.run(frame, input_.data());
  preprocess_seconds_ = seconds_since(t0);
  const auto t1 = std::chrono::steady_clock::now();
  session_.run(input_.data(), logits_.data());
  inference_seconds_ = seconds_since(t1);
  finish();
}

void Classifier::run_input(const float* input_chw) {
  if (!input_chw) throw Error("classifier: no input (null pointer)");
  preprocess_seconds_ = 0;
  const auto t0 = std::chrono::steady_clock::now();
  session_.run(input_chw, logits_.data());
  inference_seconds_ = seconds_since(t0);
  finish();
}

void Classifier::finish() {
  // (Session::run has refused a non-finite output.)
  if (ends_in_softmax_) {
    std::copy(logits_.begin(), logits_.end(), probabilities_.begin());
    return;
  }
  if (ends_in_log_softmax_) {  // log-probabilities already
    for (size_t i = 0; i < logits_.size(); ++i) probabilities_[i] = static_cast<float>(std::exp(double{logits_[i]}));
    return;
  }
  // Softmax in double, shifted by the maximum.
  const double peak = *std::max_element(logits_.begin(), logits_.end());
  double sum = 0;
  for (float v : logits_) sum += std::exp(double{v} - peak);
  for (size_t i = 0; i < logits_.size(); ++i) {
    probabilities_[i] = static_cast<float>(std::exp(double{logits_[i]} - peak) / sum);
  }
}

int Classifier::top_k(int k, ClassScore* out) {
  const int n = std::clamp(k, 0, classes());
  if (n == 0 || !out) return 0;
  std::iota(order_.begin(), order_.end(), 0);
  std::partial_sort(order_.begin(), order_.begin() + n, order_.end(), [&](int a, int b) {
    return logits_[a] > logits_[b] || (logits_[a] == logits_[b] && a < b);
  });
  for (int i = 0; i < n; ++i) out[i] = {order_[i], probabilities_[order_[i]]};
  return n;
}

const std::string& Classifier::label(int index) const {
  static const std::string none = "(no such class)";
  return index >= 0 && index < static_cast<int>(labels_.size()) ? labels_[index] : none;
}

}  // namespace bnn
