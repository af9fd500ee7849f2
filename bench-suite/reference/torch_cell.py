#!/usr/bin/env python3
"""The simplest PyTorch simulation of one Fig. 3 cell that a researcher would write, kept as the
reference that a whole abs-bench cell is timed against (docs/performance.md, "A whole cell").

K-async SGD with a parameter server: N workers each train U SGD steps of batch B on their own
shard, starting from the model they last received; job times are gamma_cvb (a fixed speed per
worker, a gamma job time around it, mean 1 virtual second); the server waits for the first K
arrivals, adds the mean of their deltas to the model and sends it back to those K workers; every
`--eval-every` rounds it evaluates the model on the whole test set. It stops at `--max-time`
virtual seconds. Each job is trained when it arrives, from its copy of the model it started with.

The work matches an abs-bench cell of the same setting (`policy: k_async`, `k: 2` on Fig. 3's
base): the same model, shapes, steps, batch, evaluation schedule and virtual time, so about the
same number of jobs and evaluations (the random streams differ, so the counts differ slightly;
compare seconds per job and per evaluation as well as per cell).

Prints one JSON line: wall, training and evaluation seconds, jobs, evaluations, rounds and the
final test accuracy. Needs torch and numpy; reads Fashion-MNIST's four IDX files (.gz or not).
"""
import argparse
import gzip
import heapq
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class LeNet(nn.Module):
    def __init__(self, channels=1, side=28, classes=10):
        super().__init__()
        s = ((side - 4) // 2 - 4) // 2
        self.conv1 = nn.Conv2d(channels, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * s * s, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def read_idx(folder, name):
    for path in (os.path.join(folder, name + ".gz"), os.path.join(folder, name)):
        if os.path.exists(path):
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rb") as f:
                data = f.read()
            dims = data[3]
            shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
            return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)
    raise SystemExit(f"{name}(.gz) not found in {folder}")


def images(raw):
    x = torch.from_numpy(raw.astype(np.float32) / 255.0).unsqueeze(1)
    return (x - 0.2860) / 0.3530


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="folder with Fashion-MNIST's IDX files")
    p.add_argument("--workers", type=int, default=20)
    p.add_argument("--k", type=int, default=2)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--max-time", type=float, default=60.0)
    p.add_argument("--eval-every", type=int, default=5)
    p.add_argument("--v-task", type=float, default=0.5)
    p.add_argument("--v-mach", type=float, default=0.5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)

    x_train = images(read_idx(a.data, "train-images-idx3-ubyte"))
    y_train = torch.from_numpy(read_idx(a.data, "train-labels-idx1-ubyte").astype(np.int64))
    x_test = images(read_idx(a.data, "t10k-images-idx3-ubyte"))
    y_test = torch.from_numpy(read_idx(a.data, "t10k-labels-idx1-ubyte").astype(np.int64))
    shards = np.array_split(rng.permutation(len(y_train)), a.workers)

    server = LeNet()
    local = LeNet()
    opt = torch.optim.SGD(local.parameters(), lr=a.lr)
    flat = lambda m: torch.nn.utils.parameters_to_vector(m.parameters()).detach().clone()
    w = flat(server)

    speed = rng.gamma(1 / a.v_mach**2, a.v_mach**2, a.workers) if a.v_mach > 0 else np.ones(a.workers)
    job_time = lambda n: rng.gamma(1 / a.v_task**2, speed[n] * a.v_task**2) if a.v_task > 0 else speed[n]
    # (arrival time, worker, the model it started from)
    running = [(job_time(n), n, w) for n in range(a.workers)]
    heapq.heapify(running)

    def train(base, n):
        torch.nn.utils.vector_to_parameters(base, local.parameters())
        shard = shards[n]
        for _ in range(a.steps):
            idx = torch.from_numpy(rng.choice(shard, a.batch, replace=False))
            opt.zero_grad()
            F.cross_entropy(local(x_train[idx]), y_train[idx]).backward()
            opt.step()
        return flat(local) - base

    def evaluate(w):
        torch.nn.utils.vector_to_parameters(w, server.parameters())
        with torch.no_grad():
            correct = sum(
                (server(x_test[i : i + 500]).argmax(1) == y_test[i : i + 500]).sum().item()
                for i in range(0, len(y_test), 500)
            )
        return correct / len(y_test)

    start = time.perf_counter()
    train_s = eval_s = 0.0
    jobs = evaluations = rounds = 0
    accuracy = float("nan")
    while True:
        arrivals = [heapq.heappop(running) for _ in range(a.k)]
        now = arrivals[-1][0]
        if now > a.max_time:
            break
        t = time.perf_counter()
        deltas = [train(base, n) for (_, n, base) in arrivals]
        train_s += time.perf_counter() - t
        jobs += len(deltas)
        w = w + torch.stack(deltas).mean(0)
        for _, n, _ in arrivals:
            heapq.heappush(running, (now + job_time(n), n, w))
        rounds += 1
        if rounds % a.eval_every == 0:
            t = time.perf_counter()
            accuracy = evaluate(w)
            eval_s += time.perf_counter() - t
            evaluations += 1
    print(
        json.dumps(
            {
                "wall_s": round(time.perf_counter() - start, 3),
                "train_s": round(train_s, 3),
                "eval_s": round(eval_s, 3),
                "jobs": jobs,
                "evaluations": evaluations,
                "rounds": rounds,
                "final_accuracy": accuracy,
                "threads": a.threads,
                "torch": torch.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
