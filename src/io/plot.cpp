#include "hnet/io/plot.h"

#include <c10/util/Exception.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <locale>
#include <sstream>

#include "gnuplot.h"
#include "hnet/io/atomic_file.h"
#include "subprocess.h"

namespace hnet::io {
namespace {

const std::vector<std::string> kGnuplotCommand = {"gnuplot", "--default-settings"};
// gnuplot draws even large matrices in well under a second; the limit only
// keeps a wedged process from hanging training forever.
constexpr auto kTimeout = std::chrono::seconds(120);
constexpr size_t kMaxStderrBytes = 1 << 16;
const std::string kPngSignature("\x89PNG\r\n\x1a\n", 8);

// gnuplot echoes the failing script line ("gnuplot> ...") and a caret before
// its message ("line 12: invalid command"); the message is what helps.
std::string first_meaningful_line(const std::string& text) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    auto begin = line.find_first_not_of(" \t\r");
    if (begin == std::string::npos) continue;
    line = line.substr(begin, line.find_last_not_of(" \t\r") + 1 - begin);
    if (line.rfind("gnuplot>", 0) == 0 || line == "^") continue;
    return line;
  }
  return "(no error output)";
}

// A gnuplot single-quoted string: no escapes or backquote substitution apply
// inside it; a quote is written twice; a newline would end the command.
std::string quote_for_gnuplot(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "''";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string describe_shape(const std::vector<std::vector<double>>& acc) {
  const size_t cols = acc.empty() ? 0 : acc[0].size();
  bool ragged = false;
  for (const auto& row : acc) ragged = ragged || row.size() != cols;
  std::ostringstream s;
  if (!ragged) {
    s << "shape [" << acc.size() << ", " << cols << "]";
  } else {
    s << "rows of lengths [";
    for (size_t i = 0; i < acc.size(); ++i) s << (i ? ", " : "") << acc[i].size();
    s << "]";
  }
  return s.str();
}

std::string make_script(const std::vector<std::vector<double>>& acc, const std::string& title) {
  const size_t rows = acc.size(), cols = acc[0].size();
  const auto side = [](size_t cells, int margin) {
    return std::min<int64_t>(
        4096, std::max<int64_t>(360, 56 * static_cast<int64_t>(cells) + margin));
  };
  const auto tic_step = [](size_t cells) { return cells <= 30 ? 1 : (cells + 19) / 20; };
  std::ostringstream s;
  s.imbue(std::locale::classic());  // decimal points, whatever the global locale
  s << "set encoding utf8\n"
    << "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
    << "  set terminal pngcairo noenhanced size " << side(cols, 220) << "," << side(rows, 150)
    << " font 'sans,10'\n"
    << "} else {\n"
    << "  set terminal png noenhanced size " << side(cols, 220) << "," << side(rows, 150) << "\n"
    << "}\n"
    << "set title " << quote_for_gnuplot(title) << "\n"
    << "set xlabel 'evaluated on task'\n"
    << "set ylabel 'after learning task'\n"
    << "set cblabel 'accuracy'\n"
    << "set cbrange [0:1]\n"
    << "set palette defined (0 '#440154', 0.25 '#3b528b', 0.5 '#21908d', 0.75 '#5dc963', "
       "1 '#fde725')\n"
    << "set xrange [0.5:" << cols
    << ".5]\n"
    // Reversed, so that task 1 is at the top as in a printed matrix.
    << "set yrange [" << rows << ".5:0.5]\n"
    << "set xtics " << tic_step(cols) << " scale 0\n"
    << "set ytics " << tic_step(rows) << " scale 0\n"
    << "set size ratio -1\n"
    << "unset key\n"
    << "set object 1 rectangle from graph 0,0 to graph 1,1 behind "
       "fillcolor rgb '#d9d9d9' fillstyle solid noborder\n"
    << "set style fill solid 1.0 border lc rgb 'white'\n"
    // x = column (evaluated on), y = row (after learning), value. NaN cells
    // are simply left out, so the grey background shows through.
    << "$acc << EOD\n";
  s.precision(17);
  for (size_t i = 0; i < rows; ++i) {
    for (size_t j = 0; j < cols; ++j) {
      if (!std::isnan(acc[i][j])) s << j + 1 << " " << i + 1 << " " << acc[i][j] << "\n";
    }
  }
  s << "EOD\n"
    << "plot $acc using 1:2:(0.5):(0.5):3 with boxxyerror fillcolor palette, \\\n"
    << "     $acc using 1:2:(sprintf('%.3f', $3)):($3 < 0.5 ? 0xffffff : 0x000000) "
       "with labels textcolor rgb variable\n";
  return s.str();
}

std::string folder_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

void check_arguments(const std::string& png_path, const std::vector<std::vector<double>>& acc) {
  TORCH_CHECK(!png_path.empty(), "plot_accuracy_matrix: png_path must not be empty");
  TORCH_CHECK(
      !acc.empty() && !acc[0].empty(),
      "plot_accuracy_matrix: acc must have at least one row and one column, got ",
      describe_shape(acc));
  for (const auto& row : acc) {
    TORCH_CHECK(
        row.size() == acc[0].size(), "plot_accuracy_matrix: acc must be rectangular, got ",
        describe_shape(acc));
  }
  for (size_t i = 0; i < acc.size(); ++i) {
    for (size_t j = 0; j < acc[i].size(); ++j) {
      const double v = acc[i][j];
      TORCH_CHECK(
          std::isnan(v) || (v >= 0 && v <= 1), "plot_accuracy_matrix: acc[", i, "][", j,
          "] must be in [0, 1] or NaN, got ", v);
    }
  }
  detail::check_png_path(png_path, "plot_accuracy_matrix");
}

}  // namespace

void plot_accuracy_matrix(
    const std::string& png_path, const std::vector<std::vector<double>>& acc,
    const std::string& title) {
  check_arguments(png_path, acc);
  detail::render_png(png_path, make_script(acc, title), "plot_accuracy_matrix");
}

namespace detail {

void check_png_path(const std::string& png_path, const char* who) {
  TORCH_CHECK(!png_path.empty(), who, ": png_path must not be empty");
  const std::string folder = folder_of(png_path);
  struct stat info {};
  TORCH_CHECK(
      ::stat(folder.c_str(), &info) == 0, who, ": folder ", folder, " of png_path ", png_path,
      " cannot be used: ", std::strerror(errno));
  TORCH_CHECK(
      S_ISDIR(info.st_mode), who, ": ", folder, " (folder of png_path ", png_path,
      ") is not a folder");
  TORCH_CHECK(
      ::stat(png_path.c_str(), &info) != 0 || !S_ISDIR(info.st_mode), who, ": png_path ", png_path,
      " is a folder");
}

void render_png(const std::string& png_path, const std::string& script, const char* who) {
  const std::string command = command_text(kGnuplotCommand) + " (script on standard input)";
  const SubprocessResult run = run_subprocess(kGnuplotCommand, script, kTimeout, kMaxStderrBytes);
  TORCH_CHECK(
      run.spawn_error == 0, who, ": cannot run ", command, ": ", std::strerror(run.spawn_error),
      " (is gnuplot installed and on PATH?)");
  TORCH_CHECK(
      !run.timed_out, who, ": ", command, " did not finish within ", kTimeout.count(),
      " s and was killed");
  TORCH_CHECK(
      run.signal == 0, who, ": ", command, " was killed by signal ", run.signal, ": ",
      first_meaningful_line(run.err));
  TORCH_CHECK(
      run.exit_status == 0, who, ": ", command, " failed with exit status ", run.exit_status, ": ",
      first_meaningful_line(run.err));
  TORCH_CHECK(
      run.out.compare(0, kPngSignature.size(), kPngSignature) == 0, who, ": ", command,
      " exited with status 0 but wrote no PNG (", run.out.size(),
      " bytes on standard output): ", first_meaningful_line(run.err));
  write_file_atomic(png_path, run.out);
}

std::string quote(const std::string& text) {
  return quote_for_gnuplot(text);
}

}  // namespace detail

bool gnuplot_available() {
  try {
    const detail::SubprocessResult run =
        detail::run_subprocess({"gnuplot", "--version"}, "", kTimeout, kMaxStderrBytes);
    return run.spawn_error == 0 && !run.timed_out && run.signal == 0 && run.exit_status == 0;
  } catch (const c10::Error&) {
    return false;
  }
}

}  // namespace hnet::io
