// A labelled scatter plot on a logarithmic x axis (plot.h).

#include <c10/util/Exception.h>

#include <cmath>
#include <locale>
#include <sstream>

#include "gnuplot.h"
#include "hnet/io/plot.h"

namespace hnet::io {
namespace {

constexpr const char* kPointsWho = "plot_labelled_points";

std::string points_script(
    const std::vector<LabelledPoint>& points, const std::string& title, const std::string& xlabel,
    const std::string& ylabel) {
  std::ostringstream s;
  s.imbue(std::locale::classic());
  s.precision(17);
  s << detail::chart_preamble(title, xlabel, ylabel) << "set logscale x\n"
    << "set offsets graph 0.08, graph 0.15, graph 0.1, graph 0.1\n"
    << "set grid\n"
    << "unset key\n";
  for (size_t k = 0; k < points.size(); ++k) {
    s << "set label " << k + 1 << " " << detail::quote(points[k].label) << " at " << points[k].x
      << "," << points[k].y << " offset 0.8,0.5 noenhanced\n";
  }
  s << "$p << EOD\n";
  for (const auto& p : points) s << p.x << " " << p.y << "\n";
  s << "EOD\n"
    << "plot $p using 1:2 with points pt 7 ps 1.5\n";
  return s.str();
}

}  // namespace

void plot_labelled_points(
    const std::string& png_path, const std::vector<LabelledPoint>& points, const std::string& title,
    const std::string& xlabel, const std::string& ylabel) {
  TORCH_CHECK(!points.empty(), kPointsWho, ": points must not be empty");
  for (size_t i = 0; i < points.size(); ++i) {
    TORCH_CHECK(
        std::isfinite(points[i].x) && points[i].x > 0, kPointsWho, ": point ", i, " ('",
        points[i].label, "') needs a finite x > 0 (log scale), got ", points[i].x);
    TORCH_CHECK(
        std::isfinite(points[i].y), kPointsWho, ": point ", i, " ('", points[i].label,
        "') needs a finite y, got ", points[i].y);
  }
  detail::check_png_path(png_path, kPointsWho);
  detail::render_png(png_path, points_script(points, title, xlabel, ylabel), kPointsWho);
}

}  // namespace hnet::io
