#pragma once
// A forward convolution on cuDNN's graph (backend) API, with its epilogue in the same graph:
//   Y = [relu](conv(X, W) [+ B] [+ Z])
// The execution plan is built once per shape (heuristics, then finalizing the first engine that
// takes the graph) and each run only binds pointers and executes. cuDNN 9 implements the legacy
// calls (cudnnConvolutionForward and friends) on top of this API, rebuilding plans on every call,
// which costs more host time per convolution than most of ResNet-50's convolutions take on an
// H200; this path removes that cost.
#include <cudnn.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "onyx/tensor.h"

namespace onyx::cuda {

struct ConvGraphSpec {
  DataType dtype = DataType::Float;           // Float or Float16 (X, W, B, Z, Y)
  std::vector<int64_t> x, w, y;               // N C spatial..., M C kernel..., N M out... (4 or 5 dims)
  std::vector<int64_t> pads, strides, dilations;  // per spatial dim; pads on both sides
  bool bias = false, addend = false, relu = false;
  bool allow_tf32 = true;                     // float: tensor-core engines (TF32) allowed
};

class ConvGraphPlan {
 public:
  // Milliseconds one execution of a candidate plan takes (infinity where it fails).
  using Timer = std::function<float(const ConvGraphPlan&)>;

  // The plan of `spec` with its whole epilogue, or, where no engine takes that, of the bare
  // convolution (fused() false: bias, addend and activation are the caller's); nullptr where no
  // engine takes even that. Of the first `candidates` engines that the heuristics rank and that
  // take the graph, the one `time` finds fastest (the first where there is one candidate).
  static std::unique_ptr<ConvGraphPlan> Build(cudnnHandle_t handle, const ConvGraphSpec& spec, int candidates,
                                              const Timer& time);
  ~ConvGraphPlan();
  ConvGraphPlan(const ConvGraphPlan&) = delete;
  ConvGraphPlan& operator=(const ConvGraphPlan&) = delete;

  bool fused() const { return fused_; }
  size_t workspace() const { return workspace_; }
  // Runs on the handle's stream. b and z only where the plan is fused and the spec has them.
  void Execute(cudnnHandle_t handle, const void* x, const void* w, const void* b, const void* z, void* y,
               void* workspace) const;

 private:
  ConvGraphPlan() = default;
  struct Descriptors;                  // destroys what it holds
  std::shared_ptr<Descriptors> graph_;  // the graph the plan executes (shared by the candidates)
  cudnnBackendDescriptor_t plan_ = nullptr;
  size_t workspace_ = 0;
  bool fused_ = false;
  bool bias_ = false, addend_ = false;
};

}  // namespace onyx::cuda
