#include "converter/checkpoint/pickle.h"

#include <cstdio>
#include <cstring>
#include <unordered_map>

#include "converter/ir.h"
#include "model_format/limits.h"

namespace bnn::convert {

const char* kind_name(PickleValue::Kind kind) {
  switch (kind) {
    case PickleValue::Kind::kNone: return "None";
    case PickleValue::Kind::kBool: return "bool";
    case PickleValue::Kind::kInt: return "int";
    case PickleValue::Kind::kFloat: return "float";
    case PickleValue::Kind::kString: return "str";
    case PickleValue::Kind::kBytes: return "bytes";
    case PickleValue::Kind::kTuple: return "tuple";
    case PickleValue::Kind::kList: return "list";
    case PickleValue::Kind::kDict: return "dict";
    case PickleValue::Kind::kSet: return "set";
    case PickleValue::Kind::kGlobal: return "global";
    case PickleValue::Kind::kCall: return "object";
    case PickleValue::Kind::kPersistentId: return "persistent id";
  }
  return "?";
}

namespace {

// Names of the opcodes we refuse, for the error message.
const char* refused_opcode_name(uint8_t op) {
  switch (op) {
    case 'i': return "INST";
    case 'o': return "OBJ";
    case 0x82: return "EXT1";
    case 0x83: return "EXT2";
    case 0x84: return "EXT4";
    case 'P': return "PERSID";
    case 'I': return "INT";
    case 'L': return "LONG";
    case 'F': return "FLOAT";
    case 'S': return "STRING";
    case 'V': return "UNICODE";
    case 'T': return "BINSTRING";
    case 'p': return "PUT";
    case 'g': return "GET";
    case 'l': return "LIST";
    case 'd': return "DICT";
    case '0': return "POP";
    case '1': return "POP_MARK";
    case '2': return "DUP";
    case 0x8b: return "LONG4";
    case 0x8d: return "BINUNICODE8";
    case 0x91: return "FROZENSET";
    case 0x92: return "NEWOBJ_EX";
    case 0x96: return "BYTEARRAY8";
    case 0x97: return "NEXT_BUFFER";
    case 0x98: return "READONLY_BUFFER";
  }
  return nullptr;
}

}  // namespace

std::string PickleValue::callable() const {
  if (kind != Kind::kCall || items.empty() || !items[0]->is(Kind::kGlobal)) return "";
  return items[0]->text;
}

const PickleValue* PickleValue::get(const std::string& key) const {
  for (const auto& [k, v] : entries) {
    if (k->is(Kind::kString) && k->text == key) return v;
  }
  return nullptr;
}

PickleValue* Unpickler::make(PickleValue::Kind kind, size_t offset) {
  if (static_cast<int64_t>(arena_.size()) >= limits::kMaxPickleValues) {
    throw ConvertError(origin_ + ": byte " + std::to_string(offset) + ": more than " +
                       std::to_string(limits::kMaxPickleValues) + " values (kMaxPickleValues)");
  }
  arena_.push_back(std::make_unique<PickleValue>());
  arena_.back()->kind = kind;
  arena_.back()->offset = offset;
  return arena_.back().get();
}

Unpickler::Unpickler(const uint8_t* data, size_t size, std::string origin) : origin_(origin) {
  using K = PickleValue::Kind;
  std::vector<PickleValue*> stack;
  std::vector<size_t> marks;
  std::unordered_map<uint64_t, PickleValue*> memo;
  size_t at = 0, op_at = 0;
  auto fail = [&](const std::string& why) -> void {
    throw ConvertError(origin + ": byte " + std::to_string(op_at) + ": " + why);
  };
  auto need = [&](size_t n) {
    if (n > size - at) fail("the pickle ends inside an opcode's argument (truncated)");
  };
  auto uint_le = [&](int n) {
    need(static_cast<size_t>(n));
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | data[at + i];
    at += static_cast<size_t>(n);
    return v;
  };
  auto bytes = [&](uint64_t n) {
    if (n > size - at) fail("a string of " + std::to_string(n) + " bytes runs past the end of the pickle");
    std::string s(reinterpret_cast<const char*>(data + at), static_cast<size_t>(n));
    at += static_cast<size_t>(n);
    return s;
  };
  auto line = [&]() {
    const void* end = std::memchr(data + at, '\n', size - at);
    if (!end) fail("GLOBAL without an end of line");
    const size_t length = static_cast<size_t>(static_cast<const uint8_t*>(end) - (data + at));
    std::string text = bytes(length + 1);
    text.pop_back();  // the '\n'
    return text;
  };
  auto pop = [&]() {
    if (stack.empty() || (!marks.empty() && stack.size() <= marks.back())) fail("the stack is empty");
    PickleValue* v = stack.back();
    stack.pop_back();
    return v;
  };
  auto top = [&]() {
    if (stack.empty() || (!marks.empty() && stack.size() <= marks.back())) fail("the stack is empty");
    return stack.back();
  };
  auto pop_mark = [&]() {
    if (marks.empty()) fail("no MARK for this opcode");
    std::vector<PickleValue*> items(stack.begin() + static_cast<std::ptrdiff_t>(marks.back()), stack.end());
    stack.resize(marks.back());
    marks.pop_back();
    return items;
  };
  auto push = [&](PickleValue* v) { stack.push_back(v); };
  auto string_value = [&](K kind, std::string s) {
    PickleValue* v = make(kind, op_at);
    v->text = std::move(s);
    push(v);
  };
  auto add_pairs = [&](PickleValue* target, const std::vector<PickleValue*>& kv, const char* op) {
    if (!target->is(K::kDict) && !target->is(K::kCall)) fail(std::string(op) + " on a " + kind_name(target->kind));
    if (kv.size() % 2) fail(std::string(op) + " with an odd number of items");
    for (size_t i = 0; i < kv.size(); i += 2) target->entries.emplace_back(kv[i], kv[i + 1]);
  };
  auto memo_get = [&](uint64_t index) {
    auto it = memo.find(index);
    if (it == memo.end()) fail("memo " + std::to_string(index) + " was never stored");
    push(it->second);
  };

  for (int64_t ops = 0;; ++ops) {
    if (ops > limits::kMaxPickleOps) fail("more than " + std::to_string(limits::kMaxPickleOps) + " opcodes (kMaxPickleOps)");
    op_at = at;
    if (at >= size) fail("the pickle ends without STOP (truncated)");
    const uint8_t op = data[at++];
    switch (op) {
      case 0x80:  // PROTO
        if (uint_le(1) > 5) fail("pickle protocol above 5");
        break;
      case 0x95:  // FRAME: a length hint only
        uint_le(8);
        break;
      case '.': {  // STOP
        root_ = pop();
        if (!marks.empty()) fail("STOP inside an open MARK");
        return;
      }
      case '(': marks.push_back(stack.size()); break;  // MARK
      case 'c': {  // GLOBAL module\nname\n
        const std::string module = line(), name = line();
        string_value(K::kGlobal, module + "." + name);
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        PickleValue* name = pop();
        PickleValue* module = pop();
        if (!name->is(K::kString) || !module->is(K::kString)) fail("STACK_GLOBAL needs two strings");
        string_value(K::kGlobal, module->text + "." + name->text);
        break;
      }
      case 'R':     // REDUCE
      case 0x81: {  // NEWOBJ
        PickleValue* args = pop();
        PickleValue* callable = pop();
        if (!args->is(K::kTuple)) fail(std::string(op == 'R' ? "REDUCE" : "NEWOBJ") + " needs an argument tuple");
        PickleValue* call = make(K::kCall, op_at);
        call->items = {callable, args};
        push(call);
        break;
      }
      case 'b': {  // BUILD
        PickleValue* state = pop();
        top()->state = state;
        break;
      }
      case 'a': {  // APPEND
        PickleValue* v = pop();
        PickleValue* list = top();
        if (!list->is(K::kList)) fail(std::string("APPEND to a ") + kind_name(list->kind));
        list->items.push_back(v);
        break;
      }
      case 'e': {  // APPENDS
        std::vector<PickleValue*> items = pop_mark();
        PickleValue* list = top();
        if (!list->is(K::kList)) fail(std::string("APPENDS to a ") + kind_name(list->kind));
        list->items.insert(list->items.end(), items.begin(), items.end());
        break;
      }
      case 's': {  // SETITEM
        PickleValue* v = pop();
        PickleValue* k = pop();
        add_pairs(top(), {k, v}, "SETITEM");
        break;
      }
      case 'u': {  // SETITEMS
        std::vector<PickleValue*> kv = pop_mark();
        add_pairs(top(), kv, "SETITEMS");
        break;
      }
      case 0x90: {  // ADDITEMS
        std::vector<PickleValue*> items = pop_mark();
        PickleValue* set = top();
        if (!set->is(K::kSet)) fail(std::string("ADDITEMS to a ") + kind_name(set->kind));
        set->items.insert(set->items.end(), items.begin(), items.end());
        break;
      }
      case 't': {  // TUPLE
        PickleValue* t = make(K::kTuple, op_at);
        std::vector<PickleValue*> items = pop_mark();
        t->items.assign(items.begin(), items.end());
        push(t);
        break;
      }
      case 0x85: case 0x86: case 0x87: {  // TUPLE1, TUPLE2, TUPLE3
        PickleValue* t = make(K::kTuple, op_at);
        t->items.resize(op - 0x84);
        for (size_t i = t->items.size(); i-- > 0;) t->items[i] = pop();
        push(t);
        break;
      }
      case ')': push(make(K::kTuple, op_at)); break;   // EMPTY_TUPLE
      case ']': push(make(K::kList, op_at)); break;    // EMPTY_LIST
      case '}': push(make(K::kDict, op_at)); break;    // EMPTY_DICT
      case 0x8f: push(make(K::kSet, op_at)); break;    // EMPTY_SET
      case 'N': push(make(K::kNone, op_at)); break;    // NONE
      case 0x88: case 0x89: {                          // NEWTRUE, NEWFALSE
        PickleValue* v = make(K::kBool, op_at);
        v->boolean = op == 0x88;
        push(v);
        break;
      }
      case 'J': case 'K': case 'M': {  // BININT (4, signed), BININT1 (1), BININT2 (2)
        const int n = op == 'J' ? 4 : op == 'K' ? 1 : 2;
        const uint64_t raw = uint_le(n);
        PickleValue* v = make(K::kInt, op_at);
        v->integer = op == 'J' ? static_cast<int32_t>(raw) : static_cast<int64_t>(raw);
        push(v);
        break;
      }
      case 0x8a: {  // LONG1: n bytes of two's complement
        const uint64_t n = uint_le(1);
        if (n > 8) fail("an integer of " + std::to_string(n) + " bytes (at most 8 are read)");
        uint64_t raw = n ? uint_le(static_cast<int>(n)) : 0;
        if (n && n < 8 && (raw >> (8 * n - 1) & 1)) raw |= ~uint64_t{0} << (8 * n);  // sign-extend
        PickleValue* v = make(K::kInt, op_at);
        v->integer = static_cast<int64_t>(raw);
        push(v);
        break;
      }
      case 'G': {  // BINFLOAT: big-endian double
        need(8);
        uint64_t raw = 0;
        for (int i = 0; i < 8; ++i) raw = (raw << 8) | data[at + i];
        at += 8;
        PickleValue* v = make(K::kFloat, op_at);
        std::memcpy(&v->number, &raw, 8);
        push(v);
        break;
      }
      case 'X': string_value(K::kString, bytes(uint_le(4))); break;     // BINUNICODE
      case 0x8c: string_value(K::kString, bytes(uint_le(1))); break;    // SHORT_BINUNICODE
      case 'U': string_value(K::kString, bytes(uint_le(1))); break;     // SHORT_BINSTRING
      case 'B': string_value(K::kBytes, bytes(uint_le(4))); break;      // BINBYTES
      case 'C': string_value(K::kBytes, bytes(uint_le(1))); break;      // SHORT_BINBYTES
      case 0x8e: string_value(K::kBytes, bytes(uint_le(8))); break;     // BINBYTES8
      case 0x94: memo[memo.size()] = top(); break;                      // MEMOIZE
      case 'q': memo[uint_le(1)] = top(); break;                        // BINPUT
      case 'r': memo[uint_le(4)] = top(); break;                        // LONG_BINPUT
      case 'h': memo_get(uint_le(1)); break;                            // BINGET
      case 'j': memo_get(uint_le(4)); break;                            // LONG_BINGET
      case 'Q': {  // BINPERSID
        PickleValue* pid = make(K::kPersistentId, op_at);
        pid->items = {pop()};
        push(pid);
        break;
      }
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        const char* name = refused_opcode_name(op);
        fail(std::string("opcode ") + (name ? name : "unknown") + " (" + hex +
             ") is not allowed: a state dict needs only the data opcodes this reader runs");
      }
    }
  }
}

}  // namespace bnn::convert
