#include <c10/util/Exception.h>

#include <algorithm>
#include <cmath>
#include <locale>
#include <sstream>

#include "gnuplot.h"
#include "hnet/io/plot.h"

namespace hnet::io {
namespace {

constexpr const char* kWho = "plot_accuracy_curves";

std::string curves_script(
    const std::vector<double>& x, const std::vector<Curve>& curves, const std::string& title,
    const std::string& xlabel, const std::string& ylabel) {
  double low = 1;
  for (const auto& c : curves)
    low = std::min(low, *std::min_element(c.values.begin(), c.values.end()));
  low = std::max(0.0, std::floor(low * 20 - 1e-9) / 20);
  std::ostringstream s;
  s.imbue(std::locale::classic());
  s.precision(17);
  s << detail::chart_preamble(title, xlabel, ylabel) << "set yrange [" << low << ":1]\n"
    << "set grid\n"
    << "set key bottom right\n";
  // Few whole-number x values (grid points, task numbers): a tick at each.
  const bool whole = std::all_of(x.begin(), x.end(), [](double v) { return v == std::floor(v); });
  const auto [lo, hi] = std::minmax_element(x.begin(), x.end());
  if (whole && *hi - *lo <= 30) s << "set xtics 1\n";
  // One inline block per curve: x value pairs.
  for (size_t k = 0; k < curves.size(); ++k) {
    s << "$c" << k << " << EOD\n";
    for (size_t i = 0; i < x.size(); ++i) s << x[i] << " " << curves[k].values[i] << "\n";
    s << "EOD\n";
  }
  s << "plot ";
  for (size_t k = 0; k < curves.size(); ++k) {
    s << (k ? ", \\\n     " : "") << "$c" << k << " using 1:2 with linespoints pt 7 lw 2 title "
      << detail::quote(curves[k].name);
  }
  s << "\n";
  return s.str();
}

}  // namespace

namespace detail {

std::string chart_preamble(
    const std::string& title, const std::string& xlabel, const std::string& ylabel) {
  return "set encoding utf8\n"
         "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
         "  set terminal pngcairo noenhanced size 720,480 font 'sans,10'\n"
         "} else {\n"
         "  set terminal png noenhanced size 720,480\n"
         "}\n"
         "set title " +
         quote(title) + "\nset xlabel " + quote(xlabel) + "\nset ylabel " + quote(ylabel) + "\n";
}

}  // namespace detail

void plot_accuracy_curves(
    const std::string& png_path, const std::vector<double>& x, const std::vector<Curve>& curves,
    const std::string& title, const std::string& xlabel, const std::string& ylabel) {
  TORCH_CHECK(!x.empty(), kWho, ": x must not be empty");
  for (size_t i = 0; i < x.size(); ++i) {
    TORCH_CHECK(std::isfinite(x[i]), kWho, ": x[", i, "] must be finite, got ", x[i]);
  }
  TORCH_CHECK(!curves.empty(), kWho, ": curves must hold at least one curve");
  for (const auto& c : curves) {
    TORCH_CHECK(
        c.values.size() == x.size(), kWho, ": curve '", c.name, "' has ", c.values.size(),
        " values but x has ", x.size());
    for (size_t i = 0; i < c.values.size(); ++i) {
      const double v = c.values[i];
      TORCH_CHECK(
          v >= 0 && v <= 1, kWho, ": curve '", c.name, "' value [", i, "] must be in [0, 1], got ",
          v);
    }
  }
  detail::check_png_path(png_path, kWho);
  detail::render_png(png_path, curves_script(x, curves, title, xlabel, ylabel), kWho);
}

}  // namespace hnet::io
