#pragma once
/// \file
/// Human-readable training progress for long runs.
///
/// On a terminal, one bar redrawn in place with `\r`, at most about ten times
/// a second:
///
///   task 2/5 [#########-----------]  450/1000  loss 0.1234  52.3 it/s  ETA 0:11
///
/// Anywhere else (a log file, a pipe), plain lines without the bar, one every
/// `line_every` steps and one at the end of each phase, so logs stay short and
/// greppable:
///
///   task 2/5  400/1000  loss 0.1300  52.1 it/s  ETA 0:12
///   task 2/5 1000/1000  loss 0.1234  52.3 it/s  time 0:19  val acc 0.987

#include <torch/arg.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

namespace hnet {

/// How a `Progress` draws.
///
/// Example: `ProgressOptions().terminal(Progress::stdout_is_terminal()).line_every(500)`
struct ProgressOptions {
  /// Redraw one bar in place (for a terminal) rather than print plain lines.
  TORCH_ARG(bool, terminal) = false;
  /// Plain mode: a line each time the step reaches a multiple of this. > 0.
  TORCH_ARG(int64_t, line_every) = 200;
  /// Terminal mode: characters between the brackets of the bar. > 0.
  TORCH_ARG(int, width) = 20;
};

/// Reports training progress, one phase (e.g. one task) at a time:
/// `start`, then `update` after each step, then `finish`.
///
/// Fields of a line: the label; in terminal mode the bar, filled
/// `floor(width * step / total)` characters; `step/total` with the step padded
/// to the width of `total`; the last loss (`%.4f`, or `%.3e` outside
/// [1e-3, 1e5); "nan"/"inf" as such; "--" before the first update); the rate
/// `step / (time of last update - time of start)` in it/s (`%.1f`; "--" while
/// no time has passed); and the remaining time `(total - step) / rate`,
/// rounded to whole seconds, as `m:ss` or `h:mm:ss` ("--:--" while unknown).
/// The final line of a phase shows `time` (seconds since `start`) instead of
/// `ETA`, then the note.
///
/// Terminal mode draws at `start`, on an `update` when at least 100 ms have
/// passed since the last draw, and at `finish` (which ends the line with a
/// newline). Shorter redraws are padded with spaces over the previous one.
/// Plain mode prints a line on an `update` whose step reaches or passes the
/// next multiple of `line_every` (so skipped steps are fine), and at `finish`.
/// Output is flushed after every draw.
///
/// `out` must outlive the `Progress`. Not thread-safe.
///
/// Example:
///   Progress progress(std::cout, ProgressOptions().terminal(Progress::stdout_is_terminal()));
///   progress.start("task 2/5", steps);
///   for (int64_t s = 1; s <= steps; ++s) progress.update(s, train_step());
///   progress.finish("val acc 0.987");
class Progress {
 public:
  using Clock = std::chrono::steady_clock;
  /// Returns the current time. Injectable so that tests can fake the clock.
  using NowFn = std::function<Clock::time_point()>;

  /// Reports to `out`, timing with `std::chrono::steady_clock`.
  ///
  /// requires: options.line_every() > 0 and options.width() > 0.
  Progress(std::ostream& out, ProgressOptions options);
  /// As above, but reads the time from `now` (must not be empty).
  Progress(std::ostream& out, ProgressOptions options, NowFn now);
  /// In terminal mode, ends an unfinished bar with a newline so that what is
  /// printed next (e.g. an error) starts on its own line.
  ~Progress();

  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// Starts a phase (e.g. one task) of `total` steps with a label like
  /// "task 2/5", and starts its timer. An unfinished phase is abandoned
  /// (its bar, if any, ended with a newline).
  ///
  /// requires: total > 0.
  void start(std::string label, int64_t total);

  /// Step `step` (1-based) is done with training loss `loss` (NaN shows "nan").
  ///
  /// requires: a phase is in progress, and 1 <= step <= total.
  void update(int64_t step, double loss);

  /// Ends the phase: the final bar state and a newline on a terminal, a final
  /// line otherwise; `note` (e.g. "val acc 0.987") is appended if non-empty.
  ///
  /// requires: a phase is in progress.
  void finish(const std::string& note = "");

  /// True when stdout is a terminal (`isatty(1)`) and `TERM` is not "dumb".
  static bool stdout_is_terminal();

  const ProgressOptions& options() const {
    return options_;
  }

 private:
  std::string render(bool final, Clock::time_point now, const std::string& note) const;
  void draw_bar(const std::string& text, Clock::time_point now);

  std::ostream& out_;
  ProgressOptions options_;
  NowFn now_;

  std::string label_;
  int64_t total_ = 0;
  int64_t step_ = 0;
  double loss_ = 0;
  bool has_loss_ = false;
  bool active_ = false;
  // Plain mode: the step of the last line printed (0: none yet).
  int64_t line_step_ = 0;
  Clock::time_point start_time_;
  Clock::time_point update_time_;
  // Terminal mode: when the bar was last drawn and how long it was.
  Clock::time_point last_draw_;
  size_t drawn_length_ = 0;
  bool drawn_ = false;
};

}  // namespace hnet
