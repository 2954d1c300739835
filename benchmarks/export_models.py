#!/usr/bin/env python3
"""Export the benchmark / test models to ONNX with random (seeded) weights.

Run with a Python that has torch + torchvision (on this box: /usr/bin/python3):

    /usr/bin/python3 benchmarks/export_models.py                       # all, into benchmarks/models
    /usr/bin/python3 benchmarks/export_models.py --out tests/data/generated --models resnet50,bert
    /usr/bin/python3 benchmarks/export_models.py --force               # re-export existing files

Models (file = <name>.onnx):
    resnet50, mobilenet_v2, efficientnet_b0   torchvision, opset 17
        input  "input"  float32 [N,3,224,224]      output "output" float32 [N,1000]
    bert    BERT-base encoder in plain torch (12 layers, hidden 768, 12 heads, ffn 3072,
            vocab 30522, 512 positions, token types), opset 14, LayerNorm decomposed, erf GELU
        inputs  input_ids, attention_mask, token_type_ids  int64 [batch, seq]
        output  last_hidden_state float32 [batch, seq, 768]
    lstm    2-layer LSTM, input 128, hidden 256, seq-major, opset 14
        input  "input" float32 [seq=100, batch, 128]
        outputs "output" [seq, batch, 256], "h_n" / "c_n" [2, batch, 256]

Weights are random but deterministic (one seed per model, independent of which models are
selected). The CNNs' BatchNorm running statistics are calibrated on a few random batches so that
activations stay in a realistic range through the whole network instead of growing layer by layer.
Files are written to a temporary name and renamed, so an interrupted run never leaves a partial
model that a later run would mistake for a finished one.
"""
import argparse
import collections
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ALL_MODELS = ["resnet50", "mobilenet_v2", "efficientnet_b0", "bert", "lstm"]
SEEDS = {"resnet50": 50, "mobilenet_v2": 2, "efficientnet_b0": 0, "bert": 768, "lstm": 256}


# ----------------------------------------------------------------------------------------------
# vision models


def calibrate_batchnorm(model, batches=4, batch_size=8):
    """Set BN running stats to the statistics of random-normal inputs (cumulative average)."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None
    model.train()
    with torch.no_grad():
        for _ in range(batches):
            model(torch.randn(batch_size, 3, 224, 224))
    model.eval()


def build_vision(name):
    import torchvision

    ctor = getattr(torchvision.models, name)
    try:
        model = ctor(weights=None)
    except TypeError:  # torchvision < 0.13
        model = ctor(pretrained=False)
    calibrate_batchnorm(model)
    example = (torch.randn(1, 3, 224, 224),)
    return dict(model=model, args=example, opset=17,
                input_names=["input"], output_names=["output"],
                dynamic_axes={"input": {0: "N"}, "output": {0: "N"}},
                doc="torchvision %s with random weights (BN statistics calibrated on random inputs)" % name)


# ----------------------------------------------------------------------------------------------
# BERT-base encoder, written out so the exported graph looks like a typical transformers export


class BertConfig:
    vocab_size = 30522
    hidden = 768
    layers = 12
    heads = 12
    intermediate = 3072
    max_positions = 512
    type_vocab = 2
    eps = 1e-12


class BertEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word = nn.Embedding(c.vocab_size, c.hidden)
        self.position = nn.Embedding(c.max_positions, c.hidden)
        self.token_type = nn.Embedding(c.type_vocab, c.hidden)
        self.norm = nn.LayerNorm(c.hidden, eps=c.eps)
        self.register_buffer("position_ids", torch.arange(c.max_positions).unsqueeze(0), persistent=False)

    def forward(self, input_ids, token_type_ids):
        seq = input_ids.size(1)
        pos = self.position_ids[:, :seq]
        x = self.word(input_ids) + self.token_type(token_type_ids) + self.position(pos)
        return self.norm(x)


class BertSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads, self.head_dim = c.heads, c.hidden // c.heads
        self.query = nn.Linear(c.hidden, c.hidden)
        self.key = nn.Linear(c.hidden, c.hidden)
        self.value = nn.Linear(c.hidden, c.hidden)
        self.out = nn.Linear(c.hidden, c.hidden)
        self.norm = nn.LayerNorm(c.hidden, eps=c.eps)

    def split_heads(self, x):  # [B,S,H*D] -> [B,H,S,D]
        x = x.view(x.size()[:-1] + (self.heads, self.head_dim))
        return x.permute(0, 2, 1, 3)

    def forward(self, x, additive_mask):
        q = self.split_heads(self.query(x))
        k = self.split_heads(self.key(x))
        v = self.split_heads(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        probs = torch.softmax(scores + additive_mask, dim=-1)
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        ctx = ctx.view(ctx.size()[:-2] + (self.heads * self.head_dim,))
        return self.norm(self.out(ctx) + x)


class BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = BertSelfAttention(c)
        self.intermediate = nn.Linear(c.hidden, c.intermediate)
        self.output = nn.Linear(c.intermediate, c.hidden)
        self.norm = nn.LayerNorm(c.hidden, eps=c.eps)

    def forward(self, x, additive_mask):
        x = self.attention(x, additive_mask)
        h = F.gelu(self.intermediate(x))  # exact (erf) GELU
        return self.norm(self.output(h) + x)


class BertEncoder(nn.Module):
    def __init__(self, c=BertConfig()):
        super().__init__()
        self.embeddings = BertEmbeddings(c)
        self.layers = nn.ModuleList([BertLayer(c) for _ in range(c.layers)])
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(m):
        # Weights as BERT's initializer_range=0.02. Biases and LayerNorm affine parameters get
        # small random values instead of BERT's zeros/ones, so that a kernel that drops or
        # mis-broadcasts a bias shows up in the comparison tests.
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.bias, std=0.02)
        if isinstance(m, nn.LayerNorm):
            nn.init.normal_(m.weight, mean=1.0, std=0.1)
            nn.init.normal_(m.bias, std=0.05)

    def forward(self, input_ids, attention_mask, token_type_ids):
        # [B,S] 1/0 mask -> [B,1,1,S] additive mask: 0 where attended, -10000 where masked
        mask = attention_mask[:, None, None, :].to(self.embeddings.word.weight.dtype)  # float16 models too
        additive_mask = (1.0 - mask) * -10000.0
        x = self.embeddings(input_ids, token_type_ids)
        for layer in self.layers:
            x = layer(x, additive_mask)
        return x


def build_bert(name):
    model = BertEncoder().eval()
    b, s = 2, 16
    args = (torch.randint(0, BertConfig.vocab_size, (b, s)),
            torch.ones(b, s, dtype=torch.int64),
            torch.zeros(b, s, dtype=torch.int64))
    axes = {0: "batch", 1: "seq"}
    return dict(model=model, args=args, opset=14,
                input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["last_hidden_state"],
                dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                              "last_hidden_state": axes},
                doc="BERT-base encoder (12x768, 12 heads, ffn 3072, vocab 30522) with random weights")


# ----------------------------------------------------------------------------------------------
# LSTM


class StackedLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(input_size=128, hidden_size=256, num_layers=2)

    def forward(self, x):
        out, (h, c) = self.lstm(x)
        return out, h, c


def build_lstm(name):
    model = StackedLSTM().eval()
    return dict(model=model, args=(torch.randn(100, 1, 128),), opset=14,
                input_names=["input"], output_names=["output", "h_n", "c_n"],
                dynamic_axes={"input": {0: "seq", 1: "batch"}, "output": {0: "seq", 1: "batch"},
                              "h_n": {1: "batch"}, "c_n": {1: "batch"}},
                doc="2-layer LSTM, input 128, hidden 256, seq-major [seq=100, batch, 128], random weights")


BUILDERS = {"resnet50": build_vision, "mobilenet_v2": build_vision, "efficientnet_b0": build_vision,
            "bert": build_bert, "lstm": build_lstm}


# ----------------------------------------------------------------------------------------------


def annotate(path, name, doc):
    """Producer, doc string, graph name and a histogram of ops; needs the onnx package."""
    try:
        import onnx
    except ImportError:
        return None
    m = onnx.load(path)
    m.producer_name = "onyx-benchmarks-export"
    m.producer_version = "1.0"
    m.doc_string = doc
    m.graph.name = name
    p = m.metadata_props.add()
    p.key, p.value = "seed", str(SEEDS[name])
    onnx.save(m, path)
    return collections.Counter(n.op_type for n in m.graph.node)


def export_one(name, path):
    torch.manual_seed(SEEDS[name])
    spec = BUILDERS[name](name)
    model = spec["model"].eval()
    tmp = path + ".tmp"
    with torch.no_grad():
        torch.onnx.export(model, spec["args"], tmp,
                          input_names=spec["input_names"], output_names=spec["output_names"],
                          dynamic_axes=spec["dynamic_axes"], opset_version=spec["opset"],
                          do_constant_folding=True)
    hist = annotate(tmp, name, spec["doc"])
    os.replace(tmp, path)
    return hist


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(HERE, "models"), help="output directory")
    ap.add_argument("--models", default=",".join(ALL_MODELS),
                    help="comma-separated subset of: " + ",".join(ALL_MODELS))
    ap.add_argument("--force", action="store_true", help="re-export models that already exist")
    ap.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    args = ap.parse_args()

    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = [n for n in names if n not in BUILDERS]
    if unknown:
        ap.error("unknown model(s): %s (choose from %s)" % (",".join(unknown), ",".join(ALL_MODELS)))
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)

    t_all = time.time()
    for name in names:
        path = os.path.join(args.out, name + ".onnx")
        if os.path.exists(path) and not args.force:
            print("%-16s exists, skipped (%s)" % (name, path))
            continue
        t0 = time.time()
        hist = export_one(name, path)
        print("%-16s %7.1f MB  %5.1f s  %s" % (name, os.path.getsize(path) / 1e6, time.time() - t0, path))
        if hist is not None:
            print("    ops: " + ", ".join("%s %d" % kv for kv in sorted(hist.items(), key=lambda kv: (-kv[1], kv[0]))))
        sys.stdout.flush()
    print("total %.1f s" % (time.time() - t_all))


if __name__ == "__main__":
    main()
