// SPDX-License-Identifier: Apache-2.0
// Text from a model or a file name, made safe to print. Labels, descriptions,
// layer names and file names come from files anyone can write: a newline in a
// label would forge a result line, an ESC or OSC sequence would reach the
// user's terminal, a non-UTF-8 name would make JSON output unparseable.
#pragma once

#include <cstddef>
#include <string>

namespace bnn {

// For a terminal or a line-oriented log: control characters (C0, DEL, C1
// and the bidirectional overrides as UTF-8) and bytes that are not UTF-8
// become \xNN / \uNNNN escapes;
// printable UTF-8 is kept. Longer than `max_bytes`, the text is cut (at a
// character boundary) and says how long it was.
std::string printable(const std::string& text, size_t max_bytes = 2000);

// A JSON string literal, quotes included. Bytes that are not UTF-8 become
// \udcNN, Python's "surrogateescape" (PEP 383): json.loads() then
// os.fsencode() gives back the original bytes of a file name.
std::string json_string(const std::string& text);

}  // namespace bnn
