// SPDX-License-Identifier: Apache-2.0
// bnn-classify: label pictures with a bnn model (the bundled Fashion-MNIST
// model by default).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "apps/common/cli.h"
#include "apps/common/preprocessing_flags.h"
#include "apps/classify/bundled_model.h"
#include "apps/common/image_file.h"
#include "bnn/classifier.h"
#include "bnn/engine.h"
#include "bnn/image.h"
#include "model_format/printable_text.h"

namespace {

using bnn::cli::parse_count;
using bnn::cli::usage_error;

const char kUsage[] =
    "usage: bnn-classify [--model M.bnn] IMAGE|DIR... [--top K] [--json] [--threads N]\n"
    "\n"
    "Labels pictures (JPEG, PNG, BMP, PGM/PPM; grey, RGB, RGBA, 8- or 16-bit) with a\n"
    "bnn model, following the model's own preprocessing (bnn-run --info shows it).\n"
    "Without --model it uses the bundled model: a binarized ResNet trained on\n"
    "Fashion-MNIST (10 kinds of clothing, shoes and bags; pictures are made grey,\n"
    "fitted into 28x28 and inverted when their background is light).\n"
    "\n"
    "  --model M.bnn   the model to use (default: the bundled one)\n"
    "  --top K         how many labels to print per picture (default 3)\n"
    "  --json          one JSON object per line and picture instead of text\n"
    "  --threads N     threads inside each layer (default 1)\n"
    "\n"
    "Overrides of what the model says (bnn-run --info shows it), for a model\n"
    "converted without them; the same spellings as bnn-convert's:\n"
    "  --labels FILE   one label per line, one per class\n"
    "  --mean A[,B,C]  per-channel mean, as (x / 255 - mean) / std\n"
    "  --std A[,B,C]   per-channel standard deviation\n"
    "  --color C       rgb, bgr or grey: how pictures become the input's channels\n"
    "  --resize MODE   direct, fit, short-side or short-side:FRACTION\n"
    "  -h, --help      this text (--version: the engine's version)\n"
    "\n"
    "A directory stands for the pictures in it (*.jpg *.jpeg *.png *.bmp *.pgm\n"
    "*.ppm *.pnm, sorted by name, not recursive). Text output, one line per picture:\n"
    "  PATH: LABEL 97.2%, LABEL 1.9%, LABEL 0.4% (0.21 ms)\n"
    "where the time is the network's alone. JSON output, one object per line:\n"
    "  {\"file\": PATH, \"top\": [{\"label\": S, \"index\": N, \"probability\": P}, ...],\n"
    "   \"inverted\": B, \"decode_ms\": T, \"preprocess_ms\": T, \"inference_ms\": T}\n"
    "or, for a picture that cannot be read, {\"file\": PATH, \"error\": MESSAGE}.\n"
    "`index` is the output's class index, `probability` the softmax of the model's\n"
    "output (or the output itself when the model ends in a softmax), `inverted`\n"
    "whether the picture was inverted (light background), times in milliseconds.\n"
    "A progress bar is drawn on stderr when it is a terminal.\n"
    "\n"
    "Exit status: 0 when every picture was labelled, 1 when any could not be read\n"
    "(each gets its own error; the rest are still labelled) or the model cannot be\n"
    "loaded, 2 on bad usage.\n";

struct Options {
  std::string model, labels;
  // Overrides of the model's preprocessing (unset: the model's own).
  std::vector<float> mean, stddev;
  std::optional<bnn::Preprocessing::Color> color;
  std::optional<bnn::Preprocessing::Resize> resize;
  std::optional<float> crop_fraction;  // given with --resize short-side:F
  std::vector<std::string> paths;
  int top = 3;
  int threads = 1;
  bool json = false;
};

Options parse(int argc, char** argv) {
  Options o;
  bnn::cli::Parser(kUsage)
      .option("--model", [&](const char* v) { o.model = v; })
      .option("--top", [&](const char* v) { o.top = parse_count("--top", v, 1, 1000); })
      .option("--threads", [&](const char* v) { o.threads = parse_count("--threads", v, 1, bnn::kMaxThreads); })
      .flag("--json", [&] { o.json = true; })
      .option("--labels", [&](const char* v) { o.labels = v; })
      .option("--mean", [&](const char* v) { o.mean = bnn::cli::parse_floats("--mean", v); })
      .option("--std", [&](const char* v) { o.stddev = bnn::cli::parse_floats("--std", v); })
      .option("--color", [&](const char* v) { o.color = bnn::cli::parse_color(v); })
      .option("--resize", [&](const char* v) {
        float fraction = 0;  // stays 0 unless the mode gives one
        o.resize = bnn::cli::parse_resize(v, &fraction);
        if (fraction > 0) o.crop_fraction = fraction;
      })
      .positional([&](const char* v) { o.paths.push_back(v); })
      .parse(argc, argv);
  if (o.paths.empty()) usage_error("no picture given");
  return o;
}

// Files named on the command line, with each directory replaced by its pictures.
std::vector<std::string> expand(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code error;
    if (!std::filesystem::is_directory(path, error)) {
      files.push_back(path);  // a missing file gets its error when it is read
      continue;
    }
    const std::vector<std::string> found = bnn::pictures_in_directory(path);
    if (found.empty()) files.push_back(path);  // reported as "no pictures in it"
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

class ProgressBar {
 public:
  ProgressBar(size_t total, bool enabled) : total_(total), enabled_(enabled), start_(std::chrono::steady_clock::now()) {}
  void clear() {
    if (enabled_) std::fputs("\r\033[K", stderr);
  }
  void draw(size_t done) {
    if (!enabled_) return;
    const int width = 30;
    const int filled = static_cast<int>(width * done / std::max<size_t>(total_, 1));
    const double elapsed = ms_since(start_) / 1000;
    const double eta = done ? elapsed * (total_ - done) / done : 0;
    std::fprintf(stderr, "\r[%s%s] %zu/%zu, %.0f s left", std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), done, total_, eta);
    std::fflush(stderr);
  }

 private:
  size_t total_;
  bool enabled_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

int main(int argc, char** argv) {
  bnn::cli::set_program("bnn-classify");
  const Options o = parse(argc, argv);

  std::shared_ptr<const bnn::Model> model;
  try {
    if (!o.model.empty()) {
      model = bnn::Model::load_file(o.model);
    } else {
      const bnn::BundledModel bundled = bnn::bundled_model();
      if (!bundled.data) {
        std::fprintf(stderr, "bnn-classify: this build has no bundled model; give one with --model M.bnn\n");
        return 1;
      }
      model = bnn::Model::load_buffer(bundled.data, bundled.size);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bnn-classify: %s\n", bnn::cli::describe(e).c_str());
    return 1;
  }
  const std::string model_name = o.model.empty() ? "the bundled model" : o.model;
  for (const bnn::LayerInfo& layer : model->layers()) {
    if (!layer.schedule_note.empty()) std::fprintf(stderr, "bnn-classify: %s\n", bnn::printable(layer.schedule_note).c_str());
  }
  for (const std::string& w : model->warnings()) {
    std::fprintf(stderr, "bnn-classify: warning: %s\n", bnn::printable(w).c_str());
  }

  std::unique_ptr<bnn::Classifier> classifier;
  try {
    classifier = std::make_unique<bnn::Classifier>(model, bnn::SessionOptions{o.threads});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bnn-classify: %s cannot take pictures: %s\n", bnn::printable(model_name).c_str(), bnn::cli::describe(e).c_str());
    return 1;
  }
  try {  // the overrides, checked against the model
    if (!o.labels.empty()) classifier->set_labels(bnn::cli::read_labels(o.labels));
    if (!o.mean.empty() || !o.stddev.empty() || o.color || o.resize) {
      bnn::Preprocessing p = classifier->preprocessing();
      if (!o.mean.empty()) p.mean = o.mean;
      if (!o.stddev.empty()) p.stddev = o.stddev;
      if (o.color) p.color = *o.color;
      if (o.resize) p.resize = *o.resize;
      if (o.crop_fraction) p.crop_fraction = *o.crop_fraction;
      classifier->set_preprocessing(p);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bnn-classify: %s: %s\n", bnn::printable(model_name).c_str(), bnn::cli::describe(e).c_str());
    return 1;
  }
  std::vector<bnn::ClassScore> best(static_cast<size_t>(o.top));

  const std::vector<std::string> files = expand(o.paths);
  // On a terminal's stderr, whatever stdout is (`DIR > out.jsonl` shows it too).
  ProgressBar progress(files.size(), files.size() > 1 && isatty(STDERR_FILENO));
  int failures = 0, empty_directories = 0;
  for (size_t f = 0; f < files.size(); ++f) {
    const std::string& file = files[f];
    std::string line;
    try {
      std::error_code error;
      if (std::filesystem::is_directory(file, error)) {
        ++empty_directories;
        throw std::runtime_error(file + ": no pictures in this directory (*.jpg *.jpeg *.png *.bmp *.pgm *.ppm *.pnm)");
      }
      auto t0 = std::chrono::steady_clock::now();
      const bnn::DecodedImage image = bnn::read_image_file(file);
      const double decode_ms = ms_since(t0);
      try {
        classifier->run(image.view());
      } catch (const bnn::Error& e) {
        throw std::runtime_error(file + ": " + e.what());
      }
      const double preprocess_ms = classifier->preprocess_seconds() * 1e3;
      const double inference_ms = classifier->inference_seconds() * 1e3;
      const int top = classifier->top_k(o.top, best.data());
      auto label = [&](int k) { return classifier->label(best[k].index); };

      char buf[128];
      if (o.json) {
        line = "{\"file\": " + bnn::json_string(file) + ", \"top\": [";
        for (int k = 0; k < top; ++k) {
          std::snprintf(buf, sizeof buf, ", \"index\": %d, \"probability\": %.6g}", best[k].index, best[k].probability);
          line += (k ? ", {\"label\": " : "{\"label\": ") + bnn::json_string(label(k)) + buf;
        }
        std::snprintf(buf, sizeof buf, "], \"inverted\": %s, \"decode_ms\": %.3f, \"preprocess_ms\": %.3f, \"inference_ms\": %.3f}",
                      classifier->last_inverted() ? "true" : "false", decode_ms, preprocess_ms, inference_ms);
        line += buf;
      } else {
        line = bnn::printable(file) + ":";
        for (int k = 0; k < top; ++k) {
          std::snprintf(buf, sizeof buf, " %.1f%%", 100 * best[k].probability);
          line += (k ? ", " : " ") + bnn::printable(label(k)) + buf;
        }
        std::snprintf(buf, sizeof buf, " (%.2f ms)", inference_ms);
        line += buf;
      }
      progress.clear();
      std::printf("%s\n", line.c_str());
    } catch (const std::exception& e) {
      ++failures;
      progress.clear();
      if (o.json) {
        std::printf("{\"file\": %s, \"error\": %s}\n", bnn::json_string(file).c_str(), bnn::json_string(bnn::cli::message(e)).c_str());
      } else {
        std::fflush(stdout);
        std::fprintf(stderr, "bnn-classify: %s\n", bnn::cli::describe(e).c_str());
      }
    }
    std::fflush(stdout);
    progress.draw(f + 1);
  }
  progress.clear();
  // Empty directories said so themselves; they are not pictures to count.
  const int unreadable = failures - empty_directories;
  if (unreadable) {
    std::fprintf(stderr, "bnn-classify: %d of %zu pictures could not be labelled\n", unreadable,
                 files.size() - empty_directories);
  }
  if (failures) return 1;
  return 0;
}
