#!/usr/bin/python3
"""Trains a small CNN on Fashion-MNIST and exports it to ONNX for the ledge demo.

Run with Debian's interpreter (python3-torch, CPU only; no torchvision needed):

    /usr/bin/python3 examples/fashion_mnist/train.py

Reads the IDX files of Debian's dataset-fashion-mnist package and writes, next to this
script: model.onnx (opset 13, input "image" float32 [N,1,28,28] in [0,1], output "logits"
[N,10]), sample_0.npy ... sample_7.npy (the first eight test images, [1,1,28,28]),
sample_0_logits.npy (PyTorch's logits for sample_0, the reference for a ledge unit test)
and metrics.json (the PyTorch test accuracy that `ledge evaluate` must reproduce).

--normalize standardize trains on per-image standardized images instead (each image minus its
mean, divided by max(std, 1/sqrt(784)): ledge's `normalize=standardize`, computed the same way
in float64), for the illumination experiment in brightness_experiment.sh; such a model expects
`ledge validate --normalize standardize` (or `--preprocess ...,normalize=standardize`).
--brightness-augment LOW instead multiplies each training image by a random factor in
[LOW, 1] (the input contract stays pixel / 255).
"""

import argparse
import gzip
import json
import os
import random
import struct
import time

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
DATA_DIR = "/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def read_idx(path):
    """Reads an IDX file (optionally gzip-compressed) of unsigned bytes into a numpy array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, type_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or type_code != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_split(split):
    images = read_idx(f"{DATA_DIR}/{split}-images-idx3-ubyte.gz")
    labels = read_idx(f"{DATA_DIR}/{split}-labels-idx1-ubyte.gz")
    # The model's contract: float32 [N,1,28,28], pixel / 255, no mean/std normalization.
    # Dividing in float32 matches what `ledge evaluate` does (its default --scale is 1/255),
    # so both see the same bits.
    x = torch.from_numpy(images.astype(np.float32) / np.float32(255.0)).unsqueeze(1)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


def standardize(x):
    """Per-image standardization exactly as ledge computes it (src/data/preprocess.cpp): in
    float64, (v - mean) / max(population std, 1/sqrt(N)) over each sample's N values, rounded
    to float32 at the end."""
    d = x.double()
    n = d[0].numel()
    mean = d.mean(dim=(1, 2, 3), keepdim=True)
    std = ((d - mean) ** 2).mean(dim=(1, 2, 3), keepdim=True).sqrt()
    return ((d - mean) / std.clamp(min=1.0 / n ** 0.5)).float()


def conv_block(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
            nn.MaxPool2d(2)]


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        # 28x28 -> 14x14 -> 7x7 -> 3x3 (the last pool floors), then a linear classifier.
        self.features = nn.Sequential(*conv_block(1, 16), *conv_block(16, 32),
                                      *conv_block(32, 64))
        self.dropout = nn.Dropout(0.25)
        self.classifier = nn.Linear(64 * 3 * 3, 10)

    def forward(self, x):
        x = self.features(x)
        x = torch.flatten(x, 1)
        return self.classifier(self.dropout(x))


def evaluate(model, x, y, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--threads", type=int, default=1, help="CPU threads (the machine is shared)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out-dir", default=HERE)
    ap.add_argument("--normalize", choices=["none", "standardize"], default="none",
                    help="per-image normalization of training and test images")
    ap.add_argument("--brightness-augment", type=float, default=1.0, metavar="LOW",
                    help="multiply each training image by a random factor in [LOW, 1]")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)

    x_train, y_train = load_split("train")
    x_test, y_test = load_split("t10k")
    if args.normalize == "standardize":  # before flips: a flip keeps an image's statistics
        x_train, x_test = standardize(x_train), standardize(x_test)

    model = Net()
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps_per_epoch = (len(x_train) + args.batch - 1) // args.batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, epochs=args.epochs,
                                                steps_per_epoch=steps_per_epoch)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(args.seed)

    start = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(x_train), generator=gen)
        total = 0.0
        for i in range(0, len(x_train), args.batch):
            idx = perm[i:i + args.batch]
            xb, yb = x_train[idx], y_train[idx]
            # Horizontal flips: clothes are (nearly) left-right symmetric.
            flip = torch.rand(len(xb), generator=gen) < 0.5
            xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
            if args.brightness_augment < 1.0:  # (drawn only when asked: same runs otherwise)
                low = args.brightness_augment
                xb = xb * (low + (1 - low) * torch.rand(len(xb), 1, 1, 1, generator=gen))
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(xb)
        acc = evaluate(model, x_test, y_test)
        print(f"epoch {epoch + 1}/{args.epochs}: loss {total / len(x_train):.4f} "
              f"test accuracy {100 * acc:.2f}% ({time.time() - start:.0f} s)", flush=True)

    model.eval()
    acc = evaluate(model, x_test, y_test)
    correct = round(acc * len(x_test))
    print(f"PyTorch test accuracy: {100 * acc:.2f}% ({correct}/{len(x_test)})")

    os.makedirs(args.out_dir, exist_ok=True)
    onnx_path = os.path.join(args.out_dir, "model.onnx")
    torch.onnx.export(model, x_test[:1], onnx_path, opset_version=13,
                      input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
                      do_constant_folding=True)
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes)")

    samples = []
    with torch.no_grad():
        for i in range(8):
            x = x_test[i:i + 1].numpy()
            np.save(os.path.join(args.out_dir, f"sample_{i}.npy"), x)
            logits = model(x_test[i:i + 1]).numpy()
            if i == 0:
                np.save(os.path.join(args.out_dir, "sample_0_logits.npy"), logits)
            samples.append({"file": f"sample_{i}.npy", "label": int(y_test[i]),
                            "class": CLASSES[int(y_test[i])],
                            "predicted": int(logits.argmax())})

    metrics = {"test_accuracy": acc, "correct": correct, "samples": len(x_test),
               "epochs": args.epochs, "seed": args.seed, "normalize": args.normalize,
               "brightness_augment": args.brightness_augment, "torch": torch.__version__,
               "train_seconds": round(time.time() - start), "sample_files": samples}
    with open(os.path.join(args.out_dir, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
        f.write("\n")
    for s in samples:
        print(f"{s['file']}: label {s['label']} ({s['class']}), predicted {s['predicted']}")


if __name__ == "__main__":
    main()
