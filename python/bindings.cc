// The onyx Python module's C++ half: numpy <-> Tensor conversion, the session, and error
// translation. Everything else (NodeArg, SessionOptions, InferenceSession) is thin Python in
// onyx/__init__.py over these functions.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <atomic>
#include <map>
#include <memory>

#include "onyx/onyx.h"

namespace py = pybind11;
using namespace onyx;

namespace {

// Types numpy lacks, by their ml_dtypes names (the arrays onnx.numpy_helper gives for them).
// onyx stores them one element per byte (sub-byte types unpacked), as ml_dtypes does.
const std::pair<const char*, DataType> kMlDtypes[] = {
    {"bfloat16", DataType::BFloat16},          {"float8_e4m3fn", DataType::Float8E4M3FN},
    {"float8_e4m3fnuz", DataType::Float8E4M3FNUZ}, {"float8_e5m2", DataType::Float8E5M2},
    {"float8_e5m2fnuz", DataType::Float8E5M2FNUZ}, {"int4", DataType::Int4},
    {"uint4", DataType::UInt4},                {"float4_e2m1fn", DataType::Float4E2M1},
    {"float8_e8m0fnu", DataType::Float8E8M0},  {"int2", DataType::Int2},
    {"uint2", DataType::UInt2}};

py::dtype ToNumpyDtype(DataType t) {
  for (const auto& [name, dt] : kMlDtypes) {
    if (dt != t) continue;
    try {
      return py::dtype::from_args(py::module_::import("ml_dtypes").attr(name));
    } catch (const py::error_already_set&) {
      // Without ml_dtypes: the raw codes, as unsigned integers of the same width.
      return py::dtype(t == DataType::BFloat16 ? "uint16" : "uint8");
    }
  }
  switch (t) {
    case DataType::Float: return py::dtype("float32");
    case DataType::Double: return py::dtype("float64");
    case DataType::Float16: return py::dtype("float16");
    case DataType::Int8: return py::dtype("int8");
    case DataType::Int16: return py::dtype("int16");
    case DataType::Int32: return py::dtype("int32");
    case DataType::Int64: return py::dtype("int64");
    case DataType::UInt8: return py::dtype("uint8");
    case DataType::UInt16: return py::dtype("uint16");
    case DataType::UInt32: return py::dtype("uint32");
    case DataType::UInt64: return py::dtype("uint64");
    case DataType::Bool: return py::dtype("bool");
    case DataType::Complex64: return py::dtype("complex64");
    case DataType::Complex128: return py::dtype("complex128");
    default: throw Error(ErrorCode::NotImplemented, std::string("cannot convert ") + DataTypeName(t) + " to numpy");
  }
}

DataType FromNumpyDtype(const py::dtype& dt, const std::string& name) {
  const std::string dtype_name = py::cast<std::string>(dt.attr("name"));
  for (const auto& [ml_name, t] : kMlDtypes)
    if (dtype_name == ml_name) return t;
  const char kind = py::cast<std::string>(dt.attr("kind"))[0];
  const auto size = py::cast<int>(dt.attr("itemsize"));
  if (kind == 'f') {
    if (size == 4) return DataType::Float;
    if (size == 8) return DataType::Double;
    if (size == 2) return DataType::Float16;
  } else if (kind == 'i') {
    if (size == 1) return DataType::Int8;
    if (size == 2) return DataType::Int16;
    if (size == 4) return DataType::Int32;
    if (size == 8) return DataType::Int64;
  } else if (kind == 'u') {
    if (size == 1) return DataType::UInt8;
    if (size == 2) return DataType::UInt16;
    if (size == 4) return DataType::UInt32;
    if (size == 8) return DataType::UInt64;
  } else if (kind == 'b') {
    return DataType::Bool;
  } else if (kind == 'c') {
    if (size == 8) return DataType::Complex64;
    if (size == 16) return DataType::Complex128;
  } else if (kind == 'U' || kind == 'S' || kind == 'O') {
    return DataType::String;
  }
  throw Error(ErrorCode::InvalidArgument, "input '" + name + "': numpy dtype " + py::cast<std::string>(py::str(py::handle(dt))) + " is not supported");
}

// Converts a feed to a Tensor. Numeric arrays that are C-contiguous and native-endian are
// borrowed (no copy); `keep` holds them alive for the run.
Tensor ToTensor(py::handle obj, const std::string& name, std::vector<py::object>& keep) {
  py::array arr = py::array::ensure(obj);
  if (!arr) throw Error(ErrorCode::InvalidArgument, "input '" + name + "' must be a numpy array, got " + py::str(obj.get_type()).cast<std::string>());
  DataType dt = FromNumpyDtype(arr.dtype(), name);
  std::vector<int64_t> shape(arr.shape(), arr.shape() + arr.ndim());
  if (dt == DataType::String) {
    Tensor t(DataType::String, shape);
    py::list flat = arr.attr("ravel")().attr("tolist")();
    int64_t i = 0;
    for (auto item : flat) {
      if (py::isinstance<py::bytes>(item)) t.data<std::string>()[i++] = item.cast<std::string>();
      else t.data<std::string>()[i++] = py::str(item).cast<std::string>();
    }
    return t;
  }
  // Byte-swap non-native arrays and make them contiguous (both copy, once).
  const char order = arr.dtype().attr("byteorder").cast<std::string>()[0];
  if (order == '>') arr = arr.attr("astype")(arr.dtype().attr("newbyteorder")("="));
  arr = py::array::ensure(arr, py::array::c_style);
  keep.push_back(arr);
  return Tensor::Borrow(dt, shape, const_cast<void*>(arr.data()));
}

Value ToValue(py::handle obj, const std::string& name, std::vector<py::object>& keep) {
  if (obj.is_none()) return Value();
  if (py::isinstance<py::list>(obj) || py::isinstance<py::tuple>(obj)) {
    std::vector<Tensor> items;
    DataType et = DataType::Undefined;
    for (auto item : obj) {
      items.push_back(ToTensor(item, name, keep).Clone());
      et = items.back().dtype();
    }
    return Value::Sequence(std::move(items), et);
  }
  return Value(ToTensor(obj, name, keep));
}

py::object FromTensor(const Tensor& t) {
  std::vector<py::ssize_t> shape(t.shape().begin(), t.shape().end());
  if (t.dtype() == DataType::String) {
    // Built through numpy from a list of str, so numpy owns every element reference.
    py::list items;
    for (int64_t i = 0; i < t.size(); ++i) {
      const std::string& v = t.data<std::string>()[i];
      PyObject* s = PyUnicode_DecodeUTF8(v.data(), static_cast<Py_ssize_t>(v.size()), "surrogateescape");
      if (!s) throw py::error_already_set();
      items.append(py::reinterpret_steal<py::object>(s));
    }
    py::module_ np = py::module_::import("numpy");
    py::array flat = np.attr("empty")(t.size(), py::dtype("O"));
    for (int64_t i = 0; i < t.size(); ++i) flat.attr("__setitem__")(i, items[static_cast<size_t>(i)]);
    return flat.attr("reshape")(py::cast(shape));
  }
  py::dtype dt = ToNumpyDtype(t.dtype());
  // Explicit C-order strides: pybind11's (dtype, shape) constructor gave zero strides here.
  std::vector<py::ssize_t> strides(shape.size());
  py::ssize_t stride = static_cast<py::ssize_t>(DataTypeSize(t.dtype()));
  for (size_t k = shape.size(); k-- > 0;) {
    strides[k] = stride;
    stride *= shape[k];
  }
  if (!t.owns_data()) {  // borrowed memory (e.g. an input passed through): copy it
    py::array out(dt, shape, strides);
    if (t.nbytes()) std::memcpy(out.mutable_data(), t.raw_data(), t.nbytes());
    return std::move(out);
  }
  // Zero copy: the array keeps the tensor's storage alive through a capsule.
  auto* holder = new Tensor(t);
  py::capsule owner(holder, [](void* p) { delete static_cast<Tensor*>(p); });
  return py::array(dt, shape, strides, holder->raw_data(), owner);
}

py::object FromValue(const Value& v) {
  if (v.is_none()) return py::none();
  if (v.is_sequence()) {
    py::list l;
    for (const auto& t : v.sequence()) l.append(FromTensor(t));
    return std::move(l);
  }
  return FromTensor(v.tensor());
}

py::list ValueInfos(const std::vector<ValueInfo>& infos) {
  py::list out;
  for (const auto& vi : infos) {
    py::object shape = py::none();
    if (vi.has_shape) {
      py::list dims;
      for (const auto& d : vi.shape) {
        if (d.is_fixed()) dims.append(d.value);
        else if (d.is_symbolic()) dims.append(d.symbol);
        else dims.append(py::none());
      }
      shape = dims;
    } else if (vi.kind == ValueInfo::Kind::Tensor) {
      shape = py::list();
    }
    out.append(py::make_tuple(vi.name, vi.type_string, shape));
  }
  return out;
}

Device ParseDevice(const std::string& type, int id) {
  if (type == "cpu" || type == "CPU") return Device{DeviceType::CPU, 0};
  if (type == "cuda" || type == "CUDA" || type == "gpu" || type == "GPU") return Device{DeviceType::CUDA, id};
  throw Error(ErrorCode::InvalidArgument, "unknown device type '" + type + "' (expected 'cpu' or 'cuda')");
}

DataType ParseElementType(py::handle t) {
  py::dtype dt = py::dtype::from_args(py::reinterpret_borrow<py::object>(t));
  return FromNumpyDtype(dt, "element_type");
}

// A tensor wherever it lives, behind onyx.OrtValue.
struct PyTensor {
  Tensor t;
  static PyTensor FromNumpy(py::handle arr, const std::string& device, int id) {
    std::vector<py::object> keep;
    Tensor host = ToTensor(arr, "value", keep);
    const Device d = ParseDevice(device, id);
    return {d.is_cpu() ? host.Clone() : CopyTensor(host, d)};
  }
  static PyTensor Allocate(const std::vector<int64_t>& shape, py::handle element_type, const std::string& device, int id) {
    return {AllocateTensor(ParseElementType(element_type), shape, ParseDevice(device, id))};
  }
  static PyTensor Borrow(uintptr_t ptr, const std::vector<int64_t>& shape, py::handle element_type, const std::string& device, int id) {
    if (!ptr) throw Error(ErrorCode::InvalidArgument, "buffer_ptr is null");
    return {Tensor::Borrow(ParseElementType(element_type), shape, reinterpret_cast<void*>(ptr), ParseDevice(device, id))};
  }
  py::object Numpy() const { return FromTensor(t.on_cpu() ? t : CopyTensor(t, Device{})); }
  PyTensor To(const std::string& device, int id) const { return {CopyTensor(t, ParseDevice(device, id))}; }
  std::vector<int64_t> Shape() const { return t.shape(); }
  py::dtype Dtype() const { return ToNumpyDtype(t.dtype()); }
  std::string TypeString() const { return std::string("tensor(") + DataTypeName(t.dtype()) + ")"; }
  std::string DeviceName() const { return t.on_cpu() ? "cpu" : "cuda"; }
  int DeviceId() const { return t.device().id; }
  uintptr_t DataPtr() const { return reinterpret_cast<uintptr_t>(t.raw_data()); }
  void CopyInto(PyTensor& dst) const {
    if (dst.t.dtype() != t.dtype() || dst.t.shape() != t.shape())
      throw Error(ErrorCode::InvalidArgument, "bound output buffer is " + dst.TypeString() + " " + ShapeToString(dst.t.shape()) +
                                                  " but the output is " + TypeString() + " " + ShapeToString(t.shape()));
    CopyTensorInto(t, dst.t);
  }
};

class PySession {
 public:
  PySession(py::object model, const py::dict& options,
            const std::vector<std::pair<std::string, std::map<std::string, std::string>>>& providers) {
    SessionOptions o;
    if (options.contains("graph_optimization_level")) o.graph_optimization_level = static_cast<GraphOptimizationLevel>(options["graph_optimization_level"].cast<int>());
    if (options.contains("intra_op_num_threads")) o.intra_op_num_threads = options["intra_op_num_threads"].cast<int>();
    if (options.contains("inter_op_num_threads")) o.inter_op_num_threads = options["inter_op_num_threads"].cast<int>();
    if (options.contains("log_severity_level")) o.log_severity_level = options["log_severity_level"].cast<int>();
    if (options.contains("optimized_model_filepath")) o.optimized_model_filepath = options["optimized_model_filepath"].cast<std::string>();
    if (options.contains("disable_cpu_ep_fallback")) o.disable_cpu_ep_fallback = options["disable_cpu_ep_fallback"].cast<bool>();
    if (options.contains("enable_mem_pattern")) o.enable_mem_pattern = options["enable_mem_pattern"].cast<bool>();
    if (options.contains("enable_cpu_mem_arena")) o.enable_cpu_mem_arena = options["enable_cpu_mem_arena"].cast<bool>();
    if (options.contains("enable_profiling")) o.enable_profiling = options["enable_profiling"].cast<bool>();
    if (options.contains("profile_file_prefix")) o.profile_file_prefix = options["profile_file_prefix"].cast<std::string>();
    for (const auto& [name, po] : providers) {
      o.providers.push_back(name);
      if (!po.empty()) o.provider_options[name] = po;
    }
    if (py::isinstance<py::bytes>(model)) {
      std::string bytes = model.cast<std::string>();
      py::gil_scoped_release release;
      session_ = std::make_unique<Session>(bytes.data(), bytes.size(), o);
    } else {
      std::string path = py::str(model).cast<std::string>();
      py::gil_scoped_release release;
      session_ = std::make_unique<Session>(path, o);
    }
  }

  py::list Run(py::object output_names, const py::dict& feed, std::shared_ptr<std::atomic<bool>> terminate) {
    std::vector<std::pair<std::string, Value>> feeds;
    std::vector<py::object> keep;
    std::vector<std::string> given;
    for (auto item : feed) {
      std::string name = py::str(item.first).cast<std::string>();
      given.push_back(name);
      feeds.emplace_back(name, ToValue(item.second, name, keep));
    }
    // A missing feed is a ValueError in onnxruntime's Python API.
    std::vector<std::string> missing;
    for (const auto& in : session_->inputs())
      if (std::find(given.begin(), given.end(), in.name) == given.end() && in.kind != ValueInfo::Kind::Optional) missing.push_back(in.name);
    if (!missing.empty()) {
      auto quote = [](const std::vector<std::string>& v) {
        std::string s = "[";
        for (size_t i = 0; i < v.size(); ++i) s += (i ? ", '" : "'") + v[i] + "'";
        return s + "]";
      };
      throw py::value_error("Required inputs (" + quote(missing) + ") are missing from input feed (" + quote(given) + ").");
    }
    std::vector<std::string> names;
    if (!output_names.is_none()) names = output_names.cast<std::vector<std::string>>();
    RunOptions ro;
    if (terminate) ro.terminate = std::move(terminate);
    std::vector<Value> outs;
    {
      py::gil_scoped_release release;
      outs = session_->RunValues(feeds, names, ro);
    }
    py::list result;
    for (const auto& v : outs) result.append(FromValue(v));
    return result;
  }

  // io binding: feeds are onyx tensors (any device) or numpy arrays; outputs come back as
  // tensors, left on the device when keep_on_device.
  std::vector<PyTensor> RunTensors(const std::vector<std::string>& names, const py::dict& feed, bool keep_on_device) {
    std::vector<std::pair<std::string, Value>> feeds;
    std::vector<py::object> keep;
    for (auto item : feed) {
      std::string name = py::str(item.first).cast<std::string>();
      if (py::isinstance<PyTensor>(item.second)) feeds.emplace_back(name, Value(item.second.cast<PyTensor&>().t));
      else feeds.emplace_back(name, ToValue(item.second, name, keep));
    }
    RunOptions ro;
    ro.keep_outputs_on_device = keep_on_device;
    std::vector<Value> outs;
    {
      py::gil_scoped_release release;
      outs = session_->RunValues(feeds, names, ro);
    }
    std::vector<PyTensor> result;
    for (size_t i = 0; i < outs.size(); ++i) {
      if (!outs[i].is_tensor()) throw Error(ErrorCode::InvalidArgument, "io binding supports tensor outputs only; output " + std::to_string(i) + " is not a tensor");
      result.push_back({outs[i].tensor()});
    }
    return result;
  }

  py::list Inputs() const { return ValueInfos(session_->inputs()); }
  py::list Outputs() const { return ValueInfos(session_->outputs()); }
  std::vector<std::string> Providers() const { return session_->providers(); }
  std::string EndProfiling() {
    py::gil_scoped_release release;
    return session_->EndProfiling();
  }
  int64_t ProfilingStartTimeNs() const { return session_->ProfilingStartTimeNs(); }
  py::dict Metadata() const {
    const ModelMetadata& m = session_->metadata();
    py::dict d;
    d["producer_name"] = m.producer_name;
    d["graph_name"] = m.graph_name;
    d["domain"] = m.domain;
    d["description"] = m.description;
    d["graph_description"] = m.graph_description;
    d["version"] = m.version;
    d["custom_metadata_map"] = m.custom_metadata_map;
    return d;
  }

 private:
  std::unique_ptr<Session> session_;
};

}  // namespace

PYBIND11_MODULE(_onyx, m) {
  m.doc() = "onyx runtime core (use the onyx package, not this module)";
  // Exception classes named as onnxruntime's; __init__.py re-exports them.
  static py::exception<Error> fail(m, "Fail");
  static py::exception<Error> invalid_argument(m, "InvalidArgument");
  static py::exception<Error> no_such_file(m, "NoSuchFile");
  static py::exception<Error> no_model(m, "NoModel");
  static py::exception<Error> invalid_protobuf(m, "InvalidProtobuf");
  static py::exception<Error> invalid_graph(m, "InvalidGraph");
  static py::exception<Error> not_implemented(m, "NotImplemented");
  static py::exception<Error> runtime_exception(m, "RuntimeException");
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      std::string msg = std::string("[ONYX] ") + ErrorCodeName(e.code()) + " : " + e.what();
      switch (e.code()) {
        case ErrorCode::Fail: fail(msg.c_str()); break;
        case ErrorCode::InvalidArgument: invalid_argument(msg.c_str()); break;
        case ErrorCode::NoSuchFile: no_such_file(msg.c_str()); break;
        case ErrorCode::NoModel: no_model(msg.c_str()); break;
        case ErrorCode::InvalidProtobuf: invalid_protobuf(msg.c_str()); break;
        case ErrorCode::InvalidGraph: invalid_graph(msg.c_str()); break;
        case ErrorCode::NotImplemented: not_implemented(msg.c_str()); break;
        case ErrorCode::RuntimeException: runtime_exception(msg.c_str()); break;
      }
    }
  });
  py::class_<PySession>(m, "Session")
      .def(py::init<py::object, py::dict, const std::vector<std::pair<std::string, std::map<std::string, std::string>>>&>(),
           py::arg("model"), py::arg("options"), py::arg("providers"))
      .def("run", &PySession::Run, py::arg("output_names"), py::arg("feed"), py::arg("terminate") = nullptr)
      .def("run_tensors", &PySession::RunTensors, py::arg("output_names"), py::arg("feed"), py::arg("keep_on_device"))
      .def("inputs", &PySession::Inputs)
      .def("outputs", &PySession::Outputs)
      .def("providers", &PySession::Providers)
      .def("end_profiling", &PySession::EndProfiling)
      .def("profiling_start_time_ns", &PySession::ProfilingStartTimeNs)
      .def("metadata", &PySession::Metadata);
  // RunOptions.terminate: a flag shared with the runs that use it.
  py::class_<std::atomic<bool>, std::shared_ptr<std::atomic<bool>>>(m, "TerminateFlag")
      .def(py::init([] { return std::make_shared<std::atomic<bool>>(false); }))
      .def("get", [](const std::atomic<bool>& f) { return f.load(); })
      .def("set", [](std::atomic<bool>& f, bool v) { f.store(v); });
  py::class_<PyTensor>(m, "Tensor")
      .def_static("from_numpy", &PyTensor::FromNumpy, py::arg("array"), py::arg("device_type"), py::arg("device_id"))
      .def_static("allocate", &PyTensor::Allocate, py::arg("shape"), py::arg("element_type"), py::arg("device_type"), py::arg("device_id"))
      .def_static("borrow", &PyTensor::Borrow, py::arg("ptr"), py::arg("shape"), py::arg("element_type"), py::arg("device_type"), py::arg("device_id"))
      .def("numpy", &PyTensor::Numpy)
      .def("to", &PyTensor::To, py::arg("device_type"), py::arg("device_id"))
      .def("shape", &PyTensor::Shape)
      .def("dtype", &PyTensor::Dtype)
      .def("type_string", &PyTensor::TypeString)
      .def("device_name", &PyTensor::DeviceName)
      .def("device_id", &PyTensor::DeviceId)
      .def("data_ptr", &PyTensor::DataPtr)
      .def("copy_into", &PyTensor::CopyInto, py::arg("dst"));
  m.def("available_providers", &AvailableProviders);
  m.def("version", &Version);
}
