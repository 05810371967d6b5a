#!/usr/bin/python3
"""Exports the models of ledge's comparison with ONNX Runtime: torchvision image classifiers
with random (seeded) weights, in eval mode, at opset 13, for one 1x3x224x224 image, with
constant folding, as torch.onnx.export's users export them. Timing does not depend on the
weights' values, so nothing needs to be downloaded.

    /usr/bin/python3 bench/compare_ort/export_models.py OUT_DIR [NAME...]

Writes OUT_DIR/<name>.onnx (input "input", output "logits"). A model already in OUT_DIR is
kept (a cache: exporting takes a while); delete it to export it again. With NAMEs, exports
only those. Needs Debian's python3-torch, python3-torchvision and python3-onnx.
"""

import os
import sys

import onnx
import torch
import torchvision

SEED = 20240611
OPSET = 13
MODELS = {
    "mobilenet_v2": torchvision.models.mobilenet_v2,
    "mobilenet_v3_small": torchvision.models.mobilenet_v3_small,
    "resnet18": torchvision.models.resnet18,
    "squeezenet1_1": torchvision.models.squeezenet1_1,
    "shufflenet_v2_x1_0": torchvision.models.shufflenet_v2_x1_0,
}


def export(out_dir, name):
    path = os.path.join(out_dir, name + ".onnx")
    if os.path.exists(path):
        print(f"{name}: cached {path}")
        return
    torch.manual_seed(SEED)
    model = MODELS[name](weights=None).eval()
    x = torch.randn(1, 3, 224, 224)
    # Written under a temporary name and renamed, so an interrupted export leaves no file that
    # a later run would take for a finished one.
    tmp = path + ".tmp"
    with torch.no_grad():
        torch.onnx.export(model, (x,), tmp, opset_version=OPSET, input_names=["input"],
                          output_names=["logits"], do_constant_folding=True)
    onnx.checker.check_model(onnx.load(tmp))
    os.replace(tmp, path)
    print(f"{name}: exported {path}")


def main(argv):
    if len(argv) < 1:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    out_dir, names = argv[0], argv[1:] or list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        print(f"export_models.py: unknown model(s) {', '.join(unknown)}; "
              f"known: {', '.join(MODELS)}", file=sys.stderr)
        return 2
    os.makedirs(out_dir, exist_ok=True)
    for name in names:
        export(out_dir, name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
