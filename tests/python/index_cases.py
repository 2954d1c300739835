"""The index-hardening cases of issue #6 (see test_index_hardening.py): one small model per case
whose indices, sizes or counts (fed at run time, so no load-time check can see them) are out of
range, and what onnxruntime and the ONNX spec say should happen.

Each case is Case(id, op, inputs, attrs, opset, expect, ...):
    inputs   list of (name, numpy array) in the node's input order; None for an absent optional input,
             a string for the output of one of the `pre` nodes (e.g. a SequenceConstruct); a name
             "g:NAME" makes a graph input NAME that only the `pre` nodes read
    expect   "error": the run must fail; the message must contain `text` (the offending value)
             "values": the run must succeed; outputs equal onnxruntime's, or `want` (numpy/spec) where given
    ort      False where onnxruntime is not the reference for this case (it lacks the kernel, or
             disagrees with the spec: `note` says how); `want` then gives the spec result
    cls      the exception classes accepted from onyx, where onnxruntime's is not the rule
"""
import collections

import numpy as np
from onnx import TensorProto, helper, numpy_helper

I64MAX = np.iinfo(np.int64).max
I64MIN = np.iinfo(np.int64).min
I32MAX = np.iinfo(np.int32).max
I32MIN = np.iinfo(np.int32).min

Case = collections.namedtuple("Case", "id op inputs attrs opset expect text want ort n_out domain cls note pre")


def case(id, op, inputs, attrs=None, opset=18, expect="error", text="", want=None, ort=True, n_out=1,
         domain="", cls=None, note="", pre=()):
    return Case(id, op, inputs, attrs or {}, opset, expect, text, want, ort, n_out, domain, cls, note, tuple(pre))


def i64(*v):
    return np.array(v, dtype=np.int64)


def i32(*v):
    return np.array(v, dtype=np.int32)


def f32(shape):
    return np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)


X32 = f32((3, 2))
X34 = f32((3, 4))


def build(c):
    """The model (bytes) and feed of case c: every present input is a graph input."""
    ins, names, feed = [], [], {}
    for name, arr in c.inputs:
        if arr is None or isinstance(arr, str):
            names.append(arr or "")
            continue
        if name.startswith("g:"):  # an input of the graph (for a `pre` node), not of the node under test
            name = name[2:]
        else:
            names.append(name)
        feed[name] = arr
        ins.append(helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(arr.dtype), arr.shape))
    outs = ["y%d" % i for i in range(c.n_out)]
    node = helper.make_node(c.op, names, outs, name="node_" + c.op, domain=c.domain, **c.attrs)
    graph = helper.make_graph(list(c.pre) + [node], "index_hardening", ins,
                              [helper.make_empty_tensor_value_info(o) for o in outs])
    opsets = [helper.make_opsetid("", c.opset)]
    if c.domain:
        opsets.append(helper.make_opsetid(c.domain, 1 if c.domain != "ai.onnx.ml" else 3))
    model = helper.make_model(graph, opset_imports=opsets, producer_name="onyx-index-hardening")
    model.ir_version = 8
    return model.SerializeToString(), feed


def _onehot(indices, depth, values, axis=-1):
    ind = np.asarray(indices).astype(np.int64)
    ind = np.where(ind < 0, ind + depth, ind)
    rows = np.arange(depth).reshape([1] * ind.ndim + [depth])
    hot = ind[..., None] == rows
    out = np.where(hot, values[1], values[0]).astype(values.dtype)
    return np.moveaxis(out, -1, axis)


def _cases():
    c = []
    # ---- Gather
    for tag, idx in [("pos", i64(3)), ("neg", i64(-4)), ("int64_max", i64(I64MAX)), ("int64_min", i64(I64MIN)),
                     ("int32_pos", i32(3)), ("int32_neg", i32(-4)), ("int32_min", i32(I32MIN)), ("int32_max", i32(I32MAX))]:
        c.append(case("Gather-" + tag, "Gather", [("x", X32), ("i", idx.reshape(1))], {"axis": 0}, opset=13,
                      text=str(idx[0])))
    c.append(case("Gather-axis1_pos", "Gather", [("x", X32), ("i", i64(0, 2))], {"axis": 1}, opset=13, text="2"))
    c.append(case("Gather-scalar_index_neg", "Gather", [("x", X32), ("i", np.array(-4, np.int64))], {"axis": 0}, opset=13,
                  text="-4"))
    c.append(case("Gather-in_range_neg_ok", "Gather", [("x", X32), ("i", i64(-3, 2))], {"axis": 0}, opset=13,
                  expect="values"))
    c.append(case("Gather-empty_axis", "Gather", [("x", np.zeros((0, 2), np.float32)), ("i", i64(0))], {"axis": 0},
                  opset=13, text="0"))
    # ---- GatherElements (axis 1 of [3,2])
    for tag, idx in [("pos", i64(2, 0, 0)), ("neg", i64(0, -3, 0)), ("int64_max", i64(0, 0, I64MAX)),
                     ("int64_min", i64(I64MIN, 0, 0)), ("int32_pos", i32(0, 2, 0)), ("int32_min", i32(0, 0, I32MIN))]:
        bad = [v for v in idx if v != 0][0]
        c.append(case("GatherElements-" + tag, "GatherElements", [("x", X32), ("i", idx.reshape(3, 1))], {"axis": 1},
                      opset=13, text=str(bad)))
    c.append(case("GatherElements-axis0_pos", "GatherElements", [("x", X32), ("i", i64(3, 0).reshape(1, 2))],
                  {"axis": 0}, opset=13, text="3"))
    # ---- GatherND
    d22 = f32((2, 2))
    for tag, idx in [("pos", i64(0, 2)), ("neg", i64(-3, 0)), ("int64_max", i64(0, I64MAX)), ("int64_min", i64(I64MIN, 0))]:
        c.append(case("GatherND-" + tag, "GatherND", [("x", d22), ("i", idx.reshape(1, 2))], opset=13,
                      text=str([v for v in idx if v != 0][0])))
    c.append(case("GatherND-in_range_neg_ok", "GatherND", [("x", d22), ("i", i64(-1, -2).reshape(1, 2))], opset=13,
                  expect="values"))
    d222 = f32((2, 2, 2))
    c.append(case("GatherND-batch_dims1_pos", "GatherND", [("x", d222), ("i", i64(1, 2).reshape(2, 1))],
                  {"batch_dims": 1}, opset=13, text="2"))
    c.append(case("GatherND-batch_dims1_neg", "GatherND", [("x", d222), ("i", i64(-3, 0).reshape(2, 1))],
                  {"batch_dims": 1}, opset=13, text="-3"))
    c.append(case("GatherND-batch_dims1_int64_min", "GatherND", [("x", d222), ("i", i64(0, 0, I64MIN, 0).reshape(2, 2))],
                  {"batch_dims": 1}, opset=13))
    c.append(case("GatherND-index_too_long", "GatherND", [("x", d222), ("i", i64(0, 0, 0, 0, 0, 0).reshape(2, 3))],
                  {"batch_dims": 1}, opset=13, text=""))
    c.append(case("GatherND-batch_dims_too_big", "GatherND", [("x", d22), ("i", i64(0, 0).reshape(2, 1))],
                  {"batch_dims": 2}, opset=13, text=""))
    # ---- ScatterElements (data [3,2], axis 0, updates [1,2])
    upd = np.ones((1, 2), np.float32)
    for red in ["none", "add", "mul", "max", "min"]:
        for tag, idx in [("pos", i64(3, 0)), ("neg", i64(0, -4)), ("int64_max", i64(I64MAX, 0)), ("int64_min", i64(0, I64MIN)),
                         ("int32_pos", i32(3, 0)), ("int32_min", i32(0, I32MIN))]:
            c.append(case("ScatterElements_%s-%s" % (red, tag), "ScatterElements",
                          [("x", X32), ("i", idx.reshape(1, 2)), ("u", upd)], {"axis": 0, "reduction": red}, opset=18,
                          text=str([v for v in idx if v != 0][0])))
    c.append(case("ScatterElements-in_range_neg_ok", "ScatterElements", [("x", X32), ("i", i64(-1, -3).reshape(1, 2)), ("u", upd)],
                  {"axis": 0}, opset=18, expect="values"))
    # ---- ScatterND (data [3,2], indices [1,1], updates [1,2])
    for red in ["none", "add", "mul", "max", "min"]:
        for tag, idx in [("pos", i64(3)), ("neg", i64(-4)), ("int64_max", i64(I64MAX)), ("int64_min", i64(I64MIN))]:
            c.append(case("ScatterND_%s-%s" % (red, tag), "ScatterND", [("x", X32), ("i", idx.reshape(1, 1)), ("u", upd)],
                          {"reduction": red}, opset=18, text=str(idx[0])))
    c.append(case("ScatterND-index_too_long", "ScatterND",
                  [("x", X32), ("i", i64(0, 0, 0).reshape(1, 3)), ("u", np.ones((1,), np.float32))], opset=18))
    c.append(case("ScatterND-in_range_neg_ok", "ScatterND", [("x", X32), ("i", i64(-1).reshape(1, 1)), ("u", upd)],
                  opset=18, expect="values"))
    # ---- Scatter (opset 9 / 10)
    for opset in (9, 10):
        for tag, idx in [("pos", i64(3, 0)), ("neg", i64(0, -4)), ("int64_max", i64(I64MAX, 0)), ("int32_min", i32(0, I32MIN))]:
            c.append(case("Scatter_v%d-%s" % (opset, tag), "Scatter", [("x", X32), ("i", idx.reshape(1, 2)), ("u", upd)],
                          {"axis": 0}, opset=opset, text=str([v for v in idx if v != 0][0])))
    # ---- OneHot: out-of-range indices give an all-off row (spec), depth must be positive
    vals = np.array([0, 1], np.float32)
    for tag, idx in [("out_of_range", i64(0, 5, -1, -7, 3)), ("int64_extremes", i64(I64MAX, I64MIN, 2)),
                     ("int32_extremes", i32(I32MAX, I32MIN, -4, 4))]:
        c.append(case("OneHot-" + tag, "OneHot", [("i", idx), ("d", i64(4)), ("v", vals)], opset=11, expect="values",
                      want=[_onehot(idx, 4, vals)], ort=idx.dtype == np.int64,
                      note="" if idx.dtype == np.int64 else "onnxruntime has no OneHot kernel for int32 indices"))
    c.append(case("OneHot-float_indices_out_of_range", "OneHot",
                  [("i", np.array([1.7, 9.0, -1.2, -9.0], np.float32)), ("d", i64(4)), ("v", vals)], opset=11,
                  expect="values", want=[_onehot(np.array([1, 9, -1, -9]), 4, vals)], ort=False,
                  note="onnxruntime has no OneHot kernel for float indices; the spec casts them to int64"))
    c.append(case("OneHot-depth_zero", "OneHot", [("i", i64(0, 1)), ("d", i64(0)), ("v", vals)], opset=11,
                  expect="values", want=[np.zeros((2, 0), np.float32)], ort=False,
                  note="onnxruntime refuses depth 0 ('Depth is negative'); the ONNX reference gives a [2, 0] tensor"))
    c.append(case("OneHot-depth_negative", "OneHot", [("i", i64(0, 1)), ("d", i64(-3)), ("v", vals)], opset=11, text="-3"))
    c.append(case("OneHot-depth_int64_max", "OneHot", [("i", i64(0, 1)), ("d", i64(I64MAX)), ("v", vals)], opset=11,
                  text="depth"))
    c.append(case("OneHot-depth_float_huge", "OneHot", [("i", i64(0, 1)), ("d", np.array([1e30], np.float32)), ("v", vals)],
                  opset=11, text="depth"))
    c.append(case("OneHot-axis_out_of_range", "OneHot", [("i", i64(0, 1)), ("d", i64(3)), ("v", vals)], {"axis": 3},
                  opset=11, text="3"))
    # ---- TopK (x [3,4], axis -1)
    for tag, k in [("k_negative", -1), ("k_gt_dim", 5), ("k_int64_max", I64MAX), ("k_int64_min", I64MIN)]:
        c.append(case("TopK-" + tag, "TopK", [("x", X34), ("k", i64(k))], opset=11, n_out=2, text=str(k)))
    c.append(case("TopK-k_zero_ok", "TopK", [("x", X34), ("k", i64(0))], opset=11, n_out=2, expect="values"))
    c.append(case("TopK-axis_out_of_range", "TopK", [("x", X34), ("k", i64(1))], {"axis": 2}, opset=11, n_out=2))
    # ---- Slice: starts/ends are clamped by the spec, steps 0 and bad axes are errors
    def sl(id, starts, ends, axes=None, steps=None, expect="values", want=None, dt=np.int64, text=""):
        ins = [("x", X34), ("s", np.array(starts, dt)), ("e", np.array(ends, dt)),
               ("a", None if axes is None else np.array(axes, dt)), ("t", None if steps is None else np.array(steps, dt))]
        while ins[-1][1] is None:
            ins.pop()
        c.append(case("Slice-" + id, "Slice", ins, opset=13, expect=expect, want=want, text=text))
    sl("full_int64_extremes", [I64MIN], [I64MAX], [1], want=[X34])
    sl("starts_huge", [100], [200], [1], want=[X34[:, 100:200]])
    sl("starts_huge_negative", [-100], [2], [0], want=[X34[-100:2]])
    sl("reverse_int64_extremes", [I64MAX], [I64MIN], [1], [-1], want=[X34[:, ::-1]])
    sl("reverse_step_int64_min", [I64MAX], [I64MIN], [0], [I64MIN], want=[X34[::-(2 ** 62)]])
    sl("step_int64_max", [0], [I64MAX], [1], [I64MAX], want=[X34[:, ::2 ** 62]])
    sl("ends_before_starts", [3], [1], [1], want=[X34[:, 3:1]])
    sl("int32_extremes", [I32MIN], [I32MAX], [1], dt=np.int32, want=[X34])
    sl("int32_reverse", [I32MAX], [I32MIN], [0], [-1], dt=np.int32, want=[X34[::-1]])
    sl("step_zero", [0], [2], [1], [0], expect="error", text="0")
    sl("axis_out_of_range", [0], [2], [2], expect="error", text="2")
    sl("axis_too_negative", [0], [2], [-3], expect="error", text="-3")
    sl("duplicate_axes", [0, 0], [2, 2], [1, 1], expect="error")
    sl("starts_ends_length_mismatch", [0, 0], [2], expect="error")
    # ---- Pad (x [3,4]); negative pads crop
    def pad(id, pads, mode="constant", expect="values", want=None, text=""):
        c.append(case("Pad_%s-%s" % (mode, id), "Pad", [("x", X34), ("p", i64(*pads))], {"mode": mode}, opset=18,
                      expect=expect, want=want, text=text))
    pad("negative_crop", [-1, 0, -1, -2], want=[X34[1:2, 0:2]])
    pad("negative_crop_to_empty", [-1, 0, -2, 0], want=[X34[1:1]])
    pad("negative_larger_than_dim", [-4, 0, 0, 0], expect="error", text="-4")
    pad("negative_crop_and_pad", [-2, 1, 1, -1], want=[np.pad(X34[2:], [(0, 1), (1, 0)])[:, :4]])
    pad("int64_min", [I64MIN, 0, 0, 0], expect="error")
    pad("huge", [0, 0, 0, I64MAX], expect="error")
    pad("huge_product", [0, 2 ** 40, 0, 2 ** 40], expect="error")
    pad("wrong_length", [1, 1, 1], expect="error")
    c.append(case("Pad_reflect-wider_than_dim", "Pad", [("x", X34), ("p", i64(0, 4, 0, 0))], {"mode": "reflect"}, opset=18,
                  expect="values", want=[np.pad(X34, [(0, 0), (4, 0)], mode="reflect")], ort=False,
                  note="onnxruntime refuses a reflect pad wider than dim - 1; the ONNX reference (np.pad) reflects again"))
    pad("edge_ok", [1, 2, 0, 1], mode="edge", want=[np.pad(X34, [(1, 0), (2, 1)], mode="edge")])
    c.append(case("Pad_wrap-wider_than_dim", "Pad", [("x", X34), ("p", i64(0, 9, 0, 0))], {"mode": "wrap"}, opset=19,
                  expect="values", want=[np.pad(X34, [(0, 0), (9, 0)], mode="wrap")]))
    c.append(case("Pad-axes_out_of_range", "Pad", [("x", X34), ("p", i64(1, 1)), ("v", None), ("a", i64(2))],
                  opset=18, text="2"))
    # ---- Tile (x [2,2])
    x22 = f32((2, 2))
    for tag, rep in [("negative", (-1, 1)), ("int64_min", (I64MIN, 1)), ("int64_max", (I64MAX, 2)),
                     ("product_overflows", (2 ** 40, 2 ** 40)), ("wrong_length", (2,))]:
        c.append(case("Tile-" + tag, "Tile", [("x", x22), ("r", i64(*rep))], opset=13))
    c.append(case("Tile-zero_ok", "Tile", [("x", x22), ("r", i64(0, 3))], opset=13, expect="values"))
    # ---- Expand (x [3,1])
    x31 = f32((3, 1))
    for tag, shp in [("negative_dim", (3, -2)), ("minus_one", (-1, 4)), ("int64_min", (I64MIN, 1)),
                     ("int64_max", (I64MAX,)), ("product_overflows", (2 ** 40, 2 ** 40, 1)),
                     ("incompatible", (2, 4))]:
        c.append(case("Expand-" + tag, "Expand", [("x", x31), ("s", i64(*shp))], opset=13))
    c.append(case("Expand-zero_dim_ok", "Expand", [("x", x31), ("s", i64(0, 3, 4))], opset=13, expect="values"))
    # ---- Compress (x [3,2])
    bools = lambda *v: np.array(v, dtype=bool)  # noqa: E731
    lenient = "onnxruntime ignores the entries past the axis; np.compress (the ONNX reference) refuses them"
    c.append(case("Compress-condition_longer_than_axis", "Compress", [("x", X32), ("c", bools(1, 0, 1, 1))], {"axis": 0},
                  opset=11, text="3", ort=False, note=lenient))
    c.append(case("Compress-condition_longer_flat", "Compress", [("x", X32), ("c", bools(*([1] * 7)))], opset=11,
                  text="6", ort=False, note=lenient))
    c.append(case("Compress-condition_longer_false_tail", "Compress", [("x", X32), ("c", bools(1, 0, 1, 0, 0))],
                  {"axis": 0}, opset=11, expect="values", want=[np.compress([1, 0, 1, 0, 0], X32, axis=0)]))
    c.append(case("Compress-axis_out_of_range", "Compress", [("x", X32), ("c", bools(1, 0))], {"axis": 2}, opset=11,
                  text="2"))
    c.append(case("Compress-shorter_ok", "Compress", [("x", X32), ("c", bools(0, 1))], {"axis": 0}, opset=11,
                  expect="values"))
    # ---- ReverseSequence (x [4,2]: time axis 0, batch axis 1)
    x42 = f32((4, 2))
    for tag, lens in [("len_gt_time", (5, 1)), ("len_negative", (-1, 1)), ("len_int64_max", (I64MAX, 1)),
                      ("len_int64_min", (I64MIN, 1)), ("lens_count_mismatch", (1, 1, 1))]:
        c.append(case("ReverseSequence-" + tag, "ReverseSequence", [("x", x42), ("l", i64(*lens))],
                      {"time_axis": 0, "batch_axis": 1}, opset=10))
    c.append(case("ReverseSequence-len_zero_ok", "ReverseSequence", [("x", x42), ("l", i64(0, 4))],
                  {"time_axis": 0, "batch_axis": 1}, opset=10, expect="values"))
    # ---- Trilu k extremes (spec: whole matrix kept or zeroed)
    x33 = f32((3, 3))
    for upper in (0, 1):
        for tag, k in [("k_int64_max", I64MAX), ("k_int64_min", I64MIN), ("k_big", 100), ("k_big_negative", -100)]:
            want = np.triu(x33, max(min(k, 10), -10)) if upper else np.tril(x33, max(min(k, 10), -10))
            c.append(case("Trilu_%s-%s" % ("upper" if upper else "lower", tag), "Trilu", [("x", x33), ("k", i64(k))],
                          {"upper": upper}, opset=14, expect="values", want=[want]))
    # ---- CumSum axis
    for tag, ax in [("axis_out_of_range", 2), ("axis_too_negative", -3), ("axis_int64_max", I64MAX),
                    ("axis_int64_min", I64MIN)]:
        c.append(case("CumSum-" + tag, "CumSum", [("x", X32), ("a", i64(ax))], opset=14))
    c.append(case("CumSum-axis_int32_out_of_range", "CumSum", [("x", X32), ("a", i32(5))], opset=14, text="5"))
    # ---- Range
    c.append(case("Range-huge_count", "Range", [("s", np.array(0, np.int64)), ("l", np.array(I64MAX, np.int64)),
                                                ("d", np.array(1, np.int64))], opset=11))
    c.append(case("Range-int64_extremes", "Range", [("s", np.array(I64MIN, np.int64)), ("l", np.array(I64MAX, np.int64)),
                                                    ("d", np.array(I64MAX, np.int64))], opset=11,
                  expect="values", want=[np.array([I64MIN, -1, I64MAX - 1], np.int64)], ort=False))
    c.append(case("Range-float_huge_count", "Range", [("s", np.array(0, np.float32)), ("l", np.array(1e30, np.float32)),
                                                      ("d", np.array(1e-30, np.float32))], opset=11,
                  cls=("Fail", "InvalidArgument")))
    c.append(case("Range-float_inf", "Range", [("s", np.array(0, np.float32)), ("l", np.array(np.inf, np.float32)),
                                               ("d", np.array(1, np.float32))], opset=11, text="infinite"))
    c.append(case("Range-float_nan", "Range", [("s", np.array(0, np.float32)), ("l", np.array(np.nan, np.float32)),
                                               ("d", np.array(1, np.float32))], opset=11))
    c.append(case("Range-delta_zero", "Range", [("s", np.array(0, np.int32)), ("l", np.array(5, np.int32)),
                                                ("d", np.array(0, np.int32))], opset=11))
    c.append(case("Range-int32_wraps", "Range", [("s", np.array(I32MIN, np.int32)), ("l", np.array(I32MAX, np.int32)),
                                                 ("d", np.array(I32MAX, np.int32))], opset=11, expect="values",
                  want=[np.array([I32MIN, -1, I32MAX - 1], np.int32)], ort=False))
    # ---- ConstantOfShape
    for tag, shp in [("negative", (2, -1)), ("int64_min", (I64MIN,)), ("int64_max", (I64MAX,)),
                     ("product_overflows", (2 ** 40, 2 ** 40))]:
        c.append(case("ConstantOfShape-" + tag, "ConstantOfShape", [("s", i64(*shp))], opset=9))
    c.append(case("ConstantOfShape-zero_ok", "ConstantOfShape", [("s", i64(0, 5))], opset=9, expect="values"))
    # ---- Reshape (x [3,4])
    for tag, shp in [("two_minus_ones", (-1, -1)), ("minus_two", (-2, 6)), ("size_mismatch", (5, 2)),
                     ("int64_max", (I64MAX, 1)), ("int64_min", (I64MIN, 1)), ("product_overflows", (2 ** 40, 2 ** 40, 0)),
                     ("zero_copies_missing_dim", (0, 0, 0)), ("minus_one_no_fit", (-1, 5))]:
        c.append(case("Reshape-" + tag, "Reshape", [("x", X34), ("s", i64(*shp))], opset=14))
    c.append(case("Reshape-allowzero_mismatch", "Reshape", [("x", X34), ("s", i64(0, 12))], {"allowzero": 1}, opset=14))
    c.append(case("Reshape-zero_copies_ok", "Reshape", [("x", X34), ("s", i64(0, 2, -1))], opset=14, expect="values"))
    # ---- Split (x [3,4], axis 1)
    for tag, sp in [("sum_too_big", (2, 3)), ("sum_too_small", (1, 2)), ("negative", (-1, 5)), ("int64_max", (I64MAX, 4)),
                    ("wraps_to_dim", (I64MAX, I64MAX, 6))]:
        c.append(case("Split-" + tag, "Split", [("x", X34), ("s", i64(*sp))], {"axis": 1}, opset=13, n_out=len(sp)))
    c.append(case("Split-axis_out_of_range", "Split", [("x", X34), ("s", i64(2, 2))], {"axis": 2}, opset=13, n_out=2))
    c.append(case("Split-zero_ok", "Split", [("x", X34), ("s", i64(0, 4))], {"axis": 1}, opset=13, n_out=2,
                  expect="values"))
    # ---- SpaceToDepth / DepthToSpace (x [1,4,2,2])
    x4 = f32((1, 4, 2, 2))
    for op in ("SpaceToDepth", "DepthToSpace"):
        for tag, b in [("blocksize_zero", 0), ("blocksize_negative", -2), ("blocksize_not_dividing", 3),
                       ("blocksize_huge", 2 ** 32 + 2), ("blocksize_int64_max", I64MAX)]:
            c.append(case("%s-%s" % (op, tag), op, [("x", x4)], {"blocksize": b}, opset=13))
    # ---- Unique / NonZero: well-defined, just sanity
    c.append(case("Unique-ok", "Unique", [("x", np.array([3, 1, 3, -7], np.int64))], {"sorted": 1}, opset=11, n_out=4,
                  expect="values"))
    c.append(case("NonZero-ok", "NonZero", [("x", np.array([[0, 1], [2, 0]], np.float32))], opset=13, expect="values"))
    # ---- CenterCropPad (shape is read from a tensor)
    c.append(case("CenterCropPad-negative", "CenterCropPad", [("x", X34), ("s", i64(-1, 2))], opset=18, text="-1",
                  ort=False, note="onnxruntime (a function of Slice and Pad) returns a [0, 2] tensor for a -1 dim"))
    c.append(case("CenterCropPad-int64_max", "CenterCropPad", [("x", X34), ("s", i64(I64MAX, 2))], opset=18))
    c.append(case("CenterCropPad-ok", "CenterCropPad", [("x", X34), ("s", i64(5, 2))], opset=18, expect="values"))
    # ---- Col2Im (image_shape / block_shape read from tensors)
    cols = np.ones((1, 4, 4), np.float32)  # C * prod(block) = 4 -> C=1, block 2x2; L = 4 blocks -> image 3x3
    for tag, img, blk, text in [("block_zero", (3, 3), (0, 2), "block_shape 0"), ("block_negative", (3, 3), (-2, 2), "-2"),
                                ("image_negative", (-3, 3), (2, 2), "-3"), ("image_int64_max", (I64MAX, 3), (2, 2), "overflows"),
                                ("image_int64_max_both", (I64MAX, I64MAX), (1, 1), "overflows"),
                                ("block_bigger_than_image", (1, 1), (2, 2), "blocks 0"),
                                ("block_count_mismatch", (4, 4), (2, 2), "blocks 9")]:
        c.append(case("Col2Im-" + tag, "Col2Im", [("x", cols), ("i", i64(*img)), ("b", i64(*blk))], opset=18, text=text))
    c.append(case("Col2Im-ok", "Col2Im", [("x", cols), ("i", i64(3, 3)), ("b", i64(2, 2))], opset=18, expect="values"))
    # ---- RotaryEmbedding position_ids (embedding lookup into the cos/sin caches), opset 23
    xr = np.ones((1, 2, 1, 4), np.float32)  # [batch, seq, heads, head_size] (4D input, num_heads from shape)
    cache = np.ones((3, 2), np.float32)     # [max_pos, head_size/2]
    for tag, pos in [("pos", (0, 3)), ("neg", (-1, 0)), ("int64_max", (0, I64MAX)), ("int64_min", (I64MIN, 0))]:
        c.append(case("RotaryEmbedding-position_" + tag, "RotaryEmbedding",
                      [("x", xr.reshape(1, 2, 4)), ("c", cache), ("s", cache), ("p", i64(*pos).reshape(1, 2))],
                      {"num_heads": 1}, opset=23))
    # ---- TensorScatter write_indices (opset 24)
    past = np.zeros((2, 1, 4, 2), np.float32)  # [batch, heads, max_seq, head]
    new = np.ones((2, 1, 2, 2), np.float32)
    for tag, wi in [("pos", (3, 0)), ("neg", (-1, 0)), ("int64_max", (I64MAX, 0)), ("int64_min", (0, I64MIN)),
                    ("at_end", (4, 0))]:
        c.append(case("TensorScatter-write_" + tag, "TensorScatter", [("p", past), ("u", new), ("w", i64(*wi))],
                      opset=24, text=str(wi[0] or wi[1])))
    for tag, wi in [("wraps", (3, 5)), ("neg", (-1, -6)), ("int64_max", (I64MAX, 1)), ("int64_min", (I64MIN, 0))]:
        want = past.copy()
        for b in range(2):
            for s_ in range(2):
                want[b, :, (wi[b] % 4 + s_) % 4] = new[b, :, s_]
        c.append(case("TensorScatter_circular-write_" + tag, "TensorScatter", [("p", past), ("u", new), ("w", i64(*wi))],
                      {"mode": "circular"}, opset=24, expect="values", want=[want], ort=min(wi) >= 0,
                      note="" if min(wi) >= 0 else "onnxruntime refuses negative write indices; the spec's "
                      "pseudocode takes them modulo max_sequence_length in circular mode"))
    c.extend(_more_cases())
    return c


def _more_cases():
    """Other ops that read an index, a size or a count from a tensor."""
    c = []
    # ---- integer division by zero and oversized shifts (C++ UB: SIGFPE or garbage)
    for op in ("Div", "Mod"):
        for dt in (np.int32, np.int64, np.uint8):
            c.append(case("%s-%s_by_zero" % (op, np.dtype(dt).name), op,
                          [("a", np.array([7, 1], dt)), ("b", np.array([0, 1], dt))], opset=13, text="zero",
                          ort=not (op == "Div" and dt == np.uint8),
                          note="onnxruntime has no uint8 Div kernel" if op == "Div" and dt == np.uint8 else ""))
    c.append(case("Div-int64_min_by_minus_one", "Div", [("a", i64(I64MIN)), ("b", i64(-1))], opset=13,
                  expect="values", want=[i64(I64MIN)], ort=False, note="onnxruntime dies of SIGFPE on INT64_MIN / -1"))
    c.append(case("Mod-int64_min_by_minus_one", "Mod", [("a", i64(I64MIN)), ("b", i64(-1))], opset=13,
                  expect="values", want=[i64(0)], ort=False, note="onnxruntime dies of SIGFPE on INT64_MIN % -1"))
    for dt, sh in [(np.uint8, 8), (np.uint32, 40), (np.uint64, 64), (np.uint64, 2 ** 63)]:
        for d in ("LEFT", "RIGHT"):
            x = np.array([255, 1], dt)
            c.append(case("BitShift_%s-%s_by_%d" % (d.lower(), np.dtype(dt).name, sh), "BitShift",
                          [("x", x), ("s", np.array([sh, 1], dt))], {"direction": d}, opset=11, expect="values",
                          want=[(np.array([0, 2 if d == "LEFT" else 0], dt))], ort=False,
                          note="a shift by the bit width or more is undefined in C++; numpy and the ONNX "
                               "reference give 0"))
    # ---- axes read from tensors
    for tag, ax in [("pos", 2), ("neg", -3), ("int64_max", I64MAX), ("int64_min", I64MIN)]:
        c.append(case("Squeeze-axes_" + tag, "Squeeze", [("x", f32((1, 2))), ("a", i64(ax))], opset=13, text=str(ax)))
        uax = {"pos": 3, "neg": -4}.get(tag, ax)
        c.append(case("Unsqueeze-axes_" + tag, "Unsqueeze", [("x", X32), ("a", i64(uax))], opset=13, text=str(uax)))
        c.append(case("ReduceSum-axes_" + tag, "ReduceSum", [("x", X32), ("a", i64(ax))], opset=13, text=str(ax)))
        c.append(case("ReduceMax-axes_" + tag, "ReduceMax", [("x", X32), ("a", i64(ax))], opset=18, text=str(ax)))
        c.append(case("CumProd-axis_" + tag, "CumProd", [("x", X32), ("a", i64(ax))], opset=26, text=str(ax), ort=False,
                      note="onnxruntime 1.23 has no CumProd-26"))
        dax = {"neg": -4}.get(tag, ax)
        c.append(case("DFT-axis_" + tag, "DFT", [("x", f32((1, 4, 1))), ("l", None), ("a", np.array(dax, np.int64))],
                      opset=20, text=str(dax)))
    c.append(case("Squeeze-axis_not_one", "Squeeze", [("x", X32), ("a", i64(0))], opset=13, text="0"))
    c.append(case("Unsqueeze-duplicate_axes", "Unsqueeze", [("x", X32), ("a", i64(0, 0))], opset=13))
    # ---- sizes and counts read from tensors
    x4 = f32((1, 1, 2, 2))
    for tag, sizes in [("negative", (1, 1, -2, 2)), ("int64_max", (1, 1, I64MAX, 2)), ("product_overflows", (1, 1, 2 ** 40, 2 ** 40))]:
        c.append(case("Resize-sizes_" + tag, "Resize", [("x", x4), ("r", None), ("s", None), ("z", i64(*sizes))], opset=19))
    for tag, scales in [("negative", (1, 1, -2, 2)), ("huge", (1, 1, 1e30, 1)), ("nan", (1, 1, np.nan, 1)), ("inf", (1, 1, np.inf, 1))]:
        c.append(case("Resize-scales_" + tag, "Resize", [("x", x4), ("r", None), ("s", np.array(scales, np.float32))], opset=19))
    for op in ("HannWindow", "HammingWindow", "BlackmanWindow"):
        for tag, n in [("negative", -1), ("int64_max", I64MAX)]:
            c.append(case("%s-size_%s" % (op, tag), op, [("n", np.array(n, np.int64))], opset=17, text=str(n)))
    for tag, n in [("zero", 0), ("negative", -4), ("int64_max", I64MAX)]:
        c.append(case("DFT-dft_length_" + tag, "DFT", [("x", f32((1, 4, 1))), ("l", np.array(n, np.int64))], opset=20,
                      text=str(n)))
    sig = f32((1, 16, 1))
    for tag, step, length in [("step_zero", 0, 4), ("step_negative", -1, 4), ("length_zero", 2, 0),
                              ("length_longer_than_signal", 2, 17), ("length_int64_max", 2, I64MAX),
                              ("step_int64_max_one_frame", I64MAX, 4)]:
        c.append(case("STFT-" + tag, "STFT", [("x", sig), ("s", np.array(step, np.int64)), ("w", None),
                                             ("l", np.array(length, np.int64))], opset=17,
                      expect="values" if step == I64MAX else "error", ort=length != 0,
                      note="" if length != 0 else "onnxruntime dies of SIGFPE on frame_length 0"))
    for tag, size in [("negative", (1, 1, -2, 2)), ("int64_max", (1, 1, I64MAX, 2)), ("batch_mismatch", (2, 1, 2, 2))]:
        c.append(case("AffineGrid-size_" + tag, "AffineGrid", [("t", np.zeros((1, 2, 3), np.float32)), ("s", i64(*size))],
                      opset=20))
    c.append(case("MelWeightMatrix-negative_bins", "MelWeightMatrix",
                  [("n", np.array(-1, np.int64)), ("d", np.array(16, np.int64)), ("r", np.array(8000, np.int64)),
                   ("lo", np.array(0, np.float32)), ("hi", np.array(4000, np.float32))], opset=17))
    c.append(case("MelWeightMatrix-huge_dft_length", "MelWeightMatrix",
                  [("n", np.array(4, np.int64)), ("d", np.array(I64MAX, np.int64)), ("r", np.array(8000, np.int64)),
                   ("lo", np.array(0, np.float32)), ("hi", np.array(4000, np.float32))], opset=17))
    # ---- NonMaxSuppression, RoiAlign, MaxRoiPool, MaxUnpool: indices into batches and planes
    boxes = np.array([[[0, 0, 1, 1], [0, 0, 1, 1]]], np.float32)
    scores = np.array([[[0.9, 0.8]]], np.float32)
    for tag, m in [("int64_max", I64MAX), ("negative", -1)]:
        c.append(case("NonMaxSuppression-max_boxes_" + tag, "NonMaxSuppression",
                      [("b", boxes), ("s", scores), ("m", i64(m))], opset=11, expect="values"))
    feat = f32((1, 1, 4, 4))
    rois = np.array([[0, 0, 2, 2]], np.float32)
    for tag, bi in [("pos", 1), ("neg", -1), ("int64_max", I64MAX), ("int64_min", I64MIN)]:
        c.append(case("RoiAlign-batch_index_" + tag, "RoiAlign", [("x", feat), ("r", rois), ("b", i64(bi))],
                      {"output_height": 1, "output_width": 1}, opset=16, text=str(bi)))
    for tag, bi in [("pos", 1.0), ("neg", -1.0), ("huge", 1e30), ("nan", np.nan)]:
        c.append(case("MaxRoiPool-batch_index_" + tag, "MaxRoiPool",
                      [("x", feat), ("r", np.array([[bi, 0, 0, 1, 1]], np.float32))], {"pooled_shape": [1, 1]}, opset=1,
                      text="batch"))
    pooled = np.ones((1, 1, 2, 2), np.float32)
    for tag, idx in [("pos", 16), ("neg", -1), ("int64_max", I64MAX), ("int64_min", I64MIN)]:
        c.append(case("MaxUnpool-index_" + tag, "MaxUnpool", [("x", pooled), ("i", i64(0, 1, 2, idx).reshape(1, 1, 2, 2))],
                      {"kernel_shape": [2, 2], "strides": [2, 2]}, opset=11, text=str(idx)))
    for tag, shp in [("negative", (1, 1, -4, 4)), ("int64_max", (1, 1, I64MAX, 4)), ("too_small", (1, 1, 1, 1))]:
        c.append(case("MaxUnpool-output_shape_" + tag, "MaxUnpool",
                      [("x", pooled), ("i", i64(0, 1, 2, 3).reshape(1, 1, 2, 2)), ("o", i64(*shp))],
                      {"kernel_shape": [2, 2], "strides": [2, 2]}, opset=11))
    # ---- losses: class indices read from the target
    logits = f32((2, 3))
    for op in ("NegativeLogLikelihoodLoss", "SoftmaxCrossEntropyLoss"):
        for tag, t in [("pos", (0, 3)), ("neg", (-1, 0)), ("int64_max", (I64MAX, 0)), ("int64_min", (0, I64MIN))]:
            c.append(case("%s-target_%s" % (op, tag), op, [("x", logits), ("t", i64(*t))], {"reduction": "none"},
                          opset=13, text=str([v for v in t if v != 0][0]), ort=tag != "neg",
                          note="" if tag != "neg" else "onnxruntime accepts a negative target that is not "
                          "ignore_index and returns a value read outside the row"))
        c.append(case("%s-ignore_index_ok" % op, op, [("x", logits), ("t", i64(-100, 2))],
                      {"reduction": "mean", "ignore_index": -100}, opset=13, expect="values"))
        c.append(case("%s-weight_target_out_of_range" % op, op,
                      [("x", logits), ("t", i64(0, 5)), ("w", np.ones(3, np.float32))], {"reduction": "sum"}, opset=13,
                      text="5"))
    # ---- ArrayFeatureExtractor (ai.onnx.ml)
    for tag, idx in [("pos", 2), ("neg", -1), ("int64_max", I64MAX), ("int64_min", I64MIN)]:
        c.append(case("ArrayFeatureExtractor-" + tag, "ArrayFeatureExtractor", [("x", X32), ("y", i64(0, idx))],
                      domain="ai.onnx.ml", text=str(idx)))
    # ---- sequence positions
    seq = [helper.make_node("SequenceConstruct", ["x", "x2"], ["seq"], name="make_seq")]
    for op, extra in (("SequenceAt", []), ("SequenceErase", []), ("SequenceInsert", [("t", X32)])):
        for tag, pos in [("pos", 2 if op != "SequenceInsert" else 3), ("neg", -3), ("int64_max", I64MAX),
                         ("int64_min", I64MIN)]:
            ins = [("seq", "seq")] + extra + [("p", np.array(pos, np.int64))]
            c.append(case("%s-position_%s" % (op, tag), op, [("g:x", X32), ("g:x2", X32)] + ins, opset=11, pre=seq,
                          text=str(pos)))
    for tag, sp in [("sum_too_big", (2, 3)), ("negative", (-1, 4)), ("int64_max", (I64MAX, 1))]:
        c.append(case("SplitToSequence-" + tag, "SplitToSequence", [("x", X34), ("s", i64(*sp))], {"axis": 1}, opset=11))
    # ---- EyeLike / Trilu-like k as an attribute, Hardmax/ArgMax axis attributes
    c.append(case("EyeLike-k_int64_max", "EyeLike", [("x", X34)], {"k": I64MAX}, opset=9, expect="values",
                  want=[np.zeros((3, 4), np.float32)], ort=False, note="k is an attribute"))
    c.append(case("EyeLike-k_int64_min", "EyeLike", [("x", X34)], {"k": I64MIN}, opset=9, expect="values",
                  want=[np.zeros((3, 4), np.float32)], ort=False, note="k is an attribute"))
    return c


CASES = _cases()
