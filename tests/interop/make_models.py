#!/usr/bin/python3
"""Builds the models of ledge's interop test: real architectures from the field, with random
weights (nothing can be downloaded here), exported the way their users export them.

    /usr/bin/python3 tests/interop/make_models.py OUT_DIR

Writes OUT_DIR/<name>.onnx, one input OUT_DIR/<name>.<input>.npy per model input and
OUT_DIR/manifest.txt, one line per model: NAME MODEL_FILE INPUT=FILE...
Everything is seeded, so two runs produce the same inputs and weights.

Needs Debian's python3-torch (1.13), python3-torchvision (0.14), python3-onnx and python3-numpy.
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

SEED = 20240611


def randomize_batchnorm(model, gen):
    """Fresh BatchNorm layers are identities (mean 0, var 1, scale 1, shift 0), which would leave
    the normalization arithmetic untested; give them plausible trained-looking statistics."""
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            n = m.num_features
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(n, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(n, generator=gen) * 1.5 + 0.5)
                m.weight.copy_(torch.rand(n, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(n, generator=gen) * 0.1)


def unit_scale_layers(model, args):
    """Default initializations leave these networks nearly constant (classifier logits around
    1e-2, log-probabilities within 0.3 of uniform), so an operator bug deep inside would move the
    outputs by less than the test's tolerance. Like LSUV initialization (Mishkin & Matas 2016),
    rescale each Conv/ConvTranspose/Linear, in order, so that its output has unit standard
    deviation on the test input: every layer then matters to the outputs, as in a trained model."""
    layers = [m for m in model.modules()
              if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.ConvTranspose2d, nn.Linear))]
    for layer in layers:
        seen = []
        hook = layer.register_forward_hook(lambda mod, inp, out: seen.append(out))
        with torch.no_grad():
            model(*args)
        hook.remove()
        if not seen:
            continue
        std = seen[0].std().item()
        if std > 0:
            with torch.no_grad():
                layer.weight /= std
                if layer.bias is not None:
                    layer.bias /= std


def export_torch(out_dir, name, model, inputs, opset, output_names, dynamic_axes=None):
    """inputs: list of (name, numpy array). Exports in eval mode with constant folding, as
    torch.onnx.export's users do by default."""
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED + 1)
    randomize_batchnorm(model, gen)
    model.eval()
    args = tuple(torch.from_numpy(a) for _, a in inputs)
    unit_scale_layers(model, args)
    path = os.path.join(out_dir, name + ".onnx")
    with torch.no_grad():
        torch.onnx.export(model, args, path, opset_version=opset,
                          input_names=[n for n, _ in inputs], output_names=output_names,
                          dynamic_axes=dynamic_axes, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path))
    return name, path, inputs


# --- image classifiers (torchvision architectures, random weights) -----------------------------

def classifiers():
    # 128x128 instead of 224x224 keeps the reference executor fast; all these networks end in an
    # adaptive pool, so any size works.
    specs = [
        ("mobilenet_v2", torchvision.models.mobilenet_v2, 13),
        ("mobilenet_v3_small", torchvision.models.mobilenet_v3_small, 13),
        ("resnet18", torchvision.models.resnet18, 13),
        ("squeezenet1_1", torchvision.models.squeezenet1_1, 13),
        # opset 11: Split with its `split` attribute, Squeeze/Unsqueeze with `axes` attributes.
        ("shufflenet_v2_x1_0", torchvision.models.shufflenet_v2_x1_0, 11),
        ("efficientnet_b0", torchvision.models.efficientnet_b0, 13),
        # opset 9: Clip with min/max attributes (ReLU6), Flatten/Gemm of the old exporter.
        ("mobilenet_v2_opset9", torchvision.models.mobilenet_v2, 9),
    ]
    for i, (name, ctor, opset) in enumerate(specs):
        torch.manual_seed(SEED + 100 + i)
        model = ctor(weights=None)
        x = np.random.RandomState(SEED + i).standard_normal((1, 3, 128, 128)).astype(np.float32)
        yield name, model, [("input", x)], opset, ["logits"], None


# --- OCR detector in the style of DBNet --------------------------------------------------------

def conv_bn_relu(cin, cout, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


class DBNetLike(nn.Module):
    """Small conv backbone (strides 4..32) + FPN (top-down nearest upsampling, lateral 1x1 convs)
    + DB head (conv, two stride-2 ConvTranspose, Sigmoid) giving a probability map at full
    resolution, as in DBNet (Liao et al. 2020) and PaddleOCR's det models."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(conv_bn_relu(3, 8, 2), conv_bn_relu(8, 16, 2))      # 1/4
        self.c3 = nn.Sequential(conv_bn_relu(16, 24, 2), conv_bn_relu(24, 24))         # 1/8
        self.c4 = nn.Sequential(conv_bn_relu(24, 32, 2), conv_bn_relu(32, 32))         # 1/16
        self.c5 = nn.Sequential(conv_bn_relu(32, 48, 2), conv_bn_relu(48, 48))         # 1/32
        inner = 32
        self.lat = nn.ModuleList([nn.Conv2d(c, inner, 1, bias=False) for c in (16, 24, 32, 48)])
        self.smooth = nn.ModuleList(
            [nn.Conv2d(inner, inner // 4, 3, padding=1, bias=False) for _ in range(4)])
        self.up = nn.ModuleList([nn.Upsample(scale_factor=s, mode="nearest") for s in (2, 4, 8)])
        self.head = nn.Sequential(
            nn.Conv2d(inner, inner // 4, 3, padding=1, bias=False), nn.BatchNorm2d(inner // 4),
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(inner // 4, inner // 4, 2, 2), nn.BatchNorm2d(inner // 4),
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(inner // 4, 1, 2, 2), nn.Sigmoid())

    def forward(self, x):
        c2 = self.stem(x)
        c3 = self.c3(c2)
        c4 = self.c4(c3)
        c5 = self.c5(c4)
        in2, in3, in4, in5 = (lat(c) for lat, c in zip(self.lat, (c2, c3, c4, c5)))
        out4 = in4 + F.interpolate(in5, scale_factor=2, mode="nearest")
        # Some DBNet ports upsample to the lateral's size instead of by a factor: Shape chains.
        out3 = in3 + F.interpolate(out4, size=in3.shape[2:], mode="nearest")
        out2 = in2 + F.interpolate(out3, scale_factor=2, mode="nearest")
        p5 = self.up[2](self.smooth[3](in5))
        p4 = self.up[1](self.smooth[2](out4))
        p3 = self.up[0](self.smooth[1](out3))
        p2 = self.smooth[0](out2)
        fuse = torch.cat([p5, p4, p3, p2], dim=1)
        return self.head(fuse)


def dbnets():
    x = np.random.RandomState(SEED + 20).uniform(0, 1, (1, 3, 96, 160)).astype(np.float32)
    torch.manual_seed(SEED + 20)
    # Dynamic batch, height and width, as OCR detectors are exported to take any page size.
    yield ("dbnet", DBNetLike(), [("x", x)], 13, ["maps"],
           {"x": {0: "batch", 2: "height", 3: "width"}, "maps": {0: "batch", 2: "height",
                                                                   3: "width"}})
    torch.manual_seed(SEED + 21)
    # opset 9: Upsample (before Resize existed) with scales computed from shapes.
    yield "dbnet_opset9", DBNetLike(), [("x", x)], 9, ["maps"], None


# --- OCR recognizer in the style of CRNN -------------------------------------------------------

class BidirectionalLSTM(nn.Module):
    """As in crnn.pytorch: BiLSTM, then a Linear applied per time step through a reshape."""

    def __init__(self, nin, nhidden, nout):
        super().__init__()
        self.rnn = nn.LSTM(nin, nhidden, bidirectional=True)
        self.embedding = nn.Linear(nhidden * 2, nout)

    def forward(self, x):
        recurrent, _ = self.rnn(x)
        t, b, h = recurrent.size()
        out = self.embedding(recurrent.view(t * b, h))
        return out.view(t, b, -1)


class CRNNLike(nn.Module):
    """Conv stack collapsing a 32-pixel-high text line to height 1, then sequence over width:
    squeeze/permute to (T, B, C), two BiLSTMs, LogSoftmax over 37 classes (CTC blank + 0-9a-z)."""

    def __init__(self, nclass=37):
        super().__init__()
        self.cnn = nn.Sequential(
            nn.Conv2d(1, 16, 3, 1, 1), nn.ReLU(True), nn.MaxPool2d(2, 2),             # 16x64
            nn.Conv2d(16, 32, 3, 1, 1), nn.ReLU(True), nn.MaxPool2d(2, 2),            # 8x32
            nn.Conv2d(32, 48, 3, 1, 1), nn.BatchNorm2d(48), nn.ReLU(True),
            nn.Conv2d(48, 48, 3, 1, 1), nn.ReLU(True),
            nn.MaxPool2d((2, 2), (2, 1), (0, 1)),                                      # 4x33
            nn.Conv2d(48, 64, 3, 1, 1), nn.BatchNorm2d(64), nn.ReLU(True),
            nn.MaxPool2d((2, 2), (2, 1), (0, 1)),                                      # 2x34
            nn.Conv2d(64, 64, 2, 1, 0), nn.BatchNorm2d(64), nn.ReLU(True))             # 1x33
        self.rnn = nn.Sequential(BidirectionalLSTM(64, 48, 48), BidirectionalLSTM(48, 48, nclass))

    def forward(self, x):
        conv = self.cnn(x)
        conv = conv.squeeze(2).permute(2, 0, 1)  # (T, B, C)
        return F.log_softmax(self.rnn(conv), dim=2)


def crnns():
    x = np.random.RandomState(SEED + 30).uniform(0, 1, (1, 1, 32, 128)).astype(np.float32)
    torch.manual_seed(SEED + 30)
    yield ("crnn", CRNNLike(), [("image", x)], 13, ["log_probs"],
           {"image": {0: "batch", 3: "width"}, "log_probs": {0: "steps", 1: "batch"}})
    torch.manual_seed(SEED + 31)
    # opset 9: Squeeze/Unsqueeze/Slice with attributes, old Transpose/Reshape export.
    yield "crnn_opset9", CRNNLike(), [("image", x)], 9, ["log_probs"], None


# --- keyword spotter ---------------------------------------------------------------------------

class KWSLike(nn.Module):
    """Keyword spotter over 40 MFCCs x 49 frames (1 s at 20 ms hop, as in Speech Commands):
    1-D conv + depthwise-separable 1-D convs, a GRU over time, Linear + Softmax over 12 labels."""

    def __init__(self, nmfcc=40, ch=64, nlabels=12):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv1d(nmfcc, ch, 5, stride=2, padding=2, bias=False), nn.BatchNorm1d(ch), nn.ReLU(),
            nn.Conv1d(ch, ch, 3, padding=1, groups=ch, bias=False), nn.BatchNorm1d(ch), nn.ReLU(),
            nn.Conv1d(ch, ch, 1, bias=False), nn.BatchNorm1d(ch), nn.ReLU(),
            nn.Conv1d(ch, ch, 3, padding=2, dilation=2, groups=ch, bias=False),
            nn.BatchNorm1d(ch), nn.ReLU(),
            nn.Conv1d(ch, ch, 1, bias=False), nn.BatchNorm1d(ch), nn.ReLU())
        self.gru = nn.GRU(ch, ch, batch_first=True)
        self.fc = nn.Linear(ch, nlabels)

    def forward(self, x):
        h = self.conv(x).permute(0, 2, 1)  # (B, T, C)
        out, _ = self.gru(h)
        logits = self.fc(out[:, -1, :])
        return logits, F.softmax(logits, dim=1)


def kws():
    x = np.random.RandomState(SEED + 40).standard_normal((1, 40, 49)).astype(np.float32)
    torch.manual_seed(SEED + 40)
    yield "kws", KWSLike(), [("mfcc", x)], 13, ["logits", "probs"], None


# --- other toolchains, emulated ----------------------------------------------------------------
# tf2onnx and paddle2onnx are not installable here. The two graphs below are written by hand with
# onnx.helper to reproduce the patterns those converters are known to emit; they are emulations
# of the converters' output, not output of the converters themselves.

def _init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def _node(op, inputs, outputs, **attrs):
    # Converters name each node after its first output, minus the ':0' port suffix.
    return helper.make_node(op, inputs, outputs, name=outputs[0].split(":")[0], **attrs)


def tf_style(out_dir, rng):
    """tf2onnx-style: NHWC input named 'input_1:0' with a symbolic batch ('unk__0'), Transpose to
    NCHW around each Conv and back, explicit (asymmetric, SAME-style) pads, FusedBatchNorm folded
    into Mul/Add, Relu6 as Clip, Shape->Gather->Cast(int32)->Unsqueeze->Concat->Cast->Reshape
    for a dynamic flatten, Squeeze/Unsqueeze with axes inputs, MatMul + Add, Softmax, ArgMax cast
    to int32, outputs named 'Identity:0' etc."""
    f32 = np.float32
    inits = [
        _init("conv1/kernel", (rng.standard_normal((8, 3, 3, 3)) * 0.3).astype(f32)),
        _init("conv1/bias", (rng.standard_normal(8) * 0.1).astype(f32)),
        _init("bn1/mul", rng.uniform(0.5, 1.5, (1, 8, 1, 1)).astype(f32)),
        _init("bn1/add", (rng.standard_normal((1, 8, 1, 1)) * 0.1).astype(f32)),
        _init("conv2/kernel", (rng.standard_normal((16, 8, 3, 3)) * 0.2).astype(f32)),
        _init("conv2/bias", (rng.standard_normal(16) * 0.1).astype(f32)),
        _init("relu6/min", np.array(0, f32)),
        _init("relu6/max", np.array(6, f32)),
        _init("const_axes_hw", np.array([1, 2], np.int64)),
        _init("const_axes_0", np.array([0], np.int64)),
        _init("const_zero", np.array(0, np.int64)),
        _init("const_minus1_i32", np.array([-1], np.int32)),
        _init("dense/kernel", (rng.standard_normal((16 * 16 * 16, 10)) * 0.02).astype(f32)),
        _init("dense_gap/kernel", (rng.standard_normal((16, 10)) * 0.3).astype(f32)),
        _init("dense/bias", (rng.standard_normal(10) * 0.1).astype(f32)),
        _init("const_shape_logits", np.array([-1, 10], np.int64)),
    ]
    n = _node
    nodes = [
        n("Transpose", ["input_1:0"], ["conv1/Conv2D__6:0"], perm=[0, 3, 1, 2]),
        n("Conv", ["conv1/Conv2D__6:0", "conv1/kernel", "conv1/bias"], ["conv1/BiasAdd:0"],
          kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1], dilations=[1, 1], group=1),
        n("Mul", ["conv1/BiasAdd:0", "bn1/mul"], ["bn1/FusedBatchNormV3_mul:0"]),
        n("Add", ["bn1/FusedBatchNormV3_mul:0", "bn1/add"], ["bn1/FusedBatchNormV3:0"]),
        n("Relu", ["bn1/FusedBatchNormV3:0"], ["relu1/Relu:0"]),
        n("Transpose", ["relu1/Relu:0"], ["relu1/Relu__9:0"], perm=[0, 2, 3, 1]),
        n("Transpose", ["relu1/Relu__9:0"], ["conv2/Conv2D__12:0"], perm=[0, 3, 1, 2]),
        # stride 2 with SAME padding on an even size pads only at the end.
        n("Conv", ["conv2/Conv2D__12:0", "conv2/kernel", "conv2/bias"], ["conv2/BiasAdd:0"],
          kernel_shape=[3, 3], strides=[2, 2], pads=[0, 0, 1, 1], dilations=[1, 1], group=1),
        n("Clip", ["conv2/BiasAdd:0", "relu6/min", "relu6/max"], ["relu6/Relu6:0"]),
        n("Transpose", ["relu6/Relu6:0"], ["relu6/Relu6__15:0"], perm=[0, 2, 3, 1]),
        # global average pooling, TF's way
        n("ReduceMean", ["relu6/Relu6__15:0"], ["gap/Mean:0"], axes=[1, 2], keepdims=1),
        n("Squeeze", ["gap/Mean:0", "const_axes_hw"], ["gap/Squeeze:0"]),
        # flatten with a batch size read at run time
        n("Shape", ["relu6/Relu6__15:0"], ["flatten/Shape:0"]),
        n("Gather", ["flatten/Shape:0", "const_zero"], ["flatten/strided_slice:0"], axis=0),
        n("Cast", ["flatten/strided_slice:0"], ["flatten/strided_slice__20:0"], to=TensorProto.INT32),
        n("Unsqueeze", ["flatten/strided_slice__20:0", "const_axes_0"], ["flatten/Reshape/shape_Unsqueeze__21:0"]),
        n("Concat", ["flatten/Reshape/shape_Unsqueeze__21:0", "const_minus1_i32"],
          ["flatten/Reshape/shape_Concat__22:0"], axis=0),
        n("Cast", ["flatten/Reshape/shape_Concat__22:0"], ["flatten/Reshape__23:0"], to=TensorProto.INT64),
        n("Reshape", ["relu6/Relu6__15:0", "flatten/Reshape__23:0"], ["flatten/Reshape:0"]),
        n("MatMul", ["flatten/Reshape:0", "dense/kernel"], ["dense/MatMul:0"]),
        n("MatMul", ["gap/Squeeze:0", "dense_gap/kernel"], ["dense_gap/MatMul:0"]),
        n("Add", ["dense/MatMul:0", "dense_gap/MatMul:0"], ["dense/add_gap:0"]),
        n("Add", ["dense/add_gap:0", "dense/bias"], ["dense/BiasAdd:0"]),
        n("Reshape", ["dense/BiasAdd:0", "const_shape_logits"], ["logits:0"]),
        n("Softmax", ["logits:0"], ["Identity:0"], axis=-1),
        n("ArgMax", ["logits:0"], ["argmax/ArgMax:0"], axis=1, keepdims=0),
        n("Cast", ["argmax/ArgMax:0"], ["Identity_1:0"], to=TensorProto.INT32),
    ]
    graph = helper.make_graph(
        nodes, "tf2onnx",
        [helper.make_tensor_value_info("input_1:0", TensorProto.FLOAT, ["unk__0", 32, 32, 3])],
        [helper.make_tensor_value_info("Identity:0", TensorProto.FLOAT, ["unk__0", 10]),
         helper.make_tensor_value_info("Identity_1:0", TensorProto.INT32, ["unk__0"]),
         helper.make_tensor_value_info("logits:0", TensorProto.FLOAT, ["unk__0", 10])],
        initializer=inits)
    model = helper.make_model(graph, producer_name="tf2onnx", producer_version="1.9.3",
                              opset_imports=[helper.make_opsetid("", 13)])
    x = rng.uniform(0, 1, (1, 32, 32, 3)).astype(f32)
    return save_handmade(out_dir, "tf_style", model, [("input_1:0", x)])


def paddle_style(out_dir, rng):
    """paddle2onnx-style at opset 11: unfused BatchNormalization, hard_swish as HardSigmoid + Mul,
    relu6 as Clip with min/max inputs, Split with its `split` attribute, Slice with constant
    starts/ends/axes/steps inputs, Pad with pads as an input (reflect and constant), Resize with
    empty roi and scales (nearest/asymmetric/floor and linear/half_pixel), Concat,
    GlobalAveragePool, Flatten, MatMul + Add, Softmax, Sigmoid; paddle-style tensor names with '/'."""
    f32 = np.float32
    inits = [
        _init("conv2d_0.w_0", (rng.standard_normal((16, 3, 3, 3)) * 0.3).astype(f32)),
        _init("batch_norm_0.w_0", rng.uniform(0.5, 1.5, 16).astype(f32)),
        _init("batch_norm_0.b_0", (rng.standard_normal(16) * 0.1).astype(f32)),
        _init("batch_norm_0.w_1", (rng.standard_normal(16) * 0.1).astype(f32)),
        _init("batch_norm_0.w_2", rng.uniform(0.5, 2.0, 16).astype(f32)),
        _init("clip_min", np.array(0, f32)),
        _init("clip_max", np.array(6, f32)),
        _init("dwconv_0.w_0", (rng.standard_normal((8, 1, 3, 3)) * 0.4).astype(f32)),
        _init("pwconv_0.w_0", (rng.standard_normal((16, 16, 1, 1)) * 0.3).astype(f32)),
        _init("pwconv_0.b_0", (rng.standard_normal(16) * 0.1).astype(f32)),
        _init("slice_starts", np.array([1, 1], np.int64)),
        _init("slice_ends", np.array([-1, -1], np.int64)),
        _init("slice_axes", np.array([2, 3], np.int64)),
        _init("slice2_starts", np.array([0], np.int64)),
        _init("slice2_ends", np.array([2147483647], np.int64)),
        _init("slice2_axes", np.array([1], np.int64)),
        _init("slice2_steps", np.array([2], np.int64)),
        _init("pad_reflect", np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64)),
        _init("pad_const", np.array([0, 0, 0, 2, 0, 0, 1, 0], np.int64)),
        _init("pad_value", np.array(0.5, f32)),
        _init("empty_roi", np.array([], f32)),
        _init("scales_2x", np.array([1, 1, 2, 2], f32)),
        _init("scales_half", np.array([1, 1, 0.5, 0.5], f32)),
        _init("fc_0.w_0", (rng.standard_normal((24, 10)) * 0.3).astype(f32)),
        _init("fc_0.b_0", (rng.standard_normal(10) * 0.1).astype(f32)),
    ]
    n = _node
    nodes = [
        n("Conv", ["x", "conv2d_0.w_0"], ["conv2d_1.tmp_0"], kernel_shape=[3, 3], strides=[2, 2],
          pads=[1, 1, 1, 1], dilations=[1, 1], group=1),                        # 16x32x32
        n("BatchNormalization", ["conv2d_1.tmp_0", "batch_norm_0.w_0", "batch_norm_0.b_0",
                                 "batch_norm_0.w_1", "batch_norm_0.w_2"],
          ["batch_norm_0.tmp_2"], epsilon=1e-5, momentum=0.9),
        n("HardSigmoid", ["batch_norm_0.tmp_2"], ["hard_swish_0.tmp_0_hs"], alpha=1 / 6, beta=0.5),
        n("Mul", ["batch_norm_0.tmp_2", "hard_swish_0.tmp_0_hs"], ["hard_swish_0.tmp_0"]),
        n("Split", ["hard_swish_0.tmp_0"], ["split_0.tmp_0", "split_0.tmp_1"], axis=1,
          split=[8, 8]),
        n("Conv", ["split_0.tmp_0", "dwconv_0.w_0"], ["dwconv_0.tmp_0"], kernel_shape=[3, 3],
          strides=[1, 1], pads=[1, 1, 1, 1], group=8),
        n("Clip", ["dwconv_0.tmp_0", "clip_min", "clip_max"], ["relu6_0.tmp_0"]),
        n("Concat", ["relu6_0.tmp_0", "split_0.tmp_1"], ["concat_0.tmp_0"], axis=1),
        n("Conv", ["concat_0.tmp_0", "pwconv_0.w_0", "pwconv_0.b_0"], ["pwconv_0.tmp_1"],
          kernel_shape=[1, 1], strides=[1, 1], pads=[0, 0, 0, 0], group=1),    # 16x32x32
        # FPN-style nearest 2x upsampling, then crop the border back off and halve with linear.
        n("Resize", ["pwconv_0.tmp_1", "empty_roi", "scales_2x"], ["nearest_interp_v2_0.tmp_0"],
          mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
        n("Slice", ["nearest_interp_v2_0.tmp_0", "slice_starts", "slice_ends", "slice_axes"],
          ["slice_0.tmp_0"]),                                                   # 16x62x62
        n("Pad", ["slice_0.tmp_0", "pad_reflect"], ["pad2d_0.tmp_0"], mode="reflect"),  # 64x64
        n("Resize", ["pad2d_0.tmp_0", "empty_roi", "scales_half"], ["bilinear_interp_v2_0.tmp_0"],
          mode="linear", coordinate_transformation_mode="half_pixel"),          # 16x32x32
        n("Slice", ["bilinear_interp_v2_0.tmp_0", "slice2_starts", "slice2_ends", "slice2_axes",
                    "slice2_steps"], ["strided_slice_0.tmp_0"]),                # 8x32x32
        n("Pad", ["strided_slice_0.tmp_0", "pad_const", "pad_value"], ["pad2d_1.tmp_0"],
          mode="constant"),                                                     # 8x33x34
        n("GlobalAveragePool", ["pad2d_1.tmp_0"], ["pool2d_0.tmp_0"]),
        n("GlobalAveragePool", ["pwconv_0.tmp_1"], ["pool2d_1.tmp_0"]),
        n("Concat", ["pool2d_0.tmp_0", "pool2d_1.tmp_0"], ["concat_1.tmp_0"], axis=1),  # 24x1x1
        n("Flatten", ["concat_1.tmp_0"], ["flatten_0.tmp_0"], axis=1),
        n("MatMul", ["flatten_0.tmp_0", "fc_0.w_0"], ["fc_0.tmp_0"]),
        n("Add", ["fc_0.tmp_0", "fc_0.b_0"], ["fc_0.tmp_1"]),
        n("Softmax", ["fc_0.tmp_1"], ["save_infer_model/scale_0.tmp_1"], axis=1),
        # A second, spatial output (like a detector's map) so border handling of Pad, Slice and
        # Resize shows directly instead of averaged away by the pooling.
        n("Sigmoid", ["pad2d_1.tmp_0"], ["save_infer_model/scale_1.tmp_0"]),
    ]
    dyn = "p2o.DynamicDimension.0"
    graph = helper.make_graph(
        nodes, "paddle2onnx",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [dyn, 3, 64, 64])],
        [helper.make_tensor_value_info("save_infer_model/scale_0.tmp_1", TensorProto.FLOAT,
                                       [dyn, 10]),
         helper.make_tensor_value_info("save_infer_model/scale_1.tmp_0", TensorProto.FLOAT,
                                       [dyn, 8, 33, 34])],
        initializer=inits)
    model = helper.make_model(graph, producer_name="PaddlePaddle", producer_version="2.4",
                              opset_imports=[helper.make_opsetid("", 11)])
    x = rng.standard_normal((1, 3, 64, 64)).astype(f32)
    return save_handmade(out_dir, "paddle_style", model, [("x", x)])


def save_handmade(out_dir, name, model, inputs):
    model.ir_version = 7  # what converters of that era wrote; ORT and ledge both accept it
    onnx.checker.check_model(model, full_check=True)
    path = os.path.join(out_dir, name + ".onnx")
    onnx.save(model, path)
    return name, path, inputs


def sanitize(name):
    """Same rule as ledge's output file names: bytes outside [A-Za-z0-9_.-] become '_'."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "_.-") else "_" for c in name)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)
    only = set(os.environ.get("INTEROP_ONLY", "").split(",")) - {""}
    results = []
    for gen in (classifiers, dbnets, crnns, kws):
        for name, model, inputs, opset, outputs, dyn in gen():
            if only and name not in only:
                continue
            print(f"make_models: {name} (opset {opset})", flush=True)
            results.append(export_torch(out_dir, name, model, inputs, opset, outputs, dyn))
    for i, fn in enumerate((tf_style, paddle_style)):
        if only and fn.__name__ not in only:
            continue
        print(f"make_models: {fn.__name__}", flush=True)
        results.append(fn(out_dir, np.random.RandomState(SEED + 50 + i)))
    lines = []
    for name, path, inputs in results:
        specs = []
        for in_name, arr in inputs:
            file = f"{name}.{sanitize(in_name)}.npy"
            np.save(os.path.join(out_dir, file), arr)
            specs.append(f"{in_name}={file}")
        lines.append(" ".join([name, os.path.basename(path)] + specs))
    with open(os.path.join(out_dir, "manifest.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
