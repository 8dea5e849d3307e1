// SPDX-License-Identifier: Apache-2.0
// bnn-run: run a model on a .npy batch, or describe a model.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "apps/common/cli.h"
#include "apps/common/npy.h"
#include "bnn/engine.h"
#include "model_format/limits.h"
#include "model_format/printable_text.h"

namespace {

using bnn::cli::parse_count;
using bnn::cli::usage_error;

const char kUsage[] =
    "usage: bnn-run --model M.bnn --input X.npy --output Y.npy [options]\n"
    "       bnn-run --info M.bnn [--json]\n"
    "\n"
    "Runs a bnn model on a batch of images and writes the model's output.\n"
    "\n"
    "  --model M.bnn     the model to run\n"
    "  --input X.npy     float32 input in PyTorch's layout: N x C x H x W (or C x H x W)\n"
    "  --output Y.npy    where to write the output, float32, N x (output shape, CHW);\n"
    "                    - for standard output\n"
    "  --dump-dir DIR    also write every layer's output to DIR/NNN_<layer>.npy, float32\n"
    "                    N x C x H x W; packed tensors as their values (+-1, or the\n"
    "                    code values of multi-bit tensors)\n"
    "  --repeat N        after one warm-up, run the batch N more times and print the\n"
    "                    median and p90 latency per image on stderr\n"
    "  --threads N       threads inside each layer (default 1); outputs are identical\n"
    "                    for every thread count\n"
    "  --info M.bnn      print the model's graph: layers, shapes, bit widths, kernels,\n"
    "                    schedules, sizes\n"
    "  --json            with --info: the same as one JSON object\n"
    "  --no-verify       skip the check of the constant data against the file's checksum\n"
    "                    (the structural and semantic checks always run)\n"
    "  -h, --help        this text (--version: the engine's version)\n"
    "\n"
    "Exit status: 0 on success, 1 on an error (bad model or input), 2 on bad usage.\n";

struct Options {
  std::string model, input, output, dump_dir, info;
  int repeat = 0;
  int threads = 1;
  bool json = false;
  bnn::LoadOptions load;
};

Options parse(int argc, char** argv) {
  Options o;
  bnn::cli::Parser(kUsage)
      .option("--model", [&](const char* v) { o.model = v; })
      .option("--input", [&](const char* v) { o.input = v; })
      .option("--output", [&](const char* v) { o.output = v; })
      .option("--dump-dir", [&](const char* v) { o.dump_dir = v; })
      .option("--info", [&](const char* v) { o.info = v; })
      .flag("--no-verify", [&] { o.load.verify_checksum = false; })
      .flag("--json", [&] { o.json = true; })
      .option("--repeat", [&](const char* v) { o.repeat = parse_count("--repeat", v, 1, 1000000); })
      .option("--threads", [&](const char* v) { o.threads = parse_count("--threads", v, 1, bnn::kMaxThreads); })
      .parse(argc, argv);
  if (!o.info.empty()) {
    if (!o.model.empty() || !o.input.empty() || !o.output.empty()) usage_error("--info takes only the model");
    return o;
  }
  if (o.json) usage_error("--json goes with --info");
  if (o.model.empty() || o.input.empty() || o.output.empty()) usage_error("--model, --input and --output are required");
  return o;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// A file name from a layer name: letters, digits, '-', '_' and '.' kept,
// at most 200 bytes (a file name holds 255).
std::string file_safe(const std::string& name) {
  std::string s = name.empty() ? "layer" : name.substr(0, 200);
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  }
  return s;
}

double percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  const size_t index = std::min(values.size() - 1, static_cast<size_t>(p * (values.size() - 1) + 0.5));
  return values[index];
}

// Says once per layer why its baked schedule is not used here.
void report_schedule_notes(const bnn::Model& model) {
  for (const std::string& w : model.warnings()) std::fprintf(stderr, "bnn-run: warning: %s\n", bnn::printable(w).c_str());
  for (size_t i = 0; i < model.layers().size(); ++i) {
    const bnn::LayerInfo& l = model.layers()[i];
    if (!l.schedule_note.empty()) std::fprintf(stderr, "bnn-run: layer %zu '%s': %s\n", i, bnn::printable(l.name).c_str(),
                 bnn::printable(l.schedule_note).c_str());
  }
}

int run(const Options& o) {
  if (!o.info.empty()) {
    const auto model = bnn::Model::load_file(o.info, o.load);
    if (o.json) std::cout << model->describe_json();
    else std::cout << o.info << "\n" << model->describe();
    return 0;
  }
  const auto model = bnn::Model::load_file(o.model, o.load);
  report_schedule_notes(*model);
  const bnn::NpyArray input = bnn::read_npy(o.input);

  // Accept N x C x H x W, or one C x H x W image.
  const std::vector<int> chw = model->input().shape_chw();
  const std::vector<int64_t> expected(chw.begin(), chw.end());
  const bool batched = input.shape.size() == expected.size() + 1;
  const std::vector<int64_t> image_shape(input.shape.begin() + (batched ? 1 : 0), input.shape.end());
  if (image_shape != expected) {
    throw std::runtime_error(o.input + ": shape " + shape_string(input.shape) + " does not match the model input N x " +
                             shape_string(expected));
  }
  const int64_t batch = batched ? input.shape[0] : 1;
  if (batch == 0) throw std::runtime_error(o.input + ": the batch holds no images");
  const int64_t in_count = model->input().element_count();
  const int64_t out_count = model->output().element_count();

  // The output batch, and the dumps, are held in memory: bounded before allocating.
  if (batch * out_count > bnn::limits::kMaxRunFloats) {
    throw std::runtime_error("the outputs of " + std::to_string(batch) + " images need more than 1 GiB (limit kMaxRunFloats)");
  }
  if (!o.dump_dir.empty()) {
    int64_t per_image = 0;
    for (const bnn::LayerInfo& l : model->layers()) per_image += model->tensors()[l.output].element_count();
    if (batch * per_image > bnn::limits::kMaxRunFloats) {
      throw std::runtime_error("--dump-dir would hold more than 1 GiB for " + std::to_string(batch) +
                               " images (limit kMaxRunFloats): dump fewer images");
    }
  }
  bnn::Session session(model, bnn::SessionOptions{o.threads});
  std::vector<float> output(batch * out_count);

  // Dumps: each layer's output for the whole batch, written after the run.
  const auto& layers = model->layers();
  std::vector<std::vector<float>> dumps(o.dump_dir.empty() ? 0 : layers.size());
  bnn::Session::LayerObserver observer;
  int64_t image = 0;
  if (!o.dump_dir.empty()) {
    std::filesystem::create_directories(o.dump_dir);
    observer = [&](int layer, const bnn::TensorView& view) {
      const std::vector<float> values = view.values_chw();
      if (dumps[layer].empty()) dumps[layer].resize(batch * values.size());
      std::copy(values.begin(), values.end(), dumps[layer].begin() + image * values.size());
    };
  }
  // A run that fails (a non-finite output) still writes the dumps: they
  // show the layer where the NaN or infinity first appears.
  std::string run_error;
  for (image = 0; image < batch && run_error.empty(); ++image) {
    try {
      session.run(input.data.data() + image * in_count, output.data() + image * out_count, observer);
    } catch (const bnn::Error& e) {
      run_error = "image " + std::to_string(image) + ": " + e.what();
    }
  }

  if (run_error.empty()) {
    std::vector<int64_t> out_shape = {batch};
    for (int d : model->output().shape_chw()) out_shape.push_back(d);
    bnn::write_npy(o.output, out_shape, output.data());
  }

  for (size_t l = 0; l < dumps.size(); ++l) {
    const bnn::TensorInfo& t = model->tensors()[layers[l].output];
    std::vector<int64_t> shape = {batch};
    for (int d : t.shape_chw()) shape.push_back(d);
    char prefix[32];
    std::snprintf(prefix, sizeof prefix, "%03zu_", l);
    bnn::write_npy(o.dump_dir + "/" + prefix + file_safe(layers[l].name) + ".npy", shape, dumps[l].data());
  }
  if (!run_error.empty()) {
    throw std::runtime_error(run_error + (dumps.empty() ? " (--dump-dir DIR shows the layer where it starts)"
                                                        : " (the dumps in " + o.dump_dir + " show where it starts)"));
  }

  if (o.repeat > 0) {
    std::vector<double> per_image_ms;
    for (int r = 0; r < o.repeat; ++r) {
      const auto start = std::chrono::steady_clock::now();
      for (int64_t i = 0; i < batch; ++i) session.run(input.data.data() + i * in_count, output.data() + i * out_count);
      const std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;
      per_image_ms.push_back(elapsed.count() / static_cast<double>(batch));
    }
    std::fprintf(stderr, "latency per image over %d runs of %lld image(s), %d thread(s): median %.3f ms, p90 %.3f ms\n",
                 o.repeat, static_cast<long long>(batch), o.threads, percentile(per_image_ms, 0.5),
                 percentile(per_image_ms, 0.9));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  bnn::cli::set_program("bnn-run");
  const Options options = parse(argc, argv);
  try {
    return run(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bnn-run: error: %s\n", bnn::cli::describe(e).c_str());
    return 1;
  }
}
