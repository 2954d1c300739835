"""ai.onnx.ml operators against onnxruntime: ArrayFeatureExtractor, Binarizer, TreeEnsemble (opset 5)
and TreeEnsembleRegressor/Classifier (opsets 1 and 3) on models built with onnx.helper, with
random trees (every node mode, NaN inputs, missing values tracking true) and every aggregate and
post transform."""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

ML = "ai.onnx.ml"


def make_model(node, inputs, outputs, ml_opset, onnx_opset=19):
    graph = helper.make_graph([node], "ml", inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", onnx_opset), helper.make_opsetid(ML, ml_opset)])
    model.ir_version = 10
    return model.SerializeToString()


def run(rt, model, feeds):
    return rt.InferenceSession(model, providers=["CPUExecutionProvider"]).run(None, feeds)


def check(runtime, ort, model, feeds, rtol=1e-5, atol=1e-5, ort_model=None):
    got, want = run(runtime, model, feeds), run(ort, ort_model or model, feeds)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, w.shape, g.dtype, w.dtype)
        if w.dtype.kind in "OU":
            assert g.tolist() == w.tolist()
        else:
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, equal_nan=True)
    return got


def vi(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


# ---------------------------------------------------------------- ArrayFeatureExtractor, Binarizer

@pytest.mark.parametrize("dtype,elem", [(np.float32, TensorProto.FLOAT), (np.float64, TensorProto.DOUBLE),
                                        (np.int64, TensorProto.INT64), (np.int32, TensorProto.INT32),
                                        (object, TensorProto.STRING)])
@pytest.mark.parametrize("shape", [(5,), (3, 5), (2, 3, 5)])
def test_array_feature_extractor(runtime, ort, dtype, elem, shape):
    x = np.arange(np.prod(shape)).reshape(shape)
    x = x.astype(str).astype(object) if dtype is object else x.astype(dtype)
    node = helper.make_node("ArrayFeatureExtractor", ["x", "i"], ["y"], domain=ML)
    model = make_model(node, [vi("x", elem, None), vi("i", TensorProto.INT64, None)], [vi("y", elem, None)], 1)
    check(runtime, ort, model, {"x": x, "i": np.array([4, 0, 2, 2], np.int64)})


def test_array_feature_extractor_refuses_out_of_range(runtime):
    node = helper.make_node("ArrayFeatureExtractor", ["x", "i"], ["y"], domain=ML)
    model = make_model(node, [vi("x", TensorProto.FLOAT, None), vi("i", TensorProto.INT64, None)], [vi("y", TensorProto.FLOAT, None)], 1)
    sess = runtime.InferenceSession(model, providers=["CPUExecutionProvider"])
    with pytest.raises(Exception, match="out of range"):
        sess.run(None, {"x": np.zeros((2, 3), np.float32), "i": np.array([3], np.int64)})


@pytest.mark.parametrize("dtype,elem", [(np.float32, TensorProto.FLOAT), (np.float64, TensorProto.DOUBLE),
                                        (np.int64, TensorProto.INT64), (np.int32, TensorProto.INT32)])
def test_binarizer(runtime, ort, dtype, elem):
    x = np.array([[-2, 0.5, 1, 1.5], [3, 0, 0.9, 7]]).astype(dtype)
    node = helper.make_node("Binarizer", ["x"], ["y"], domain=ML, threshold=0.9)
    model = make_model(node, [vi("x", elem, None)], [vi("y", elem, None)], 1)
    if dtype == np.float32:  # onnxruntime implements float only
        check(runtime, ort, model, {"x": x})
    elif runtime.__name__ == "onnxruntime":
        return
    y = run(runtime, model, {"x": x})[0]
    assert y.dtype == x.dtype and y.tolist() == (x > np.float32(0.9)).astype(dtype).tolist()
    if dtype in (np.float32, np.float64) and runtime.__name__ != "onnxruntime":
        # onnxruntime refuses NaN; the ONNX reference maps it to 0 (NaN > threshold is false), as onyx does.
        x[1, 1] = np.nan
        assert run(runtime, model, {"x": x})[0].tolist() == (x > np.float32(0.9)).astype(dtype).tolist()


# ---------------------------------------------------------------- random trees

MODES = ["BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT", "BRANCH_EQ", "BRANCH_NEQ", "BRANCH_MEMBER"]


def random_tree(rng, depth, n_features, n_targets, modes, votes_per_leaf=1):
    """A nested tree: ('leaf', [(target, weight)...]) or ('node', mode, feature, value, members, tracks, t, f)."""
    if depth == 0 or (depth < 3 and rng.random() < 0.25):
        targets = rng.choice(n_targets, size=min(votes_per_leaf, n_targets), replace=False)
        return ("leaf", [(int(t), float(np.float32(rng.uniform(-1, 1)))) for t in targets])
    mode = modes[rng.integers(len(modes))]
    members = sorted({float(v) for v in rng.integers(0, 4, size=rng.integers(1, 3))}) if mode == "BRANCH_MEMBER" else []
    value = float(rng.integers(0, 4)) if mode in ("BRANCH_EQ", "BRANCH_NEQ") else float(np.float32(rng.uniform(0, 3)))
    return ("node", mode, int(rng.integers(n_features)), value, members, int(rng.integers(2)),
            random_tree(rng, depth - 1, n_features, n_targets, modes, votes_per_leaf),
            random_tree(rng, depth - 1, n_features, n_targets, modes, votes_per_leaf))


def random_inputs(rng, n, n_features, dtype):
    x = rng.integers(0, 4, size=(n, n_features)).astype(dtype)
    x += (rng.random((n, n_features)) < 0.5) * rng.uniform(-0.5, 0.5, (n, n_features)).astype(dtype)
    x[rng.random((n, n_features)) < 0.1] = np.nan
    return x


def to_v5(trees):
    """TreeEnsemble-5 attributes for the nested trees."""
    nodes, leaves, members, roots = [], [], [], []

    def add(t):  # returns (index, is_leaf)
        if t[0] == "leaf":
            (target, weight), = t[1]
            leaves.append((target, weight))
            return len(leaves) - 1, 1
        i = len(nodes)
        nodes.append(None)
        tt, tl = add(t[6])
        ft, fl = add(t[7])
        nodes[i] = (MODES.index(t[1]), t[2], t[3], t[5], tt, tl, ft, fl, t[4])
        return i, 0

    for t in trees:
        if t[0] == "leaf":  # a single-leaf tree: a root whose two branches are that leaf
            li, _ = add(t)
            nodes.append((0, 0, 0.0, 0, li, 1, li, 1, []))
            roots.append(len(nodes) - 1)
        else:
            roots.append(add(t)[0])
    for n in nodes:
        if n[0] == 6:
            members.extend(n[8] + [np.nan])
    return nodes, leaves, members, roots


def tree_ensemble_model(trees, n_targets, aggregate, post, elem, np_dtype):
    nodes, leaves, members, roots = to_v5(trees)
    col = lambda k: [n[k] for n in nodes]  # noqa: E731
    attrs = dict(
        n_targets=n_targets, aggregate_function=aggregate, post_transform=post, tree_roots=roots,
        nodes_modes=numpy_helper.from_array(np.array(col(0), np.uint8), "nodes_modes"),
        nodes_featureids=col(1),
        nodes_splits=numpy_helper.from_array(np.array(col(2), np_dtype), "nodes_splits"),
        nodes_missing_value_tracks_true=col(3),
        nodes_truenodeids=col(4), nodes_trueleafs=col(5), nodes_falsenodeids=col(6), nodes_falseleafs=col(7),
        leaf_targetids=[l[0] for l in leaves],
        leaf_weights=numpy_helper.from_array(np.array([l[1] for l in leaves], np_dtype), "leaf_weights"))
    if members:
        attrs["membership_values"] = numpy_helper.from_array(np.array(members, np_dtype), "membership_values")
    node = helper.make_node("TreeEnsemble", ["x"], ["y"], domain=ML, **attrs)
    return make_model(node, [vi("x", elem, None)], [vi("y", elem, None)], 5, 21)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("aggregate", [0, 1, 2, 3])
@pytest.mark.parametrize("post", [0, 1, 2, 3])
def test_tree_ensemble_random(runtime, ort, seed, aggregate, post):
    rng = np.random.default_rng(100 * seed + 10 * aggregate + post)
    n_features, n_targets = 4, 3
    trees = [random_tree(rng, int(rng.integers(0, 5)), n_features, n_targets, MODES) for _ in range(int(rng.integers(1, 6)))]
    # onnxruntime reads post_transform 1 as LOGISTIC and 2 as SOFTMAX, the numbering of its own enum;
    # the spec says 1 is SOFTMAX and 2 LOGISTIC, as onyx reads them. Give onnxruntime its numbering.
    ort_post = {1: 2, 2: 1}.get(post, post) if ort.__name__ == "onnxruntime" and runtime.__name__ != "onnxruntime" else post
    for dtype, elem in [(np.float32, TensorProto.FLOAT), (np.float64, TensorProto.DOUBLE)]:
        x = random_inputs(rng, 64, n_features, dtype)
        check(runtime, ort, tree_ensemble_model(trees, n_targets, aggregate, post, elem, dtype), {"x": x},
              ort_model=tree_ensemble_model(trees, n_targets, aggregate, ort_post, elem, dtype))


def test_tree_ensemble_probit_and_float16(runtime, ort):
    rng = np.random.default_rng(7)
    trees = [random_tree(rng, 3, 3, 2, MODES) for _ in range(3)]
    # PROBIT wants scores in (0, 1): map the random weights there.
    trees = [_map_weights(t, lambda w: 0.05 + 0.3 * (w + 1)) for t in trees]
    x = random_inputs(rng, 32, 3, np.float32)
    check(runtime, ort, tree_ensemble_model(trees, 2, 0, 4, TensorProto.FLOAT, np.float32), {"x": x}, atol=1e-4)
    if runtime.__name__ == "onnxruntime":
        return
    # float16 follows the float result (onnxruntime has no float16 TreeEnsemble to compare with).
    want = run(runtime, tree_ensemble_model(trees, 2, 1, 0, TensorProto.FLOAT, np.float32), {"x": x.astype(np.float16).astype(np.float32)})[0]
    got = run(runtime, tree_ensemble_model(trees, 2, 1, 0, TensorProto.FLOAT16, np.float16), {"x": x.astype(np.float16)})[0]
    assert got.dtype == np.float16
    np.testing.assert_allclose(got.astype(np.float32), want, rtol=2e-3, atol=2e-3)


def _map_weights(t, fn):
    if t[0] == "leaf":
        return ("leaf", [(k, float(np.float32(fn(w)))) for k, w in t[1]])
    return t[:6] + (_map_weights(t[6], fn), _map_weights(t[7], fn))


# ---------------------------------------------------------------- TreeEnsembleRegressor / Classifier

def legacy_attrs(trees, prefix, opset, values_as_tensor=False):
    """nodes_* and <prefix>_* attributes of the older ops (node ids in pre-order per tree)."""
    a = {k: [] for k in ["nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_modes", "nodes_values",
                         "nodes_truenodeids", "nodes_falsenodeids", "nodes_missing_value_tracks_true",
                         prefix + "_treeids", prefix + "_nodeids", prefix + "_ids", prefix + "_weights"]}
    for tid, t in enumerate(trees):
        counter = [0]

        def add(t, tid=tid, counter=counter):
            nid = counter[0]
            counter[0] += 1
            i = len(a["nodes_treeids"])
            for k, v in [("nodes_treeids", tid), ("nodes_nodeids", nid), ("nodes_featureids", 0), ("nodes_modes", "LEAF"),
                         ("nodes_values", 0.0), ("nodes_truenodeids", 0), ("nodes_falsenodeids", 0),
                         ("nodes_missing_value_tracks_true", 0)]:
                a[k].append(v)
            if t[0] == "leaf":
                for target, w in t[1]:
                    a[prefix + "_treeids"].append(tid)
                    a[prefix + "_nodeids"].append(nid)
                    a[prefix + "_ids"].append(target)
                    a[prefix + "_weights"].append(w)
                return nid
            a["nodes_modes"][i], a["nodes_featureids"][i], a["nodes_values"][i] = t[1], t[2], t[3]
            a["nodes_missing_value_tracks_true"][i] = t[5]
            a["nodes_truenodeids"][i] = add(t[6])
            a["nodes_falsenodeids"][i] = add(t[7])
            return nid

        add(t)
    if opset >= 3 and values_as_tensor:
        for k in ["nodes_values", prefix + "_weights"]:
            a[k + "_as_tensor"] = numpy_helper.from_array(np.array(a.pop(k), np.float64), k + "_as_tensor")
    return a


LEGACY_MODES = MODES[:6]


@pytest.mark.parametrize("opset,as_tensor", [(1, False), (3, False), (3, True)])
@pytest.mark.parametrize("aggregate", ["SUM", "AVERAGE", "MIN", "MAX"])
@pytest.mark.parametrize("post", ["NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO"])
def test_tree_ensemble_regressor(runtime, ort, opset, as_tensor, aggregate, post):
    rng = np.random.default_rng(abs(hash((opset, as_tensor, aggregate, post))) % 2**32)
    n_features, n_targets = 3, 2
    trees = [random_tree(rng, int(rng.integers(1, 5)), n_features, n_targets, LEGACY_MODES, votes_per_leaf=2) for _ in range(4)]
    attrs = legacy_attrs(trees, "target", opset, as_tensor)
    node = helper.make_node("TreeEnsembleRegressor", ["x"], ["y"], domain=ML, n_targets=n_targets, aggregate_function=aggregate,
                            post_transform=post, base_values=[0.25, -0.5], **attrs)
    # The *_as_tensor (double) thresholds go with a double X (onnxruntime picks the threshold type from X).
    for dtype, elem in [(np.float32, TensorProto.FLOAT), (np.float64, TensorProto.DOUBLE)][as_tensor:]:
        model = make_model(node, [vi("x", elem, None)], [vi("y", TensorProto.FLOAT, None)], opset)
        check(runtime, ort, model, {"x": random_inputs(rng, 50, n_features, dtype)})


def classifier_model(trees, labels, post, base_values=None, opset=3, elem=TensorProto.FLOAT):
    attrs = legacy_attrs(trees, "class", opset)
    if isinstance(labels[0], str):
        attrs["classlabels_strings"] = labels
        label_elem = TensorProto.STRING
    else:
        attrs["classlabels_int64s"] = labels
        label_elem = TensorProto.INT64
    if base_values is not None:
        attrs["base_values"] = base_values
    node = helper.make_node("TreeEnsembleClassifier", ["x"], ["label", "scores"], domain=ML, post_transform=post, **attrs)
    return make_model(node, [vi("x", elem, None)], [vi("label", label_elem, None), vi("scores", TensorProto.FLOAT, None)], opset)


@pytest.mark.parametrize("labels", [["a", "b", "c", "d"], [3, 1, 7, 5]])
@pytest.mark.parametrize("post", ["NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO"])
def test_tree_ensemble_classifier_multiclass(runtime, ort, labels, post):
    rng = np.random.default_rng(len(post) + len(str(labels)))
    trees = [random_tree(rng, 3, 3, 4, LEGACY_MODES, votes_per_leaf=4) for _ in range(5)]
    x = random_inputs(rng, 60, 3, np.float32)
    check(runtime, ort, classifier_model(trees, labels, post), {"x": x})
    check(runtime, ort, classifier_model(trees, labels, post, base_values=[0.1, -0.2, 0.3, 0.0], opset=1), {"x": x})


def _one_class(t, cls, fn=lambda w: w):
    if t[0] == "leaf":
        return ("leaf", [(cls, float(np.float32(fn(t[1][0][1]))))])
    return t[:6] + (_one_class(t[6], cls, fn), _one_class(t[7], cls, fn))


@pytest.mark.parametrize("labels", [["no", "yes"], [0, 1]])
@pytest.mark.parametrize("post", ["NONE", "LOGISTIC"])
@pytest.mark.parametrize("base_values", [None, [0.3]])
def test_tree_ensemble_classifier_binary_margin(runtime, ort, labels, post, base_values):
    """Gradient-boosting style: every vote for class 0, weights of both signs (label: score > 0)."""
    rng = np.random.default_rng(11)
    trees = [_one_class(random_tree(rng, 3, 3, 1, LEGACY_MODES), 0) for _ in range(6)]
    x = random_inputs(rng, 80, 3, np.float32)
    check(runtime, ort, classifier_model(trees, labels, post, base_values), {"x": x})


@pytest.mark.parametrize("labels", [["neg", "pos"], [4, 9]])
def test_tree_ensemble_classifier_binary_probability(runtime, ort, labels):
    """Random-forest style: non-negative votes for class 1 only, averaged into a probability (> 0.5)."""
    rng = np.random.default_rng(12)
    trees = [_one_class(random_tree(rng, 3, 3, 1, LEGACY_MODES), 1, lambda w: (w + 1) / 2 / 4) for _ in range(4)]
    x = random_inputs(rng, 80, 3, np.float32)
    check(runtime, ort, classifier_model(trees, labels, "NONE"), {"x": x})


def test_tree_ensemble_classifier_two_classes_both_voted(runtime, ort):
    rng = np.random.default_rng(13)
    trees = [random_tree(rng, 3, 3, 2, LEGACY_MODES, votes_per_leaf=2) for _ in range(4)]
    trees = [_map_weights(t, lambda w: abs(w)) for t in trees]
    x = random_inputs(rng, 80, 3, np.float32)
    check(runtime, ort, classifier_model(trees, ["x", "y"], "NONE"), {"x": x})
    check(runtime, ort, classifier_model(trees, ["x", "y"], "SOFTMAX"), {"x": x})


def test_tree_ensemble_refuses_a_cycle(runtime):
    nodes = dict(nodes_modes=numpy_helper.from_array(np.array([0, 0], np.uint8), "m"), nodes_featureids=[0, 0],
                 nodes_splits=numpy_helper.from_array(np.array([0.5, 0.5], np.float32), "s"),
                 nodes_truenodeids=[1, 0], nodes_trueleafs=[0, 0], nodes_falsenodeids=[0, 0], nodes_falseleafs=[1, 1],
                 leaf_targetids=[0], leaf_weights=numpy_helper.from_array(np.array([1], np.float32), "w"), tree_roots=[0], n_targets=1)
    node = helper.make_node("TreeEnsemble", ["x"], ["y"], domain=ML, **nodes)
    model = make_model(node, [vi("x", TensorProto.FLOAT, None)], [vi("y", TensorProto.FLOAT, None)], 5, 21)
    with pytest.raises(Exception, match="cycle"):
        runtime.InferenceSession(model, providers=["CPUExecutionProvider"]).run(None, {"x": np.zeros((1, 1), np.float32)})


def test_ml_arity_is_checked_at_load(runtime):
    if runtime.__name__ == "onnxruntime":
        pytest.skip("onyx's message")
    node = helper.make_node("Binarizer", ["x", "x"], ["y"], domain=ML)
    model = make_model(node, [vi("x", TensorProto.FLOAT, None)], [vi("y", TensorProto.FLOAT, None)], 1)
    with pytest.raises(Exception, match="takes 1"):
        runtime.InferenceSession(model, providers=["CPUExecutionProvider"])


# ---------------------------------------------------------------- linear models and preprocessing

@pytest.mark.parametrize("post", ["NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO"])
@pytest.mark.parametrize("dtype,elem", [(np.float32, TensorProto.FLOAT), (np.float64, TensorProto.DOUBLE), (np.int64, TensorProto.INT64)])
def test_linear_regressor(runtime, ort, post, dtype, elem):
    rng = np.random.default_rng(21)
    node = helper.make_node("LinearRegressor", ["x"], ["y"], domain=ML, targets=2, post_transform=post,
                            coefficients=rng.uniform(-1, 1, 6).astype(np.float32).tolist(), intercepts=[0.5, -0.25])
    if runtime.__name__ == "onnxruntime" and dtype != np.float32:
        pytest.skip("onnxruntime implements LinearRegressor for float only")
    model = make_model(node, [vi("x", elem, None)], [vi("y", TensorProto.FLOAT, None)], 1)
    x = (rng.uniform(-3, 3, (10, 3))).astype(dtype)
    # onnxruntime implements float X only: other types are checked against its float result.
    ort_model = make_model(node, [vi("x", TensorProto.FLOAT, None)], [vi("y", TensorProto.FLOAT, None)], 1)
    got, want = run(runtime, model, {"x": x})[0], run(ort, ort_model, {"x": x.astype(np.float32)})[0]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("post", ["NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO"])
@pytest.mark.parametrize("labels", [["a", "b", "c"], [4, 5, 6], ["neg", "pos"], [0, 1]])
def test_linear_classifier(runtime, ort, post, labels):
    rng = np.random.default_rng(22)
    rows = 1 if len(labels) == 2 else len(labels)
    key = "classlabels_strings" if isinstance(labels[0], str) else "classlabels_ints"
    node = helper.make_node("LinearClassifier", ["x"], ["label", "scores"], domain=ML, post_transform=post,
                            coefficients=rng.uniform(-1, 1, 4 * rows).astype(np.float32).tolist(),
                            intercepts=rng.uniform(-1, 1, rows).astype(np.float32).tolist(), **{key: labels})
    label_elem = TensorProto.STRING if key == "classlabels_strings" else TensorProto.INT64
    model = make_model(node, [vi("x", TensorProto.FLOAT, None)], [vi("label", label_elem, None), vi("scores", TensorProto.FLOAT, None)], 1)
    check(runtime, ort, model, {"x": rng.uniform(-3, 3, (20, 4)).astype(np.float32)})


@pytest.mark.parametrize("norm", ["MAX", "L1", "L2"])
@pytest.mark.parametrize("dtype,elem", [(np.float32, TensorProto.FLOAT), (np.float64, TensorProto.DOUBLE), (np.int64, TensorProto.INT64)])
def test_normalizer(runtime, ort, norm, dtype, elem):
    x = np.array([[1, 2, 3], [-1, 4, 2], [0, 0, 0], [5, -6, 1]]).astype(dtype)
    node = helper.make_node("Normalizer", ["x"], ["y"], domain=ML, norm=norm)
    check(runtime, ort, make_model(node, [vi("x", elem, None)], [vi("y", TensorProto.FLOAT, None)], 1), {"x": x})


@pytest.mark.parametrize("offset,scale", [([1.0], [2.0]), ([0.5, -1, 2], [1, 0.25, -3])])
@pytest.mark.parametrize("dtype,elem", [(np.float32, TensorProto.FLOAT), (np.float64, TensorProto.DOUBLE), (np.int64, TensorProto.INT64)])
def test_scaler(runtime, ort, offset, scale, dtype, elem):
    x = np.arange(12).reshape(4, 3).astype(dtype)
    node = helper.make_node("Scaler", ["x"], ["y"], domain=ML, offset=offset, scale=scale)
    check(runtime, ort, make_model(node, [vi("x", elem, None)], [vi("y", TensorProto.FLOAT, None)], 1), {"x": x})


def test_imputer(runtime, ort):
    x = np.array([[1, np.nan, 3], [np.nan, 5, 6]], np.float32)
    node = helper.make_node("Imputer", ["x"], ["y"], domain=ML, imputed_value_floats=[7.0, 8.0, 9.0], replaced_value_float=np.nan)
    check(runtime, ort, make_model(node, [vi("x", TensorProto.FLOAT, None)], [vi("y", TensorProto.FLOAT, None)], 1), {"x": x})
    node = helper.make_node("Imputer", ["x"], ["y"], domain=ML, imputed_value_floats=[-1.0], replaced_value_float=3.0)
    check(runtime, ort, make_model(node, [vi("x", TensorProto.FLOAT, None)], [vi("y", TensorProto.FLOAT, None)], 1), {"x": x})
    xi = np.array([[1, 0, 3], [0, 5, 0]], np.int64)
    node = helper.make_node("Imputer", ["x"], ["y"], domain=ML, imputed_value_int64s=[7, 8, 9], replaced_value_int64=0)
    check(runtime, ort, make_model(node, [vi("x", TensorProto.INT64, None)], [vi("y", TensorProto.INT64, None)], 1), {"x": xi})


def test_feature_vectorizer(runtime, ort):
    a = np.arange(6).reshape(2, 3).astype(np.float32)
    b = np.array([[7], [8]], np.float32)
    c = np.arange(8).reshape(2, 4).astype(np.float32)
    node = helper.make_node("FeatureVectorizer", ["a", "b", "c"], ["y"], domain=ML, inputdimensions=[3, 2, 2])
    model = make_model(node, [vi("a", TensorProto.FLOAT, None), vi("b", TensorProto.FLOAT, None), vi("c", TensorProto.FLOAT, None)],
                       [vi("y", TensorProto.FLOAT, None)], 1)
    check(runtime, ort, model, {"a": a, "b": b, "c": c})


@pytest.mark.parametrize("kind", ["strings", "int64", "float"])
def test_one_hot_encoder(runtime, ort, kind):
    if kind == "strings":
        x, elem, attrs = np.array([["a", "c"], ["b", "z"]], object), TensorProto.STRING, {"cats_strings": ["a", "b", "c"]}
    elif kind == "int64":
        x, elem, attrs = np.array([[1, 3], [2, 9]], np.int64), TensorProto.INT64, {"cats_int64s": [1, 2, 3]}
    else:
        x, elem, attrs = np.array([[1, 3], [2, 9]], np.float32), TensorProto.FLOAT, {"cats_int64s": [1, 2, 3]}
    node = helper.make_node("OneHotEncoder", ["x"], ["y"], domain=ML, zeros=1, **attrs)
    model = make_model(node, [vi("x", elem, None)], [vi("y", TensorProto.FLOAT, None)], 1)
    check(runtime, ort, model, {"x": x})
    if runtime.__name__ != "onnxruntime" and kind == "float":
        # NaN is in no category (never converted to an integer).
        y = run(runtime, model, {"x": np.array([[np.nan, 1]], np.float32)})[0]
        assert y.tolist() == [[[0, 0, 0], [1, 0, 0]]]
    node = helper.make_node("OneHotEncoder", ["x"], ["y"], domain=ML, zeros=0, **attrs)
    model = make_model(node, [vi("x", elem, None)], [vi("y", TensorProto.FLOAT, None)], 1)
    with pytest.raises(Exception):
        run(runtime, model, {"x": x})


@pytest.mark.parametrize("which", ["TreeEnsemble", "TreeEnsembleClassifier", "TreeEnsembleRegressor"])
def test_tree_ensemble_mutated_attributes_fail_cleanly(runtime, which):
    """Random corruptions of valid tree attributes either run or raise onyx's error; never crash."""
    if runtime.__name__ == "onnxruntime":
        pytest.skip("checks onyx's errors")
    rng = np.random.default_rng(5)
    errors = tuple(getattr(runtime, n) for n in ("Fail", "InvalidArgument", "InvalidGraph", "NotImplemented"))
    if which == "TreeEnsemble":
        base = tree_ensemble_model([random_tree(rng, 3, 3, 2, MODES) for _ in range(3)], 2, 1, 0, TensorProto.FLOAT, np.float32)
    elif which == "TreeEnsembleClassifier":
        base = classifier_model([random_tree(rng, 3, 3, 3, LEGACY_MODES, 2) for _ in range(3)], ["a", "b", "c"], "SOFTMAX", [0.1, 0.2, 0.3])
    else:
        attrs = legacy_attrs([random_tree(rng, 3, 3, 2, LEGACY_MODES, 2) for _ in range(3)], "target", 3, True)
        node = helper.make_node(which, ["x"], ["y"], domain=ML, n_targets=2, aggregate_function="MAX", **attrs)
        base = make_model(node, [vi("x", TensorProto.DOUBLE, None)], [vi("y", TensorProto.FLOAT, None)], 3)
    x_type = np.float64 if which == "TreeEnsembleRegressor" else np.float32
    proto = onnx.load_from_string(base)
    ran = refused = 0
    for _ in range(300):
        m = onnx.ModelProto()
        m.CopyFrom(proto)
        attr = m.graph.node[0].attribute[int(rng.integers(len(m.graph.node[0].attribute)))]
        if attr.ints:
            attr.ints[int(rng.integers(len(attr.ints)))] = int(rng.choice([-1, 0, 1, 2, 7, 2**40, -2**62]))
        elif attr.HasField("t"):
            a = numpy_helper.to_array(attr.t).copy()
            if a.size:
                a.flat[int(rng.integers(a.size))] = rng.choice([np.nan, 7, 255, -1]) if a.dtype.kind == "f" else rng.choice([7, 255])
            attr.t.CopyFrom(numpy_helper.from_array(a, attr.t.name))
        elif attr.type == onnx.AttributeProto.INT:
            attr.i = int(rng.choice([-1, 0, 5, 2**40]))
        elif attr.floats:
            attr.floats[int(rng.integers(len(attr.floats)))] = float(rng.choice([np.nan, np.inf, -1e38]))
        elif attr.strings:
            attr.strings[int(rng.integers(len(attr.strings)))] = rng.choice([b"LEAF", b"BRANCH_LT", b"BRANCH_MEMBER", b""])
        x = random_inputs(rng, 4, int(rng.integers(0, 5)), x_type)
        try:
            run(runtime, m.SerializeToString(), {"x": x})
            ran += 1
        except errors:
            refused += 1
    assert ran > 0 and refused > 0


def test_tree_ensembles_many_rows(runtime, ort):
    """Enough rows for the kernels to split them over threads."""
    rng = np.random.default_rng(31)
    trees = [random_tree(rng, 6, 5, 3, LEGACY_MODES, votes_per_leaf=3) for _ in range(20)]
    x = random_inputs(rng, 5000, 5, np.float32)
    check(runtime, ort, classifier_model(trees, ["a", "b", "c"], "SOFTMAX"), {"x": x})
    node = helper.make_node("TreeEnsembleRegressor", ["x"], ["y"], domain=ML, n_targets=3, **legacy_attrs(trees, "target", 1))
    check(runtime, ort, make_model(node, [vi("x", TensorProto.FLOAT, None)], [vi("y", TensorProto.FLOAT, None)], 1), {"x": x})
    v5 = [_one_class(t, 1) for t in trees]
    check(runtime, ort, tree_ensemble_model(v5, 3, 1, 0, TensorProto.FLOAT, np.float32), {"x": x})


def test_category_mapper(runtime, ort):
    attrs = dict(cats_strings=["cat", "dog", "cow"], cats_int64s=[3, 5, 7], default_int64=-9, default_string="none")
    node = helper.make_node("CategoryMapper", ["x"], ["y"], domain=ML, **attrs)
    model = make_model(node, [vi("x", TensorProto.STRING, None)], [vi("y", TensorProto.INT64, None)], 1)
    check(runtime, ort, model, {"x": np.array([["dog", "cat"], ["bird", "cow"]], object)})
    model = make_model(node, [vi("x", TensorProto.INT64, None)], [vi("y", TensorProto.STRING, None)], 1)
    check(runtime, ort, model, {"x": np.array([7, 3, 4, 5], np.int64)})


@pytest.mark.parametrize("kernel", ["LINEAR", "POLY", "RBF", "SIGMOID"])
@pytest.mark.parametrize("one_class", [0, 1])
def test_svm_regressor(runtime, ort, kernel, one_class):
    rng = np.random.default_rng(41)
    sv = rng.uniform(-1, 1, (5, 3)).astype(np.float32)
    node = helper.make_node("SVMRegressor", ["x"], ["y"], domain=ML, kernel_type=kernel, n_supports=5, one_class=one_class,
                            coefficients=rng.uniform(-1, 1, 5).astype(np.float32).tolist(), rho=[0.25],
                            support_vectors=sv.ravel().tolist(), kernel_params=[0.5, 0.1, 3.0])
    model = make_model(node, [vi("x", TensorProto.FLOAT, None)], [vi("y", TensorProto.FLOAT, None)], 1)
    check(runtime, ort, model, {"x": rng.uniform(-2, 2, (20, 3)).astype(np.float32)}, rtol=1e-4, atol=1e-5)


def test_svm_regressor_linear_without_supports(runtime, ort):
    node = helper.make_node("SVMRegressor", ["x"], ["y"], domain=ML, n_supports=0, coefficients=[0.5, -1.0, 2.0], rho=[0.1],
                            kernel_params=[0.0, 0.0, 0.0])
    model = make_model(node, [vi("x", TensorProto.FLOAT, None)], [vi("y", TensorProto.FLOAT, None)], 1)
    check(runtime, ort, model, {"x": np.arange(12, dtype=np.float32).reshape(4, 3)})
