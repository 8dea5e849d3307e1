// SPDX-License-Identifier: Apache-2.0
// A data-only pickle reader: it runs the opcodes state dicts use and calls
// nothing. GLOBAL / STACK_GLOBAL give an inert Global value; REDUCE and NEWOBJ
// give a Call value (the callable and its arguments), BUILD records the state
// on its object; BINPERSID gives a PersistentId. What those mean (tensors,
// OrderedDict, ...) is decided later, by an allow-list (torch_checkpoint.cc).
// Any other opcode is refused by name and byte offset. Values live in the
// reader's arena, so a memo that makes a container hold itself cannot leak;
// walkers bound their depth by limits::kMaxPickleDepth.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace bnn::convert {

struct PickleValue {
  enum class Kind { kNone, kBool, kInt, kFloat, kString, kBytes, kTuple, kList, kDict, kSet, kGlobal, kCall, kPersistentId };
  Kind kind = Kind::kNone;
  size_t offset = 0;  // byte offset of the opcode that made it (for errors)
  bool boolean = false;
  int64_t integer = 0;
  double number = 0;
  std::string text;  // kString, kBytes; kGlobal: "module.name"
  std::vector<const PickleValue*> items;  // kTuple, kList, kSet; kCall: [callable, args]; kPersistentId: [pid]
  std::vector<std::pair<const PickleValue*, const PickleValue*>> entries;  // kDict, in insertion order
  const PickleValue* state = nullptr;  // BUILD's argument, on a kCall

  bool is(Kind k) const { return kind == k; }
  // kCall: the callable's "module.name" if it is a global, else "".
  std::string callable() const;
  // kDict: the value for a string key, or nullptr.
  const PickleValue* get(const std::string& key) const;
};

const char* kind_name(PickleValue::Kind kind);

class Unpickler {
 public:
  // Runs `size` bytes of pickle (protocol 2-5 opcodes listed in pickle.cc).
  // `origin` names the file in errors ("archive/data.pkl"). Throws ConvertError.
  Unpickler(const uint8_t* data, size_t size, std::string origin);

  const PickleValue& root() const { return *root_; }

 private:
  std::string origin_;
  std::vector<std::unique_ptr<PickleValue>> arena_;
  const PickleValue* root_ = nullptr;
};

}  // namespace bnn::convert
