#pragma once
#include <string>
#include <vector>

#include "core/kernel_registry.h"
#include "graph/graph.h"
#include "onyx/session.h"

namespace onyx {

// A rewrite of the IR. Returns true if it changed the graph.
class Pass {
 public:
  virtual ~Pass() = default;
  virtual const char* name() const = 0;
  virtual bool Run(Graph& graph) const = 0;
};

struct OptimizerContext {
  const KernelRegistry* registry;
  std::string provider;  // kernels used to fold constants
  // The session's providers, in priority order (empty: `provider` alone). Fusions into ops that
  // not every provider implements check them, so that no node lands where it cannot run.
  std::vector<std::string> providers = {};
};

// The passes enabled at `level`, in the order they run. The order lives here, not in comments.
std::vector<std::unique_ptr<Pass>> PassesForLevel(GraphOptimizationLevel level, const OptimizerContext& ctx);

// Runs the passes until none changes the graph (bounded), re-validating after each change.
void OptimizeGraph(Graph& graph, GraphOptimizationLevel level, const OptimizerContext& ctx);

std::unique_ptr<Pass> MakeConstantFolding(const OptimizerContext& ctx);
std::unique_ptr<Pass> MakeDeadNodeElimination();
std::unique_ptr<Pass> MakeRedundantNodeElimination();
std::unique_ptr<Pass> MakeTransposeElimination();
std::unique_ptr<Pass> MakeCommonSubexpressionElimination();
std::unique_ptr<Pass> MakeConvFolding();
std::unique_ptr<Pass> MakeMatMulAddFusion();
std::unique_ptr<Pass> MakeLayerNormFusion();
std::unique_ptr<Pass> MakeGeluFusion();
std::unique_ptr<Pass> MakeQuickGeluFusion(const OptimizerContext& ctx);
std::unique_ptr<Pass> MakeBiasGeluFusion(const OptimizerContext& ctx);
std::unique_ptr<Pass> MakeSkipLayerNormFusion(const OptimizerContext& ctx);
std::unique_ptr<Pass> MakeMatMulScaleFusion(const OptimizerContext& ctx);
std::unique_ptr<Pass> MakeConvActivationFusion(const OptimizerContext& ctx);
std::unique_ptr<Pass> MakeGemmActivationFusion(const OptimizerContext& ctx);
std::unique_ptr<Pass> MakeAttentionFusion(const OptimizerContext& ctx);

}  // namespace onyx
