#include "optimizer/optimizer.h"

namespace onyx {

std::vector<std::unique_ptr<Pass>> PassesForLevel(GraphOptimizationLevel level, const OptimizerContext& ctx) {
  std::vector<std::unique_ptr<Pass>> passes;
  if (level == GraphOptimizationLevel::DisableAll) return passes;
  passes.push_back(MakeConstantFolding(ctx));
  passes.push_back(MakeDeadNodeElimination());
  if (level >= GraphOptimizationLevel::EnableExtended) {
    passes.push_back(MakeLayerNormFusion());
    passes.push_back(MakeGeluFusion());
  }
  return passes;
}

void OptimizeGraph(Graph& graph, GraphOptimizationLevel level, const OptimizerContext& ctx) {
  auto passes = PassesForLevel(level, ctx);
  constexpr int kMaxRounds = 8;
  for (int round = 0; round < kMaxRounds; ++round) {
    bool changed = false;
    for (const auto& p : passes) {
      if (p->Run(graph)) {
        changed = true;
        graph.SortAndValidate();
      }
    }
    if (!changed) break;
  }
}

}  // namespace onyx
