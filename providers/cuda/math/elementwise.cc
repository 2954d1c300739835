// Binary ops with numpy broadcasting (arithmetic, Pow, comparisons, logical), the variadic
// Sum/Mean/Max/Min, Where and PRelu on CUDA.
#include <climits>
#include <string>

#include "cuda_math.h"

namespace onyx::cuda {

namespace {

constexpr bool IsComparison(BinaryOp op) {
  return op == BinaryOp::Equal || op == BinaryOp::Less || op == BinaryOp::Greater || op == BinaryOp::LessOrEqual ||
         op == BinaryOp::GreaterOrEqual;
}

ElemType ElemOf(const KernelContext& ctx, const Tensor& t) {
  ElemType e;
  if (!ToElemType(t.dtype(), &e))
    throw ctx.MakeError(ErrorCode::NotImplemented,
                        std::string("element type ") + DataTypeName(t.dtype()) + " is not supported on CUDA");
  return e;
}

void CheckSameType(const KernelContext& ctx, const Tensor& a, const Tensor& b, size_t j) {
  if (a.dtype() != b.dtype())
    throw ctx.MakeError(ErrorCode::InvalidArgument, "input " + std::to_string(j) + " has element type " +
                                                        DataTypeName(b.dtype()) + " but input 0 has " +
                                                        DataTypeName(a.dtype()));
}

template <BinaryOp kOp>
class BinaryKernel final : public CudaKernel {
 public:
  explicit BinaryKernel(const KernelInfo& info) : CudaKernel(info) {}
  void Compute(KernelContext& ctx) const override {
    const Tensor& A = ctx.Input(0);
    const Tensor& B = ctx.Input(1);
    if (kOp != BinaryOp::Pow) CheckSameType(ctx, A, B, 1);
    const ElemType ta = ElemOf(ctx, A), tb = ElemOf(ctx, B);
    const std::vector<int64_t> shape = BroadcastShape(ctx, {&A.shape(), &B.shape()});
    if (kOp == BinaryOp::PRelu && shape != A.shape())
      throw ctx.MakeError(ErrorCode::InvalidArgument, "slope of shape " + ShapeToString(B.shape()) +
                                                          " does not broadcast to X of shape " + ShapeToString(A.shape()));
    Tensor& Y = ctx.Output(0, IsComparison(kOp) ? DataType::Bool : A.dtype(), shape);
    if (Y.size() == 0) return;
    const BroadcastParams p = MakeBroadcastParams(ctx, {&A.shape(), &B.shape()}, shape);
    CheckCuda(LaunchBinary(kOp, ta, tb, A.raw_data(), B.raw_data(), Y.raw_data(), Y.size(), p, stream()),
              ctx.node().op_type.c_str());
  }
};

// Folds the inputs left to right into the output, as the CPU kernel: Y = op(x0, x1), then
// Y = op(Y, xi); Mean scales the sum by 1/n at the end.
template <BinaryOp kOp, bool kMean = false>
class VariadicKernel final : public CudaKernel {
 public:
  explicit VariadicKernel(const KernelInfo& info) : CudaKernel(info) {}
  void Compute(KernelContext& ctx) const override {
    const size_t n = ctx.num_inputs();
    if (n == 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "needs at least one input");
    std::vector<const std::vector<int64_t>*> shapes;
    for (size_t i = 0; i < n; ++i) {
      CheckSameType(ctx, ctx.Input(0), ctx.Input(i), i);
      shapes.push_back(&ctx.Input(i).shape());
    }
    const Tensor& X0 = ctx.Input(0);
    const ElemType t = ElemOf(ctx, X0);
    const std::vector<int64_t> shape = BroadcastShape(ctx, shapes);
    Tensor& Y = ctx.Output(0, X0.dtype(), shape);
    if (Y.size() == 0) return;
    const char* what = ctx.node().op_type.c_str();
    if (n == 1) {
      CheckCuda(cudaMemcpyAsync(Y.raw_data(), X0.raw_data(), X0.nbytes(), cudaMemcpyDeviceToDevice, stream()), what);
    } else {
      const Tensor& X1 = ctx.Input(1);
      BroadcastParams p = MakeBroadcastParams(ctx, {&X0.shape(), &X1.shape()}, shape);
      CheckCuda(LaunchBinary(kOp, t, t, X0.raw_data(), X1.raw_data(), Y.raw_data(), Y.size(), p, stream()), what);
      for (size_t i = 2; i < n; ++i) {
        const Tensor& Xi = ctx.Input(i);
        p = MakeBroadcastParams(ctx, {&shape, &Xi.shape()}, shape);
        CheckCuda(LaunchBinary(kOp, t, t, Y.raw_data(), Xi.raw_data(), Y.raw_data(), Y.size(), p, stream()), what);
      }
    }
    if constexpr (kMean) {
      UnaryParams q;
      q.alpha = 1.f / static_cast<float>(n);
      CheckCuda(LaunchUnary(UnaryOp::Scale, t, Y.raw_data(), Y.raw_data(), Y.size(), q, stream()), what);
    }
  }
};

class WhereKernel final : public CudaKernel {
 public:
  explicit WhereKernel(const KernelInfo& info) : CudaKernel(info) {}
  void Compute(KernelContext& ctx) const override {
    const Tensor& C = ctx.Input(0);
    const Tensor& X = ctx.Input(1);
    const Tensor& Y = ctx.Input(2);
    if (C.dtype() != DataType::Bool)
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("condition must be bool, got ") + DataTypeName(C.dtype()));
    CheckSameType(ctx, X, Y, 2);
    const size_t elem = DataTypeSize(X.dtype());
    if (X.dtype() == DataType::String || (elem != 1 && elem != 2 && elem != 4 && elem != 8))
      throw ctx.MakeError(ErrorCode::NotImplemented,
                          std::string("element type ") + DataTypeName(X.dtype()) + " is not supported on CUDA");
    const std::vector<int64_t> shape = BroadcastShape(ctx, {&C.shape(), &X.shape(), &Y.shape()});
    Tensor& Z = ctx.Output(0, X.dtype(), shape);
    if (Z.size() == 0) return;
    const BroadcastParams p = MakeBroadcastParams(ctx, {&C.shape(), &X.shape(), &Y.shape()}, shape);
    CheckCuda(LaunchWhere(static_cast<int>(elem), C.data<bool>(), X.raw_data(), Y.raw_data(), Z.raw_data(), Z.size(), p,
                          stream()),
              "Where");
  }
};

// ---- supports predicates ----------------------------------------------------------------------

std::vector<DataType> ArithmeticTypes() { return {DataType::Float, DataType::Float16, DataType::Int32, DataType::Int64}; }

// Two inputs of one type among `types`.
std::function<bool(const Node&, const NodeOperandTypes&)> SameTypePair(std::vector<DataType> types) {
  return [types](const Node& n, const NodeOperandTypes& t) {
    const DataType a = InputType(t, 0);
    if (n.inputs.size() != 2 || a != InputType(t, 1)) return false;
    for (DataType x : types)
      if (a == x) return true;
    return false;
  };
}

// Every input of one type among `types`.
std::function<bool(const Node&, const NodeOperandTypes&)> AllSameType(std::vector<DataType> types) {
  return [types](const Node& n, const NodeOperandTypes& t) {
    if (n.inputs.empty()) return false;
    const DataType a = InputType(t, 0);
    for (size_t i = 0; i < n.inputs.size(); ++i)
      if (!HasInput(n, i) || InputType(t, i) != a) return false;
    for (DataType x : types)
      if (a == x) return true;
    return false;
  };
}

template <typename K>
void Add(KernelRegistry& r, const char* op, int64_t since, std::vector<DataType> types,
         std::function<bool(const Node&, const NodeOperandTypes&)> supports) {
  KernelDef d = CudaDef<K>(op, since, INT64_MAX, std::move(types));
  d.supports = std::move(supports);
  r.Register(std::move(d));
}

}  // namespace

void RegisterCudaBinaryKernels(KernelRegistry& r) {
  const std::vector<DataType> arith = ArithmeticTypes();
  const std::vector<DataType> floats = FloatTypes();
  // Opset 7 made these broadcast like numpy; older nodes (broadcast/axis attributes) stay on the CPU.
  Add<BinaryKernel<BinaryOp::Add>>(r, "Add", 7, arith, SameTypePair(arith));
  Add<BinaryKernel<BinaryOp::Sub>>(r, "Sub", 7, arith, SameTypePair(arith));
  Add<BinaryKernel<BinaryOp::Mul>>(r, "Mul", 7, arith, SameTypePair(arith));
  Add<BinaryKernel<BinaryOp::Div>>(r, "Div", 7, arith, SameTypePair(arith));
  Add<BinaryKernel<BinaryOp::Pow>>(r, "Pow", 7, floats, [](const Node& n, const NodeOperandTypes& t) {
    return n.inputs.size() == 2 && IsFloatType(InputType(t, 0)) && IsFloatType(InputType(t, 1));
  });
  std::vector<DataType> equal_types = arith;
  equal_types.push_back(DataType::Bool);
  Add<BinaryKernel<BinaryOp::Equal>>(r, "Equal", 7, equal_types, SameTypePair(equal_types));
  Add<BinaryKernel<BinaryOp::Less>>(r, "Less", 7, arith, SameTypePair(arith));
  Add<BinaryKernel<BinaryOp::Greater>>(r, "Greater", 7, arith, SameTypePair(arith));
  Add<BinaryKernel<BinaryOp::LessOrEqual>>(r, "LessOrEqual", 12, arith, SameTypePair(arith));
  Add<BinaryKernel<BinaryOp::GreaterOrEqual>>(r, "GreaterOrEqual", 12, arith, SameTypePair(arith));
  Add<BinaryKernel<BinaryOp::And>>(r, "And", 7, {DataType::Bool}, SameTypePair({DataType::Bool}));
  Add<BinaryKernel<BinaryOp::Or>>(r, "Or", 7, {DataType::Bool}, SameTypePair({DataType::Bool}));
  Add<BinaryKernel<BinaryOp::Xor>>(r, "Xor", 7, {DataType::Bool}, SameTypePair({DataType::Bool}));
  // Before opset 7 a 1-D slope applied per channel; that form stays on the CPU.
  Add<BinaryKernel<BinaryOp::PRelu>>(r, "PRelu", 7, floats, SameTypePair(floats));

  // Opset 8 made these broadcast; opset 6 required equal shapes, which broadcasting covers.
  Add<VariadicKernel<BinaryOp::Add>>(r, "Sum", 6, arith, AllSameType(arith));
  Add<VariadicKernel<BinaryOp::Add, true>>(r, "Mean", 6, floats, AllSameType(floats));
  Add<VariadicKernel<BinaryOp::Max>>(r, "Max", 6, arith, AllSameType(arith));
  Add<VariadicKernel<BinaryOp::Min>>(r, "Min", 6, arith, AllSameType(arith));

  const std::vector<DataType> where_types = {DataType::Float, DataType::Float16, DataType::BFloat16, DataType::Double,
                                             DataType::Int8,  DataType::UInt8,   DataType::Int16,    DataType::UInt16,
                                             DataType::Int32, DataType::UInt32,  DataType::Int64,    DataType::UInt64,
                                             DataType::Bool};
  Add<WhereKernel>(r, "Where", 9, where_types, [where_types](const Node& n, const NodeOperandTypes& t) {
    if (n.inputs.size() != 3 || InputType(t, 0) != DataType::Bool || InputType(t, 1) != InputType(t, 2)) return false;
    for (DataType x : where_types)
      if (InputType(t, 1) == x) return true;
    return false;
  });
}

}  // namespace onyx::cuda
