// TensorProto -> Tensor, including external data, which is resolved only inside the model's
// folder (CVE-2022-25882, CVE-2024-27318: '..' escapes and symlinks).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "core/float16.h"
#include "core/output_fill.h"
#include "model/model_loader.h"
#include "model/proto_parse.h"

namespace onyx {

namespace fs = std::filesystem;

std::string ReadFileBytes(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(ErrorCode::NoSuchFile, "no such file: '" + path + "'");
  if (fs::is_directory(path, ec)) throw Error(ErrorCode::NoSuchFile, "'" + path + "' is a directory, expected a file");
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(ErrorCode::NoSuchFile, "cannot open '" + path + "'");
  f.seekg(0, std::ios::end);
  std::streamoff n = f.tellg();
  if (n < 0) throw Error(ErrorCode::NoSuchFile, "cannot read '" + path + "'");
  std::string bytes(static_cast<size_t>(n), '\0');
  f.seekg(0);
  f.read(bytes.data(), n);
  if (!f) throw Error(ErrorCode::NoSuchFile, "cannot read '" + path + "'");
  return bytes;
}

FileBytes::FileBytes(const std::string& path) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && ::fstat(fd, &st) == 0 && st.st_size > 0) {
      void* p = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
      if (p != MAP_FAILED) {
        mapped_ = p;
        data_ = static_cast<const char*>(p);
        size_ = static_cast<size_t>(st.st_size);
      }
    }
    if (fd >= 0) ::close(fd);
    if (mapped_) return;
  }
  read_ = ReadFileBytes(path);
  data_ = read_.data();
  size_ = read_.size();
}

void FileBytes::Consumed(const void* p, size_t n) const {
  const auto begin = reinterpret_cast<uintptr_t>(p), end = begin + n;
  const auto map_begin = reinterpret_cast<uintptr_t>(mapped_), map_end = map_begin + size_;
  if (!mapped_ || begin < map_begin || end > map_end) return;
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t first = (begin + page - 1) / page * page, last = end / page * page;
  if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

FileBytes::~FileBytes() {
  if (mapped_) ::munmap(mapped_, size_);
}

namespace {

struct ExternalData {
  std::string location;
  int64_t offset = 0;
  int64_t length = -1;
};

// Reads external bytes after checking that the file lies inside model_dir.
std::string ReadExternal(const ExternalData& ext, const std::string& model_dir, const std::string& tensor_name,
                         size_t expected_bytes) {
  auto fail = [&](const std::string& why) {
    return Error(ErrorCode::InvalidGraph, "external data of tensor '" + tensor_name + "': " + why);
  };
  if (model_dir.empty())
    throw fail("the model was loaded from bytes, so external data file '" + ext.location + "' cannot be resolved");
  if (ext.location.empty()) throw fail("no 'location' given");
  fs::path rel(ext.location);
  if (rel.is_absolute() || ext.location[0] == '/' || ext.location[0] == '\\')
    throw fail("absolute path '" + ext.location + "' is refused: external data must lie in the model's folder");
  for (const auto& part : rel)
    if (part == "..") throw fail("path '" + ext.location + "' contains '..': external data must lie in the model's folder");
  std::error_code ec;
  fs::path base = fs::weakly_canonical(fs::path(model_dir), ec);
  fs::path full = fs::weakly_canonical(fs::path(model_dir) / rel, ec);
  if (ec) throw fail("cannot resolve '" + ext.location + "'");
  auto b = base.begin(), f = full.begin();
  for (; b != base.end(); ++b, ++f)
    if (f == full.end() || *b != *f)
      throw fail("path '" + ext.location + "' resolves outside the model's folder (through a symbolic link)");
  if (!fs::is_regular_file(full, ec)) throw Error(ErrorCode::NoSuchFile, "external data file '" + ext.location + "' of tensor '" + tensor_name + "' does not exist");
  const auto file_size = static_cast<int64_t>(fs::file_size(full, ec));
  if (ec) throw fail("cannot read the size of '" + ext.location + "'");
  if (ext.offset < 0) throw fail("negative offset");
  int64_t length = ext.length >= 0 ? ext.length : file_size - ext.offset;
  if (ext.offset > file_size || length > file_size - ext.offset)
    throw fail("offset " + std::to_string(ext.offset) + " + length " + std::to_string(length) + " is past the end of '" +
               ext.location + "' (" + std::to_string(file_size) + " bytes)");
  if (static_cast<size_t>(length) != expected_bytes)
    throw fail("holds " + std::to_string(length) + " bytes but the tensor needs " + std::to_string(expected_bytes));
  std::ifstream in(full, std::ios::binary);
  std::string bytes(static_cast<size_t>(length), '\0');
  in.seekg(ext.offset);
  in.read(bytes.data(), length);
  if (!in) throw fail("cannot read '" + ext.location + "'");
  return bytes;
}

template <typename Dst, typename Src>
void Fill(Tensor& t, const std::vector<Src>& src, const std::string& name, const char* field) {
  if (static_cast<int64_t>(src.size()) != t.size())
    throw Error(ErrorCode::InvalidGraph, "tensor '" + name + "' has " + std::to_string(src.size()) + " values in " + field +
                                             " but its shape " + ShapeToString(t.shape()) + " needs " + std::to_string(t.size()));
  Dst* d = t.data<Dst>();
  for (size_t i = 0; i < src.size(); ++i) d[i] = static_cast<Dst>(src[i]);
}

}  // namespace

Tensor ParseTensor(proto::Reader r, const std::string& model_dir, const FileBytes* file) {
  std::vector<int64_t> dims;
  int32_t dtype_code = 0;
  std::string name;
  std::string_view raw;
  bool has_raw = false;
  std::vector<float> floats;
  std::vector<int64_t> int32s, int64s;  // int32_data holds varints (also for 8/16-bit types)
  std::vector<double> doubles;
  std::vector<uint64_t> uint64s;
  std::vector<std::string> strings;
  ExternalData ext;
  bool external = false;
  while (r.Next()) {
    switch (r.field()) {
      case 1: r.RepeatedInt64(dims); break;
      case 2: dtype_code = r.Int32(); break;
      case 3: r.Fail("tensor segments are not supported");
      case 4: r.RepeatedFloat(floats); break;
      case 5: r.RepeatedInt64(int32s); break;
      case 6: strings.push_back(r.String()); break;
      case 7: r.RepeatedInt64(int64s); break;
      case 8: name = r.String(); break;
      case 9: raw = r.Bytes(); has_raw = true; break;
      case 10: r.RepeatedDouble(doubles); break;
      case 11: r.RepeatedUInt64(uint64s); break;
      case 13: {
        proto::Reader e = r.Message();
        std::string key, value;
        while (e.Next()) {
          if (e.field() == 1) key = e.String();
          else if (e.field() == 2) value = e.String();
          else e.Skip();
        }
        auto to_int = [&](const std::string& s) {
          char* endp = nullptr;
          long long v = std::strtoll(s.c_str(), &endp, 10);
          if (s.empty() || *endp) throw Error(ErrorCode::InvalidGraph, "tensor '" + name + "': external data " + key + " '" + s + "' is not an integer");
          return static_cast<int64_t>(v);
        };
        if (key == "location") ext.location = value;
        else if (key == "offset") ext.offset = to_int(value);
        else if (key == "length") ext.length = to_int(value);
        break;
      }
      case 14: external = r.Int32() == 1; break;
      default: r.Skip();
    }
  }
  if (!IsKnownDataType(dtype_code))
    throw Error(ErrorCode::InvalidGraph, "tensor '" + name + "' has unknown data type " + std::to_string(dtype_code));
  const auto dtype = static_cast<DataType>(dtype_code);
  for (int64_t d : dims)
    if (d < 0) throw Error(ErrorCode::InvalidGraph, "tensor '" + name + "' has negative dimension in " + ShapeToString(dims));
  int64_t count = 0;
  try {
    count = ShapeSize(dims);
  } catch (const Error&) {
    throw Error(ErrorCode::InvalidGraph, "tensor '" + name + "' has dims " + ShapeToString(dims) + " whose element count overflows");
  }
  // Refuse sizes the payload cannot back before allocating anything.
  // Sub-byte types pack 8/bits elements per byte (or per int32_data entry), low bits first.
  const int bits = PackedBits(dtype);
  const bool packed4 = bits != 0;
  const int64_t per_byte = bits ? 8 / bits : 1;
  const size_t packed_len = bits ? static_cast<size_t>((count + per_byte - 1) / per_byte) : 0;
  const bool sign_ext = dtype == DataType::Int4 || dtype == DataType::Int2;
  auto unpack = [&](Tensor& t, auto&& word) {
    auto* d = t.data<uint8_t>();
    const uint32_t mask = (1u << bits) - 1;
    for (int64_t i = 0; i < count; ++i) {
      uint32_t v = (static_cast<uint8_t>(word(i / per_byte)) >> ((i % per_byte) * bits)) & mask;
      if (sign_ext && (v >> (bits - 1))) v |= ~mask;
      d[i] = static_cast<uint8_t>(v);
    }
  };
  const size_t es = DataTypeSize(dtype);
  std::string ext_bytes;
  if (external) {
    if (dtype == DataType::String) throw Error(ErrorCode::InvalidGraph, "string tensor '" + name + "' cannot use external data");
    size_t need = packed4 ? packed_len : static_cast<size_t>(count) * es;
    ext_bytes = ReadExternal(ext, model_dir, name, need);
    raw = ext_bytes;
    has_raw = true;
  }
  if (has_raw && dtype != DataType::String) {
    size_t need = packed4 ? packed_len : static_cast<size_t>(count) * es;
    if (raw.size() != need)
      throw Error(ErrorCode::InvalidGraph, "tensor '" + name + "' of type " + DataTypeName(dtype) + " and shape " + ShapeToString(dims) +
                                               " needs " + std::to_string(need) + " bytes of raw_data but has " + std::to_string(raw.size()));
  } else if (!has_raw) {
    size_t given = floats.size() + int32s.size() + int64s.size() + doubles.size() + uint64s.size() + strings.size();
    size_t per = (dtype == DataType::Complex64 || dtype == DataType::Complex128) ? 2 : 1;
    if (packed4) per = 0;  // packed pairs checked below
    if (per && given != static_cast<size_t>(count) * per && !(given == 0 && count == 0))
      throw Error(ErrorCode::InvalidGraph, "tensor '" + name + "' has " + std::to_string(given) + " values but its shape " +
                                               ShapeToString(dims) + " needs " + std::to_string(count));
  }
  // raw_data covers every byte (checked above): no need to zero the storage first.
  std::optional<ScopedOutputFill> no_fill;
  if (has_raw && !packed4 && dtype != DataType::String) no_fill.emplace(OutputFill::None);
  Tensor t(dtype, dims);
  no_fill.reset();
  if (dtype == DataType::String) {
    if (static_cast<int64_t>(strings.size()) != count)
      throw Error(ErrorCode::InvalidGraph, "string tensor '" + name + "' has " + std::to_string(strings.size()) + " strings but its shape needs " + std::to_string(count));
    for (int64_t i = 0; i < count; ++i) t.data<std::string>()[i] = std::move(strings[i]);
    return t;
  }
  if (has_raw) {
    if (packed4) {
      unpack(t, [&](int64_t j) { return raw[static_cast<size_t>(j)]; });
    } else if (count) {
      std::memcpy(t.raw_data(), raw.data(), raw.size());
      if (file) file->Consumed(raw.data(), raw.size());
    }
    return t;
  }
  switch (dtype) {
    case DataType::Float: Fill<float>(t, floats, name, "float_data"); break;
    case DataType::Complex64: {
      if (floats.size() != static_cast<size_t>(count) * 2) throw Error(ErrorCode::InvalidGraph, "complex tensor '" + name + "' has the wrong number of values");
      std::memcpy(t.raw_data(), floats.data(), floats.size() * 4);
      break;
    }
    case DataType::Double: Fill<double>(t, doubles, name, "double_data"); break;
    case DataType::Complex128: {
      if (doubles.size() != static_cast<size_t>(count) * 2) throw Error(ErrorCode::InvalidGraph, "complex tensor '" + name + "' has the wrong number of values");
      std::memcpy(t.raw_data(), doubles.data(), doubles.size() * 8);
      break;
    }
    case DataType::Int64: Fill<int64_t>(t, int64s, name, "int64_data"); break;
    case DataType::UInt64: Fill<uint64_t>(t, uint64s, name, "uint64_data"); break;
    case DataType::UInt32: Fill<uint32_t>(t, uint64s, name, "uint64_data"); break;
    case DataType::Int32: Fill<int32_t>(t, int32s, name, "int32_data"); break;
    case DataType::Int16: Fill<int16_t>(t, int32s, name, "int32_data"); break;
    case DataType::UInt16: case DataType::Float16: case DataType::BFloat16: Fill<uint16_t>(t, int32s, name, "int32_data"); break;
    case DataType::Int8: Fill<int8_t>(t, int32s, name, "int32_data"); break;
    case DataType::UInt8: case DataType::Bool: case DataType::Float8E4M3FN: case DataType::Float8E4M3FNUZ:
    case DataType::Float8E5M2: case DataType::Float8E5M2FNUZ: case DataType::Float8E8M0:
      Fill<uint8_t>(t, int32s, name, "int32_data");
      if (dtype == DataType::Bool)
        for (int64_t i = 0; i < count; ++i) t.data<uint8_t>()[i] = t.data<uint8_t>()[i] ? 1 : 0;
      break;
    case DataType::Int4: case DataType::UInt4: case DataType::Float4E2M1: case DataType::Int2: case DataType::UInt2: {
      if (int32s.size() != packed_len)
        throw Error(ErrorCode::InvalidGraph, std::to_string(bits) + "-bit tensor '" + name + "' has " + std::to_string(int32s.size()) +
                                                 " int32_data values but needs " + std::to_string(packed_len));
      unpack(t, [&](int64_t j) { return int32s[static_cast<size_t>(j)]; });
      break;
    }
    default: throw Error(ErrorCode::NotImplemented, "tensor '" + name + "': data type " + DataTypeName(dtype) + " is not supported");
  }
  return t;
}

std::string ParseTensorName(proto::Reader r) {
  while (r.Next()) {
    if (r.field() == 8) return r.String();
    r.Skip();
  }
  return {};
}

Tensor LoadTensorProto(const void* data, size_t size, const std::string& model_dir, std::string* name) {
  proto::Reader r(static_cast<const uint8_t*>(data), size, "TensorProto");
  if (name) *name = ParseTensorName(r);
  return ParseTensor(r, model_dir);
}

Value LoadValueProto(const void* data, size_t size, bool is_sequence, bool is_optional) {
  proto::Reader r(static_cast<const uint8_t*>(data), size, is_sequence ? "SequenceProto" : "OptionalProto");
  int32_t elem_type = 0;
  std::vector<Tensor> tensors;
  std::vector<Value> nested;
  while (r.Next()) {
    if (r.field() == 2) {
      elem_type = r.Int32();
    } else if (r.field() == 3) {
      tensors.push_back(ParseTensor(r.Message(), ""));
    } else if (r.field() == 5) {
      std::string_view b = r.Bytes();
      nested.push_back(LoadValueProto(b.data(), b.size(), true, false));
    } else {
      r.Skip();
    }
  }
  if (is_optional) {
    if (elem_type == 0) return Value();
    if (elem_type == 1) return tensors.empty() ? Value() : Value(tensors[0]);
    if (elem_type == 3 && !nested.empty()) return nested[0];
    return Value();
  }
  if (elem_type != 1 && elem_type != 0)
    throw Error(ErrorCode::NotImplemented, "sequences of non-tensor values are not supported");
  DataType et = tensors.empty() ? DataType::Undefined : tensors[0].dtype();
  return Value::Sequence(std::move(tensors), et);
}

}  // namespace onyx
