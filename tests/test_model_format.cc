// SPDX-License-Identifier: Apache-2.0
// The model file: build -> write -> read round trips, and every kind of bad
// file refused with a message that names what is wrong.
#include <doctest/doctest.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <functional>
#include <string>

#include "bnn/engine.h"
#include "bnn/image.h"
#include "model_format/builder.h"
#include "model_format/input_file.h"
#include "model_format/output_file.h"
#include "model_format/printable_text.h"
#include "kernels/registry.h"
#include "model_format/validate.h"
#include "support/model_bytes.h"
#include "support/random.h"

namespace bnn {
namespace {

// A small valid model touching most layer kinds: conv -> sign -> binary conv
// with threshold output -> binary conv with a float residual -> pool -> head.
ModelBuilder small_model() {
  test::Random rng(3);
  ModelBuilder b;
  int x = b.input("image", 6, 5, 3);
  FloatTransformSpec stem;
  stem.bias = rng.normals(8);
  stem.activation.kind = ActivationKind::kRelu;
  x = b.conv2d("stem", x, 8, WindowSpec::square(3, 1, 1), rng.normals(8 * 9 * 3), stem);
  const int q = b.quantize("sign", x, 1, Encoding::kBipolar, std::vector<float>(8, 0.5f));
  ThresholdSpec to_bits;
  to_bits.thresholds = std::vector<int32_t>(8, 0);
  to_bits.direction = {1, -1, 1, -1, 1, 1, 1, 1};
  const int p = b.bitserial_conv2d("bconv1", q, 8, WindowSpec::square(3, 1, 1), CodeWeights{1, Encoding::kBipolar, rng.codes(8 * 9 * 8, 1)},
                                   to_bits);
  FloatTransformSpec t;
  t.scale = rng.normals(8);
  t.residual = x;
  const int y = b.bitserial_conv2d("bconv2", p, 8, WindowSpec::square(3, 1, 1),
                                   CodeWeights{1, Encoding::kBipolar, rng.codes(8 * 9 * 8, 1)}, t);
  const int g = b.global_avg_pool("gap", b.max_pool("pool", y, WindowSpec::square(2, 2, 0)));
  const int logits = b.dense("fc", g, 4, rng.normals(4 * 8));
  b.set_output(b.softmax("prob", logits));
  b.set_labels({"a", "b", "c", "d"});
  b.set_input_info(fb::ColorOrder::RGB, {0.5f, 0.5f, 0.5f}, {0.25f, 0.25f, 0.25f});
  return b;
}

// Loads bytes and returns the error message ("" if it loaded).
std::string load_error(const std::vector<uint8_t>& bytes) {
  try {
    Model::load_buffer(bytes.data(), bytes.size());
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Breaks a copy of the small model and returns the load error.
std::string error_after(const std::function<void(fb::ModelT&)>& breakage) {
  ModelBuilder b = small_model();
  breakage(b.raw());
  return load_error(test::pack_unchecked(b.raw()));
}

int tensor_named(const fb::ModelT& m, const std::string& name) {
  for (size_t i = 0; i < m.tensors.size(); ++i) {
    if (m.tensors[i]->name == name) return static_cast<int>(i);
  }
  FAIL("no tensor " << name);
  return -1;
}

TEST_CASE("build - write - read round trip keeps the graph - metadata and bytes") {
  const std::vector<uint8_t> bytes = small_model().finish();
  const auto model = Model::load_buffer(bytes.data(), bytes.size());
  CHECK(model->input().shape_chw() == std::vector<int>{3, 6, 5});
  CHECK(model->output().shape == std::vector<int>{4});
  CHECK(model->labels() == std::vector<std::string>{"a", "b", "c", "d"});
  CHECK(model->preprocessing().mean == std::vector<float>{0.5f, 0.5f, 0.5f});
  CHECK(model->preprocessing().color == Preprocessing::Color::kRGB);
  CHECK(model->preprocessing().resize == Preprocessing::Resize::kDirect);
  CHECK(model->preprocessing().channels == 3);
  CHECK(model->schema_version() == kSchemaVersion);
  REQUIRE(model->layers().size() == 8);
  CHECK(model->layers()[2].kind == "BitserialConv2D");
  CHECK(model->layers()[2].precision == "W1A1->A1");
  CHECK(find_bitserial_conv_kernel(model->layers()[2].kernel) != nullptr);

  const std::string path = "round_trip_test.bnn";
  write_file(path, bytes);
  const auto from_file = Model::load_file(path);
  CHECK(from_file->describe() == model->describe());
  std::remove(path.c_str());

  // Unpacking and packing again gives the same bytes: nothing is lost.
  const auto unpacked = fb::UnPackModel(bytes.data());
  CHECK(test::pack_unchecked(*unpacked) == bytes);
}

TEST_CASE("damaged files are refused with a clear error") {
  const std::vector<uint8_t> good = small_model().finish();
  SUBCASE("empty") { CHECK(load_error({}).find("too short") != std::string::npos); }
  SUBCASE("truncated") {
    // Cut anywhere that loses referenced bytes. (The very last bytes of a
    // FlatBuffer can be alignment padding nothing reads.)
    for (size_t keep : {size_t(8), size_t(100), good.size() / 2, good.size() - 16}) {
      CAPTURE(keep);
      const std::string e = load_error(std::vector<uint8_t>(good.begin(), good.begin() + keep));
      CHECK(e.find("damaged or truncated") != std::string::npos);
    }
  }
  SUBCASE("wrong identifier") {
    std::vector<uint8_t> bad = good;
    bad[4] = 'X';
    CHECK(load_error(bad).find("its bytes 4 to 7 are 'XNN1', a model's are 'BNN1'") != std::string::npos);
  }
  SUBCASE("a text file") {
    const std::string text = "this is not a model, just some text";
    CHECK(load_error(std::vector<uint8_t>(text.begin(), text.end())).find("not a bnn model") != std::string::npos);
  }
  SUBCASE("a missing file") {
    try {
      Model::load_file("/nonexistent/model.bnn");
      FAIL("loaded a missing file");
    } catch (const Error& e) {
      CHECK(std::string(e.what()).find("/nonexistent/model.bnn: cannot open") != std::string::npos);
    }
  }
}

TEST_CASE("version 3: Concat checks its inputs' shapes and types - Softmax.log round trips") {
  ModelBuilder b;
  const int x = b.input("image", 4, 4, 3);
  const int y = b.conv2d("conv", x, 5, WindowSpec::square(1, 1, 0), std::vector<float>(15, 0.5f));
  const int cat = b.concat("cat", {x, y}, 2, 1);
  CHECK(b.shape(cat) == std::vector<int>{4, 4, 11});
  const int pooled = b.global_avg_pool("gap", cat);
  b.set_output(b.softmax("logp", b.dense("fc", pooled, 3, std::vector<float>(33, 0.1f)), true));
  const std::vector<uint8_t> bytes = b.finish();
  auto model = Model::load_buffer(bytes.data(), bytes.size());
  CHECK(model->schema_version() == kSchemaVersion);
  CHECK(model->layers().back().kind == "LogSoftmax");
  CHECK(model->layers()[1].kind == "Concat");
  // A concat of different spatial sizes or of packed bits is refused.
  ModelBuilder bad;
  const int i = bad.input("image", 4, 4, 3);
  const int pooled2 = bad.max_pool("pool", i, WindowSpec::square(2, 2, 0));
  CHECK_THROWS_WITH_AS(bad.concat("cat", {i, pooled2}), doctest::Contains("share every dimension"), std::invalid_argument);
  const int q = bad.quantize("q", i, 1, Encoding::kBipolar, std::vector<float>(3, 0.0f));
  CHECK_THROWS_WITH_AS(bad.concat("cat", {i, q}), doctest::Contains("must be float"), std::invalid_argument);
  CHECK(error_after([](fb::ModelT& m) {
          fb::ConcatT c;
          c.inputs = {tensor_named(m, "image"), tensor_named(m, "gap")};
          c.output = tensor_named(m, "prob");
          auto layer = std::make_unique<fb::LayerT>();
          layer->options.Set(std::move(c));
          m.layers.push_back(std::move(layer));
        }).find("concat inputs must share every dimension but channels") != std::string::npos);
}

TEST_CASE("preprocessing metadata round trips") {
  ModelBuilder b = small_model();
  fb::InputInfoT info;
  info.color = fb::ColorOrder::BGR;
  info.resize = fb::ResizeMode::SHORT_SIDE_CROP;
  info.crop_fraction = 0.875f;
  info.invert = true;
  info.mean = {0.1f, 0.2f, 0.3f};
  info.std = {0.4f, 0.5f, 0.6f};
  b.set_input_info(info);
  const std::vector<uint8_t> bytes = b.finish();
  const auto model = Model::load_buffer(bytes.data(), bytes.size());
  const Preprocessing& p = model->preprocessing();
  CHECK(p.color == Preprocessing::Color::kBGR);
  CHECK(p.resize == Preprocessing::Resize::kShortSideCrop);
  CHECK(p.crop_fraction == 0.875f);
  CHECK(p.invert);
  CHECK(p.stddev == std::vector<float>{0.4f, 0.5f, 0.6f});
  CHECK(p.describe().find("BGR") == 0);
  CHECK(model->describe().find("short-side resize, centre crop 0.875, invert light backgrounds") != std::string::npos);
}

TEST_CASE("invalid models are refused naming the tensor or layer and the rule") {
  CHECK(error_after([](fb::ModelT& m) { m.schema_version = 99; }).find("schema version 99 is not supported") !=
        std::string::npos);
  CHECK(error_after([](fb::ModelT& m) { m.schema_version = 0; }).find("schema version 0 is not supported") !=
        std::string::npos);
  {  // version 1 files still load (they mean direct resize, no inversion)
    ModelBuilder b = small_model();
    b.raw().schema_version = 1;
    const std::vector<uint8_t> v1 = test::pack_unchecked(b.raw());
    CHECK(Model::load_buffer(v1.data(), v1.size(), LoadOptions{false})->schema_version() == 1);
  }
  CHECK(error_after([](fb::ModelT& m) { m.input_info->crop_fraction = 0; }).find("crop_fraction must be in (0, 1]") !=
        std::string::npos);
  CHECK(error_after([](fb::ModelT& m) { m.input_info->crop_fraction = 1.5f; }).find("crop_fraction") !=
        std::string::npos);
  CHECK(error_after([](fb::ModelT& m) { m.input_info->resize = static_cast<fb::ResizeMode>(7); })
            .find("unknown resize mode") != std::string::npos);
  CHECK(error_after([](fb::ModelT& m) { m.layers[0]->options.AsConv2D()->input = 999; })
            .find("layer 0 'stem' (Conv2D): input refers to tensor 999") != std::string::npos);
  CHECK(error_after([](fb::ModelT& m) { m.inputs = {-1}; }).find("refers to tensor -1") != std::string::npos);
  CHECK(error_after([](fb::ModelT& m) { m.tensors[tensor_named(m, "stem")]->shape = {6, 5, 9}; })
            .find("output tensor") != std::string::npos);
  CHECK(error_after([](fb::ModelT& m) { m.tensors[tensor_named(m, "stem.weights")]->shape = {8, 3, 3, 2}; })
            .find("'stem.weights' of shape [8, 3, 3, 2] needs 576 bytes, but buffer") != std::string::npos);
  CHECK(error_after([](fb::ModelT& m) { m.buffers[0]->data.pop_back(); }).find("needs 864 bytes") != std::string::npos);
  CHECK(error_after([](fb::ModelT& m) { m.tensors[0]->buffer = 1000; }).find("refers to buffer 1000") !=
        std::string::npos);
  CHECK(error_after([](fb::ModelT& m) { std::swap(m.layers[1], m.layers[2]); })
            .find("is read before any layer writes it") != std::string::npos);
  CHECK(error_after([](fb::ModelT& m) { m.layers[1]->options.AsQuantize()->output = tensor_named(m, "stem"); })
            .find("already written by an earlier layer") != std::string::npos);
  CHECK(error_after([](fb::ModelT& m) { m.layers[1]->options.AsQuantize()->output = 0; })
            .find("is the graph input") != std::string::npos);
  CHECK(error_after([](fb::ModelT& m) { m.tensors[tensor_named(m, "sign")]->bits = 5; })
            .find("packed with 5 bits (1 to 4") != std::string::npos);
  CHECK(error_after([](fb::ModelT& m) {
          m.buffers[m.tensors[tensor_named(m, "bconv1.direction")]->buffer]->data[0] = 3;
        }).find("direction values must be +1 or -1") != std::string::npos);
  CHECK(error_after([](fb::ModelT& m) { m.labels.push_back("extra"); }).find("5 labels for 4 outputs") !=
        std::string::npos);
  CHECK(error_after([](fb::ModelT& m) { m.tensors[0]->type = static_cast<fb::ElementType>(42); })
            .find("unknown element type") != std::string::npos);
  CHECK(error_after([](fb::ModelT& m) {
          m.layers[0]->options.AsConv2D()->transform->activation->kind = static_cast<fb::ActivationKind>(9);
        }).find("unknown activation kind") != std::string::npos);
  CHECK(error_after([](fb::ModelT& m) { m.layers[0]->options.AsConv2D()->window->stride_h = 0; })
            .find("stride and dilation must be 1 to") != std::string::npos);
  CHECK(error_after([](fb::ModelT& m) { m.layers[0]->options.AsConv2D()->groups = 2; })
            .find("groups 2 must divide") != std::string::npos);
  CHECK(error_after([](fb::ModelT& m) { m.layers[2]->options.AsBitserialConv2D()->transform->thresholds = -1; })
            .find("a packed output needs transform thresholds") != std::string::npos);
  CHECK(error_after([](fb::ModelT& m) { m.tensors[tensor_named(m, "image")]->shape = {6, 5, 3, 1}; })
            .find("must be float32 [H, W, C]") != std::string::npos);
  CHECK(error_after([](fb::ModelT& m) { m.outputs = {tensor_named(m, "fc.weights")}; }).find("is a constant") !=
        std::string::npos);
  CHECK(error_after([](fb::ModelT& m) { m.tensors[tensor_named(m, "prob")]->shape = {2147483647, 2147483647}; })
            .find("elements") != std::string::npos);
  CHECK(error_after([](fb::ModelT& m) { m.layers.clear(); }).find("no layers") != std::string::npos);
  // A layer adding its own output would read stale arena bytes.
  CHECK(error_after([](fb::ModelT& m) {
          auto* conv = m.layers[3]->options.AsBitserialConv2D();
          conv->transform->residual = conv->output;
        }).find("residual tensor") != std::string::npos);
  // Bits past the channel count must be 0: kernels count every bit.
  CHECK(error_after([](fb::ModelT& m) {
          m.buffers[m.tensors[tensor_named(m, "bconv1.weights")]->buffer]->data[7] = 0x80;
        }).find("has bits set past its 8 channels (plane 0)") != std::string::npos);
  // A pooled extent that is neither the floor nor the ceil-mode one.
  CHECK(error_after([](fb::ModelT& m) { m.tensors[tensor_named(m, "pool")]->shape = {4, 3, 8}; })
            .find("output tensor") != std::string::npos);
  // Sharing: one buffer per tensor, one layer per constant (a small file must
  // not claim memory in proportion to how often it repeats a reference).
  CHECK(error_after([](fb::ModelT& m) {
          m.tensors[tensor_named(m, "bconv2.weights")]->buffer = m.tensors[tensor_named(m, "bconv1.weights")]->buffer;
        }).find("shares buffer") != std::string::npos);
  CHECK(error_after([](fb::ModelT& m) {
          m.layers[3]->options.AsBitserialConv2D()->weights = tensor_named(m, "bconv1.weights");
        }).find("is already read by layer 2") != std::string::npos);
  // A required index left at its default (-1) is refused, never read as tensor 0.
  CHECK(error_after([](fb::ModelT& m) { m.layers[1]->options.AsQuantize()->thresholds = -1; })
            .find("thresholds refers to tensor -1") != std::string::npos);
  // A large activation is refused by size before anything is allocated.
  CHECK(error_after([](fb::ModelT& m) { m.tensors[tensor_named(m, "prob")]->shape = {1 << 15, 1 << 14}; })
            .find("elements (the limit)") != std::string::npos);
}

TEST_CASE("the constants checksum catches a flipped weight byte - and can be skipped") {
  ModelBuilder b = small_model();
  const std::vector<uint8_t> good = b.finish();
  CHECK(load_error(good).empty());
  // Flip one bit inside the stem weights (a float: any value is valid, so only the checksum can tell).
  const auto& weights = b.raw().buffers[0]->data;
  auto at = std::search(good.begin(), good.end(), weights.begin(), weights.begin() + 16);
  REQUIRE(at != good.end());
  std::vector<uint8_t> damaged = good;
  damaged[(at - good.begin()) + 9] ^= 0x10;
  CHECK(load_error(damaged).find("does not match the file's checksum") != std::string::npos);
  LoadOptions skip;
  skip.verify_checksum = false;
  CHECK_NOTHROW(Model::load_buffer(damaged.data(), damaged.size(), skip));
  // Nor does a tool that rewrites a model (bnn-tune, --int8-stem) take it:
  // its new checksum would hide the damage.
  CHECK_THROWS_WITH_AS(ModelBuilder::from_bytes(damaged.data(), damaged.size()),
                       doctest::Contains("does not match the file's checksum"), std::invalid_argument);
  CHECK_NOTHROW(ModelBuilder::from_bytes(good.data(), good.size()));
  // A file written without a checksum is refused unless the check is skipped.
  ModelBuilder unfinished = small_model();
  const std::vector<uint8_t> bare = test::pack_unchecked(unfinished.raw());
  CHECK(load_error(bare).find("has no constants checksum") != std::string::npos);
  CHECK_NOTHROW(Model::load_buffer(bare.data(), bare.size(), skip));
}

TEST_CASE("Int8Conv2D: weights -127 to 127, a positive input scale, a uint8 zero point, an int32-exact window") {
  // One int8 convolution, finished by the builder (which validates).
  auto finish = [](int in_c, int kernel, std::vector<int8_t> weights, float scale, int zero_point) {
    ModelBuilder b;
    const int x = b.input("x", kernel, kernel, in_c);
    b.set_output(b.int8_conv2d("c", x, 1, WindowSpec::square(kernel), weights, {scale, zero_point}, FloatTransformSpec{}));
    return b.finish();
  };
  const std::vector<uint8_t> good = finish(3, 1, {-127, 0, 127}, 0.02f, 128);
  auto model = Model::load_buffer(good.data(), good.size());
  CHECK(model->layers()[0].kind == "Int8Conv2D");
  CHECK_THROWS_WITH_AS(finish(3, 1, {-128, 0, 1}, 0.02f, 128), doctest::Contains("-127 to 127"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(finish(3, 1, {1, 0, 1}, 0.0f, 128), doctest::Contains("input_scale must be positive"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(finish(3, 1, {1, 0, 1}, std::numeric_limits<float>::infinity(), 128),
                       doctest::Contains("input_scale must be positive"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(finish(3, 1, {1, 0, 1}, 0.02f, 256), doctest::Contains("input_zero_point must be 0 to 255"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(finish(3, 1, {1, 0, 1}, 0.02f, -1), doctest::Contains("input_zero_point must be 0 to 255"),
                       std::invalid_argument);
  // 3x3x7368 = 66312 taps: the first window whose sum could pass INT32_MAX.
  CHECK_NOTHROW(finish(7367, 3, std::vector<int8_t>(9 * 7367, 1), 0.02f, 0));
  CHECK_THROWS_WITH_AS(finish(7368, 3, std::vector<int8_t>(9 * 7368, 1), 0.02f, 0),
                       doctest::Contains("could overflow the int32 sum"), std::invalid_argument);
}

TEST_CASE("the builder refuses layers that cannot be valid") {
  ModelBuilder b;
  const int x = b.input("x", 4, 4, 8);
  CHECK_THROWS_WITH_AS(b.conv2d("c", x, 4, WindowSpec::square(3), std::vector<float>(5)),
                       "c.weights: expected 288 values, got 5", std::invalid_argument);
  CHECK_THROWS_AS(b.conv2d("c", x, 4, WindowSpec::square(7), std::vector<float>(4 * 49 * 8)), std::invalid_argument);
  const int q = b.quantize("q", x, 1, Encoding::kBipolar, std::vector<float>(8));
  CHECK_THROWS_WITH_AS(b.bitserial_conv2d("b", q, 4, WindowSpec::square(1), CodeWeights{1, Encoding::kBipolar, std::vector<uint8_t>(32, 2)},
                                          FloatTransformSpec{}),
                       "b.weights: weight code 2 does not fit 1 bits", std::invalid_argument);

  // An accumulator that could pass 2^24 is refused: float copies would round.
  ModelBuilder big;
  const int y = big.quantize("q", big.input("x", 3, 3, 9000), 4, Encoding::kUnipolar, std::vector<float>(9000 * 15));
  big.set_output(big.bitserial_conv2d("wide", y, 1, WindowSpec::square(3, 1, 1),
                                      CodeWeights{4, Encoding::kUnipolar, std::vector<uint8_t>(9 * 9000)}, FloatTransformSpec{}));
  CHECK_THROWS_WITH_AS(big.finish(), doctest::Contains("beyond 2^24"), std::invalid_argument);
}

}  // namespace

namespace {
std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
// Names in `dir` that start with '.' (the output temporaries).
int hidden_entries(const std::string& dir) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) n += e.path().filename().string()[0] == '.';
  return n;
}
}  // namespace

TEST_CASE("an output file is replaced whole or not at all") {
  const std::string dir = std::filesystem::temp_directory_path() / ("bnn_output_test_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directory(dir);
  const std::string path = dir + "/out.bin";
  { std::ofstream(path) << "old"; }

  SUBCASE("nothing is visible before commit, and an abandoned file leaves no trace") {
    {
      OutputFile out(path);
      out.write("new", 3);
      CHECK(file_text(path) == "old");
      CHECK(hidden_entries(dir) == 1);
    }
    CHECK(file_text(path) == "old");
    CHECK(hidden_entries(dir) == 0);
  }
  SUBCASE("commit replaces the file") {
    OutputFile out(path);
    out.write("new", 3);
    out.commit();
    CHECK(file_text(path) == "new");
    CHECK(hidden_entries(dir) == 0);
  }
  SUBCASE("a write error keeps the old file and removes the temporary") {
    // A file-size limit makes write() fail with EFBIG (SIGXFSZ ignored, as the tools do).
    struct rlimit old_limit {};
    ::getrlimit(RLIMIT_FSIZE, &old_limit);
    const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = old_limit;
    small.rlim_cur = 1024;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    const std::vector<uint8_t> big(4096, 7);
    std::string error;
    try {
      write_file(path, big);
    } catch (const std::runtime_error& e) {
      error = e.what();
    }
    ::setrlimit(RLIMIT_FSIZE, &old_limit);
    std::signal(SIGXFSZ, old_handler);
    CHECK(error.find("File too large") != std::string::npos);
    CHECK(file_text(path) == "old");
    CHECK(hidden_entries(dir) == 0);
  }
  SUBCASE("special files are refused") {
    CHECK_THROWS_WITH_AS(OutputFile{"/dev/null"}, doctest::Contains("not a regular file"), std::runtime_error);
    CHECK_THROWS_WITH_AS(OutputFile{dir}, doctest::Contains("a directory"), std::runtime_error);
    CHECK_THROWS_WITH_AS(OutputFile{""}, doctest::Contains("empty"), std::runtime_error);
  }
  SUBCASE("a symlink loop is an error, not a hang") {
    std::filesystem::create_symlink("b", dir + "/a");
    std::filesystem::create_symlink("a", dir + "/b");
    CHECK_THROWS_WITH_AS(OutputFile{dir + "/a"}, doctest::Contains("symbolic links"), std::runtime_error);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("an input file is refused before it can block") {
  const std::string fifo = std::filesystem::temp_directory_path() / ("bnn_fifo_test_" + std::to_string(::getpid()));
  ::unlink(fifo.c_str());
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  InputFile in(fifo);  // would block forever with a plain open()
  CHECK(in.error().find("a FIFO") != std::string::npos);
  ::unlink(fifo.c_str());
  CHECK(InputFile("/dev/zero").error().find("character device") != std::string::npos);
  CHECK_THROWS_WITH_AS(read_regular_file("/nonexistent/x", 10, "kLimit"), doctest::Contains("cannot open"),
                       std::runtime_error);
}

TEST_CASE("NaN and infinite constants are refused at load - float thresholds keep their NaN and -inf") {
  auto poison = [](fb::ModelT& m, int tensor, float value) {
    std::vector<uint8_t>& data = m.buffers[m.tensors[tensor]->buffer]->data;
    std::memcpy(data.data() + 4, &value, 4);  // the second element
  };
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  const std::string weight_nan = error_after([&](fb::ModelT& m) { poison(m, m.layers[0]->options.AsConv2D()->weights, nan); });
  CHECK(weight_nan.find("weights tensor") != std::string::npos);
  CHECK(weight_nan.find("holds NaN at element 1") != std::string::npos);
  const std::string dense_inf = error_after([&](fb::ModelT& m) {
    for (auto& l : m.layers) {
      if (auto* d = l->options.AsDense()) poison(m, d->weights, -inf);
    }
  });
  CHECK(dense_inf.find("holds an infinity") != std::string::npos);
  // A quantize threshold of NaN (never reached) or -inf (always) is meaningful.
  const std::string thresholds = error_after([&](fb::ModelT& m) {
    const int t = m.layers[1]->options.AsQuantize()->thresholds;
    poison(m, t, nan);
    const float minus_inf = -inf;
    std::memcpy(m.buffers[m.tensors[t]->buffer]->data.data(), &minus_inf, 4);
  });
  // It loads, or fails only on the checksum the poisoning broke.
  CHECK(thresholds.find("checksum") != std::string::npos);
  // The converter can never write such a model either: the builder validates.
  ModelBuilder poisoned = small_model();
  fb::ModelT& m = poisoned.raw();
  std::vector<uint8_t>& weights = m.buffers[m.tensors[m.layers[0]->options.AsConv2D()->weights]->buffer]->data;
  weights[2] = 0xc0;
  weights[3] = 0x7f;  // element 0 becomes a NaN
  CHECK_THROWS_WITH_AS(poisoned.finish(), doctest::Contains("holds NaN"), std::invalid_argument);
}

TEST_CASE("colour metadata that contradicts the input's channel count is overridden at load - with a warning") {
  ModelBuilder b;
  int x = b.input("image", 8, 8, 1);
  x = b.global_avg_pool("gap", x);
  b.set_output(b.dense("fc", x, 2, {1.0f, -1.0f}));
  b.set_input_info(fb::ColorOrder::RGB, {0.5f}, {0.25f});  // one channel, "RGB"
  const std::vector<uint8_t> bytes = b.finish();
  const auto model = Model::load_buffer(bytes.data(), bytes.size());
  REQUIRE(model->warnings().size() == 1);
  CHECK(model->warnings()[0].find("--color grey") != std::string::npos);
  CHECK(model->preprocessing().color == Preprocessing::Color::kGray);
  CHECK(model->describe().find("warning: the input has 1 channel") != std::string::npos);
  CHECK_NOTHROW(ImagePreprocessor(model->preprocessing()));  // pictures can be read

  // A non-finite output is an error on every path (Session, Classifier, C API).
  Session session(model);
  std::vector<float> input(64, 1.0f), output(2);
  session.run(input.data(), output.data());
  CHECK(output[0] == 1.0f);
  input[5] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH_AS(session.run(input.data(), output.data()),
                       doctest::Contains("not finite (NaN or infinity) at element 0: the input holds a non-finite value at element 5"),
                       Error);
  input[5] = 3e38f;
  input[6] = 3e38f;  // their sum overflows to infinity in the average
  CHECK_THROWS_WITH_AS(session.run(input.data(), output.data()), doctest::Contains("a float layer overflowed"), Error);
  const std::vector<uint8_t> good = small_model().finish();
  CHECK(Model::load_buffer(good.data(), good.size())->warnings().empty());
}

TEST_CASE("text from a file is printed escaped") {
  CHECK(printable("cat") == "cat");
  CHECK(printable("été") == "été");  // printable UTF-8 is kept
  CHECK(printable("a\nb") == "a\\x0ab");  // a newline cannot forge a result line
  CHECK(printable("\x1b]0;owned\x07") == "\\x1b]0;owned\\x07");  // no ESC or BEL reaches a terminal
  CHECK(printable("\xc2\x9b" "31m") == "\\u009b31m");  // nor a C1 control (CSI as UTF-8)
  CHECK(printable("\xff\xfe") == "\\xff\\xfe");  // bytes that are not UTF-8
  CHECK(printable("a\xe2\x80\xae" "b\xe2\x81\xa9") == "a\\u202eb\\u2069");  // bidi overrides cannot reorder a line
  CHECK(printable("\xed\xa0\x80") == "\\xed\\xa0\\x80");  // an encoded surrogate is not UTF-8
  const std::string cut = printable(std::string(5000, 'x'), 100);
  CHECK(cut.size() < 150);
  CHECK(cut.find("(5000 bytes in all)") != std::string::npos);

  CHECK(json_string("a\"b\\c\n") == "\"a\\\"b\\\\c\\u000a\"");
  CHECK(json_string("été") == "\"été\"");
  CHECK(json_string("x\xff.png") == "\"x\\udcff.png\"");  // PEP 383: os.fsencode(json.loads(...)) gives the bytes back
}

}  // namespace bnn
