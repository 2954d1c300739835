#pragma once
// What RNN, GRU and LSTM share: attributes (direction, activations, clip, layout), reading the
// inputs into float buffers in layout 0, and writing the outputs back in the model's layout
// and element type. The cells themselves live in rnn_ops.cc.
#include <string>
#include <vector>

#include "cpu_kernels.h"
#include "kernel_utils.h"
#include "mlas/gemm.h"
#include "mlas/rnn_activations.h"

namespace onyx::rnn {

void RegisterRnnOps(KernelRegistry& r);  // rnn_ops.cc: RNN, GRU, LSTM

struct Activation {
  mlas::RnnActivation kind = mlas::RnnActivation::Tanh;
  float alpha = 0.f, beta = 0.f;
  void Apply(float* x, int64_t n) const { mlas::ApplyRnnActivation(kind, alpha, beta, x, n); }
};

struct RnnAttributes {
  bool forward = true, reverse = false;  // both for bidirectional
  int64_t num_directions = 1;
  int64_t hidden_size = -1;  // -1: taken from R
  float clip = 0.f;          // 0: no clipping
  int64_t layout = 0;
  // per_direction activations for direction 0, then for direction 1.
  std::vector<Activation> activations;

  RnnAttributes(const KernelInfo& info, const std::vector<std::string>& defaults);
};

// Float values of an input: the tensor's own data when it is float, else a converted copy.
class FloatValues {
 public:
  FloatValues() = default;
  explicit FloatValues(const float* p) : p_(p) {}
  explicit FloatValues(std::vector<float> v) : owned_(std::move(v)), p_(owned_.data()) {}
  FloatValues(FloatValues&& o) noexcept : owned_(std::move(o.owned_)), p_(o.p_) {}  // the buffer moves along
  FloatValues& operator=(FloatValues&& o) noexcept {
    owned_ = std::move(o.owned_);
    p_ = o.p_;
    return *this;
  }
  const float* data() const { return p_; }

 private:
  std::vector<float> owned_;
  const float* p_ = nullptr;
};

// Inputs in float, layout 0: X [seq, batch, input]; W, R, B, P as stored; states [dirs, batch, H].
struct RnnInputs {
  int64_t seq = 0, batch = 0, input_size = 0, hidden = 0, dirs = 1;
  DataType dtype = DataType::Float;
  FloatValues X, W, R, B, P;
  std::vector<float> init_h, init_c;
  std::vector<int64_t> lens;  // per batch entry, in [0, seq]
  bool has_peepholes = false;
};

// Reads and checks inputs: X, W, R, B, sequence_lens, initial_h and (LSTM) initial_c, P.
// `gates` is the number of stacked gate blocks in W/R (1 RNN, 3 GRU, 4 LSTM).
RnnInputs ReadRnnInputs(const KernelContext& ctx, const RnnAttributes& attrs, int64_t gates, bool lstm);

// Writes Y ([seq, dirs, batch, H]), Y_h and Y_c ([dirs, batch, H]) to the outputs that exist.
void WriteRnnOutputs(KernelContext& ctx, const RnnAttributes& attrs, const RnnInputs& in, const std::vector<float>& y,
                     const std::vector<float>& y_h, const std::vector<float>* y_c);

// W ([dirs, GH, I]) packed per direction when the kernel is created, when it is a float
// initializer: the input projection of every Run() then skips packing it. Empty otherwise.
std::vector<mlas::PackedB> PackInputWeights(const KernelInfo& info);

// gx[r, :] = x[r, :] * W^T + bias for rows r in [0, rows): W is [GH, I], bias [GH] or null.
// packed, when not null and of W's shape, is W packed by PackInputWeights.
void ProjectInputs(const float* x, int64_t rows, int64_t input_size, const float* w, int64_t gh, const float* bias,
                   float* gx, ThreadPool* pool, const mlas::PackedB* packed = nullptr);

}  // namespace onyx::rnn
