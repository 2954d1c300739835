#pragma once
#include <memory>
#include <vector>

#include "onyx/tensor.h"

namespace onyx {

// What flows along a graph edge: a tensor, a sequence of tensors, or nothing (an empty
// optional or an omitted optional input).
class Value {
 public:
  enum class Kind { None, Tensor, Sequence };

  Value() = default;
  Value(Tensor t) : kind_(Kind::Tensor), tensor_(std::move(t)) {}  // NOLINT: implicit by design
  static Value Sequence(std::vector<Tensor> items, DataType elem_type);

  Kind kind() const { return kind_; }
  bool is_none() const { return kind_ == Kind::None; }
  bool is_tensor() const { return kind_ == Kind::Tensor; }
  bool is_sequence() const { return kind_ == Kind::Sequence; }

  const Tensor& tensor() const;  // throws onyx::Error if not a tensor
  Tensor& tensor();
  const std::vector<Tensor>& sequence() const;  // throws onyx::Error if not a sequence
  DataType sequence_elem_type() const { return seq_type_; }

 private:
  Kind kind_ = Kind::None;
  Tensor tensor_;
  std::shared_ptr<const std::vector<Tensor>> sequence_;
  DataType seq_type_ = DataType::Undefined;
};

}  // namespace onyx
