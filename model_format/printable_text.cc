// SPDX-License-Identifier: Apache-2.0
#include "model_format/printable_text.h"

#include <cstdint>
#include <cstdio>

namespace bnn {
namespace {

// The length of the UTF-8 sequence at text[i] (1 to 4), or 0 when the bytes
// there are not well-formed UTF-8 (overlong forms and surrogates included).
size_t utf8_length(const std::string& text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t b = byte(i);
  if (b < 0x80) return 1;
  size_t n = 0;
  uint32_t min = 0, code = 0;
  if ((b & 0xE0) == 0xC0) n = 2, min = 0x80, code = b & 0x1F;
  else if ((b & 0xF0) == 0xE0) n = 3, min = 0x800, code = b & 0x0F;
  else if ((b & 0xF8) == 0xF0) n = 4, min = 0x10000, code = b & 0x07;
  else return 0;
  if (i + n > text.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code = code << 6 | (byte(i + k) & 0x3F);
  }
  if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return n;
}

// U+202A..U+202E and U+2066..U+2069: the bidirectional embeddings,
// overrides and isolates ("Trojan Source").
bool is_bidi_control(const std::string& text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  if (byte(i) != 0xE2) return false;
  if (byte(i + 1) == 0x80) return byte(i + 2) >= 0xAA && byte(i + 2) <= 0xAE;
  if (byte(i + 1) == 0x81) return byte(i + 2) >= 0xA6 && byte(i + 2) <= 0xA9;
  return false;
}

std::string hex_escape(const char* format, unsigned value) {
  char buf[16];
  std::snprintf(buf, sizeof buf, format, value);
  return buf;
}

}  // namespace

std::string printable(const std::string& text, size_t max_bytes) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (out.size() >= max_bytes) {
      return out + "... (" + std::to_string(text.size()) + " bytes in all)";
    }
    const uint8_t b = static_cast<uint8_t>(text[i]);
    const size_t n = utf8_length(text, i);
    if (n == 0) {
      out += hex_escape("\\x%02x", b);
      ++i;
    } else if (n == 1 && (b < 0x20 || b == 0x7F)) {
      out += b == '\t' ? std::string("\\t") : hex_escape("\\x%02x", b);
      ++i;
    } else if (n == 2 && b == 0xC2 && static_cast<uint8_t>(text[i + 1]) < 0xA0) {  // U+0080..U+009F: C1 controls
      out += hex_escape("\\u%04x", static_cast<uint8_t>(text[i + 1]));
      i += 2;
    } else if (n == 3 && is_bidi_control(text, i)) {  // would reorder what the terminal shows
      out += hex_escape("\\u%04x", (b & 0x0Fu) << 12 | (static_cast<uint8_t>(text[i + 1]) & 0x3Fu) << 6 |
                                       (static_cast<uint8_t>(text[i + 2]) & 0x3Fu));
      i += 3;
    } else {
      out.append(text, i, n);
      i += n;
    }
  }
  return out;
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  size_t i = 0;
  while (i < text.size()) {
    const uint8_t b = static_cast<uint8_t>(text[i]);
    const size_t n = utf8_length(text, i);
    if (n == 0) {
      out += hex_escape("\\udc%02x", b);
      ++i;
    } else if (b == '"' || b == '\\') {
      out += '\\';
      out += static_cast<char>(b);
      ++i;
    } else if (b < 0x20 || b == 0x7F) {
      out += hex_escape("\\u%04x", b);
      ++i;
    } else {
      out.append(text, i, n);
      i += n;
    }
  }
  return out + "\"";
}

}  // namespace bnn
