#include "hnet/app/progress.h"

#include <c10/util/Exception.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace hnet {
namespace {

constexpr auto kRedrawInterval = std::chrono::milliseconds(100);

// snprintf rather than iostreams: the formats are fixed-width C formats, and a
// stream's locale (e.g. a decimal comma) must not leak into logs.
template <typename... Args>
std::string format(const char* fmt, Args... args) {
  char buffer[64];
  int n = std::snprintf(buffer, sizeof(buffer), fmt, args...);
  TORCH_INTERNAL_ASSERT(n >= 0 && static_cast<size_t>(n) < sizeof(buffer));
  return std::string(buffer, static_cast<size_t>(n));
}

std::string format_loss(double loss) {
  if (std::isnan(loss)) return "nan";
  if (std::isinf(loss)) return loss > 0 ? "inf" : "-inf";
  double magnitude = std::fabs(loss);
  if (loss == 0 || (magnitude >= 1e-3 && magnitude < 1e5)) return format("%.4f", loss);
  return format("%.3e", loss);
}

// m:ss below an hour, h:mm:ss from then on.
std::string format_duration(double seconds) {
  auto total = static_cast<long long>(std::llround(std::max(seconds, 0.0)));
  long long h = total / 3600, m = total / 60 % 60, s = total % 60;
  if (h > 0) return format("%lld:%02lld:%02lld", h, m, s);
  return format("%lld:%02lld", m, s);
}

double seconds_between(Progress::Clock::time_point from, Progress::Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

Progress::Progress(std::ostream& out, ProgressOptions options)
    : Progress(out, std::move(options), [] { return Clock::now(); }) {}

Progress::Progress(std::ostream& out, ProgressOptions options, NowFn now)
    : out_(out), options_(std::move(options)), now_(std::move(now)) {
  TORCH_CHECK(
      options_.line_every() > 0, "Progress: line_every must be > 0, got ", options_.line_every());
  TORCH_CHECK(options_.width() > 0, "Progress: width must be > 0, got ", options_.width());
  TORCH_CHECK(now_, "Progress: the clock function now must not be empty");
}

Progress::~Progress() {
  if (active_ && drawn_) out_ << '\n' << std::flush;
}

void Progress::start(std::string label, int64_t total) {
  TORCH_CHECK(
      total > 0, "Progress::start: total must be > 0, got ", total, " (label \"", label, "\")");
  if (active_ && drawn_) out_ << '\n';
  label_ = std::move(label);
  total_ = total;
  step_ = 0;
  has_loss_ = false;
  active_ = true;
  line_step_ = 0;
  drawn_ = false;
  drawn_length_ = 0;
  start_time_ = update_time_ = now_();
  if (options_.terminal()) {
    draw_bar(render(false, start_time_, ""), start_time_);
  }
}

void Progress::update(int64_t step, double loss) {
  TORCH_CHECK(
      active_, "Progress::update: no phase in progress; call start() first (step ", step, ")");
  TORCH_CHECK(
      step >= 1 && step <= total_, "Progress::update: step must be in [1, ", total_, "] for \"",
      label_, "\", got ", step);
  step_ = step;
  loss_ = loss;
  has_loss_ = true;
  update_time_ = now_();
  if (options_.terminal()) {
    if (!drawn_ || update_time_ - last_draw_ >= kRedrawInterval) {
      draw_bar(render(false, update_time_, ""), update_time_);
    }
  } else if (step / options_.line_every() > line_step_ / options_.line_every()) {
    line_step_ = step;
    out_ << render(false, update_time_, "") << '\n' << std::flush;
  }
}

void Progress::finish(const std::string& note) {
  TORCH_CHECK(active_, "Progress::finish: no phase in progress; call start() first");
  const Clock::time_point now = now_();
  std::string text = render(true, now, note);
  if (options_.terminal()) {
    draw_bar(text, now);
    out_ << '\n' << std::flush;
  } else {
    out_ << text << '\n' << std::flush;
  }
  active_ = false;
}

bool Progress::stdout_is_terminal() {
  if (::isatty(STDOUT_FILENO) != 1) return false;
  const char* term = std::getenv("TERM");
  return term == nullptr || std::strcmp(term, "dumb") != 0;
}

std::string Progress::render(bool final, Clock::time_point now, const std::string& note) const {
  // The label, the bar and the step counter are separated by one space; the
  // counter is padded to the width of `total` so that columns line up.
  std::string line = label_;
  if (options_.terminal()) {
    const int64_t width = options_.width();
    // floor(width * step / total) in double: width * step could overflow.
    auto filled = static_cast<int64_t>(std::floor(
        static_cast<double>(width) * static_cast<double>(step_) / static_cast<double>(total_)));
    filled = std::min(std::max<int64_t>(filled, 0), width);
    if (!line.empty()) line += ' ';
    line += '[' + std::string(filled, '#') + std::string(width - filled, '-') + ']';
  }
  if (!line.empty()) line += ' ';
  const int digits = static_cast<int>(std::to_string(total_).size());
  line +=
      format("%*lld/%lld", digits, static_cast<long long>(step_), static_cast<long long>(total_));
  line += "  loss " + (has_loss_ ? format_loss(loss_) : std::string("--"));

  const double elapsed = seconds_between(start_time_, update_time_);
  const bool rate_known = step_ > 0 && elapsed > 0;
  const double rate = rate_known ? static_cast<double>(step_) / elapsed : 0;
  line += "  " + (rate_known ? format("%.1f", rate) : std::string("--")) + " it/s";
  if (final) {
    line += "  time " + format_duration(seconds_between(start_time_, now));
  } else if (step_ == total_) {
    line += "  ETA 0:00";
  } else {
    line += "  ETA " + (rate_known ? format_duration(static_cast<double>(total_ - step_) / rate)
                                   : std::string("--:--"));
  }
  if (!note.empty()) line += "  " + note;
  return line;
}

void Progress::draw_bar(const std::string& text, Clock::time_point now) {
  out_ << '\r' << text;
  // Blank what is left of a longer previous bar.
  if (text.size() < drawn_length_) out_ << std::string(drawn_length_ - text.size(), ' ');
  out_ << std::flush;
  drawn_length_ = text.size();
  drawn_ = true;
  last_draw_ = now;
}

}  // namespace hnet
