// What every command-line tool shares: usage errors and bounded numbers.
#pragma once

#include <exception>
#include <string>

namespace bnn::cli {

// The tool's name in messages ("bnn-run"); set first thing in main. It also
// makes a file-size limit (SIGXFSZ) reach the tool as a write error, and a
// failed write of standard output an exit status of 1.
void set_program(const char* name);

// Prints "<tool>: MESSAGE\n(see <tool> --help)" on stderr and exits with 2.
[[noreturn]] void usage_error(const std::string& message);

// An error's text for the user, escaped for the terminal (printable_text.h);
// an allocation failure says what it means instead of "std::bad_alloc".
std::string describe(const std::exception& e);
// The same unescaped (for JSON output, which escapes it itself).
std::string message(const std::exception& e);

// A whole number in [min, max] given for `flag`, or a usage error.
int parse_count(const std::string& flag, const char* text, int min, int max);

}  // namespace bnn::cli
