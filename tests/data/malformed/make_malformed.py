#!/usr/bin/env python3
"""Writes the malformed-model corpus next to this script (issue #6).

Each model is broken in one way. expected.tsv says which error class onyx must raise for it
and a piece of the message that must name what is wrong; tests/unit/malformed_models_test.cc
and tests/python/test_malformed.py check it, and the fuzz replay (tests/fuzz) runs every file
through the fuzz entry point, sanitized builds included. Rerun after changing this script:

    python3 tests/data/malformed/make_malformed.py
"""
import os
import shutil
import struct
from pathlib import Path

import onnx
from onnx import TensorProto, helper

HERE = Path(__file__).resolve().parent
# A file outside the corpus folder that the escaping models point at: loading it would be the bug.
OUTSIDE = HERE.parent / "malformed_outside"

F = TensorProto.FLOAT


def model(nodes, inputs, outputs, initializers=(), opset=17, extra_opsets=(), ir_version=8):
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(initializers))
    opsets = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]
    m = helper.make_model(graph, opset_imports=opsets, producer_name="onyx-malformed")
    m.ir_version = ir_version
    return m


def tensor_input(name, shape=(2, 2), elem=F):
    return helper.make_tensor_value_info(name, elem, list(shape))


def relu_model():
    return model([helper.make_node("Relu", ["x"], ["y"])], [tensor_input("x")], [tensor_input("y")])


def add_weight_model(weight):
    """y = x + w, w an initializer, for the tensor-data cases."""
    return model([helper.make_node("Add", ["x", "w"], ["y"])], [tensor_input("x")], [tensor_input("y")], [weight])


def raw_tensor(name, dims, raw):
    t = TensorProto()
    t.name = name
    t.data_type = F
    t.dims.extend(dims)
    t.raw_data = raw
    return t


def external_tensor(name, location, offset=None, length=None, dims=(2, 2)):
    t = TensorProto()
    t.name = name
    t.data_type = F
    t.dims.extend(dims)
    t.data_location = TensorProto.EXTERNAL
    entries = [("location", location)]
    if offset is not None:
        entries.append(("offset", str(offset)))
    if length is not None:
        entries.append(("length", str(length)))
    for k, v in entries:
        e = t.external_data.add()
        e.key, e.value = k, v
    return t


def _varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def _field(num, payload):
    """A length-delimited protobuf field."""
    return _varint(num << 3 | 2) + _varint(len(payload)) + payload


def nested_if(depth):
    """`depth` If nodes, each then-branch holding the next; the innermost returns x.

    Written on the wire by hand: the protobuf Python package refuses to build messages nested
    this deep (about 100 levels), which is the point of the case.
    """
    leaf = helper.make_graph([helper.make_node("Identity", ["x"], ["o"])], "leaf", [], [tensor_input("o")])
    leaf_bytes = leaf.SerializeToString()
    out_info = tensor_input("o").SerializeToString()
    graph = leaf_bytes
    graph_attr_type = _varint(20 << 3) + _varint(onnx.AttributeProto.GRAPH)
    for _ in range(depth):
        then_attr = _field(1, b"then_branch") + _field(6, graph) + graph_attr_type
        else_attr = _field(1, b"else_branch") + _field(6, leaf_bytes) + graph_attr_type
        node = _field(1, b"c") + _field(2, b"o") + _field(4, b"If") + _field(5, then_attr) + _field(5, else_attr)
        graph = _field(1, node) + _field(2, b"level") + _field(12, out_info)
    inputs = b"".join(_field(11, vi.SerializeToString())
                      for vi in (tensor_input("x"), tensor_input("c", (), TensorProto.BOOL)))
    opset = _field(8, _field(1, b"") + _varint(2 << 3) + _varint(17))
    return _varint(1 << 3) + _varint(8) + _field(7, graph + inputs) + opset


def cases():
    good = relu_model().SerializeToString()
    yield "empty.onnx", b""
    yield "truncated.onnx", good[: len(good) // 2]
    yield "not_protobuf.onnx", b"\xff\xff\xff\xff this is not a model \x00\x01"
    yield "no_graph.onnx", helper.make_model(helper.make_graph([], "g", [], [])).SerializeToString()[:8]

    yield "raw_data_wrong_length.onnx", add_weight_model(raw_tensor("w", [2, 2], b"\0" * 12))
    yield "negative_dim.onnx", add_weight_model(raw_tensor("w", [-1, 2], b"\0" * 8))
    yield "huge_dims.onnx", add_weight_model(raw_tensor("w", [1 << 40, 1 << 20], b"\0" * 16))
    yield "dims_overflow.onnx", add_weight_model(raw_tensor("w", [1 << 32, 1 << 32, 1 << 32], b"\0" * 16))
    yield "negative_input_dim.onnx", model([helper.make_node("Relu", ["x"], ["y"])],
                                           [tensor_input("x", (2, -5))], [tensor_input("y")])

    yield "cycle.onnx", model([helper.make_node("Relu", ["b"], ["a"]), helper.make_node("Relu", ["a"], ["b"]),
                               helper.make_node("Add", ["x", "a"], ["y"])], [tensor_input("x")], [tensor_input("y")])
    yield "dangling_input.onnx", model([helper.make_node("Add", ["x", "nowhere"], ["y"])],
                                       [tensor_input("x")], [tensor_input("y")])
    yield "duplicate_output.onnx", model([helper.make_node("Relu", ["x"], ["y"]), helper.make_node("Neg", ["x"], ["y"])],
                                         [tensor_input("x")], [tensor_input("y")])
    yield "missing_graph_output.onnx", model([helper.make_node("Relu", ["x"], ["y"])],
                                             [tensor_input("x")], [tensor_input("z")])
    yield "unknown_op.onnx", model([helper.make_node("FrobnicateTensor", ["x"], ["y"])],
                                   [tensor_input("x")], [tensor_input("y")])
    yield "unknown_domain.onnx", model([helper.make_node("Relu", ["x"], ["y"], domain="com.example.nowhere")],
                                       [tensor_input("x")], [tensor_input("y")],
                                       extra_opsets=[("com.example.nowhere", 1)])
    yield "opset_too_new.onnx", model([helper.make_node("Relu", ["x"], ["y"])], [tensor_input("x")],
                                      [tensor_input("y")], opset=1000)
    yield "attribute_wrong_type.onnx", model([helper.make_node("Transpose", ["x"], ["y"], perm="1,0")],
                                             [tensor_input("x")], [tensor_input("y")])
    yield "attribute_out_of_range.onnx", model([helper.make_node("Transpose", ["x"], ["y"], perm=[0, 7])],
                                               [tensor_input("x")], [tensor_input("y")])
    yield "too_many_inputs.onnx", model([helper.make_node("Relu", ["x", "x", "x"], ["y"])],
                                        [tensor_input("x")], [tensor_input("y")])
    yield "unknown_elem_type.onnx", model([helper.make_node("Relu", ["x"], ["y"])],
                                          [tensor_input("x", elem=77)], [tensor_input("y")])
    ghost_branch = helper.make_graph([helper.make_node("Identity", ["ghost"], ["o"])], "then", [],
                                     [tensor_input("o")])
    yield "subgraph_missing_value.onnx", model(
        [helper.make_node("If", ["c"], ["y"], then_branch=ghost_branch, else_branch=ghost_branch)],
        [tensor_input("c", (), TensorProto.BOOL)], [tensor_input("y")])
    yield "deeply_nested.onnx", nested_if(200)

    yield "external_absolute_path.onnx", add_weight_model(external_tensor("w", str(OUTSIDE / "secret.bin")))
    yield "external_dotdot.onnx", add_weight_model(external_tensor("w", "../malformed_outside/secret.bin"))
    yield "external_subdir_dotdot.onnx", add_weight_model(external_tensor("w", "weights/../../malformed_outside/secret.bin"))
    yield "external_symlink.onnx", add_weight_model(external_tensor("w", "weights/escape.bin"))
    yield "external_past_end.onnx", add_weight_model(external_tensor("w", "weights/w.bin", offset=8, length=16))
    yield "external_missing_file.onnx", add_weight_model(external_tensor("w", "weights/absent.bin"))


def main():
    for old in HERE.glob("*.onnx"):
        old.unlink()
    shutil.rmtree(HERE / "weights", ignore_errors=True)
    shutil.rmtree(OUTSIDE, ignore_errors=True)
    (HERE / "weights").mkdir()
    OUTSIDE.mkdir()
    four_floats = struct.pack("<4f", 1, 2, 3, 4)
    (OUTSIDE / "secret.bin").write_bytes(four_floats)
    (HERE / "weights" / "w.bin").write_bytes(four_floats)  # 16 bytes: offset 8 + length 16 overruns it
    os.symlink("../../malformed_outside/secret.bin", HERE / "weights" / "escape.bin")
    for name, m in cases():
        data = m if isinstance(m, bytes) else m.SerializeToString()
        (HERE / name).write_bytes(data)
    print(f"wrote {len(list(HERE.glob('*.onnx')))} models to {HERE}")


if __name__ == "__main__":
    main()
