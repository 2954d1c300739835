#include "cli/tensor_files.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/float16.h"
#include "model/model_loader.h"
#include "onyx/error.h"

namespace onyx::cli {

namespace {

const std::pair<const char*, DataType> kNpyTypes[] = {
    {"f4", DataType::Float}, {"f8", DataType::Double}, {"f2", DataType::Float16}, {"i1", DataType::Int8},
    {"i2", DataType::Int16}, {"i4", DataType::Int32},  {"i8", DataType::Int64},   {"u1", DataType::UInt8},
    {"u2", DataType::UInt16}, {"u4", DataType::UInt32}, {"u8", DataType::UInt64}, {"b1", DataType::Bool}};

DataType NpyType(const std::string& descr, const std::string& path) {
  const auto& table = kNpyTypes;
  if (descr.size() == 3 && descr[0] == '>' && descr.substr(1) != "i1" && descr.substr(1) != "u1" && descr.substr(1) != "b1")
    throw Error(ErrorCode::InvalidArgument, path + ": big-endian .npy data is not supported");
  std::string code = descr.size() == 3 ? descr.substr(1) : descr;
  for (const auto& [c, t] : table)
    if (code == c) return t;
  throw Error(ErrorCode::InvalidArgument, path + ": .npy dtype '" + descr + "' is not supported");
}

Tensor LoadNpy(const std::string& bytes, const std::string& path) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) throw Error(ErrorCode::InvalidArgument, path + " is not a .npy file");
  const int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len, offset;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    offset = 10;
  } else {
    if (bytes.size() < 12) throw Error(ErrorCode::InvalidArgument, path + ": truncated .npy header");
    header_len = 0;
    for (int i = 0; i < 4; ++i) header_len |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    offset = 12;
  }
  if (offset + header_len > bytes.size()) throw Error(ErrorCode::InvalidArgument, path + ": truncated .npy header");
  std::string header = bytes.substr(offset, header_len);
  auto field = [&](const std::string& key) {
    auto k = header.find("'" + key + "'");
    if (k == std::string::npos) throw Error(ErrorCode::InvalidArgument, path + ": .npy header lacks '" + key + "'");
    return header.substr(header.find(':', k) + 1);
  };
  std::string descr = field("descr");
  descr = descr.substr(descr.find('\'') + 1);
  descr = descr.substr(0, descr.find('\''));
  if (field("fortran_order").find("True") < field("fortran_order").find(','))
    throw Error(ErrorCode::InvalidArgument, path + ": Fortran-ordered .npy arrays are not supported");
  std::string sh = field("shape");
  sh = sh.substr(sh.find('(') + 1);
  sh = sh.substr(0, sh.find(')'));
  std::vector<int64_t> shape;
  std::stringstream ss(sh);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item.erase(std::remove_if(item.begin(), item.end(), ::isspace), item.end());
    if (!item.empty()) shape.push_back(std::stoll(item));
  }
  DataType dt = NpyType(descr, path);
  Tensor t(dt, shape);
  size_t data_off = offset + header_len;
  if (bytes.size() - data_off < t.nbytes())
    throw Error(ErrorCode::InvalidArgument, path + ": holds " + std::to_string(bytes.size() - data_off) + " bytes of data, shape needs " + std::to_string(t.nbytes()));
  if (t.nbytes()) std::memcpy(t.raw_data(), bytes.data() + data_off, t.nbytes());
  return t;
}

}  // namespace

void SaveNpy(const Tensor& t, const std::string& path) {
  std::string code;
  for (const auto& [c, dt] : kNpyTypes)
    if (dt == t.dtype()) code = c;
  if (code.empty() || !t.on_cpu()) throw Error(ErrorCode::InvalidArgument, std::string("cannot save a tensor of type ") + DataTypeName(t.dtype()) + " as .npy");
  std::string shape = "(";
  for (size_t i = 0; i < t.rank(); ++i) shape += std::to_string(t.dim(i)) + (t.rank() == 1 || i + 1 < t.rank() ? "," : "");
  shape += ")";
  std::string header = "{'descr': '" + std::string(code[0] == 'b' || code[1] == '1' ? "|" : "<") + code +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  header.append(64 - (10 + header.size() + 1) % 64, ' ');
  header += '\n';
  std::ofstream f(path, std::ios::binary);
  if (!f) throw Error(ErrorCode::NoSuchFile, "cannot write " + path);
  f.write("\x93NUMPY\x01\x00", 8);
  const uint16_t len = static_cast<uint16_t>(header.size());
  f.put(static_cast<char>(len & 0xff)).put(static_cast<char>(len >> 8));
  f << header;
  f.write(static_cast<const char*>(t.raw_data()), static_cast<std::streamsize>(t.nbytes()));
  if (!f) throw Error(ErrorCode::Fail, "failed writing " + path);
}

Tensor LoadTensorFile(const std::string& path) {
  std::string bytes = ReadFileBytes(path);
  if (bytes.compare(0, 6, "\x93NUMPY") == 0) return LoadNpy(bytes, path);
  return LoadTensorProto(bytes.data(), bytes.size());
}

Tensor RandomTensor(DataType dtype, const std::vector<int64_t>& shape, std::mt19937& rng) {
  Tensor t(dtype, shape);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::uniform_int_distribution<int> small(0, 9);
  for (int64_t i = 0; i < t.size(); ++i) {
    switch (dtype) {
      case DataType::Float: t.data<float>()[i] = normal(rng); break;
      case DataType::Double: t.data<double>()[i] = normal(rng); break;
      case DataType::Float16: t.data<uint16_t>()[i] = FloatToHalf(normal(rng)); break;
      case DataType::BFloat16: t.data<uint16_t>()[i] = FloatToBFloat16(normal(rng)); break;
      case DataType::Bool: t.data<uint8_t>()[i] = small(rng) & 1; break;
      case DataType::Int8: case DataType::UInt8: t.data<uint8_t>()[i] = static_cast<uint8_t>(small(rng)); break;
      case DataType::Int16: case DataType::UInt16: t.data<uint16_t>()[i] = static_cast<uint16_t>(small(rng)); break;
      case DataType::Int32: case DataType::UInt32: t.data<uint32_t>()[i] = static_cast<uint32_t>(small(rng)); break;
      case DataType::Int64: case DataType::UInt64: t.data<uint64_t>()[i] = static_cast<uint64_t>(small(rng)); break;
      case DataType::String: t.data<std::string>()[i] = std::to_string(small(rng)); break;
      default: break;
    }
  }
  return t;
}

std::string Summarize(const Tensor& t) {
  std::ostringstream os;
  os << DataTypeName(t.dtype()) << " " << ShapeToString(t.shape());
  if (t.dtype() == DataType::String || t.size() == 0) return os.str();
  auto at = [&](int64_t i) -> double {
    switch (t.dtype()) {
      case DataType::Float: return t.data<float>()[i];
      case DataType::Double: return t.data<double>()[i];
      case DataType::Float16: return HalfToFloat(t.data<uint16_t>()[i]);
      case DataType::BFloat16: return BFloat16ToFloat(t.data<uint16_t>()[i]);
      case DataType::Int64: return static_cast<double>(t.data<int64_t>()[i]);
      case DataType::Int32: return t.data<int32_t>()[i];
      case DataType::Int8: return t.data<int8_t>()[i];
      case DataType::UInt8: case DataType::Bool: return t.data<uint8_t>()[i];
      default: return NAN;
    }
  };
  double mn = INFINITY, mx = -INFINITY, sum = 0;
  for (int64_t i = 0; i < t.size(); ++i) {
    double v = at(i);
    mn = std::min(mn, v);
    mx = std::max(mx, v);
    sum += v;
  }
  os << " min=" << mn << " max=" << mx << " mean=" << sum / t.size() << " first:";
  for (int64_t i = 0; i < std::min<int64_t>(t.size(), 5); ++i) os << " " << at(i);
  return os.str();
}

}  // namespace onyx::cli
