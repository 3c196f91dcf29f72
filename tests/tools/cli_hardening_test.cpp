// The classes of input a security review found (issue 20), each through the
// real hnet executable: exceptions of dependencies, links in run folders,
// outputs that are inputs, sizes a file or config merely claims, terminal
// control characters, and huge names. Every case exits 2 with one short line
// on stderr and leaves what it must not touch as it was.

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "hnet/app/continual_experiment.h"
#include "hnet/io/safetensors.h"
#include "support/cli_process.h"
#include "support/test_support.h"

namespace hnet {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

class CliHardeningTest : public test::TinyRunTest {
 protected:
  std::string write(const std::string& name, const std::string& bytes) {
    std::ofstream(path(name), std::ios::binary) << bytes;
    return path(name);
  }

  // A finished tiny run in `name`; its folder.
  std::string trained(const std::string& name) {
    const std::string run = path(name);
    const auto r = test::run_hnet({"train", config_, "--out", run}, {}, dir_.string());
    EXPECT_EQ(r.status, 0) << r.err;
    return run;
  }

  // `hnet args...` must exit 2 with one line holding `message`, no longer
  // than the CLI's cap.
  void expect_bad_input(const std::vector<std::string>& args, const std::string& message) {
    std::string joined;
    for (const auto& a : args) joined += " " + a.substr(0, 80);
    SCOPED_TRACE("hnet" + joined);
    const auto r = test::run_hnet(args, {}, dir_.string());
    EXPECT_EQ(r.status, 2) << r.err.substr(0, 2000);
    EXPECT_EQ(test::line_count(r.err), 1) << r.err.substr(0, 2000);
    EXPECT_LT(r.err.size(), 1000u);
    EXPECT_THAT(r.err, HasSubstr(message));
  }
};

// Class 1: a JSON number out of double's range, a name too long, a loop of
// links, and damaged checkpoint metadata are bad input, not exit 1.
TEST_F(CliHardeningTest, ExceptionsOfDependenciesAreBadInput) {
  const std::string header = R"({"a":{"dtype":"F32","shape":[1e400],"data_offsets":[0,4]}})";
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((header.size() >> (8 * i)) & 0xFF);
  const std::string huge = write("huge.safetensors", bytes + header + "abcd");
  expect_bad_input({"inspect", huge}, "header is not valid JSON");

  expect_bad_input({"train", "--resume", path(std::string(300, 'n'))}, "File name too long");
  fs::create_symlink(path("loop"), path("loop"));
  expect_bad_input({"train", "--resume", path("loop/run")}, "Too many levels of symbolic links");
  expect_bad_input(
      {"train", config_, "--out", path("loop/run")},
      "checkpoint.safetensors: cannot check it: Too many levels of symbolic links");
  expect_bad_input(
      {"generate", trained("exported") + "/checkpoint.safetensors", "--task", "1", "--out",
       path("no/such/folder/w.safetensors")},
      "cannot create a temporary file next to it: No such file or directory");

  const std::string run = trained("run");
  const std::string ckpt = run + "/checkpoint.safetensors";
  const auto file = io::load_safetensors(ckpt);
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"wall_seconds", "nan"},
           {"wall_seconds", "12x"},
           {"acc_matrix", "[[null]]"},
           {"acc_matrix", "[[1e400]]"},
           {"train_steps", "-3"}}) {
    auto meta = file.metadata;
    meta[key] = value;
    io::save_safetensors(ckpt, file.tensors, meta);
    expect_bad_input({"train", "--resume", run}, "damaged run metadata");
  }
}

// Class 2: a link, FIFO or device where a run writes its metrics log is
// refused, and what it points to is never written or truncated.
TEST_F(CliHardeningTest, RunFilesAreNeverWrittenThroughLinks) {
  const std::string victim = write("victim.txt", "precious\n");
  fs::create_directories(path("reused"));
  fs::create_symlink(victim, path("reused/metrics.jsonl"));
  expect_bad_input({"train", config_, "--out", path("reused")}, "metrics.jsonl is a symbolic link");
  EXPECT_EQ(test::slurp(victim), "precious\n");
  EXPECT_FALSE(fs::exists(path("reused/config.yaml")));  // refused before writing anything
  fs::remove(path("reused/metrics.jsonl"));
  fs::create_hard_link(victim, path("reused/metrics.jsonl"));
  expect_bad_input({"train", config_, "--out", path("reused")}, "another hard link");
  EXPECT_EQ(test::slurp(victim), "precious\n");

  fs::create_directories(path("fifo"));
  ASSERT_EQ(::mkfifo(path("fifo/metrics.jsonl").c_str(), 0600), 0);
  expect_bad_input({"train", config_, "--out", path("fifo")}, "metrics.jsonl is a FIFO");

  const std::string run = trained("run");  // resume cuts the log back: must not follow a link
  fs::remove(run + "/metrics.jsonl");
  fs::create_symlink(victim, run + "/metrics.jsonl");
  expect_bad_input({"train", "--resume", run}, "metrics.jsonl is a symbolic link");
  EXPECT_EQ(test::slurp(victim), "precious\n");
  fs::remove(run + "/metrics.jsonl");
  fs::create_symlink("/dev/null", run + "/metrics.jsonl");
  expect_bad_input({"train", "--resume", run}, "metrics.jsonl is a symbolic link");
}

// Class 3: an output that is one of the command's inputs, directly or
// through a link.
TEST_F(CliHardeningTest, OutputsNeverReplaceInputs) {
  const std::string run = trained("run");
  const std::string ckpt = run + "/checkpoint.safetensors";
  const std::string before = test::slurp(ckpt);
  fs::create_symlink(ckpt, path("alias.safetensors"));
  expect_bad_input({"generate", ckpt, "--task", "1", "--out", ckpt}, "is the input");
  expect_bad_input(
      {"generate", ckpt, "--task", "1", "--out", path("alias.safetensors")}, "is the input");
  EXPECT_EQ(test::slurp(ckpt), before);

  // The config read is config.yaml of the folder the run would write into.
  fs::create_directories(path("here"));
  fs::copy_file(config_, path("here/config.yaml"));
  const std::string text = test::slurp(path("here/config.yaml"));
  expect_bad_input({"train", path("here/config.yaml"), "--out", path("here")}, "is the input");
  EXPECT_EQ(test::slurp(path("here/config.yaml")), text);
}

// Class 5: sizes a file or configuration claims are checked before anything
// of that size is allocated.
TEST_F(CliHardeningTest, ClaimedSizesAreCheckedBeforeAllocating) {
  // A sparse 40 GiB file: the header is read and rejected first.
  const std::string sparse = write("sparse.safetensors", std::string("\x10\0\0\0\0\0\0\0", 8));
  ASSERT_EQ(::truncate(sparse.c_str(), off_t{40} << 30), 0);
  expect_bad_input({"inspect", sparse}, "header is not valid JSON");
  ASSERT_EQ(::truncate(sparse.c_str(), off_t{65} << 30), 0);
  expect_bad_input({"inspect", sparse}, "more than the limit of");

  const std::string out = path("out");
  expect_bad_input({"train", config_, "target.hidden=[2000000]", "--out", out}, "must be <= 65536");
  expect_bad_input({"train", config_, "tasks=10000000", "--out", out}, "must be <= 1000");
  expect_bad_input({"train", config_, "threads=3000000000", "--out", out}, "must be <= 1024");
  std::string widths = "target.hidden=[1";
  for (int i = 0; i < 64; ++i) widths += ", 1";
  expect_bad_input({"train", config_, widths + "]", "--out", out}, "at most 64 elements");
  const std::string neumeta = write("neumeta.yaml", "threads: 1\n");
  expect_bad_input(
      {"neumeta", neumeta, "generator.octaves=5000000000", "--out", out}, "must be <= 30");
  expect_bad_input(
      {"train", config_, "method=separate", "target.hidden=[65536, 65536]", "--out", out},
      "limits.max_parameters");
  expect_bad_input(
      {"train", config_, "generator.kind=full", "limits.max_parameters=1000", "--out", out},
      "more than config key 'limits.max_parameters' allows (1000)");
  EXPECT_FALSE(fs::exists(out));

  // A header that claims 40 GiB of data in a sparse file of that size is
  // valid: inspect reads the header only.
  const std::string claim =
      R"({"big":{"dtype":"U8","shape":[42949672960],"data_offsets":[0,42949672960]}})";
  std::string prefix(8, '\0');
  for (int i = 0; i < 8; ++i) prefix[i] = static_cast<char>((claim.size() >> (8 * i)) & 0xFF);
  const std::string big = write("big.safetensors", prefix + claim);
  ASSERT_EQ(::truncate(big.c_str(), static_cast<off_t>(8 + claim.size()) + (off_t{40} << 30)), 0);
  const auto shown = test::run_hnet({"inspect", big}, {}, dir_.string());
  EXPECT_EQ(shown.status, 0) << shown.err;
  EXPECT_EQ(shown.out, "big\tByte\t[42949672960]\n");

  const std::string empty_hidden = write("empty.yaml", "threads: 1\ngenerator:\n  hidden: []\n");
  expect_bad_input({"neumeta", empty_hidden, "--out", out}, "'generator.hidden' must list");

  // A checkpoint whose config claims a huge model, and a limit to match:
  // refused before building, by what the file holds.
  const std::string run = trained("run");
  const std::string ckpt = run + "/checkpoint.safetensors";
  auto file = io::load_safetensors(ckpt);
  auto meta = file.metadata;
  meta["config"] = io::Config::resolve_text(
                       continual_config_schema(), meta["config"], "checkpoint",
                       {"target.kind=module", "target.hidden=[65536, 65536, 65536]",
                        "limits.max_parameters=1000000000000"})
                       .to_yaml();
  io::save_safetensors(ckpt, file.tensors, meta);
  expect_bad_input({"eval", ckpt}, "limits.max_parameters");
}

// Class 6: names and metadata reach the terminal with control characters
// escaped: no escape sequence, no extra line.
TEST_F(CliHardeningTest, InspectEscapesControlCharacters) {
  const std::string file = path("ctl.safetensors");
  io::save_safetensors(
      file, {{"w\x1b[2J\nfake\tline", torch::zeros({1})}},
      {{"note",
        "a\rb\xc2\x9b"
        "31mc"}});
  const auto r = test::run_hnet({"inspect", file}, {}, dir_.string());
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(test::line_count(r.out), 2) << r.out;
  EXPECT_THAT(r.out, Not(HasSubstr("\x1b")));
  EXPECT_THAT(r.out, Not(HasSubstr("\r")));
  EXPECT_THAT(r.out, Not(HasSubstr("\xc2\x9b")));
  EXPECT_THAT(r.out, HasSubstr("w\\x1b[2J\\nfake\\tline\tFloat\t[1]"));
  EXPECT_THAT(r.out, HasSubstr("# note: a\\rb\\u009b31mc"));
}

// Class 7: a name of megabytes in a checkpoint gives a short message, fast
// (the nearest-name search is bounded).
TEST_F(CliHardeningTest, HugeNamesGiveShortMessages) {
  const std::string run = trained("run");
  const std::string ckpt = run + "/checkpoint.safetensors";
  auto file = io::load_safetensors(ckpt);
  file.tensors.front().first += std::string(4 << 20, 'x');
  io::save_safetensors(ckpt, file.tensors, file.metadata);
  expect_bad_input({"eval", ckpt}, "no tensor named");
}

}  // namespace
}  // namespace hnet
