#pragma once
// Shared by the plot functions (private to src/io): running gnuplot on a
// script and storing the PNG it prints, with messages starting with `who`.

#include <string>

namespace hnet::io::detail {

/// Throws unless `png_path` is non-empty, not a folder, and in an existing folder.
void check_png_path(const std::string& png_path, const char* who);

/// Runs `gnuplot --default-settings` on `script` and writes its PNG to
/// `png_path` atomically; throws naming gnuplot's first error line.
void render_png(const std::string& png_path, const std::string& script, const char* who);

/// The start of a 720x480 chart's script: the PNG terminal (pngcairo when
/// gnuplot has it), title and axis labels.
std::string chart_preamble(
    const std::string& title, const std::string& xlabel, const std::string& ylabel);

/// `text` as a gnuplot single-quoted string (control characters as spaces).
std::string quote(const std::string& text);

}  // namespace hnet::io::detail
