#!/usr/bin/env python3
"""PyTorch reference for `abs-bench bench train`: one local job = U SGD steps of batch B.

Mirrors what abs-bench's Burn learner does per job: load a flat base vector into the model, draw
U mini-batches of uint8 images from the worker's shard, normalise them per batch, run U
forward/backward/SGD steps, and read the parameters back as a flat vector (the delta).
With `--mode eval`, times the evaluation pass instead: the model over `--eval-images` test images
under `no_grad`. Prints one JSON line: {"model", "threads", "jobs", "samples_per_s", "torch"}.
Install: python3 -m pip install torch (CPU is enough).
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvNet(nn.Module):
    def __init__(self, channels, side, widths, fcs, classes=10):
        super().__init__()
        c1, c2 = widths
        f1, f2 = fcs
        s = ((side - 4) // 2 - 4) // 2
        self.conv1 = nn.Conv2d(channels, c1, 5)
        self.conv2 = nn.Conv2d(c1, c2, 5)
        self.fc1 = nn.Linear(c2 * s * s, f1)
        self.fc2 = nn.Linear(f1, f2)
        self.fc3 = nn.Linear(f2, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class Dense(nn.Module):
    """`logreg` (no hidden layer) and `mlp` (two hidden layers of 200 with ReLU) on flat pixels."""

    def __init__(self, inputs, hidden, classes=10):
        super().__init__()
        sizes = [inputs, *hidden, classes]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))

    def forward(self, x):
        x = torch.flatten(x, 1)
        for layer in self.layers[:-1]:
            x = F.relu(layer(x))
        return self.layers[-1](x)


def build(model, channels, side):
    if model == "lenet":
        return ConvNet(channels, side, (6, 16), (120, 84))
    if model == "cnn":
        return ConvNet(channels, side, (64, 64), (384, 192))
    if model == "mlp":
        return Dense(channels * side * side, (200, 200))
    if model == "logreg":
        return Dense(channels * side * side, ())
    raise SystemExit(f"unknown model {model}: expected lenet, cnn, mlp or logreg")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="lenet")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=20)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--input", default="3x32x32", help="CxHxW of the images (square)")
    ap.add_argument("--mode", default="train", choices=["train", "eval"])
    ap.add_argument("--eval-images", type=int, default=10000)
    ap.add_argument("--eval-batch", type=int, default=500)
    args = ap.parse_args()
    channels, side, _ = (int(v) for v in args.input.split("x"))
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    net = build(args.model, channels, side)
    lr = 0.05
    n = 5000
    images = torch.randint(0, 256, (n, channels, side, side), dtype=torch.uint8)
    labels = torch.randint(0, 10, (n,))
    mean = torch.full((1, channels, 1, 1), 0.5)
    std = torch.full((1, channels, 1, 1), 0.25)
    if args.mode == "eval":
        return evaluate(args, net, images, labels, mean, std)
    base = nn.utils.parameters_to_vector(net.parameters()).detach().clone()
    gen = torch.Generator().manual_seed(1)

    def job():
        nn.utils.vector_to_parameters(base, net.parameters())
        for _ in range(args.steps):
            idx = torch.randint(0, n, (args.batch,), generator=gen)
            x = (images[idx].float() / 255.0 - mean) / std
            y = labels[idx]
            loss = F.cross_entropy(net(x), y)
            net.zero_grad(set_to_none=True)
            loss.backward()
            with torch.no_grad():
                for p in net.parameters():
                    p.add_(p.grad, alpha=-lr)
            loss.item()
        return nn.utils.parameters_to_vector(net.parameters()).detach() - base

    report(args, job, args.steps * args.batch)


def report(args, work, samples):
    """Runs `work` `--warmup` times, then times `--jobs` runs of it (each of `samples` samples)
    and prints the JSON line."""
    for _ in range(args.warmup):
        work()
    start = time.perf_counter()
    for _ in range(args.jobs):
        work()
    elapsed = time.perf_counter() - start
    print(json.dumps({
        "model": args.model,
        "threads": args.threads,
        "jobs": args.jobs,
        "samples_per_s": args.jobs * samples / elapsed,
        "torch": torch.__version__,
    }))


def evaluate(args, net, images, labels, mean, std):
    """The global model over `--eval-images` test images in batches, as abs-bench evaluates:
    the test images normalised once, then forward without gradients, loss and accuracy."""
    order = torch.arange(args.eval_images) % images.shape[0]
    normalised = (images.float() / 255.0 - mean) / std

    def one_pass():
        loss, correct = 0.0, 0
        with torch.no_grad():
            for start in range(0, args.eval_images, args.eval_batch):
                idx = order[start:start + args.eval_batch]
                logits = net(normalised[idx])
                loss += F.cross_entropy(logits, labels[idx], reduction="sum").item()
                correct += (logits.argmax(1) == labels[idx]).sum().item()
        return loss, correct

    report(args, one_pass, args.eval_images)


if __name__ == "__main__":
    main()
