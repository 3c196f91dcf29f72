#pragma once
/// \file
/// Pictures of continual-learning results, drawn by an external `gnuplot`.
///
/// The library does not link against any plotting code: it writes a gnuplot
/// script (with the data inline) to an unlinked temporary file, runs
/// `gnuplot --default-settings` found on `PATH` with that script as its
/// standard input, reads the PNG from its standard output, and stores it with
/// `write_file_atomic`. Nothing the caller passes reaches a shell; the output
/// path never appears in the script at all.

#include <string>
#include <vector>

namespace hnet::io {

/// Writes a PNG heat map of an accuracy matrix to `png_path`.
///
/// `acc[i][j]` is the accuracy on task j after learning task i (both counted
/// from 0 here, labelled from 1 in the picture): rows run down the
/// "after learning task" axis, columns along the "evaluated on task" axis.
/// Each known cell is coloured on a fixed [0, 1] scale (a viridis-like palette,
/// with a colour bar) and shows its value to three decimals ("0.987"), in
/// black or, on dark cells, white. NaN cells (tasks not yet seen) are left
/// blank on a light grey background. The matrix need not be square. Cells
/// are square and about 56 pixels wide; the canvas is capped at 4096 pixels a
/// side, so above roughly 60 tasks the printed values start to overlap.
/// `title` is printed literally (no gnuplot markup; quotes, backslashes and
/// backquotes are safe; control characters become spaces).
///
/// Uses the `pngcairo` terminal when gnuplot has it, else the `png` one.
///
/// requires: `acc` has at least one row and one column, all rows equally
///           long, every entry in [0, 1] or NaN; the folder of `png_path`
///           exists; gnuplot is installed (see `gnuplot_available`).
/// ensures:  on success `png_path` holds the complete PNG (written to a
///           temporary name in the same folder, then renamed over it). On any
///           failure `png_path` is untouched, no temporary file is left, and
///           a `c10::Error` names the bad argument and value: the shape
///           (e.g. "rows of lengths [3, 2, 3]"), the entry (e.g.
///           "acc[1][2] ... got 98.7"), the missing folder, or the gnuplot
///           command with the first meaningful line of its error output.
///
/// Example:
///   hnet::io::plot_accuracy_matrix("runs/split_mnist/acc.png", acc, "Split MNIST, HNET");
void plot_accuracy_matrix(
    const std::string& png_path, const std::vector<std::vector<double>>& acc,
    const std::string& title);

/// One named line of `plot_accuracy_curves`: a value per x.
struct Curve {
  std::string name;
  std::vector<double> values;
};

/// Writes a PNG line plot of accuracies against `x` (e.g. network width) to
/// `png_path`: one line with point markers per curve, named in a key, on a
/// y axis from the lowest value (rounded down to 0.05) to 1 above it, capped
/// at 1. `title`, `xlabel` and `ylabel` are printed literally, as in
/// plot_accuracy_matrix. Whole-number x values spanning at most 30 get a tick
/// each.
///
/// requires: x non-empty and finite; at least one curve, each with one value
///           per x, every value in [0, 1]; as plot_accuracy_matrix for the
///           path and gnuplot.
/// ensures:  as plot_accuracy_matrix: the complete PNG or an untouched path
///           and a c10::Error naming the curve and index of a bad value.
///
/// Example:
///   plot_accuracy_curves("acc.png", {32, 64}, {{"generated", {0.85, 0.86}}}, "NeuMeta", "width");
void plot_accuracy_curves(
    const std::string& png_path, const std::vector<double>& x, const std::vector<Curve>& curves,
    const std::string& title, const std::string& xlabel,
    const std::string& ylabel = "test accuracy");

/// One labelled point of `plot_labelled_points`.
struct LabelledPoint {
  std::string label;
  double x = 0, y = 0;
};

/// Writes a PNG scatter plot of `points`, each with its label beside it, on
/// a logarithmic x axis (e.g. trainable parameters against Delta_m).
/// Labels and titles are printed literally, as in plot_accuracy_matrix.
///
/// requires: at least one point; every x finite and > 0, every y finite; as
///           plot_accuracy_matrix for the path and gnuplot.
/// ensures:  as plot_accuracy_matrix: the complete PNG or an untouched path
///           and a c10::Error naming the bad point.
void plot_labelled_points(
    const std::string& png_path, const std::vector<LabelledPoint>& points, const std::string& title,
    const std::string& xlabel, const std::string& ylabel);

/// True when `gnuplot` can be run: `gnuplot --version`, found on `PATH`,
/// starts and exits with status 0.
bool gnuplot_available();

}  // namespace hnet::io
