// SPDX-License-Identifier: Apache-2.0
// What every command-line tool shares: usage errors and bounded numbers.
#pragma once

#include <exception>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

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

// `value` if it is one of `valid` (compared ignoring ASCII case when
// `ignore_case`), as spelled in `valid`; else a usage error listing them.
std::string parse_choice(const std::string& flag, const std::string& value, std::initializer_list<const char*> valid,
                         bool ignore_case = false);

// The one command-line parser of every tool (GNU conventions): long options
// with their value as the next argument or after '=' (--model=m.bnn), short
// aliases, "--" ending the options, "-" an ordinary argument (standard input
// or output, where the tool says so), -h/--help printing the usage, --version
// printing the library's version. Unknown options name the closest known one.
class Parser {
 public:
  explicit Parser(const char* usage) : usage_(usage) {}
  // An option taking a value: names like "--model" or "-o"; several names
  // for one option as "-o|--output".
  Parser& option(const char* names, std::function<void(const char* value)> handle);
  // An option without a value.
  Parser& flag(const char* names, std::function<void()> handle);
  // Arguments that are not options (by default: a usage error).
  Parser& positional(std::function<void(const char* value)> handle);
  void parse(int argc, char** argv) const;

 private:
  struct Spec {  // one of the two handlers is set: with_value for an option, without_value for a flag
    std::vector<std::string> names;
    std::function<void(const char*)> with_value;
    std::function<void()> without_value;
  };
  const Spec* find(const std::string& name) const;
  const char* usage_;
  std::vector<Spec> specs_;
  std::function<void(const char*)> positional_;
};

}  // namespace bnn::cli
