// SPDX-License-Identifier: Apache-2.0
// The checkpoint readers' building blocks: the ZIP directory reader and the
// data-only pickle reader, on hand-made bytes (whole torch.save files are
// tested from Python in tests/parity/).
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "converter/checkpoint/pickle.h"
#include "converter/checkpoint/weight_file.h"
#include "converter/checkpoint/zip_reader.h"
#include "converter/ir.h"
#include "model_format/crc32.h"
#include "doctest/doctest.h"

using namespace bnn::convert;
using namespace std::string_literals;

namespace {

void put(std::vector<uint8_t>& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

struct FileSpec {
  std::string name, data;
  int method = 0;
};

// A stored ZIP archive, as torch.save writes one (without its alignment padding).
std::vector<uint8_t> make_zip(const std::vector<FileSpec>& files) {
  std::vector<uint8_t> out, directory;
  for (const FileSpec& f : files) {
    const uint32_t crc = bnn::crc32(reinterpret_cast<const uint8_t*>(f.data.data()), f.data.size());
    const size_t local = out.size();
    put(out, 0x04034b50, 4), put(out, 20, 2), put(out, 0, 2), put(out, f.method, 2), put(out, 0, 4);
    put(out, crc, 4), put(out, f.data.size(), 4), put(out, f.data.size(), 4), put(out, f.name.size(), 2), put(out, 0, 2);
    out.insert(out.end(), f.name.begin(), f.name.end());
    out.insert(out.end(), f.data.begin(), f.data.end());
    put(directory, 0x02014b50, 4), put(directory, 20, 2), put(directory, 20, 2), put(directory, 0, 2);
    put(directory, f.method, 2), put(directory, 0, 4), put(directory, crc, 4), put(directory, f.data.size(), 4);
    put(directory, f.data.size(), 4), put(directory, f.name.size(), 2), put(directory, 0, 2), put(directory, 0, 2);
    put(directory, 0, 2), put(directory, 0, 2), put(directory, 0, 4), put(directory, local, 4);
    directory.insert(directory.end(), f.name.begin(), f.name.end());
  }
  const size_t cd_offset = out.size();
  out.insert(out.end(), directory.begin(), directory.end());
  put(out, 0x06054b50, 4), put(out, 0, 2), put(out, 0, 2), put(out, files.size(), 2), put(out, files.size(), 2);
  put(out, directory.size(), 4), put(out, cd_offset, 4), put(out, 0, 2);
  return out;
}

std::string zip_error(const std::vector<uint8_t>& bytes) {
  try {
    ZipArchive zip(bytes.data(), bytes.size(), "a.pt");
    for (const ZipEntry& e : zip.entries()) zip.read(e);
  } catch (const ConvertError& e) {
    return e.what();
  }
  return "";
}

std::vector<uint8_t> pickle_bytes(const std::string& s) { return {s.begin(), s.end()}; }

std::string pickle_error(const std::string& s) {
  const std::vector<uint8_t> bytes = pickle_bytes(s);
  try {
    Unpickler u(bytes.data(), bytes.size(), "data.pkl");
  } catch (const ConvertError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_SUITE("checkpoint") {

TEST_CASE("zip: stored entries are found and read") {
  const std::vector<uint8_t> bytes = make_zip({{"archive/data.pkl", "hello"}, {"archive/data/0", std::string(64, 'x')}});
  ZipArchive zip(bytes.data(), bytes.size(), "a.pt");
  REQUIRE(zip.entries().size() == 2);
  const ZipEntry* e = zip.find("archive/data/0");
  REQUIRE(e);
  CHECK(e->size == 64);
  CHECK(std::memcmp(zip.read(*e), std::string(64, 'x').data(), 64) == 0);
  CHECK(zip.find("missing") == nullptr);
}

TEST_CASE("zip: damaged archives are refused naming the problem") {
  const std::vector<uint8_t> good = make_zip({{"a/data.pkl", "hello world"}, {"a/data/0", "0123456789abcdef"}});
  CHECK(zip_error({}).find("shorter than an end-of-directory record") != std::string::npos);
  CHECK(zip_error(std::vector<uint8_t>(good.begin(), good.end() - 10)).find("no end-of-directory record") !=
        std::string::npos);
  std::vector<uint8_t> flipped = good;
  flipped[40] ^= 1;  // a data byte of the first entry
  CHECK(zip_error(flipped).find("fails its CRC-32") != std::string::npos);
  CHECK(zip_error(make_zip({{"a/data.pkl", "x", 8}})).find("is compressed (method 8)") != std::string::npos);
  CHECK(zip_error(make_zip({{"a/x", "1"}, {"a/x", "2"}})).find("appears twice") != std::string::npos);
  // Cut out the middle of the data: every offset after it is now wrong.
  std::vector<uint8_t> cut = good;
  cut.erase(cut.begin() + 45, cut.begin() + 60);
  CHECK(zip_error(cut).find("not a valid zip archive") != std::string::npos);
  // An entry count of 0xFFFF means "see the ZIP64 record", which is missing.
  std::vector<uint8_t> many = good;
  many[many.size() - 22 + 10] = 0xFF, many[many.size() - 22 + 11] = 0xFF;
  CHECK(zip_error(many).find("ZIP64 fields without a ZIP64 locator") != std::string::npos);
  // An entry hidden inside another's data: a/0 holds a whole local header for
  // a/1, and the directory points a/1 there.
  std::vector<uint8_t> inner;
  put(inner, 0x04034b50, 4), put(inner, 20, 2), put(inner, 0, 2), put(inner, 0, 2), put(inner, 0, 4);
  put(inner, bnn::crc32(reinterpret_cast<const uint8_t*>("zz"), 2), 4), put(inner, 2, 4), put(inner, 2, 4);
  put(inner, 3, 2), put(inner, 0, 2);
  inner.insert(inner.end(), {'a', '/', '1', 'z', 'z'});
  std::vector<uint8_t> overlap = make_zip({{"a/0", std::string(inner.begin(), inner.end())}, {"a/1", "zz"}});
  const size_t second_cd = overlap.size() - 22 - (46 + 3);
  overlap[second_cd + 42] = 30 + 3;  // a/1's local header: inside a/0's data
  overlap[second_cd + 43] = 0;
  CHECK(zip_error(overlap).find("entries 'a/0' and 'a/1' overlap") != std::string::npos);
}

TEST_CASE("pickle: the data opcodes build an inert tree") {
  // {'w': [1, -2, 3.5, 'x', b'yz', None, True], 'g': collections.OrderedDict()} at protocol 2.
  const std::string p = "\x80\x02}q\x00(X\x01\x00\x00\x00w]q\x01(K\x01J\xfe\xff\xff\xffG\x40\x0c\x00\x00\x00\x00\x00\x00"s +
                        "X\x01\x00\x00\x00xC\x02yzN\x88"s + "eX\x01\x00\x00\x00gccollections\nOrderedDict\nq\x02)Rq\x03u."s;
  const std::vector<uint8_t> bytes = pickle_bytes(p);
  Unpickler u(bytes.data(), bytes.size(), "data.pkl");
  const PickleValue& root = u.root();
  REQUIRE(root.is(PickleValue::Kind::kDict));
  const PickleValue* w = root.get("w");
  REQUIRE(w);
  REQUIRE(w->items.size() == 7);
  CHECK(w->items[0]->integer == 1);
  CHECK(w->items[1]->integer == -2);
  CHECK(w->items[2]->number == 3.5);
  CHECK(w->items[3]->text == "x");
  CHECK(w->items[4]->is(PickleValue::Kind::kBytes));
  CHECK(w->items[5]->is(PickleValue::Kind::kNone));
  CHECK(w->items[6]->boolean);
  const PickleValue* g = root.get("g");
  REQUIRE(g);
  CHECK(g->callable() == "collections.OrderedDict");
}

TEST_CASE("pickle: LONG1 and memo") {
  // [-129 (LONG1 2 bytes), 2^40, memo get of the first]
  const std::string p = "\x80\x02](\x8a\x02\x7f\xff\x94"s + "\x8a\x06\x00\x00\x00\x00\x00\x01"s + "h\x00"s + "e."s;
  const std::vector<uint8_t> bytes = pickle_bytes(p);
  Unpickler u(bytes.data(), bytes.size(), "data.pkl");
  REQUIRE(u.root().items.size() == 3);
  CHECK(u.root().items[0]->integer == -129);
  CHECK(u.root().items[1]->integer == (int64_t{1} << 40));
  CHECK(u.root().items[2] == u.root().items[0]);
}

TEST_CASE("pickle: code-running and unknown opcodes are refused by name and offset") {
  CHECK(pickle_error("\x80\x02(cos\nsystem\nX\x02\x00\x00\x00"s "lsi."s).find("byte 21: opcode INST (0x69) is not allowed") !=
        std::string::npos);
  CHECK(pickle_error("\x80\x02\x82\x01."s).find("byte 2: opcode EXT1") != std::string::npos);
  CHECK(pickle_error("\x80\x02\xff."s).find("opcode unknown (0xff)") != std::string::npos);
  CHECK(pickle_error("\x80\x02]"s).find("ends without STOP") != std::string::npos);
  CHECK(pickle_error("\x80\x02X\xff\xff\x00\x00"s "ab."s).find("runs past the end") != std::string::npos);
  CHECK(pickle_error("\x80\x02h\x05."s).find("memo 5 was never stored") != std::string::npos);
  CHECK(pickle_error("\x80\x02."s).find("stack is empty") != std::string::npos);
  CHECK(pickle_error("\x80\x02K\x01K\x02R."s).find("REDUCE needs an argument tuple") != std::string::npos);
}

TEST_CASE("pickle: a list that holds itself does not leak or loop") {
  // l = []; l.append(l)
  const std::string p = "\x80\x02]q\x00h\x00"s + "a."s;
  const std::vector<uint8_t> bytes = pickle_bytes(p);
  Unpickler u(bytes.data(), bytes.size(), "data.pkl");
  CHECK(u.root().items.size() == 1);
  CHECK(u.root().items[0] == &u.root());
}

}  // TEST_SUITE

TEST_SUITE("checkpoint") {

// tests/data/golden.safetensors, 159 bytes, written by hand (Debian has no
// safetensors package): the 8-byte little-endian header length 141, then the
// header
//   {"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},
//    "b":{"dtype":"F16","shape":[1,1],"data_offsets":[8,10]},"__metadata__":{"format":"pt"}}
// (one line, no spaces), then 10 bytes of data: float32 1.0 (00 00 80 3f),
// float32 -2.5 (00 00 20 c0), float16 0.5 (00 38).
TEST_CASE("safetensors: the golden file reads as documented") {
  const auto file = open_weight_file(std::string(BNN_SOURCE_DIR) + "/tests/data/golden.safetensors");
  CHECK(file->names() == std::vector<std::string>{"a", "b"});
  const Constant a = file->read("a"), b = file->read("b");
  CHECK(a.shape == std::vector<int64_t>{2});
  CHECK(a.values == std::vector<double>{1.0, -2.5});
  CHECK(b.shape == std::vector<int64_t>{1, 1});
  CHECK(b.values == std::vector<double>{0.5});
}

TEST_CASE("half and bfloat16 convert exactly") {
  CHECK(half_to_double(0x3C00) == 1.0);
  CHECK(half_to_double(0xC000) == -2.0);
  CHECK(half_to_double(0x0001) == std::ldexp(1.0, -24));  // the smallest subnormal
  CHECK(half_to_double(0x7BFF) == 65504.0);
  CHECK(std::isinf(half_to_double(0x7C00)));
  CHECK(bfloat16_to_double(0x3F80) == 1.0);
  CHECK(bfloat16_to_double(0xC0A0) == -5.0);
}

}  // TEST_SUITE
