// SPDX-License-Identifier: Apache-2.0
#include "apps/common/calibration.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "apps/common/image_file.h"
#include "apps/common/npy.h"
#include "bnn/engine.h"
#include "bnn/image.h"
#include "model_format/printable_text.h"

namespace bnn {
namespace {

void widen(CalibrationRange* r, const float* x, size_t n, const std::string& name) {
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) {
      throw std::runtime_error(printable(name) + ": element " + std::to_string(i) + " is not finite");
    }
    r->min = std::min(r->min, x[i]);
    r->max = std::max(r->max, x[i]);
  }
}

std::string dims(const std::vector<int64_t>& shape) {
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "x" : "") + std::to_string(shape[i]);
  return s;
}

}  // namespace

CalibrationRange calibration_range(const std::string& path, const std::vector<uint8_t>& bytes) {
  const auto model = Model::load_buffer(bytes.data(), bytes.size());
  const std::vector<int> chw = model->input().shape_chw();
  CalibrationRange range{INFINITY, -INFINITY, 0};
  std::error_code error;
  if (!std::filesystem::is_directory(path, error)) {
    const NpyArray a = read_npy(path);
    const std::vector<int64_t> one(chw.begin(), chw.end());
    const size_t rank = a.shape.size();
    const bool batch = rank == one.size() + 1 && std::equal(one.begin(), one.end(), a.shape.begin() + 1);
    if (a.shape != one && !batch) {
      throw std::runtime_error(printable(path) + ": shape " + dims(a.shape) + ", expected the model's input " +
                               dims(one) + " or N x " + dims(one));
    }
    if (a.data.empty()) throw std::runtime_error(printable(path) + ": no inputs in it");
    widen(&range, a.data.data(), a.data.size(), path);
    range.inputs = batch ? static_cast<int>(a.shape[0]) : 1;
    return range;
  }
  const std::vector<std::string> files = pictures_in_directory(path);
  if (files.empty()) {
    throw std::runtime_error(printable(path) + ": no pictures in this directory (*.jpg *.png *.bmp *.pgm *.ppm)");
  }
  ImagePreprocessor pre(model->preprocessing());
  std::vector<float> input(static_cast<size_t>(model->input().element_count()));
  const bool progress = isatty(STDERR_FILENO);
  for (size_t i = 0; i < files.size(); ++i) {
    const DecodedImage image = read_image_file(files[i]);
    pre.run(image.view(), input.data());
    widen(&range, input.data(), input.size(), files[i]);
    if (progress) std::fprintf(stderr, "\rbnn-convert: calibration %zu of %zu pictures", i + 1, files.size());
  }
  if (progress) std::fprintf(stderr, "\n");
  range.inputs = static_cast<int>(files.size());
  return range;
}

}  // namespace bnn
