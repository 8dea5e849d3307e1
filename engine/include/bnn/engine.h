// SPDX-License-Identifier: Apache-2.0
// bnn-engine C++ API.
//
//   auto model = bnn::Model::load_file("model.bnn");   // verify, validate, bind kernels
//   bnn::Session session(model);                         // plans one arena; reusable
//   std::vector<float> out(model->output().element_count());
//   session.run(image_chw, out.data());                  // no allocation per run
//
// A Model is immutable after loading and may be shared by any number of
// Sessions; each Session is used by one thread at a time. Errors (a file that
// is missing, damaged or not valid) throw bnn::Error with a message that names
// the file, layer or tensor. This header includes no FlatBuffers or OpenMP
// headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace bnn {

// Threads a Session may use inside each layer.
constexpr int kMaxThreads = 256;

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A file that cannot be opened or read (as opposed to one whose content is wrong).
class FileError : public Error {
 public:
  using Error::Error;
};

enum class ElementType { kFloat32, kInt8, kInt32, kPacked };

struct TensorInfo {
  std::string name;
  std::vector<int> shape;  // NHWC without batch: [H, W, C], or [C]
  ElementType type = ElementType::kFloat32;
  int bits = 0;            // packed only
  bool bipolar = true;     // packed only: value 2q - (2^bits - 1), else q

  int64_t element_count() const;
  // Shape in PyTorch's order: [C, H, W] for an image, unchanged for a vector.
  std::vector<int> shape_chw() const;
};

struct LayerInfo {
  std::string name;
  std::string kind;     // "BitserialConv2D", "Quantize", ...
  std::string precision;  // "W1A1", "W2A2", "f32", "f32->A2" ...
  std::string kernel;   // the kernel it runs with
  std::string schedule; // the baked schedule, or "default"
  std::vector<int> inputs;  // activation tensors read
  int output = -1;
  int64_t macs = 0;     // multiply-accumulates per image (bit-level ops for bitserial layers count once per tap)
  int64_t weight_bytes = 0;
  std::string schedule_note;  // non-empty when the baked schedule could not be used; say it once
};

// How a picture becomes the model's input (bnn/image.h applies it): colour
// conversion, resize, optional inversion, then (x / 255 - mean[c]) / stddev[c].
struct Preprocessing {
  enum class Color { kRGB, kBGR, kGray };
  enum class Resize {
    kDirect,         // the whole picture, stretched to the input's H x W
    kShortSideCrop,  // the centred H:W region, crop_fraction of the shorter side
    kFit,            // the whole picture, aspect kept, centred, padded with its border colour
  };
  Color color = Color::kRGB;
  Resize resize = Resize::kDirect;
  float crop_fraction = 1.0f;  // kShortSideCrop only, in (0, 1]
  bool invert = false;         // invert pictures whose border is lighter than mid-grey
  std::vector<float> mean;     // one per input channel, or empty (0)
  std::vector<float> stddev;   // one per input channel, or empty (1)
  int channels = 0, height = 0, width = 0;  // the input tensor's

  // "GRAY, HxW 28x28, fit (aspect kept, padded), invert light backgrounds, mean [0.286], std [0.353]"
  std::string describe() const;
};

struct LoadOptions {
  // Check the constant data against the file's checksum (a few ms for a
  // ResNet-18). Off only for a file known to be intact, or to inspect a damaged one.
  bool verify_checksum = true;
};

class Model {
 public:
  // Reads, verifies and validates a model, then binds each layer to a kernel.
  // Layers whose baked schedule cannot be used here run this CPU's default and
  // carry a LayerInfo::schedule_note; the library prints nothing.
  static std::shared_ptr<const Model> load_file(const std::string& path, const LoadOptions& options = {});
  // The same from memory; the bytes are copied, the caller's buffer may go.
  static std::shared_ptr<const Model> load_buffer(const void* data, size_t size, const LoadOptions& options = {});

  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const TensorInfo& input() const;
  const TensorInfo& output() const;
  const std::vector<TensorInfo>& tensors() const;
  const std::vector<LayerInfo>& layers() const;
  const std::vector<std::string>& labels() const;
  // How a picture becomes the input (the model's metadata).
  const Preprocessing& preprocessing() const;
  const std::string& description() const;
  // What is wrong with the file but was worked around at load (metadata that
  // contradicts the graph), each with its fix; the library prints nothing.
  const std::vector<std::string>& warnings() const;
  const std::string& producer() const;
  uint32_t schema_version() const;
  // Bytes of constant data (weights, thresholds...) held after loading.
  int64_t constant_bytes() const;
  // Bytes of the activation arena each Session allocates.
  int64_t arena_bytes() const;
  // Human-readable summary: graph, shapes, bit widths, kernels, schedules.
  std::string describe() const;
  // The same as one JSON object (`bnn-run --info M --json`; the Python package's Model.info()).
  std::string describe_json() const;

  struct Impl;

 private:
  friend class Session;
  explicit Model(std::unique_ptr<Impl> impl);
  static std::shared_ptr<const Model> from_bytes(const uint8_t* data, size_t size, const std::string& origin,
                                                 const LoadOptions& options);
  static std::shared_ptr<const Model> from_aligned(const class AlignedBuffer& bytes, const std::string& origin,
                                                   const LoadOptions& options);
  std::unique_ptr<Impl> impl_;
};

// A read-only view of a tensor during a run (see Session::run's observer).
struct TensorView {
  const TensorInfo* info = nullptr;
  const void* data = nullptr;  // the engine's layout: NHWC; packed planes for kPacked

  // The values in PyTorch's layout (CHW), as float: packed codes become their
  // values (bipolar: 2q - (2^bits - 1), unipolar: q).
  std::vector<float> values_chw() const;
};

struct SessionOptions {
  int threads = 1;  // threads inside each layer; results are identical for any count
};

class Session {
 public:
  explicit Session(std::shared_ptr<const Model> model, const SessionOptions& options = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Called after each layer with its index and output, while the data is valid.
  using LayerObserver = std::function<void(int layer, const TensorView& output)>;

  // Runs one image. `input_chw`: the input in PyTorch's layout, C x H x W
  // float32 (model().input().shape_chw()). `output`: output().element_count()
  // floats, in PyTorch's layout. An output that is not finite (NaN or
  // infinity: a non-finite input, or a float layer overflowing) throws
  // bnn::Error after `output` is written; every path (tools, C API,
  // classifier) reports it the same way.
  void run(const float* input_chw, float* output, const LayerObserver& observer = nullptr);

  const Model& model() const;
  int threads() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bnn
