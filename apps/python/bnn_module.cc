// SPDX-License-Identifier: Apache-2.0
// _bnn: the C++ half of the Python package `bnn` (bnn/__init__.py is the
// other half: argument checking, numpy and PIL handling, torch export).
// A thin layer over the engine's C++ API and the converter and tuner the
// command-line tools use (apps/common, apps/convert, apps/tune are shared by
// the tools and this package), so Python and the tools give the same bytes
// and the same outputs; the messages are the engine's.
//
// Why pybind11 over the C++ API rather than ctypes over the C API: the
// converter and the tuner have no C API (they are C++ libraries with options
// structs and reports), a Model here must take N x C x H x W batches and give
// its description, and exceptions must carry the engine's message into the
// right Python exception class. The GIL is released while the engine runs.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <string>
#include <utility>
#include <vector>

#include "apps/common/cli.h"
#include "apps/common/preprocessing_flags.h"
#include "apps/common/image_file.h"
#include "bnn/bnn.h"
#include "bnn/classifier.h"
#include "bnn/engine.h"
#include "bnn/image.h"
#include "model_format/input_file.h"
#include "model_format/limits.h"
#include "model_format/output_file.h"

#ifdef BNN_PYTHON_CONVERTER
#include "apps/convert/int8_stem_input.h"
#include "converter/checkpoint/weight_file.h"
#include "converter/convert.h"
#include "converter/onnx_import.h"
#endif
#include "apps/tune/tuner.h"

namespace py = pybind11;

namespace {

// The package's exception classes (bnn.Error and its subclasses), set at import.
PyObject* g_error = nullptr;
PyObject* g_model_error = nullptr;
PyObject* g_convert_error = nullptr;

[[noreturn]] void raise(PyObject* type, const std::exception& e) {
  PyErr_SetString(type, bnn::cli::message(e).c_str());
  throw py::error_already_set();
}

// Engine sessions that may exist at once for one Model: as many as fit the
// machine side by side (cores / threads, at least one), Sessions and
// Classifiers together. A caller beyond that waits (without the GIL).
class Slots {
 public:
  explicit Slots(int threads)
      : limit_(std::max(1, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) / threads)) {}
  // Takes one when fewer than the limit are taken.
  void take() {
    std::unique_lock<std::mutex> lock(mutex_);
    freed_.wait(lock, [this] { return taken_ < limit_; });
    ++taken_;
  }
  void give_back() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --taken_;
    }
    freed_.notify_one();
  }

 private:
  const int limit_;
  int taken_ = 0;
  std::mutex mutex_;
  std::condition_variable freed_;
};

// Sessions and Classifiers are used by one thread at a time: each call
// borrows one from its Model's pool (made when none is free) under one of the
// Model's slots, so several Python threads can run one Model at once without
// more engine threads than the machine has.
template <typename T>
class Pool {
 public:
  using Make = std::function<std::unique_ptr<T>()>;
  Pool(Make make, Slots& slots) : make_(std::move(make)), slots_(slots) {}

  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<T> item) : pool_(pool), item_(std::move(item)) {}
    Lease(Lease&&) = default;
    ~Lease() {
      if (item_) pool_->give_back(std::move(item_));
    }
    T* operator->() { return item_.get(); }

   private:
    Pool* pool_;
    std::unique_ptr<T> item_;
  };

  // Called without the GIL (it may wait for a slot).
  Lease take() {
    slots_.take();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!free_.empty()) {
        std::unique_ptr<T> item = std::move(free_.back());
        free_.pop_back();
        return Lease(this, std::move(item));
      }
    }
    try {
      return Lease(this, make_());
    } catch (...) {
      slots_.give_back();
      throw;
    }
  }

 private:
  void give_back(std::unique_ptr<T> item) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      free_.push_back(std::move(item));
    }
    slots_.give_back();
  }

  Make make_;
  Slots& slots_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<T>> free_;
};

std::vector<py::ssize_t> shape_of(const std::vector<int>& dims) { return {dims.begin(), dims.end()}; }

class Model {
 public:
  Model(std::shared_ptr<const bnn::Model> model, int threads)
      : model_(std::move(model)),
        threads_(threads),
        slots_(threads),
        sessions_([this] { return std::make_unique<bnn::Session>(model_, bnn::SessionOptions{threads_}); }, slots_),
        classifiers_([this] { return std::make_unique<bnn::Classifier>(model_, bnn::SessionOptions{threads_}); },
                     slots_) {}

  static std::unique_ptr<Model> load(const py::object& source, int threads, bool verify) {
    if (threads < 1 || threads > bnn::kMaxThreads) {
      throw py::value_error("threads must be 1 to " + std::to_string(bnn::kMaxThreads) + ", not " + std::to_string(threads));
    }
    bnn::LoadOptions options;
    options.verify_checksum = verify;
    std::shared_ptr<const bnn::Model> model;
    try {
      if (py::isinstance<py::bytes>(source)) {
        const std::string_view bytes = source.cast<std::string_view>();
        py::gil_scoped_release release;
        model = bnn::Model::load_buffer(bytes.data(), bytes.size(), options);
      } else {
        const std::string path = source.cast<std::string>();
        py::gil_scoped_release release;
        model = bnn::Model::load_file(path, options);
      }
    } catch (const std::exception& e) {
      raise(g_model_error, e);
    }
    return std::make_unique<Model>(std::move(model), threads);
  }

  // x: C-contiguous float32, C x H x W or N x C x H x W (bnn/__init__.py checks and converts).
  py::array_t<float> run(const py::array_t<float, py::array::c_style>& x) {
    const std::vector<int> chw = model_->input().shape_chw();
    const bool batched = x.ndim() == static_cast<py::ssize_t>(chw.size()) + 1;
    const py::ssize_t image_dims = x.ndim() - (batched ? 1 : 0);
    bool fits = image_dims == static_cast<py::ssize_t>(chw.size());
    for (py::ssize_t d = 0; fits && d < image_dims; ++d) fits = x.shape(d + (batched ? 1 : 0)) == chw[d];
    if (!fits) throw py::value_error("input of shape " + shape_text(x) + " does not fit the model's input " + dims_text(chw) +
                                     " (C x H x W, or N x C x H x W)");
    const py::ssize_t batch = batched ? x.shape(0) : 1;
    if (batch == 0) throw py::value_error("the batch holds no images (N = 0)");
    std::vector<py::ssize_t> out_shape = shape_of(model_->output().shape_chw());
    if (batched) out_shape.insert(out_shape.begin(), batch);
    py::array_t<float> y(out_shape);
    const int64_t in_count = model_->input().element_count(), out_count = model_->output().element_count();
    const float* in = x.data();
    float* out = y.mutable_data();
    try {
      py::gil_scoped_release release;
      auto session = sessions_.take();
      for (py::ssize_t i = 0; i < batch; ++i) session->run(in + i * in_count, out + i * out_count);
    } catch (const std::exception& e) {
      raise(g_error, e);
    }
    return y;
  }

  // A camera frame through the model's preprocessing: the output, shaped as the model's.
  py::array_t<float> run_frame(const py::array_t<uint8_t, py::array::c_style>& buffer, const std::string& format_name,
                               int width, int height, int64_t stride, int rotation, std::vector<int> roi,
                               const std::string& matrix, const std::string& range) {
    bnn::PixelFormat format;
    if (!bnn::pixel_format_from_name(format_name, &format)) {
      throw py::value_error("format '" + format_name + "' is not a pixel format this knows (NV12, NV21, I420, YUYV, RGB, "
                            "BGR, RGBA, BGRA, GRAY8, ...)");
    }
    const std::string problem = bnn::frame_problem(format, width, height, stride);
    if (!problem.empty()) throw py::value_error(problem);
    bnn::ImageView frame;
    try {
      frame = bnn::frame_in_buffer(format, width, height, stride, buffer.data(), static_cast<size_t>(buffer.size()));
    } catch (const std::exception& e) {
      throw py::value_error(bnn::cli::message(e));
    }
    // (bnn/__init__.py has checked these spellings and ranges; the engine checks the region against the frame.)
    frame.rotation = static_cast<bnn::Rotation>(rotation);
    if (roi.size() == 4) frame.roi = {roi[0], roi[1], roi[2], roi[3]};
    frame.matrix = matrix == "bt709" ? bnn::YuvMatrix::kBT709 : bnn::YuvMatrix::kBT601;
    frame.range = range == "full" ? bnn::YuvRange::kFull : bnn::YuvRange::kLimited;
    try {
      bnn::ImagePreprocessor::check(frame);
    } catch (const std::exception& e) {
      throw py::value_error(bnn::cli::message(e));
    }
    py::array_t<float> y(shape_of(model_->output().shape_chw()));
    float* out = y.mutable_data();
    try {
      py::gil_scoped_release release;
      auto classifier = classifiers_.take();
      classifier->run(frame);
      std::copy(classifier->logits().begin(), classifier->logits().end(), out);
    } catch (const std::exception& e) {
      raise(g_error, e);
    }
    return y;
  }

  // pixels: H x W (grey), H x W x 3 (RGB) or H x W x 4 (RGBA), uint8, C-contiguous.
  std::vector<std::pair<std::string, float>> classify_pixels(const py::array_t<uint8_t, py::array::c_style>& pixels, int top) {
    bnn::PixelFormat format;
    if (pixels.ndim() == 2 || (pixels.ndim() == 3 && pixels.shape(2) == 1)) format = bnn::PixelFormat::kGray8;
    else if (pixels.ndim() == 3 && pixels.shape(2) == 3) format = bnn::PixelFormat::kRGB888;
    else if (pixels.ndim() == 3 && pixels.shape(2) == 4) format = bnn::PixelFormat::kRGBA8888;
    else throw py::value_error("a picture is H x W (grey), H x W x 3 (RGB) or H x W x 4 (RGBA) uint8, not " + shape_text(pixels));
    if (pixels.shape(0) == 0 || pixels.shape(1) == 0) throw py::value_error("the picture " + shape_text(pixels) + " holds no pixels");
    if (pixels.shape(0) > bnn::limits::kMaxImageDimension || pixels.shape(1) > bnn::limits::kMaxImageDimension) {
      throw py::value_error("a picture of " + shape_text(pixels) + " is larger than the limit of " +
                            std::to_string(bnn::limits::kMaxImageDimension) + " pixels a side");
    }
    const bnn::ImageView view(pixels.data(), static_cast<int>(pixels.shape(1)), static_cast<int>(pixels.shape(0)), 0, format);
    return classify(view, top);
  }

  // A picture file read as bnn-classify reads it (EXIF orientation applied).
  std::vector<std::pair<std::string, float>> classify_file(const std::string& path, int top) {
    bnn::DecodedImage image;
    try {
      py::gil_scoped_release release;
      image = bnn::read_image_file(path);
    } catch (const std::exception& e) {  // unreadable, not a picture, damaged: the message says which
      throw py::value_error(bnn::cli::message(e));
    }
    return classify(image.view(), top);
  }

  // An encoded picture held in memory (JPEG, PNG, BMP, PGM/PPM), decoded as a file is.
  std::vector<std::pair<std::string, float>> classify_encoded(const py::bytes& data, int top) {
    const std::string_view bytes = data.cast<std::string_view>();
    bnn::DecodedImage image;
    try {
      py::gil_scoped_release release;
      image = bnn::decode_image(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "the picture's bytes");
    } catch (const std::exception& e) {
      throw py::value_error(bnn::cli::message(e));
    }
    return classify(image.view(), top);
  }

  std::string describe() const { return model_->describe(); }
  std::string describe_json() const { return model_->describe_json(); }
  std::vector<std::string> labels() const { return model_->labels(); }
  std::vector<int> input_shape() const { return model_->input().shape_chw(); }
  std::vector<int> output_shape() const { return model_->output().shape_chw(); }
  std::vector<std::string> warnings() const { return model_->warnings(); }
  // Why a layer's baked schedule is not used here, as the tools print it: "layer N 'name': note".
  std::vector<std::string> schedule_notes() const {
    std::vector<std::string> notes;
    for (size_t i = 0; i < model_->layers().size(); ++i) {
      const bnn::LayerInfo& l = model_->layers()[i];
      if (!l.schedule_note.empty()) notes.push_back("layer " + std::to_string(i) + " '" + l.name + "': " + l.schedule_note);
    }
    return notes;
  }
  int threads() const { return threads_; }

 private:
  std::vector<std::pair<std::string, float>> classify(const bnn::ImageView& view, int top) {
    if (top < 1) throw py::value_error("top must be at least 1, not " + std::to_string(top));
    std::vector<std::pair<std::string, float>> result;
    try {
      py::gil_scoped_release release;
      auto classifier = classifiers_.take();
      classifier->run(view);
      std::vector<bnn::ClassScore> best(static_cast<size_t>(std::min(top, classifier->classes())));
      const int n = classifier->top_k(static_cast<int>(best.size()), best.data());
      for (int i = 0; i < n; ++i) result.emplace_back(classifier->label(best[i].index), best[i].probability);
    } catch (const std::exception& e) {
      raise(g_error, e);
    }
    return result;
  }

  static std::string dims_text(const std::vector<int>& dims) {
    std::string s = "(";
    for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
    return s + (dims.size() == 1 ? ",)" : ")");
  }
  template <typename Array>
  static std::string shape_text(const Array& a) {
    std::vector<int> dims;
    for (py::ssize_t d = 0; d < a.ndim(); ++d) dims.push_back(static_cast<int>(a.shape(d)));
    return dims_text(dims);
  }

  std::shared_ptr<const bnn::Model> model_;
  int threads_;
  Slots slots_;
  Pool<bnn::Session> sessions_;
  Pool<bnn::Classifier> classifiers_;
};

#ifdef BNN_PYTHON_CONVERTER
// The converter with bnn-convert's options (bnn/__init__.py has checked and
// normalized them): the model's bytes and the converter's warnings and summary.
py::tuple convert(const py::object& source, const std::string& arch, std::pair<int, int> bits, const py::dict& o) {
  bnn::convert::ConvertOptions options;
  options.labels = o["labels"].cast<std::vector<std::string>>();
  const std::string labels_path = o["labels_path"].cast<std::string>();
  const std::string color = o["color"].cast<std::string>();
  if (color == "BGR") options.input_info.color = bnn::fb::ColorOrder::BGR;
  if (color == "GRAY") options.input_info.color = bnn::fb::ColorOrder::GRAY;
  const std::string resize = o["resize"].cast<std::string>();
  if (resize == "fit") options.input_info.resize = bnn::fb::ResizeMode::FIT;
  if (resize == "short-side") options.input_info.resize = bnn::fb::ResizeMode::SHORT_SIDE_CROP;
  options.input_info.crop_fraction = o["crop_fraction"].cast<float>();
  options.input_info.invert = o["invert"].cast<bool>();
  options.input_info.mean = o["mean"].cast<std::vector<float>>();
  options.input_info.std = o["std"].cast<std::vector<float>>();
  options.input_chw = o["input_chw"].cast<std::vector<int>>();
  options.description = o["description"].cast<std::string>();
  options.center_weights = o["center_weights"].cast<bool>();
  const bool int8_stem = o["int8_stem"].cast<bool>();
  const std::string calibration = o["calibration"].cast<std::string>();
  const bool from_bytes = py::isinstance<py::bytes>(source);
  const std::string data = source.cast<std::string>();  // an ONNX model's bytes, or a path

  bnn::convert::ConvertReport report;
  std::vector<uint8_t> model;
  std::string int8_summary;
  try {
    py::gil_scoped_release release;
    // A checkpoint given without its architecture, as bnn-convert says it.
    if (!from_bytes && arch.empty() && bnn::convert::is_weight_file_path(data)) {
      throw std::runtime_error(data + " holds weights, not an ONNX graph: give its architecture with arch= "
                               "(bnn-convert --list-archs lists them)");
    }
    if (!labels_path.empty()) options.labels = bnn::cli::read_labels(labels_path);  // as bnn-convert --labels reads it
    if (from_bytes) model = bnn::convert::convert_graph(bnn::convert::import_onnx_bytes(data, "the exported module"), options, &report);
    else if (arch.empty()) model = bnn::convert::convert_onnx_file(data, options, &report);
    else model = bnn::convert::convert_weights_file(data, arch, options, &report, bits);
    if (int8_stem) model = bnn::int8_stem_with_input_range(model, calibration, &int8_summary);
  } catch (const std::exception& e) {
    raise(g_convert_error, e);
  }
  char summary[160];
  std::snprintf(summary, sizeof summary, "%d bitserial conv, %d quantize, %d float layers", report.bitserial_layers,
                report.quantize_layers, report.float_layers);
  return py::make_tuple(py::bytes(reinterpret_cast<const char*>(model.data()), model.size()), report.warnings,
                        std::string(summary) + (int8_summary.empty() ? "" : "; " + int8_summary));
}
#endif

// bnn-tune's search on a model file's bytes: the tuned bytes and one dict per layer.
py::tuple tune(const py::bytes& model, int threads, double budget_seconds, bool exhaustive, double min_gain,
               int screened_per_layer, int timed_per_layer, const py::object& progress) {
  bnn::tune::TuneOptions options;
  options.threads = threads;
  options.budget_seconds = budget_seconds;
  options.exhaustive = exhaustive;
  options.min_gain = min_gain;
  options.screened_per_layer = screened_per_layer;
  options.timed_per_layer = timed_per_layer;
  if (!progress.is_none()) {
    options.progress = [&progress](const std::string& line) {
      py::gil_scoped_acquire acquire;
      progress(line);
    };
  }
  const std::string_view view = model.cast<std::string_view>();
  const std::vector<uint8_t> bytes(view.begin(), view.end());
  std::vector<bnn::tune::LayerResult> results;
  std::vector<uint8_t> tuned;
  try {
    py::gil_scoped_release release;
    tuned = bnn::tune::tune_model_file(bytes, options, &results);
  } catch (const py::error_already_set&) {
    throw;  // the progress callback raised
  } catch (const std::exception& e) {
    raise(g_model_error, e);
  }
  py::list layers;
  for (const bnn::tune::LayerResult& r : results) {
    py::dict d;
    d["layer"] = r.layer;
    d["shape"] = r.shape;
    d["default_ms"] = r.default_ms;
    d["tuned_ms"] = r.tuned_ms;
    d["schedule"] = r.kept ? r.schedule : std::string("default");
    d["kept"] = r.kept;
    d["network_default_ms"] = r.network_default_ms;
    d["network_tuned_ms"] = r.network_tuned_ms;
    d["shared"] = r.shared;
    if (exhaustive && !r.shared && r.guided_ms > 0) {  // the guided choice against the fastest, timed in this run
      d["guided_ms"] = r.guided_ms;
      d["fastest_ms"] = r.fastest_ms;
      d["guided_schedule"] = r.guided_schedule;
    }
    layers.append(d);
  }
  return py::make_tuple(py::bytes(reinterpret_cast<const char*>(tuned.data()), tuned.size()), layers);
}

}  // namespace

PYBIND11_MODULE(_bnn, m) {
  m.doc() = "bnn-engine's C++ core; use the `bnn` package";
  static py::exception<bnn::Error> error(m, "Error");
  static py::exception<bnn::Error> model_error(m, "ModelError", error.ptr());
  static py::exception<bnn::Error> convert_error(m, "ConvertError", error.ptr());
  g_error = error.ptr();
  g_model_error = model_error.ptr();
  g_convert_error = convert_error.ptr();
  m.attr("version") = bnn_version();
  m.attr("has_converter") =
#ifdef BNN_PYTHON_CONVERTER
      true;
  m.def("convert", &convert, py::arg("source"), py::arg("arch"), py::arg("bits"), py::arg("options"));
#else
      false;
#endif
  m.def("tune", &tune, py::arg("model"), py::arg("threads"), py::arg("budget_seconds"), py::arg("exhaustive"),
        py::arg("min_gain"), py::arg("screened_per_layer"), py::arg("timed_per_layer"), py::arg("progress"));
  m.attr("max_threads") = bnn::kMaxThreads;
  m.attr("max_model_bytes") = static_cast<int64_t>(bnn::limits::kMaxModelBytes);
  // The tools' way to write a file: a temporary file renamed into place, never a FIFO or device.
  m.def("write_file", [](const std::string& path, const py::bytes& data) {
    const std::string_view bytes = data.cast<std::string_view>();
    try {
      py::gil_scoped_release release;
      bnn::write_file(path, bytes.data(), bytes.size());
    } catch (const std::exception& e) {
      PyErr_SetString(PyExc_OSError, bnn::cli::message(e).c_str());
      throw py::error_already_set();
    }
  }, py::arg("path"), py::arg("data"));
  // The tools' way to read a model file: a regular file, at most kMaxModelBytes.
  m.def("read_model_file", [](const std::string& path) {
    std::vector<uint8_t> bytes;
    try {
      py::gil_scoped_release release;
      bytes = bnn::read_regular_file(path, bnn::limits::kMaxModelBytes, "kMaxModelBytes");
    } catch (const std::exception& e) {
      PyErr_SetString(g_model_error, bnn::cli::message(e).c_str());
      throw py::error_already_set();
    }
    return py::bytes(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }, py::arg("path"));

  py::class_<Model>(m, "Model")
      .def(py::init(&Model::load), py::arg("source"), py::arg("threads") = 1, py::arg("verify") = true)
      .def("run", &Model::run, py::arg("x"))
      .def("run_frame", &Model::run_frame, py::arg("buffer"), py::arg("format"), py::arg("width"), py::arg("height"),
           py::arg("stride"), py::arg("rotation"), py::arg("roi"), py::arg("matrix"), py::arg("range"))
      .def("classify_encoded", &Model::classify_encoded, py::arg("data"), py::arg("top"))
      .def("classify_pixels", &Model::classify_pixels, py::arg("pixels"), py::arg("top"))
      .def("classify_file", &Model::classify_file, py::arg("path"), py::arg("top"))
      .def("describe", &Model::describe)
      .def("describe_json", &Model::describe_json)
      .def_property_readonly("labels", &Model::labels)
      .def_property_readonly("input_shape", &Model::input_shape)
      .def_property_readonly("output_shape", &Model::output_shape)
      .def_property_readonly("warnings", &Model::warnings)
      .def_property_readonly("schedule_notes", &Model::schedule_notes)
      .def_property_readonly("threads", &Model::threads);
}
