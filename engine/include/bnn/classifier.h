// SPDX-License-Identifier: Apache-2.0
// Frames to labels in one object: the model's preprocessing, the network,
// and its class probabilities. What bnn-classify, bnn-camera, the GStreamer
// element and the C API's context are built on.
//
//   auto model = bnn::Model::load_file("model.bnn");
//   bnn::Classifier classifier(model);               // one per thread
//   classifier.run(bnn::frame_in_buffer(bnn::PixelFormat::kNV12, 640, 480, 0, data, size));
//   bnn::ClassScore best[3];
//   int n = classifier.top_k(3, best);                // best[0].index, .probability
//   classifier.label(best[0].index);
//
// After the first frame of a given size, run() allocates nothing.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bnn/engine.h"
#include "bnn/image.h"

namespace bnn {

struct ClassScore {
  int index = -1;           // the output's class index
  float probability = 0;    // softmax of the output (or the output, when the model ends in a softmax)
};

class Classifier {
 public:
  // Throws bnn::Error when the model's input is not a picture (bnn/image.h).
  explicit Classifier(std::shared_ptr<const Model> model, const SessionOptions& options = {});

  // Overrides of what the model file says, for a model converted without it
  // (bnn-classify's --mean, --labels, ...). The preprocessing's channels,
  // height and width must be the model's input's; one label per class.
  // Throw bnn::Error otherwise.
  void set_preprocessing(const Preprocessing& preprocessing);
  void set_labels(std::vector<std::string> labels);
  const Preprocessing& preprocessing() const { return preprocessor_.preprocessing(); }

  // Preprocesses `frame` into the input, then runs the network. Throws
  // bnn::Error for a bad frame (naming what is wrong) or a non-finite output.
  void run(const ImageView& frame);
  // Runs the network on an input already in the model's layout (CHW floats).
  void run_input(const float* input_chw);

  int classes() const { return static_cast<int>(logits_.size()); }
  const std::vector<float>& logits() const { return logits_; }
  const std::vector<float>& probabilities() const { return probabilities_; }
  // The k most probable classes of the last run, highest first (ties: lower
  // index first); writes min(k, classes()) entries and returns that count.
  int top_k(int k, ClassScore* out);
  // The model's label for a class, or "class N" when it has none.
  const std::string& label(int index) const;
  // Whether the last frame was inverted (its border was lighter than mid-grey).
  bool last_inverted() const { return preprocessor_.last_inverted(); }
  // Seconds the last run spent preprocessing and in the network.
  double preprocess_seconds() const { return preprocess_seconds_; }
  double inference_seconds() const { return inference_seconds_; }
  void clear_timing() { preprocess_seconds_ = inference_seconds_ = 0; }

  const Model& model() const { return session_.model(); }
  int threads() const { return session_.threads(); }

 private:
  void finish();

  Session session_;
  ImagePreprocessor preprocessor_;
  bool ends_in_softmax_ = false;      // the output is probabilities
  bool ends_in_log_softmax_ = false;  // the output is log-probabilities
  std::vector<float> input_, logits_, probabilities_;
  std::vector<int> order_;
  std::vector<std::string> labels_;
  double preprocess_seconds_ = 0, inference_seconds_ = 0;
};

}  // namespace bnn
