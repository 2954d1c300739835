// ai.onnx.ml LabelEncoder. Opset 1 maps strings to their index in classes_strings or back
// (the direction follows the input type); opset 2 uses keys_*/values_* lists and opset 4 adds
// the *_tensor forms. Every form is turned into one Mapping: key -> position in a values tensor,
// plus a one-element default tensor.
#include <cmath>
#include <map>

#include "cpu_kernels.h"
#include "kernel_utils.h"
#include "tensor/tensor_helpers.h"
#include "text/text_common.h"

namespace onyx::text {
namespace {

struct NanLess {
  bool operator()(double a, double b) const {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
    return a < b;
  }
};

bool IsIntegral(DataType t) { return t == DataType::Int64 || t == DataType::Int32 || t == DataType::Int16; }
bool IsFloating(DataType t) { return t == DataType::Float || t == DataType::Double; }

// Element i of t as a double or int64 (for the types LabelEncoder accepts).
double FloatAt(const Tensor& t, int64_t i) {
  return t.dtype() == DataType::Float ? t.data<float>()[i] : t.data<double>()[i];
}
int64_t IntAt(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DataType::Int32: return t.data<int32_t>()[i];
    case DataType::Int16: return t.data<int16_t>()[i];
    default: return t.data<int64_t>()[i];
  }
}

Tensor StringsTensor(const std::vector<std::string>& v) {
  Tensor t(DataType::String, {static_cast<int64_t>(v.size())});
  for (size_t i = 0; i < v.size(); ++i) t.data<std::string>()[i] = v[i];
  return t;
}
Tensor Int64sTensor(const std::vector<int64_t>& v) { return Tensor::Copy(DataType::Int64, {static_cast<int64_t>(v.size())}, v.data()); }
Tensor FloatsTensor(const std::vector<float>& v) { return Tensor::Copy(DataType::Float, {static_cast<int64_t>(v.size())}, v.data()); }

struct Mapping {
  DataType key_type = DataType::Undefined;
  std::map<std::string, int64_t> string_keys;
  std::map<int64_t, int64_t> int_keys;
  std::map<double, int64_t, NanLess> float_keys;
  Tensor values;   // 1-D, the value of key k at its position
  Tensor dflt;     // one element of the values' type
  int64_t num_keys = 0;

  void SetKeys(const KernelInfo& info, const Tensor& keys) {
    // Before opset 4 (and in onnxruntime) a NaN key never matches; from opset 4 NaN matches NaN.
    const bool nan_matches_nan = info.opset() >= 4;
    key_type = keys.dtype();
    num_keys = keys.size();
    if (!(key_type == DataType::String || IsIntegral(key_type) || IsFloating(key_type)))
      throw info.MakeError(ErrorCode::NotImplemented, std::string("keys of type ") + DataTypeName(key_type) + " are not supported");
    for (int64_t i = keys.size() - 1; i >= 0; --i) {  // the first occurrence of a duplicate key wins
      if (key_type == DataType::String) string_keys[keys.data<std::string>()[i]] = i;
      else if (IsIntegral(key_type)) int_keys[IntAt(keys, i)] = i;
      else if (nan_matches_nan || !std::isnan(FloatAt(keys, i))) float_keys[FloatAt(keys, i)] = i;
    }
  }
};

class LabelEncoderKernel : public OpKernel {
 public:
  explicit LabelEncoderKernel(const KernelInfo& info) {
    if (info.opset() < 2) {
      const std::vector<std::string> classes = info.GetStrings("classes_strings");
      std::vector<int64_t> positions(classes.size());
      for (size_t i = 0; i < classes.size(); ++i) positions[i] = static_cast<int64_t>(i);
      Mapping to_int, to_string;
      to_int.SetKeys(info, StringsTensor(classes));
      to_int.values = Int64sTensor(positions);
      to_int.dflt = Int64sTensor({info.GetInt("default_int64", -1)});
      to_string.SetKeys(info, Int64sTensor(positions));
      to_string.values = StringsTensor(classes);
      to_string.dflt = StringsTensor({info.GetString("default_string", "_Unused")});
      mappings_ = {std::move(to_int), std::move(to_string)};
      return;
    }
    Mapping m;
    m.SetKeys(info, ListOrTensor(info, "keys"));
    m.values = ListOrTensor(info, "values");
    if (m.values.size() != m.num_keys)
      throw info.MakeError(ErrorCode::InvalidGraph, "there are " + std::to_string(m.num_keys) + " keys but " +
                                                        std::to_string(m.values.size()) + " values");
    const DataType vt = m.values.dtype();
    if (const Tensor* d = info.GetTensor("default_tensor")) {
      if (d->dtype() != vt || d->size() != 1)
        throw info.MakeError(ErrorCode::InvalidGraph, std::string("default_tensor must hold one ") + DataTypeName(vt) + " value");
      m.dflt = *d;
    } else if (vt == DataType::String) {
      m.dflt = StringsTensor({info.GetString("default_string", "_Unused")});
    } else {
      m.dflt = Tensor(vt, {1});
      if (vt == DataType::Int64) m.dflt.data<int64_t>()[0] = info.GetInt("default_int64", -1);
      else if (vt == DataType::Int32) m.dflt.data<int32_t>()[0] = -1;
      else if (vt == DataType::Int16) m.dflt.data<int16_t>()[0] = -1;
      else if (vt == DataType::Float) m.dflt.data<float>()[0] = info.GetFloat("default_float", -0.0f);
      else if (vt == DataType::Double) m.dflt.data<double>()[0] = -0.0;
      else throw info.MakeError(ErrorCode::NotImplemented, std::string("values of type ") + DataTypeName(vt) + " are not supported");
    }
    mappings_.push_back(std::move(m));
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const Mapping* m = nullptr;
    for (const Mapping& c : mappings_)
      if (c.key_type == x.dtype()) m = &c;
    if (!m) throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("input type ") + DataTypeName(x.dtype()) + " does not match the keys' type " +
                                                                DataTypeName(mappings_[0].key_type));
    const DataType vt = m->values.dtype();
    Tensor& y = ctx.Output(0, vt, x.shape());
    DispatchElement(vt, [&](auto tag) {
      using E = typename decltype(tag)::type;
      const E* values = static_cast<const E*>(m->values.raw_data());
      const E& dflt = *static_cast<const E*>(m->dflt.raw_data());
      E* out = static_cast<E*>(y.raw_data());
      for (int64_t i = 0; i < x.size(); ++i) {
        int64_t pos = -1;
        if (x.dtype() == DataType::String) {
          auto it = m->string_keys.find(x.data<std::string>()[i]);
          if (it != m->string_keys.end()) pos = it->second;
        } else if (IsIntegral(x.dtype())) {
          auto it = m->int_keys.find(IntAt(x, i));
          if (it != m->int_keys.end()) pos = it->second;
        } else {
          auto it = m->float_keys.find(FloatAt(x, i));
          if (it != m->float_keys.end()) pos = it->second;
        }
        out[i] = pos >= 0 ? values[pos] : dflt;
      }
    });
  }

 private:
  // The one of <prefix>_strings / _int64s / _floats / _tensor that is given.
  static Tensor ListOrTensor(const KernelInfo& info, const std::string& prefix) {
    std::vector<Tensor> found;
    if (info.HasAttribute(prefix + "_strings")) found.push_back(StringsTensor(info.GetStrings(prefix + "_strings")));
    if (info.HasAttribute(prefix + "_int64s")) found.push_back(Int64sTensor(info.GetInts(prefix + "_int64s")));
    if (info.HasAttribute(prefix + "_floats")) found.push_back(FloatsTensor(info.GetFloats(prefix + "_floats")));
    if (const Tensor* t = info.GetTensor(prefix + "_tensor")) found.push_back(t->Reshaped({t->size()}));
    if (found.size() != 1)
      throw info.MakeError(ErrorCode::InvalidGraph, "exactly one of " + prefix + "_strings, " + prefix + "_int64s, " + prefix + "_floats and " +
                                                        prefix + "_tensor must be given, got " + std::to_string(found.size()));
    return found[0];
  }

  std::vector<Mapping> mappings_;
};

}  // namespace

void RegisterLabelEncoderKernels(KernelRegistry& r) {
  r.Register({kCpuProvider, "ai.onnx.ml", "LabelEncoder", 1, INT64_MAX,
              {DataType::String, DataType::Int64, DataType::Int32, DataType::Int16, DataType::Float, DataType::Double},
              MakeFactory<LabelEncoderKernel>()});
}

}  // namespace onyx::text
