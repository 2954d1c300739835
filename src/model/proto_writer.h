#pragma once
// A minimal writer of the protobuf wire format: the counterpart of proto_reader.h, used to save
// models (optimized_model_filepath) and by tests to build models byte by byte.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace onyx::proto {

class Writer {
 public:
  Writer& Varint(uint32_t field, uint64_t v) {
    Key(field, 0);
    Raw(v);
    return *this;
  }
  Writer& Bytes(uint32_t field, const std::string& s) { return Bytes(field, s.data(), s.size()); }
  Writer& Bytes(uint32_t field, const void* data, size_t n) {
    Key(field, 2);
    Raw(n);
    out_.append(static_cast<const char*>(data), n);
    return *this;
  }
  Writer& Float(uint32_t field, float f) {
    Key(field, 5);
    char b[4];
    std::memcpy(b, &f, 4);
    out_.append(b, 4);
    return *this;
  }
  Writer& Message(uint32_t field, const Writer& m) { return Bytes(field, m.str()); }
  // A packed repeated varint field (dims, ints attributes, int64_data).
  Writer& PackedVarints(uint32_t field, const std::vector<int64_t>& values) {
    Writer run;
    for (int64_t v : values) run.Raw(static_cast<uint64_t>(v));
    return Bytes(field, run.str());
  }
  Writer& PackedFloats(uint32_t field, const std::vector<float>& values) {
    return Bytes(field, values.data(), values.size() * sizeof(float));
  }
  const std::string& str() const { return out_; }

 private:
  void Key(uint32_t field, uint32_t wire) { Raw((static_cast<uint64_t>(field) << 3) | wire); }
  void Raw(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  std::string out_;
};

}  // namespace onyx::proto
