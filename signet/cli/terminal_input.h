#pragma once

// Reading secrets (client secrets, passwords) from stdin, never from the command line: one line
// at a time, bounded, and without echo when stdin is a terminal.

#include <termios.h>

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>

namespace signet::cli {

// Turns terminal echo off for as long as it lives, so a typed secret is not shown; does nothing
// when stdin is not a terminal.
class EchoOff {
 public:
  EchoOff();
  ~EchoOff();
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  std::optional<termios> saved_;  // the terminal's settings to restore, while echo is off
};

// True when stdin is a terminal (a person types, so prompts make sense).
bool stdin_is_terminal();

// One line of stdin without its "\n" or "\r\n"; nullopt at end of input. Stops reading once the
// line is longer than `max` bytes, so piping in a huge file cannot exhaust memory (the caller sees
// the over-long line and refuses it).
std::optional<std::string> read_line(std::size_t max);
// The same from `in` (read_line(max) reads std::cin, which shares stdin's buffer with stdio).
std::optional<std::string> read_line(std::istream& in, std::size_t max);

}  // namespace signet::cli
