#pragma once
/// \file
/// Data-parallel training across processes and machines on c10d's Gloo
/// process group (the engine behind PyTorch's DistributedDataParallel on
/// CPU), joined through c10d's TCP store on the master's host:port.
///
/// Every rank runs the same program on its share of a batch; after the
/// backward pass `all_reduce_gradients` sums the gradients of every rank in
/// flat buckets (DDP's default 25 MiB), so each rank's optimizer takes the
/// same step and the parameters stay equal without being sent again.
///
/// Every wait is bounded by `timeout_s`: a rank that never arrives or dies
/// mid-run makes the others throw c10::Error naming the rank count and the
/// master address instead of hanging.

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace hnet::distributed {

/// Who this process is in the group and where the group meets.
struct Rendezvous {
  int64_t world_size = 1;
  int64_t rank = 0;
  std::string host = "127.0.0.1";  ///< the master's address (rank 0 listens there)
  int port = 29500;
  double timeout_s = 60;  ///< bound on joining and on every collective
};

/// "HOST:PORT" (port in 1..65535) into host and port of `r`. Throws
/// c10::ValueError naming the text and what was expected.
void parse_master(const std::string& text, Rendezvous& r);

/// Checks a rendezvous: world_size >= 1, 0 <= rank < world_size, timeout > 0.
void check_rendezvous(const Rendezvous& r);

/// A free TCP port on the loopback interface, for ranks started on this
/// machine (the port is released before it is returned, so another process
/// may take it first: callers treat a failed join as an error, not a hang).
int free_loopback_port();

/// A joined process group. One rank alone (world_size 1) needs no network:
/// its collectives return their input.
class Communicator {
 public:
  /// Joins the group; blocks until every rank has joined or the timeout.
  explicit Communicator(const Rendezvous& r);
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int64_t rank() const {
    return rank_;
  }
  int64_t world_size() const {
    return world_size_;
  }

  /// Sums each tensor over the ranks, in place, in flat buckets of at most
  /// `bucket_bytes` (tensors must share a dtype and device).
  void all_reduce_sum(
      const std::vector<torch::Tensor>& tensors, int64_t bucket_bytes = 25 << 20) const;

  /// Copies rank `root`'s tensors into every rank's, in place.
  void broadcast(const std::vector<torch::Tensor>& tensors, int64_t root = 0) const;

 private:
  struct Group;
  int64_t rank_ = 0;
  int64_t world_size_ = 1;
  std::string where_;  ///< "host:port" for messages
  std::unique_ptr<Group> group_;
};

/// Sums the gradients of `parameters` over the ranks in place. A parameter
/// without a gradient on this rank counts as zero; one without a gradient
/// on every rank is left without one (as one process would leave it).
void all_reduce_gradients(const Communicator& comm, const std::vector<torch::Tensor>& parameters);

}  // namespace hnet::distributed
