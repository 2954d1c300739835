#include "optimizer/optimizer.h"

namespace onyx {

std::vector<std::unique_ptr<Pass>> PassesForLevel(GraphOptimizationLevel level, const OptimizerContext& ctx) {
  std::vector<std::unique_ptr<Pass>> passes;
  if (level == GraphOptimizationLevel::DisableAll) return passes;
  // Basic (level 1): rewrites that hold for every provider and only use ai.onnx ops. Folding
  // first turns Constant nodes into initializers, which the later passes match on; no-ops and
  // transposes go before CSE so that duplicates hidden behind them become visible; the Conv and
  // MatMul fusions then see the cleaned graph.
  passes.push_back(MakeConstantFolding(ctx));
  passes.push_back(MakeRedundantNodeElimination());
  passes.push_back(MakeTransposeElimination());
  passes.push_back(MakeCommonSubexpressionElimination());
  passes.push_back(MakeConvFolding());
  passes.push_back(MakeMatMulAddFusion());
  passes.push_back(MakeDeadNodeElimination());
  if (level >= GraphOptimizationLevel::EnableExtended) {
    // First of the level-2 fusions: it matches the attention scores' MatMul and Div before any
    // fusion folds them into one node (it also matches a com.microsoft FusedMatMul there).
    passes.push_back(MakeAttentionFusion(ctx));
    passes.push_back(MakeLayerNormFusion());
    passes.push_back(MakeGeluFusion());
    // After GeluFusion, which writes the Gelu that the bias Add feeds.
    passes.push_back(MakeBiasGeluFusion(ctx));
    // After LayerNormFusion, which writes the LayerNormalization that the residual Add feeds.
    passes.push_back(MakeSkipLayerNormFusion(ctx));
    passes.push_back(MakeMatMulScaleFusion(ctx));
    // Independent of the Conv/Gemm fusions below: a Conv output that feeds both halves of
    // Mul(x, Sigmoid(x)) has two readers, so they never take its Sigmoid.
    passes.push_back(MakeQuickGeluFusion(ctx));
    // After ConvFolding and MatMulAddFusion (level 1), so that the Conv/Gemm already carries
    // the folded bias when its activation joins it.
    passes.push_back(MakeConvActivationFusion(ctx));
    passes.push_back(MakeGemmActivationFusion(ctx));
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
