#include <gtest/gtest.h>

#include "graph/shape_inference.h"
#include "model/model_loader.h"
#include "model_builder.h"

using namespace onyx;
using namespace onyx::testing;

namespace {

Model Load(const GraphBuilder& g, int64_t opset = 17) {
  std::string bytes = BuildModel(g, opset);
  Model m = LoadModelFromBytes(bytes.data(), bytes.size());
  m.graph->SortAndValidate();
  InferShapes(*m.graph);
  return m;
}

const ValueInfo& Output(const Model& m, size_t i) { return m.graph->outputs.at(i); }

std::string Dims(const ValueInfo& v) {
  if (!v.has_shape) return "?";
  std::string s;
  for (const auto& d : v.shape) s += (s.empty() ? "" : ",") + (d.is_fixed() ? std::to_string(d.value) : d.is_symbolic() ? d.symbol : "?");
  return s;
}

Tensor Ints(std::vector<int64_t> v) {
  Tensor t(DataType::Int64, {static_cast<int64_t>(v.size())});
  for (size_t i = 0; i < v.size(); ++i) t.data<int64_t>()[i] = v[i];
  return t;
}

}  // namespace

TEST(ShapeInference, BroadcastKeepsSymbols) {
  GraphBuilder g;
  g.Input("a", DataType::Float, {std::string("N"), int64_t(1), int64_t(4)}).Input("b", DataType::Float, {int64_t(3), int64_t(1)});
  g.Output("y", DataType::Float).Output("c", DataType::Bool);
  g.Node("Add", {"a", "b"}, {"y"}).Node("Less", {"a", "b"}, {"c"});
  Model m = Load(g);
  EXPECT_EQ(Dims(Output(m, 0)), "N,3,4");
  EXPECT_EQ(Output(m, 1).type_string, "tensor(bool)");
  EXPECT_EQ(Dims(Output(m, 1)), "N,3,4");
}

TEST(ShapeInference, ConvPoolGemmChain) {
  Tensor w(DataType::Float, {8, 3, 3, 3}), fc(DataType::Float, {10, 8});
  GraphBuilder g;
  g.Input("x", DataType::Float, {std::string("B"), int64_t(3), int64_t(32), int64_t(32)}).Initializer("w", w).Initializer("fc", fc);
  g.Output("y", DataType::Float);
  g.Node("Conv", {"x", "w"}, {"c"}, {IntsAttribute("pads", {1, 1, 1, 1}), IntsAttribute("strides", {2, 2})});
  g.Node("MaxPool", {"c"}, {"p"}, {IntsAttribute("kernel_shape", {2, 2}), IntsAttribute("strides", {2, 2})});
  g.Node("GlobalAveragePool", {"p"}, {"gp"}).Node("Flatten", {"gp"}, {"f"});
  g.Node("Gemm", {"f", "fc"}, {"y"}, {IntAttribute("transB", 1)});
  Model m = Load(g);
  EXPECT_EQ(Dims(Output(m, 0)), "B,10");
  bool found = false;
  for (const auto& vi : m.graph->value_info)
    if (vi.name == "p") {
      EXPECT_EQ(Dims(vi), "B,8,8,8");
      found = true;
    }
  EXPECT_TRUE(found);
}

TEST(ShapeInference, ShapeArithmeticFeedsReshape) {
  // The BERT pattern: Shape -> Gather -> Unsqueeze -> Concat -> Reshape keeps symbolic dims.
  GraphBuilder g;
  g.Input("x", DataType::Float, {std::string("batch"), std::string("seq"), int64_t(768)});
  g.Initializer("zero", Ints({0})).Initializer("one", Ints({1})).Initializer("heads", Ints({12, 64}));
  g.Output("y", DataType::Float).Output("t", DataType::Float);
  g.Node("Shape", {"x"}, {"s"}).Node("Gather", {"s", "zero"}, {"b"}).Node("Gather", {"s", "one"}, {"q"});
  g.Node("Concat", {"b", "q", "heads"}, {"target"}, {IntAttribute("axis", 0)});
  g.Node("Reshape", {"x", "target"}, {"y"});
  g.Node("Transpose", {"y"}, {"t"}, {IntsAttribute("perm", {0, 2, 1, 3})});
  Model m = Load(g);
  EXPECT_EQ(Dims(Output(m, 0)), "batch,seq,12,64");
  EXPECT_EQ(Dims(Output(m, 1)), "batch,12,seq,64");
}

TEST(ShapeInference, ReshapeMinusOneAndMatMul) {
  GraphBuilder g;
  g.Input("x", DataType::Float, {int64_t(2), int64_t(3), int64_t(4)}).Input("w", DataType::Float, {int64_t(4), int64_t(5)});
  g.Initializer("shape", Ints({-1, 4}));
  g.Output("r", DataType::Float).Output("mm", DataType::Float);
  g.Node("Reshape", {"x", "shape"}, {"r"}).Node("MatMul", {"x", "w"}, {"mm"});
  Model m = Load(g);
  EXPECT_EQ(Dims(Output(m, 0)), "6,4");
  EXPECT_EQ(Dims(Output(m, 1)), "2,3,5");
}

TEST(ShapeInference, ReductionsSqueezeUnsqueezeCast) {
  GraphBuilder g;
  g.Input("x", DataType::Float, {std::string("N"), int64_t(5), int64_t(7)});
  g.Initializer("axes", Ints({1}));
  g.Output("m", DataType::Float).Output("a", DataType::Int64).Output("u", DataType::Float).Output("c", DataType::Int32);
  g.Node("ReduceMean", {"x"}, {"m"}, {IntsAttribute("axes", {-1}), IntAttribute("keepdims", 1)});
  g.Node("ArgMax", {"x"}, {"a"}, {IntAttribute("axis", 1), IntAttribute("keepdims", 0)});
  g.Node("Unsqueeze", {"x", "axes"}, {"u"});
  g.Node("Cast", {"x"}, {"c"}, {IntAttribute("to", static_cast<int64_t>(DataType::Int32))});
  Model m = Load(g);
  EXPECT_EQ(Dims(Output(m, 0)), "N,5,1");
  EXPECT_EQ(Dims(Output(m, 1)), "N,7");
  EXPECT_EQ(Dims(Output(m, 2)), "N,1,5,7");
  EXPECT_EQ(Output(m, 3).type_string, "tensor(int32)");
}

TEST(ShapeInference, DeclaredFixedDimsWinAndUnknownOpsStayUnknown) {
  ValueInfo declared;
  declared.name = "y";
  declared.kind = ValueInfo::Kind::Tensor;
  declared.dtype = DataType::Float;
  declared.has_shape = true;
  declared.shape = {Dim{4, ""}, Dim{-1, "S"}, Dim{}};
  ValueInfo inferred = declared;
  inferred.shape = {Dim{-1, "N"}, Dim{3, ""}, Dim{-1, "T"}};
  ValueInfo merged = MergeValueInfo(declared, inferred);
  EXPECT_EQ(merged.shape[0].value, 4);
  EXPECT_EQ(merged.shape[1].value, 3);
  EXPECT_EQ(merged.shape[2].symbol, "T");

  GraphBuilder g;
  g.Input("x", DataType::Float, {int64_t(2)}).Output("y", DataType::Float);
  g.Node("SomeCustomOp", {"x"}, {"y"}, {}, "", "com.example");
  std::string bytes = BuildModel(g, 17, {}, {}, {{"com.example", 1}});
  Model m = LoadModelFromBytes(bytes.data(), bytes.size());
  EXPECT_NO_THROW(InferShapes(*m.graph));
  EXPECT_FALSE(m.graph->outputs[0].has_shape);
}
