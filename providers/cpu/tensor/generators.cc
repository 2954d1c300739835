// Ops that make new tensors from attributes or small inputs: Constant, ConstantOfShape, Range,
// EyeLike, OneHot.
#include <cmath>
#include <cstring>

#include "math/math_common.h"
#include "tensor/tensor_helpers.h"

namespace onyx {
namespace {

// Fills every element of t with the single element of value (same dtype).
void FillWith(Tensor& t, const Tensor& value) {
  DispatchElement(t.dtype(), [&](auto tag) {
    using E = typename decltype(tag)::type;
    std::fill(t.data<E>(), t.data<E>() + t.size(), value.data<E>()[0]);
  });
}

class ConstantKernel final : public OpKernel {
 public:
  explicit ConstantKernel(const KernelInfo& info) {
    int found = 0;
    if (const Tensor* t = info.GetTensor("value")) {
      value_ = *t;
      ++found;
    }
    if (info.HasAttribute("sparse_value"))
      throw info.MakeError(ErrorCode::NotImplemented, "sparse_value constants are not supported");
    if (info.HasAttribute("value_float")) {
      value_ = Tensor(DataType::Float, {});
      value_.data<float>()[0] = info.GetFloat("value_float", 0.f);
      ++found;
    }
    if (info.HasAttribute("value_floats")) {
      std::vector<float> v = info.GetFloats("value_floats");
      value_ = Tensor::Copy(DataType::Float, {static_cast<int64_t>(v.size())}, v.data());
      ++found;
    }
    if (info.HasAttribute("value_int")) {
      value_ = Tensor(DataType::Int64, {});
      value_.data<int64_t>()[0] = info.GetInt("value_int", 0);
      ++found;
    }
    if (info.HasAttribute("value_ints")) {
      std::vector<int64_t> v = info.GetInts("value_ints");
      value_ = Tensor::Copy(DataType::Int64, {static_cast<int64_t>(v.size())}, v.data());
      ++found;
    }
    if (info.HasAttribute("value_string")) {
      value_ = Tensor(DataType::String, {});
      value_.data<std::string>()[0] = info.GetString("value_string", "");
      ++found;
    }
    if (info.HasAttribute("value_strings")) {
      std::vector<std::string> v = info.GetStrings("value_strings");
      value_ = Tensor::Copy(DataType::String, {static_cast<int64_t>(v.size())}, v.data());
      ++found;
    }
    if (found != 1)
      throw info.MakeError(ErrorCode::InvalidGraph, "exactly one of the value attributes should be set, found " + std::to_string(found));
  }
  // The output shares the constant's storage: tensors flowing between kernels are read-only.
  void Compute(KernelContext& ctx) const override { ctx.SetOutput(0, value_); }

 private:
  Tensor value_;
};

class ConstantOfShapeKernel final : public OpKernel {
 public:
  explicit ConstantOfShapeKernel(const KernelInfo& info) {
    if (const Tensor* t = info.GetTensor("value")) {
      if (t->size() != 1) throw info.MakeError(ErrorCode::InvalidGraph, "value should hold exactly one element, has shape " + ShapeToString(t->shape()));
      value_ = *t;
    } else {
      value_ = Tensor(DataType::Float, {});
    }
  }
  void Compute(KernelContext& ctx) const override {
    const Tensor& shape_t = ctx.Input(0);
    if (shape_t.rank() != 1)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "input should be a 1-D shape, got shape " + ShapeToString(shape_t.shape()));
    std::vector<int64_t> shape = ReadIndices(shape_t, ctx, "shape");
    for (int64_t d : shape)
      if (d < 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "shape " + ShapeToString(shape) + " has a negative dimension");
    Tensor& y = ctx.Output(0, value_.dtype(), shape);
    FillWith(y, value_);
  }

 private:
  Tensor value_;
};

class RangeKernel final : public OpKernel {
 public:
  explicit RangeKernel(const KernelInfo&) {}
  void Compute(KernelContext& ctx) const override {
    const Tensor& start = ctx.Input(0);
    const Tensor& limit = ctx.Input(1);
    const Tensor& delta = ctx.Input(2);
    const DataType dt = start.dtype();
    for (const Tensor* t : {&start, &limit, &delta}) {
      if (t->dtype() != dt)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "start, limit and delta should have the same type");
      if (t->size() != 1)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "start, limit and delta should be scalars, got shape " + ShapeToString(t->shape()));
    }
    auto run = [&](auto tag) {
      using T = typename decltype(tag)::type;
      constexpr bool kHalf = std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;
      using V = std::conditional_t<kHalf, float, T>;  // 16-bit floats count in float
      auto get = [](const Tensor& t) -> V {
        if constexpr (kHalf) return ToFloat(t.data<T>()[0]);
        else return t.data<T>()[0];
      };
      const V s = get(start), l = get(limit), d = get(delta);
      if (d == V(0)) throw ctx.MakeError(ErrorCode::InvalidArgument, "delta is 0");
      int64_t n;
      if constexpr (std::is_integral_v<V>) {
        __int128 diff = static_cast<__int128>(l) - s, step = d;
        __int128 count = diff / step + ((diff % step != 0) && ((diff > 0) == (step > 0)) ? 1 : 0);
        n = count > 0 ? static_cast<int64_t>(std::min<__int128>(count, std::numeric_limits<int64_t>::max())) : 0;
      } else {
        double count = std::ceil((static_cast<double>(l) - s) / d);
        if (!(count < 9.2e18)) {
          if (std::isnan(count)) throw ctx.MakeError(ErrorCode::InvalidArgument, "start, limit or delta is NaN");
          if (std::isinf(count))
            throw ctx.MakeError(ErrorCode::InvalidArgument, "start " + std::to_string(static_cast<double>(s)) + ", limit " +
                                                                std::to_string(static_cast<double>(l)) + " and delta " +
                                                                std::to_string(static_cast<double>(d)) + " give an infinite number of elements");
          count = 9.2e18;
        }
        n = count > 0 ? static_cast<int64_t>(count) : 0;
      }
      Tensor& y = ctx.Output(0, dt, {n});
      T* out = y.data<T>();
      for (int64_t i = 0; i < n; ++i) {
        if constexpr (kHalf) out[i] = FromFloat<T>(s + static_cast<float>(i) * d);
        // start + i * delta lies between start and limit, but i * delta alone may not fit:
        // wrapping integer arithmetic gives the exact value without overflowing.
        else if constexpr (std::is_integral_v<T>) out[i] = math::WrapAdd<T>(s, math::WrapMul<T>(static_cast<T>(i), d));
        else out[i] = static_cast<T>(s + static_cast<T>(i) * d);
      }
    };
    switch (dt) {
      case DataType::Float: run(TypeTag<float>{}); break;
      case DataType::Double: run(TypeTag<double>{}); break;
      case DataType::Int16: run(TypeTag<int16_t>{}); break;
      case DataType::Int32: run(TypeTag<int32_t>{}); break;
      case DataType::Int64: run(TypeTag<int64_t>{}); break;
      case DataType::Float16: run(TypeTag<Half>{}); break;
      case DataType::BFloat16: run(TypeTag<BFloat16>{}); break;
      default: throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("Range does not support type ") + DataTypeName(dt));
    }
  }
};

// Sets t's element i to one (or true) for every numeric element type.
void SetOne(Tensor& t, int64_t i, const KernelContext& ctx) {
  DispatchAll(t.dtype(), ctx, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
      t.data<T>()[i] = FromFloat<T>(1.f);
    } else if constexpr (std::is_arithmetic_v<T>) {
      t.data<T>()[i] = T(1);
    } else {
      throw ctx.MakeError(ErrorCode::InvalidArgument, "EyeLike does not support string outputs");
    }
  });
}

class EyeLikeKernel final : public OpKernel {
 public:
  explicit EyeLikeKernel(const KernelInfo& info)
      : dtype_(static_cast<DataType>(info.GetInt("dtype", 0))), k_(info.GetInt("k", 0)) {
    if (info.HasAttribute("dtype") && !IsKnownDataType(static_cast<int32_t>(dtype_)))
      throw info.MakeError(ErrorCode::InvalidGraph, "dtype " + std::to_string(static_cast<int>(dtype_)) + " is not a known type");
  }
  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    if (x.rank() != 2) throw ctx.MakeError(ErrorCode::InvalidArgument, "input should be 2-D, got shape " + ShapeToString(x.shape()));
    const DataType dt = dtype_ == DataType::Undefined ? x.dtype() : dtype_;
    Tensor& y = ctx.Output(0, dt, x.shape());
    std::memset(y.raw_data(), 0, y.nbytes());  // only the diagonal is set
    const int64_t rows = x.dim(0), cols = x.dim(1);
    const int64_t k = std::clamp<int64_t>(k_, -rows, cols);  // beyond these every diagonal is empty
    for (int64_t i = std::max<int64_t>(0, -k); i < rows && i + k < cols; ++i) SetOne(y, i * cols + i + k, ctx);
  }

 private:
  DataType dtype_;
  int64_t k_;
};

class OneHotKernel final : public OpKernel {
 public:
  explicit OneHotKernel(const KernelInfo& info) : axis_(info.GetInt("axis", -1)) {}
  void Compute(KernelContext& ctx) const override {
    const Tensor& indices = ctx.Input(0);
    const Tensor& depth_t = ctx.Input(1);
    const Tensor& values = ctx.Input(2);
    if (depth_t.size() != 1)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "depth should hold one value, got shape " + ShapeToString(depth_t.shape()));
    if (values.size() != 2)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "values should be [off_value, on_value], got shape " + ShapeToString(values.shape()));
    const double depth_d = ReadAsDouble(depth_t, 0, ctx);
    if (!(depth_d >= 0) || depth_d > 9e18)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "depth " + std::to_string(depth_d) + " should be a non-negative number no larger than 9e18");
    const int64_t depth = static_cast<int64_t>(depth_d);
    const int64_t rank = static_cast<int64_t>(indices.rank());
    if (axis_ < -(rank + 1) || axis_ > rank)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "axis " + std::to_string(axis_) + " is out of range for output rank " + std::to_string(rank + 1));
    const int64_t axis = axis_ < 0 ? axis_ + rank + 1 : axis_;
    std::vector<int64_t> out_shape = indices.shape();
    out_shape.insert(out_shape.begin() + axis, depth);
    const DataType dt = values.dtype();
    Tensor& y = ctx.Output(0, dt, out_shape);
    if (y.size() == 0) return;
    int64_t inner = 1;
    for (int64_t i = axis; i < rank; ++i) inner *= indices.dim(i);
    DispatchElement(dt, [&](auto tag) {
      using E = typename decltype(tag)::type;
      const E off = values.data<E>()[0], on = values.data<E>()[1];
      E* out = y.data<E>();
      std::fill(out, out + y.size(), off);
      for (int64_t n = 0; n < indices.size(); ++n) {
        double v = ReadAsDouble(indices, n, ctx);
        if (std::isnan(v)) continue;
        int64_t idx = static_cast<int64_t>(std::clamp(v, -9e18, 9e18));
        if (idx < 0) idx += depth;
        if (idx < 0 || idx >= depth) continue;  // out-of-range indices give an all-off row, as the spec says
        const int64_t o = n / inner, i = n % inner;
        out[(o * depth + idx) * inner + i] = on;
      }
    });
  }

 private:
  int64_t axis_;
};

}  // namespace

void RegisterGeneratorKernels(KernelRegistry& r) {
  RegisterTensorKernel(r, "Constant", 1, INT64_MAX, AllTensorTypes(), MakeFactory<ConstantKernel>());
  RegisterTensorKernel(r, "ConstantOfShape", 9, INT64_MAX, AllTensorTypes(), MakeFactory<ConstantOfShapeKernel>());
  RegisterTensorKernel(r, "Range", 11, INT64_MAX,
                       {DataType::Float, DataType::Double, DataType::Float16, DataType::BFloat16, DataType::Int16, DataType::Int32,
                        DataType::Int64},
                       MakeFactory<RangeKernel>());
  std::vector<DataType> numeric = AllNumericTypes();
  numeric.push_back(DataType::Bool);
  RegisterTensorKernel(r, "EyeLike", 9, INT64_MAX, numeric, MakeFactory<EyeLikeKernel>());
  RegisterTensorKernel(r, "OneHot", 9, INT64_MAX, AllTensorTypes(), MakeFactory<OneHotKernel>());
}

}  // namespace onyx
