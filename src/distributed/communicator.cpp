#include "hnet/distributed/communicator.h"

#define USE_C10D_GLOO 1
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "hnet/errors.h"

namespace hnet::distributed {
namespace {

std::chrono::milliseconds to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

// The interface Gloo binds to: GLOO_SOCKET_IFNAME when set (as in
// PyTorch), loopback for a loopback master, else this host's address.
std::shared_ptr<::gloo::transport::Device> gloo_device(const std::string& master) {
  if (const char* name = std::getenv("GLOO_SOCKET_IFNAME"); name && *name) {
    return c10d::ProcessGroupGloo::createDeviceForInterface(name);
  }
  if (is_loopback(master)) return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

}  // namespace

void parse_master(const std::string& text, Rendezvous& r) {
  const auto colon = text.rfind(':');
  const auto fail = [&] {
    HNET_CHECK_INPUT(
        false, "--master: expected HOST:PORT with a port in 1..65535, got '", text, "'");
  };
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) fail();
  const std::string port = text.substr(colon + 1);
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) fail();
  const int p = std::stoi(port);
  if (p < 1 || p > 65535) fail();
  r.host = text.substr(0, colon);
  r.port = p;
}

void check_rendezvous(const Rendezvous& r) {
  HNET_CHECK_INPUT(r.world_size >= 1, "--world-size must be >= 1, got ", r.world_size);
  HNET_CHECK_INPUT(
      r.rank >= 0 && r.rank < r.world_size, "--rank must be in 0..", r.world_size - 1,
      " (world size ", r.world_size, "), got ", r.rank);
  HNET_CHECK_INPUT(r.timeout_s > 0, "distributed timeout must be > 0 s, got ", r.timeout_s);
  HNET_CHECK_INPUT(!r.host.empty(), "--master: empty host");
}

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  TORCH_CHECK(fd >= 0, "distributed: cannot open a socket to find a free port");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  TORCH_CHECK(ok, "distributed: cannot bind a loopback socket to find a free port");
  return ntohs(addr.sin_port);
}

struct Communicator::Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
  std::chrono::milliseconds timeout;
};

Communicator::Communicator(const Rendezvous& r)
    : rank_(r.rank), world_size_(r.world_size), where_(r.host + ":" + std::to_string(r.port)) {
  check_rendezvous(r);
  if (world_size_ == 1) return;
  auto g = std::make_unique<Group>();
  g->timeout = to_ms(r.timeout_s);
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(r.port);
    so.isServer = r.rank == 0;
    so.numWorkers = static_cast<std::size_t>(r.world_size);
    so.waitWorkers = true;
    so.timeout = g->timeout;
    g->store = c10::make_intrusive<c10d::TCPStore>(r.host, so);
    auto options = c10d::ProcessGroupGloo::Options::create(g->timeout);
    options->devices.push_back(gloo_device(r.host));
    g->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(
        g->store, static_cast<int>(r.rank), static_cast<int>(r.world_size), options);
  } catch (const std::exception& e) {
    TORCH_CHECK(
        false, "distributed: rank ", r.rank, " of ", r.world_size, " could not join the group at ",
        where_, " within ", r.timeout_s, " s (", c10::GetExceptionString(e), ")");
  }
  group_ = std::move(g);
}

Communicator::~Communicator() = default;

void Communicator::all_reduce_sum(
    const std::vector<torch::Tensor>& tensors, int64_t bucket_bytes) const {
  if (world_size_ == 1 || tensors.empty()) return;
  size_t begin = 0;
  while (begin < tensors.size()) {
    // One bucket: consecutive tensors up to bucket_bytes (at least one).
    size_t end = begin;
    int64_t bytes = 0;
    do {
      bytes += tensors[end].numel() * tensors[end].element_size();
      ++end;
    } while (end < tensors.size() &&
             bytes + tensors[end].numel() * tensors[end].element_size() <= bucket_bytes);
    std::vector<torch::Tensor> flat_parts;
    for (size_t i = begin; i < end; ++i) flat_parts.push_back(tensors[i].reshape({-1}));
    std::vector<at::Tensor> bucket{torch::cat(flat_parts)};
    try {
      group_->pg->allreduce(bucket)->wait(group_->timeout);
    } catch (const std::exception& e) {
      TORCH_CHECK(
          false, "distributed: all-reduce among ", world_size_, " ranks (master ", where_,
          ") failed on rank ", rank_, ": a rank stopped or did not answer (",
          c10::GetExceptionString(e), ")");
    }
    int64_t offset = 0;
    for (size_t i = begin; i < end; ++i) {
      const int64_t n = tensors[i].numel();
      tensors[i].copy_(bucket[0].narrow(0, offset, n).view_as(tensors[i]));
      offset += n;
    }
    begin = end;
  }
}

void Communicator::broadcast(const std::vector<torch::Tensor>& tensors, int64_t root) const {
  if (world_size_ == 1) return;
  for (const auto& t : tensors) {
    std::vector<at::Tensor> one{t.contiguous()};
    c10d::BroadcastOptions opts;
    opts.rootRank = root;
    try {
      group_->pg->broadcast(one, opts)->wait(group_->timeout);
    } catch (const std::exception& e) {
      TORCH_CHECK(
          false, "distributed: broadcast among ", world_size_, " ranks (master ", where_,
          ") failed on rank ", rank_, ": a rank stopped or did not answer (",
          c10::GetExceptionString(e), ")");
    }
    if (!one[0].is_same(t)) t.copy_(one[0]);
  }
}

void all_reduce_gradients(const Communicator& comm, const std::vector<torch::Tensor>& parameters) {
  if (comm.world_size() == 1 || parameters.empty()) return;
  torch::NoGradGuard no_grad;
  // Which parameters got a gradient on any rank: the others stay without
  // one, as in a single process (where Adam skips them).
  std::vector<float> has_grad;
  std::vector<torch::Tensor> grads;
  for (const auto& p : parameters) {
    has_grad.push_back(p.grad().defined() ? 1.0f : 0.0f);
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    grads.push_back(p.grad());
  }
  auto used = torch::tensor(has_grad);
  comm.all_reduce_sum({used});
  comm.all_reduce_sum(grads);
  const auto anywhere = used.accessor<float, 1>();
  for (size_t i = 0; i < parameters.size(); ++i) {
    if (anywhere[static_cast<int64_t>(i)] == 0) parameters[i].mutable_grad().reset();
  }
}

}  // namespace hnet::distributed
