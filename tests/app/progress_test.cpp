#include "hnet/app/progress.h"

#include <c10/util/Exception.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <sstream>
#include <vector>

namespace hnet {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

// A clock that only moves when the test says so.
struct FakeClock {
  std::chrono::milliseconds elapsed{0};
  Progress::NowFn fn() {
    return [this] { return Progress::Clock::time_point() + elapsed; };
  }
  void advance_ms(int64_t ms) {
    elapsed += std::chrono::milliseconds(ms);
  }
};

// The pieces of terminal output between carriage returns.
std::vector<std::string> redraws(const std::string& out) {
  std::vector<std::string> parts;
  std::stringstream stream(out);
  std::string part;
  while (std::getline(stream, part, '\r')) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

TEST(Progress, PlainModePrintsEveryLineEveryStepsAndAtFinish) {
  FakeClock clock;
  std::ostringstream out;
  Progress progress(out, ProgressOptions().line_every(4), clock.fn());
  progress.start("task 1/2", 10);
  for (int64_t step = 1; step <= 10; ++step) {
    clock.advance_ms(500);  // 2 it/s
    progress.update(step, 1.0 / static_cast<double>(step));
  }
  clock.advance_ms(250);
  progress.finish("val acc 0.987");
  EXPECT_EQ(
      out.str(),
      "task 1/2  4/10  loss 0.2500  2.0 it/s  ETA 0:03\n"
      "task 1/2  8/10  loss 0.1250  2.0 it/s  ETA 0:01\n"
      "task 1/2 10/10  loss 0.1000  2.0 it/s  time 0:05  val acc 0.987\n");
}

TEST(Progress, PlainModeHandlesSkippedStepsAndSpecialLosses) {
  FakeClock clock;
  std::ostringstream out;
  Progress progress(out, ProgressOptions().line_every(5), clock.fn());
  progress.start("run", 20);
  clock.advance_ms(1000);
  progress.update(3, std::nan(""));  // no multiple of 5 reached yet
  clock.advance_ms(1000);
  progress.update(7, std::numeric_limits<double>::infinity());  // passed 5
  clock.advance_ms(1000);
  progress.update(9, 0.5);                                        // still before 10
  progress.update(12, -std::numeric_limits<double>::infinity());  // passed 10
  progress.finish();
  EXPECT_EQ(
      out.str(),
      "run  7/20  loss inf  3.5 it/s  ETA 0:04\n"
      "run 12/20  loss -inf  4.0 it/s  ETA 0:02\n"
      "run 12/20  loss -inf  4.0 it/s  time 0:03\n");
}

TEST(Progress, FormatsLossesRatesAndDurations) {
  FakeClock clock;
  std::ostringstream out;
  Progress progress(out, ProgressOptions().line_every(1), clock.fn());
  progress.start("", 3700);
  progress.finish();  // nothing known yet
  EXPECT_EQ(out.str(), "   0/3700  loss --  -- it/s  time 0:00\n");

  struct Case {
    int64_t total;
    double loss;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {100, std::nan(""), "  1/100  loss nan  1.0 it/s  ETA 1:39\n"},
      {3700, 0.0, "   1/3700  loss 0.0000  1.0 it/s  ETA 1:01:39\n"},
      {100000, -0.5, "     1/100000  loss -0.5000  1.0 it/s  ETA 27:46:39\n"},
      {2, 1e-5, "1/2  loss 1.000e-05  1.0 it/s  ETA 0:01\n"},
      {2, 123456.0, "1/2  loss 1.235e+05  1.0 it/s  ETA 0:01\n"},
      {1, 99999.0, "1/1  loss 99999.0000  1.0 it/s  ETA 0:00\n"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("total " + std::to_string(c.total) + ", loss " + std::to_string(c.loss));
    out.str("");
    progress.start("", c.total);
    clock.advance_ms(1000);
    progress.update(1, c.loss);
    EXPECT_EQ(out.str(), c.expected);
  }
}

TEST(Progress, TerminalModeRedrawsAtMostEvery100Milliseconds) {
  FakeClock clock;
  std::ostringstream out;
  Progress progress(out, ProgressOptions().terminal(true).width(10), clock.fn());
  progress.start("task 1/1", 1000);
  for (int64_t step = 1; step <= 1000; ++step) {
    clock.advance_ms(10);  // 100 it/s, 10 s in all
    progress.update(step, 0.5);
  }
  progress.finish("done");

  const std::string text = out.str();
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.front(), '\r');
  EXPECT_EQ(text.find('\n'), text.size() - 1) << "only the final newline";
  auto parts = redraws(text.substr(0, text.size() - 1));
  // The start, one per 100 ms of the 10 s, and the final state.
  ASSERT_EQ(parts.size(), 1u + 100u + 1u);
  EXPECT_EQ(parts[0], "task 1/1 [----------]    0/1000  loss --  -- it/s  ETA --:--");
  EXPECT_EQ(parts[1], "task 1/1 [----------]   10/1000  loss 0.5000  100.0 it/s  ETA 0:10");
  EXPECT_EQ(parts[2], "task 1/1 [----------]   20/1000  loss 0.5000  100.0 it/s  ETA 0:10");
  EXPECT_EQ(parts[50], "task 1/1 [#####-----]  500/1000  loss 0.5000  100.0 it/s  ETA 0:05");
  EXPECT_EQ(parts[100], "task 1/1 [##########] 1000/1000  loss 0.5000  100.0 it/s  ETA 0:00");
  EXPECT_EQ(
      parts[101], "task 1/1 [##########] 1000/1000  loss 0.5000  100.0 it/s  time 0:10  done");
}

TEST(Progress, TerminalModeBlanksTheRestOfALongerPreviousBar) {
  FakeClock clock;
  std::ostringstream out;
  Progress progress(out, ProgressOptions().terminal(true).width(4), clock.fn());
  progress.start("t", 10);
  clock.advance_ms(200);
  progress.update(1, 123.4567);
  clock.advance_ms(200);
  progress.update(2, std::nan(""));
  auto parts = redraws(out.str());
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[1], "t [----]  1/10  loss 123.4567  5.0 it/s  ETA 0:02");
  EXPECT_EQ(parts[2], "t [----]  2/10  loss nan  5.0 it/s  ETA 0:02     ");
}

TEST(Progress, TerminalModeEndsAnAbandonedBarWithANewline) {
  FakeClock clock;
  std::ostringstream out;
  {
    Progress progress(out, ProgressOptions().terminal(true).width(2), clock.fn());
    progress.start("a", 2);
    progress.start("b", 2);  // "a" abandoned, e.g. after an exception
  }
  EXPECT_EQ(
      out.str(),
      "\ra [--] 0/2  loss --  -- it/s  ETA --:--\n"
      "\rb [--] 0/2  loss --  -- it/s  ETA --:--\n");
}

TEST(Progress, RejectsBadArgumentsNamingTheValue) {
  std::ostringstream out;
  EXPECT_THAT(
      [&] { Progress(out, ProgressOptions().line_every(0)); },
      ThrowsMessage<c10::Error>(HasSubstr("Progress: line_every must be > 0, got 0")));
  EXPECT_THAT(
      [&] { Progress(out, ProgressOptions().width(-3)); },
      ThrowsMessage<c10::Error>(HasSubstr("Progress: width must be > 0, got -3")));
  EXPECT_THAT(
      [&] { Progress(out, ProgressOptions(), Progress::NowFn()); },
      ThrowsMessage<c10::Error>(HasSubstr("Progress: the clock function now must not be empty")));

  Progress progress(out, ProgressOptions());
  EXPECT_THAT(
      [&] { progress.update(1, 0.0); },
      ThrowsMessage<c10::Error>(
          HasSubstr("Progress::update: no phase in progress; call start() first (step 1)")));
  EXPECT_THAT(
      [&] { progress.finish(); },
      ThrowsMessage<c10::Error>(
          HasSubstr("Progress::finish: no phase in progress; call start() first")));
  EXPECT_THAT(
      [&] { progress.start("task 3/5", 0); },
      ThrowsMessage<c10::Error>(
          HasSubstr("Progress::start: total must be > 0, got 0 (label \"task 3/5\")")));

  progress.start("task 3/5", 5);
  EXPECT_THAT(
      [&] { progress.update(0, 0.0); },
      ThrowsMessage<c10::Error>(
          HasSubstr("Progress::update: step must be in [1, 5] for \"task 3/5\", got 0")));
  EXPECT_THAT(
      [&] { progress.update(6, 0.0); },
      ThrowsMessage<c10::Error>(HasSubstr("step must be in [1, 5] for \"task 3/5\", got 6")));
  progress.finish();
  EXPECT_THAT(
      [&] { progress.finish(); },
      ThrowsMessage<c10::Error>(HasSubstr("Progress::finish: no phase in progress")));
}

TEST(Progress, DumbTerminalIsNotATerminal) {
  const char* old = std::getenv("TERM");
  std::optional<std::string> saved = old ? std::optional<std::string>(old) : std::nullopt;
  ::setenv("TERM", "dumb", 1);
  EXPECT_FALSE(Progress::stdout_is_terminal());
  if (saved) {
    ::setenv("TERM", saved->c_str(), 1);
  } else {
    ::unsetenv("TERM");
  }
}

}  // namespace
}  // namespace hnet
