// Which passes run at which optimization level, in which order (onnxruntime's grouping: rewrites
// valid for every provider at Basic, fusions into contrib-domain ops at Extended).
#include <gtest/gtest.h>

#include "core/kernel_registry.h"
#include "cpu_kernels.h"
#include "optimizer/optimizer.h"

namespace onyx {
namespace {

std::vector<std::string> Names(GraphOptimizationLevel level) {
  const OptimizerContext ctx{&KernelRegistry::Global(), kCpuProvider};
  std::vector<std::string> names;
  for (const auto& p : PassesForLevel(level, ctx)) names.push_back(p->name());
  return names;
}

TEST(OptimizerLevels, PassesPerLevel) {
  EXPECT_TRUE(Names(GraphOptimizationLevel::DisableAll).empty());
  const std::vector<std::string> basic = {"ConstantFolding", "RedundantNodeElimination", "TransposeElimination",
                                          "CommonSubexpressionElimination", "ConvFolding", "MatMulAddFusion",
                                          "DeadNodeElimination"};
  EXPECT_EQ(Names(GraphOptimizationLevel::EnableBasic), basic);
  std::vector<std::string> extended = basic;
  extended.push_back("AttentionFusion");
  extended.push_back("LayerNormFusion");
  extended.push_back("GeluFusion");
  extended.push_back("BiasGeluFusion");
  extended.push_back("SkipLayerNormFusion");
  extended.push_back("MatMulScaleFusion");
  extended.push_back("QuickGeluFusion");
  extended.push_back("ConvActivationFusion");
  extended.push_back("GemmActivationFusion");
  EXPECT_EQ(Names(GraphOptimizationLevel::EnableExtended), extended);
  EXPECT_EQ(Names(GraphOptimizationLevel::EnableAll), extended);
}

}  // namespace
}  // namespace onyx
