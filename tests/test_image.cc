// SPDX-License-Identifier: Apache-2.0
// The picture path: decoding (stb_image, bounded) and the model's
// preprocessing (colour, resize, inversion, normalization).
#include <cmath>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "apps/common/exif_orientation.h"
#include "apps/common/image_file.h"
#include "bnn/image.h"
#include "doctest/doctest.h"

using namespace bnn;

namespace {

Preprocessing grey(int h, int w) {
  Preprocessing p;
  p.color = Preprocessing::Color::kGray;
  p.channels = 1;
  p.height = h;
  p.width = w;
  return p;
}

Preprocessing rgb(int h, int w) {
  Preprocessing p = grey(h, w);
  p.color = Preprocessing::Color::kRGB;
  p.channels = 3;
  return p;
}

std::vector<float> run(const Preprocessing& p, const ImageView& image) {
  std::vector<float> out(static_cast<size_t>(p.channels) * p.height * p.width, -99.0f);
  ImagePreprocessor(p).run(image, out.data());
  return out;
}

// Pixel values back from (x / 255 - mean) / std with mean 0, std 1.
std::vector<float> levels(std::vector<float> v) {
  for (float& x : v) x *= 255.0f;
  return v;
}

std::string error_of(const Preprocessing& p, const ImageView& image) {
  std::vector<float> out(static_cast<size_t>(p.channels) * p.height * p.width);
  try {
    ImagePreprocessor(p).run(image, out.data());
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::vector<uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }

std::string decode_error(const std::vector<uint8_t>& file) {
  try {
    decode_image(file.data(), file.size(), "f");
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_SUITE("image") {

TEST_CASE("a grey picture at the input size passes through exactly") {
  std::vector<uint8_t> pixels(28 * 28);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 37 % 256);
  Preprocessing p = grey(28, 28);
  p.mean = {0.2860f};
  p.stddev = {0.3530f};
  const std::vector<float> out = run(p, {pixels.data(), 28, 28, 0, PixelFormat::kGray8});
  for (size_t i = 0; i < pixels.size(); ++i) {
    // torchvision: ToTensor divides by 255, Normalize subtracts then divides, all float32.
    const float expected = (static_cast<float>(pixels[i]) / 255.0f - 0.2860f) / 0.3530f;
    REQUIRE(out[i] == expected);
  }
}

TEST_CASE("colour conversion: luma for grey models and channel order and alpha over white") {
  const uint8_t rgb_pixel[3] = {200, 100, 50};
  const std::vector<float> g = levels(run(grey(1, 1), {rgb_pixel, 1, 1, 0, PixelFormat::kRGB888}));
  CHECK(g[0] == doctest::Approx(0.299 * 200 + 0.587 * 100 + 0.114 * 50).epsilon(1e-6));

  Preprocessing bgr = rgb(1, 1);
  bgr.color = Preprocessing::Color::kBGR;
  const std::vector<float> b = levels(run(bgr, {rgb_pixel, 1, 1, 0, PixelFormat::kRGB888}));
  CHECK(b == std::vector<float>{50, 100, 200});

  const uint8_t grey_pixel = 77;
  CHECK(levels(run(rgb(1, 1), {&grey_pixel, 1, 1, 0, PixelFormat::kGray8})) == std::vector<float>{77, 77, 77});

  const uint8_t transparent[4] = {0, 0, 0, 0}, half[4] = {0, 0, 0, 51};
  CHECK(levels(run(rgb(1, 1), {transparent, 1, 1, 0, PixelFormat::kRGBA8888})) == std::vector<float>{255, 255, 255});
  const std::vector<float> h = levels(run(rgb(1, 1), {half, 1, 1, 0, PixelFormat::kRGBA8888}));
  CHECK(h[0] == doctest::Approx(255 * 0.8).epsilon(1e-6));
}

TEST_CASE("shrinking averages and enlarging interpolates") {
  // A 2x2 checkerboard of 0 / 200 blocks, each 8x8 pixels: 16x16 -> 2x2 keeps each block.
  std::vector<uint8_t> pixels(16 * 16);
  for (int y = 0; y < 16; ++y) {
    for (int x = 0; x < 16; ++x) pixels[y * 16 + x] = ((x / 8) ^ (y / 8)) ? 200 : 0;
  }
  std::vector<float> out = levels(run(grey(2, 2), {pixels.data(), 16, 16, 0, PixelFormat::kGray8}));
  // The triangle filter reaches into the neighbouring block: a blur, symmetric.
  CHECK(out[0] == doctest::Approx(out[3]));
  CHECK(out[1] == doctest::Approx(out[2]));
  CHECK(out[0] < 60);
  CHECK(out[1] > 140);
  // 16x16 -> 1x1 is the mean.
  CHECK(levels(run(grey(1, 1), {pixels.data(), 16, 16, 0, PixelFormat::kGray8}))[0] == doctest::Approx(100));

  // A constant picture stays constant at any size.
  std::vector<uint8_t> flat(37 * 13, 123);
  for (const auto& size : {std::pair{28, 28}, std::pair{5, 90}, std::pair{100, 3}}) {
    for (float v : levels(run(grey(size.first, size.second), {flat.data(), 37, 13, 0, PixelFormat::kGray8}))) {
      REQUIRE(v == doctest::Approx(123));
    }
  }

  // 2 -> 4 pixels: bilinear between 0 and 100, clamped at the edges.
  const uint8_t two[2] = {0, 100};
  out = levels(run(grey(1, 4), {two, 2, 1, 0, PixelFormat::kGray8}));
  CHECK(out[0] == doctest::Approx(0));
  CHECK(out[1] == doctest::Approx(25));
  CHECK(out[2] == doctest::Approx(75));
  CHECK(out[3] == doctest::Approx(100));
}

TEST_CASE("the row stride skips padding bytes") {
  std::vector<uint8_t> packed(5 * 7 * 3), strided(5 * 32);
  for (int y = 0; y < 5; ++y) {
    for (int i = 0; i < 21; ++i) packed[y * 21 + i] = strided[y * 32 + i] = static_cast<uint8_t>(y * 40 + i);
    for (int i = 21; i < 32; ++i) strided[y * 32 + i] = 255;  // must never be read
  }
  CHECK(run(rgb(3, 4), {packed.data(), 7, 5, 0, PixelFormat::kRGB888}) ==
        run(rgb(3, 4), {strided.data(), 7, 5, 32, PixelFormat::kRGB888}));
}

TEST_CASE("short-side crop takes the centre and fit pads with the border colour") {
  // 30x10: left third 0, middle 100, right third 200.
  std::vector<uint8_t> pixels(30 * 10);
  for (int y = 0; y < 10; ++y) {
    for (int x = 0; x < 30; ++x) pixels[y * 30 + x] = static_cast<uint8_t>(x / 10 * 100);
  }
  const ImageView view{pixels.data(), 30, 10, 0, PixelFormat::kGray8};
  // The central 10x10 (its middle half with crop_fraction 0.5, so that the
  // filter's reach stays inside the middle third) is all 100.
  Preprocessing crop = grey(5, 5);
  crop.resize = Preprocessing::Resize::kShortSideCrop;
  crop.crop_fraction = 0.5f;
  for (float v : levels(run(crop, view))) REQUIRE(v == doctest::Approx(100));
  crop.crop_fraction = 1.0f;
  const std::vector<float> full_crop = levels(run(crop, view));
  CHECK(full_crop[2 * 5 + 2] == doctest::Approx(100));
  CHECK(full_crop[2 * 5 + 0] < 100);  // the filter reaches the dark third, as torchvision's resize does

  // Fit: the 30x10 picture becomes 6x2 in the middle of 6x6; the rest is the
  // border's mean colour.
  std::vector<uint8_t> flat(30 * 10, 40);
  Preprocessing fit = grey(6, 6);
  fit.resize = Preprocessing::Resize::kFit;
  for (float v : levels(run(fit, {flat.data(), 30, 10, 0, PixelFormat::kGray8}))) REQUIRE(v == doctest::Approx(40));
  // 2x1 -> 2x2: each output row is half the picture, half the padding (the
  // border's mean, 100), exactly.
  const uint8_t pair[2] = {0, 200};
  Preprocessing fit2 = grey(2, 2);
  fit2.resize = Preprocessing::Resize::kFit;
  CHECK(levels(run(fit2, {pair, 2, 1, 0, PixelFormat::kGray8})) == std::vector<float>{50, 150, 50, 150});
  const std::vector<float> out = levels(run(fit, view));
  CHECK(out[0 * 6 + 0] == doctest::Approx(100));   // padding: the border's mean is 100
  CHECK(out[3 * 6 + 0] < 40);                      // the picture's dark left third
  CHECK(out[3 * 6 + 5] > 160);                     // and its light right third
}

TEST_CASE("light backgrounds are inverted only when the model asks") {
  std::vector<uint8_t> pixels(10 * 10, 250);
  pixels[55] = 0;
  Preprocessing p = grey(10, 10);
  CHECK(levels(run(p, {pixels.data(), 10, 10, 0, PixelFormat::kGray8}))[0] == doctest::Approx(250));
  p.invert = true;
  ImagePreprocessor pre(p);
  std::vector<float> out(100);
  pre.run({pixels.data(), 10, 10, 0, PixelFormat::kGray8}, out.data());
  CHECK(pre.last_inverted());
  CHECK(out[0] * 255 == doctest::Approx(5));
  CHECK(out[55] * 255 == doctest::Approx(255));
  std::vector<uint8_t> dark(10 * 10, 3);
  pre.run({dark.data(), 10, 10, 0, PixelFormat::kGray8}, out.data());
  CHECK_FALSE(pre.last_inverted());
}

TEST_CASE("bad views are refused by name") {
  const uint8_t pixels[64] = {};
  const Preprocessing p = grey(4, 4);
  CHECK(error_of(p, {nullptr, 4, 4, 0, PixelFormat::kGray8}).find("null") != std::string::npos);
  CHECK(error_of(p, {pixels, 0, 4, 0, PixelFormat::kGray8}).find("kMaxImageDimension") != std::string::npos);
  CHECK(error_of(p, {pixels, 4, -1, 0, PixelFormat::kGray8}).find("kMaxImageDimension") != std::string::npos);
  CHECK(error_of(p, {pixels, 20000, 1, 0, PixelFormat::kGray8}).find("kMaxImageDimension") != std::string::npos);
  CHECK(error_of(p, {pixels, 16000, 16000, 0, PixelFormat::kGray8}).find("kMaxImagePixels") != std::string::npos);
  CHECK(error_of(p, {pixels, 4, 4, 3, PixelFormat::kGray8}).find("stride") != std::string::npos);
  CHECK(error_of(p, {pixels, 2, 2, 0, static_cast<PixelFormat>(42)}).find("pixel format") != std::string::npos);
  Preprocessing wrong = grey(4, 4);
  wrong.channels = 3;
  CHECK_THROWS_WITH_AS(ImagePreprocessor{wrong}, doctest::Contains("3 channels"), Error);
}

TEST_CASE("decoding PGM and BMP and refusing damaged files") {
  std::vector<uint8_t> pgm = bytes("P5\n3 2\n255\n");
  for (uint8_t v : {1, 2, 3, 4, 5, 6}) pgm.push_back(v);
  const DecodedImage image = decode_image(pgm.data(), pgm.size(), "a.pgm");
  CHECK(image.width == 3);
  CHECK(image.height == 2);
  CHECK(image.format == PixelFormat::kGray8);
  CHECK(std::vector<uint8_t>(image.pixels.get(), image.pixels.get() + image.bytes) == std::vector<uint8_t>{1, 2, 3, 4, 5, 6});

  // A 2x1 24-bit BMP (rows padded to 4 bytes, stored bottom-up, BGR).
  std::vector<uint8_t> bmp = {'B', 'M', 62, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0,
                              1, 0, 24, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0x13, 0x0b, 0, 0, 0x13, 0x0b, 0, 0, 0, 0, 0, 0,
                              0, 0, 0, 0, 30, 20, 10, 60, 50, 40, 0, 0};
  const DecodedImage b = decode_image(bmp.data(), bmp.size(), "a.bmp");
  CHECK(b.format == PixelFormat::kRGB888);
  CHECK(std::vector<uint8_t>(b.pixels.get(), b.pixels.get() + b.bytes) == std::vector<uint8_t>{10, 20, 30, 40, 50, 60});

  // The same picture stored top-down (negative height), two rows: valid BMP.
  std::vector<uint8_t> top_down = {'B', 'M', 70, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0, 2, 0, 0, 0,
                                   0xFE, 0xFF, 0xFF, 0xFF, 1, 0, 24, 0, 0, 0, 0, 0, 16, 0, 0, 0, 0x13, 0x0b, 0, 0,
                                   0x13, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                   30, 20, 10, 60, 50, 40, 0, 0,   // first row (top)
                                   3, 2, 1, 6, 5, 4, 0, 0};        // second row
  const DecodedImage t = decode_image(top_down.data(), top_down.size(), "top-down.bmp");
  CHECK(t.width == 2);
  CHECK(t.height == 2);
  CHECK(std::vector<uint8_t>(t.pixels.get(), t.pixels.get() + t.bytes) ==
        std::vector<uint8_t>{10, 20, 30, 40, 50, 60, 1, 2, 3, 4, 5, 6});
  std::vector<uint8_t> short_top_down(top_down.begin(), top_down.end() - 4);
  CHECK(decode_error(short_top_down).find("truncated") != std::string::npos);

  CHECK(decode_error({}).find("empty") != std::string::npos);
  CHECK(decode_error(bytes("hello, world\n")).find("not a JPEG, PNG, BMP or PGM/PPM") != std::string::npos);
  std::vector<uint8_t> truncated(pgm.begin(), pgm.end() - 2);
  CHECK(decode_error(truncated).find("truncated") != std::string::npos);
  // A header claiming 100000 x 100000 pixels is refused before any pixel memory exists.
  std::vector<uint8_t> huge = bytes("P5\n100000 100000\n255\n");
  huge.resize(huge.size() + 16);
  CHECK(decode_error(huge).find("kMaxImageDimension") != std::string::npos);
  std::vector<uint8_t> wide = bytes("P5\n16384 16384\n255\n");
  wide.resize(wide.size() + 16);
  CHECK(decode_error(wide).find("kMaxImagePixels") != std::string::npos);
  // The same claims in BMP headers (Windows and OS/2) are read by our own code.
  std::vector<uint8_t> huge_bmp = bmp;
  huge_bmp[18] = 0xA0, huge_bmp[19] = 0x86, huge_bmp[20] = 0x01;  // width 100000
  CHECK(decode_error(huge_bmp).find("the header claims 100000x1 pixels") != std::string::npos);
  std::vector<uint8_t> truncated_bmp(bmp.begin(), bmp.end() - 4);
  truncated_bmp[2] = 0;  // a writer that left the file size out
  CHECK(decode_error(truncated_bmp).find("truncated") != std::string::npos);
}

}  // TEST_SUITE

TEST_CASE("frame sizes past a limit are refused naming the field - before anything is allocated") {
  CHECK(frame_bytes(PixelFormat::kNV12, 640, 480, 0) == 640 * 480 * 3 / 2);
  CHECK(frame_problem(PixelFormat::kNV12, 640, 480, 0).empty());
  CHECK(frame_bytes(PixelFormat::kNV12, 100000, 100000, 0) == 0);
  CHECK(frame_problem(PixelFormat::kNV12, 100000, 100000, 0).find("kMaxImageDimension") != std::string::npos);
  CHECK(frame_problem(PixelFormat::kRGB888, 16384, 16384, 0).find("kMaxImagePixels") != std::string::npos);
  CHECK(frame_bytes(PixelFormat::kGray8, 64, 64, int64_t{1} << 30, true) == 0);  // 64 GiB of rows
  CHECK(frame_problem(PixelFormat::kGray8, 64, 64, int64_t{1} << 30, true).find("kMaxFrameBytes") != std::string::npos);
  CHECK(frame_problem(PixelFormat::kRGB888, 30, 20, 32).find("shorter than a row") != std::string::npos);
}

TEST_CASE("EXIF orientation: the tag read in either byte order - damaged blocks are upright - pixels turned as shown") {
  // SOI, APP1 "Exif" with a TIFF header and one IFD entry (tag 0x0112), then SOS.
  auto jpeg = [](bool little, uint16_t orientation, size_t cut) {
    auto u16 = [&](std::vector<uint8_t>& v, uint16_t x) {
      little ? v.insert(v.end(), {uint8_t(x), uint8_t(x >> 8)}) : v.insert(v.end(), {uint8_t(x >> 8), uint8_t(x)});
    };
    std::vector<uint8_t> tiff = {uint8_t(little ? 'I' : 'M'), uint8_t(little ? 'I' : 'M')};
    u16(tiff, 42);
    u16(tiff, 0), u16(tiff, 8);  // IFD0 at 8 (a 32-bit offset: high half first when big-endian)
    if (little) std::swap(tiff[4], tiff[6]), std::swap(tiff[5], tiff[7]);
    u16(tiff, 1);                                         // one entry
    u16(tiff, 0x0112), u16(tiff, 3), u16(tiff, little ? 1 : 0), u16(tiff, little ? 0 : 1);  // SHORT, count 1
    u16(tiff, orientation), u16(tiff, 0);
    std::vector<uint8_t> segment = {'E', 'x', 'i', 'f', 0, 0};
    segment.insert(segment.end(), tiff.begin(), tiff.end());
    std::vector<uint8_t> file = {0xFF, 0xD8, 0xFF, 0xE1, uint8_t((segment.size() + 2) >> 8), uint8_t(segment.size() + 2)};
    file.insert(file.end(), segment.begin(), segment.end());
    file.insert(file.end(), {0xFF, 0xDA, 0x00, 0x02});
    file.resize(file.size() - cut);
    return file;
  };
  for (bool little : {true, false}) {
    for (uint16_t o = 1; o <= 8; ++o) {
      const std::vector<uint8_t> f = jpeg(little, o, 0);
      CHECK(bnn::jpeg_exif_orientation(f.data(), f.size()) == o);
    }
    const std::vector<uint8_t> bad_value = jpeg(little, 9, 0);
    CHECK(bnn::jpeg_exif_orientation(bad_value.data(), bad_value.size()) == 1);
    const std::vector<uint8_t> cut = jpeg(little, 6, 12);  // the segment runs past the file
    CHECK(bnn::jpeg_exif_orientation(cut.data(), cut.size()) == 1);
  }
  const uint8_t png[] = {0x89, 'P', 'N', 'G', 0, 0, 0, 0};
  CHECK(bnn::jpeg_exif_orientation(png, sizeof png) == 1);

  // A 3x2 picture, one byte per pixel: a b c / d e f.
  const uint8_t in[] = {'a', 'b', 'c', 'd', 'e', 'f'};
  const std::pair<int, std::string> shown[] = {{2, "cba/fed"}, {3, "fed/cba"}, {4, "def/abc"}, {5, "ad/be/cf"},
                                               {6, "da/eb/fc"}, {7, "fc/eb/da"}, {8, "cf/be/ad"}};
  for (const auto& expected : shown) {  // (no structured binding: clang cannot capture one in a doctest message)
    const int orientation = expected.first;
    uint8_t out[6];
    int w = 0, h = 0;
    bnn::orient_pixels(in, 3, 2, 1, orientation, out, &w, &h);
    std::string got;
    for (int y = 0; y < h; ++y) got += (y ? "/" : "") + std::string(reinterpret_cast<char*>(out) + y * w, w);
    CHECK_MESSAGE(got == expected.second, "orientation " << orientation);
  }
}
