#include "hnet/io/atomic_file.h"

#include <c10/util/Exception.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>

#include "support/test_support.h"

namespace {

namespace fs = std::filesystem;
using hnet::io::read_file;
using hnet::io::remove_stale_temporaries;
using hnet::io::set_write_observer;
using hnet::io::write_file_atomic;
using hnet::io::WriteStage;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

class AtomicFileTest : public ::hnet::test::ScratchDirTest {
 protected:
};

TEST_F(AtomicFileTest, WritesAndReadsBackExactBytes) {
  const std::string bytes("a\0b\xff\n", 5);
  write_file_atomic(path("f.bin"), bytes);
  EXPECT_EQ(read_file(path("f.bin"), 5), bytes);
  write_file_atomic(path("empty"), "");
  EXPECT_EQ(read_file(path("empty"), 0), "");
  const std::string big(200000, 'x');  // several read chunks
  write_file_atomic(path("big"), big);
  EXPECT_EQ(read_file(path("big"), big.size()), big);
}

TEST_F(AtomicFileTest, OverwritesAndLeavesNoTemporary) {
  write_file_atomic(path("f"), "first version, longer");
  write_file_atomic(path("f"), "second");
  EXPECT_EQ(read_file(path("f"), 100), "second");
  EXPECT_EQ(listing(), std::vector<std::string>{"f"});
}

TEST_F(AtomicFileTest, MissingFolderNamesThePathAndTheReason) {
  std::string target = path("no/such/folder/f");
  EXPECT_THAT(
      [&] { write_file_atomic(target, "x"); },
      ThrowsMessage<c10::Error>(AllOf(
          HasSubstr("write_file_atomic: " + target + ": cannot create a temporary file next to it"),
          HasSubstr(": No such file or directory"))));
  EXPECT_TRUE(listing().empty());
  EXPECT_THAT(
      [&] { write_file_atomic("", "x"); },
      ThrowsMessage<c10::Error>(HasSubstr("write_file_atomic: path must not be empty")));
}

TEST_F(AtomicFileTest, FailedRenameRemovesTheTemporary) {
  // A non-empty folder cannot be replaced by a file.
  fs::create_directories(path("target"));
  std::ofstream(path("target/keep")) << "kept";
  EXPECT_THAT(
      [&] { write_file_atomic(path("target"), "x"); },
      ThrowsMessage<c10::Error>(AllOf(
          HasSubstr("write_file_atomic: " + path("target") + ": cannot rename "),
          HasSubstr(" over it: Is a directory"))));
  EXPECT_EQ(listing(), std::vector<std::string>{"target"});
  EXPECT_EQ(read_file(path("target/keep"), 100), "kept");
}

TEST_F(AtomicFileTest, FailedWriteKeepsTheOldFileAndRemovesTheTemporary) {
  write_file_atomic(path("f"), "old contents");
  // Lower this process's file-size limit so the write fails part-way with
  // EFBIG.
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  auto saved_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit low = saved;
  low.rlim_cur = 1024;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &low), 0);
  std::string message;
  try {
    write_file_atomic(path("f"), std::string(4096, 'n'));
  } catch (const c10::Error& e) {
    message = e.what_without_backtrace();
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, saved_handler);

  EXPECT_THAT(message, HasSubstr("write_file_atomic: " + path("f") + ": cannot write 4096 bytes"));
  EXPECT_THAT(message, HasSubstr("File too large"));
  EXPECT_EQ(read_file(path("f"), 100), "old contents");
  EXPECT_EQ(listing(), std::vector<std::string>{"f"});
}

TEST_F(AtomicFileTest, ReadFileErrorsNameThePath) {
  EXPECT_THAT(
      [&] { read_file(path("missing"), 10); },
      ThrowsMessage<c10::Error>(
          HasSubstr(path("missing") + ": cannot open: No such file or directory")));
  EXPECT_THAT(
      [&] { read_file(dir_.string(), 10); },
      ThrowsMessage<c10::Error>(HasSubstr(dir_.string() + ": not a regular file")));
  write_file_atomic(path("ten"), "0123456789");
  EXPECT_EQ(read_file(path("ten"), 10), "0123456789");
  EXPECT_THAT(
      [&] { read_file(path("ten"), 9); },
      ThrowsMessage<c10::Error>(
          HasSubstr(path("ten") + ": file is 10 bytes, more than the limit of 9 bytes")));
}

// The names in the folder while a write is half done.
std::vector<std::string> names_mid_write(const std::string& path, const std::string& folder) {
  std::vector<std::string> seen;
  set_write_observer([&](WriteStage stage, const std::string&) {
    if (stage != WriteStage::kHalfWritten) return;
    for (const auto& e : fs::directory_iterator(folder)) seen.push_back(e.path().filename());
  });
  write_file_atomic(path, "contents");
  set_write_observer(nullptr);
  std::sort(seen.begin(), seen.end());
  return seen;
}

TEST_F(AtomicFileTest, TemporaryNameIsUnpredictableAndKeepsTheReplacedFilesMode) {
  write_file_atomic(path("f"), "old");
  ASSERT_EQ(::chmod(path("f").c_str(), 0640), 0);
  const auto first = names_mid_write(path("f"), dir_.string());
  const auto second = names_mid_write(path("f"), dir_.string());
  ASSERT_EQ(first.size(), 2u);
  ASSERT_EQ(second.size(), 2u);
  const std::regex form("f\\.tmp\\." + std::to_string(::getpid()) + "\\.[0-9a-f]{12}");
  EXPECT_TRUE(std::regex_match(first[1], form)) << first[1];
  EXPECT_TRUE(std::regex_match(second[1], form)) << second[1];
  EXPECT_NE(first[1], second[1]);
  struct stat info {};
  ASSERT_EQ(::stat(path("f").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0640u);
  EXPECT_EQ(read_file(path("f"), 100), "contents");
}

// A pid that no process has: a child that has exited and been reaped.
pid_t dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  return child;
}

TEST_F(AtomicFileTest, RemovesOnlyStaleTemporariesItCanTellAreItsOwn) {
  const std::string dead = std::to_string(dead_pid());
  const std::string live = std::to_string(::getpid());
  auto touch = [&](const std::string& name) { std::ofstream(path(name)) << "x"; };
  touch("checkpoint.safetensors.tmp." + dead + ".0123456789ab");  // removed
  touch("summary.json.tmp." + dead + ".ba9876543210");            // removed
  touch("checkpoint.safetensors.tmp." + live + ".0123456789ab");  // writer alive
  touch("notes.txt.tmp." + dead + ".0123456789ab");               // not a name hnet writes
  touch("checkpoint.safetensors.tmp." + dead + ".7");             // not the form
  touch("outside");
  fs::create_symlink(path("outside"), path("summary.json.tmp." + dead + ".aaaaaaaaaaaa"));
  touch("linked");
  fs::create_hard_link(path("linked"), path("summary.json.tmp." + dead + ".bbbbbbbbbbbb"));

  EXPECT_EQ(remove_stale_temporaries(dir_.string(), {"checkpoint.safetensors", "summary.json"}), 2);
  std::vector<std::string> kept{
      "checkpoint.safetensors.tmp." + dead + ".7",
      "checkpoint.safetensors.tmp." + live + ".0123456789ab",
      "linked",
      "notes.txt.tmp." + dead + ".0123456789ab",
      "outside",
      "summary.json.tmp." + dead + ".aaaaaaaaaaaa",
      "summary.json.tmp." + dead + ".bbbbbbbbbbbb"};
  std::sort(kept.begin(), kept.end());
  EXPECT_EQ(listing(), kept);
  EXPECT_EQ(read_file(path("outside"), 10), "x");
  EXPECT_EQ(remove_stale_temporaries(path("missing"), {"summary.json"}), 0);
}

}  // namespace
