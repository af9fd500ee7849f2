"""A PyTorch LeNet as an abs-bench learner (``model: external``), beside the built-in ``lenet`` on
the same config and seeds: final test accuracy per seed and host seconds per cell.

    make example-torch            # installs torch into .venv when missing, then runs this

The network is the built-in lenet's (conv 5x5 to 6, max-pool 2, conv 5x5 to 16, max-pool 2, fully
connected 120, 84, classes, ReLU between), every parameter drawn uniform in +-1/sqrt(fan-in) as
the built-in models draw theirs; the layout of its flat vector is PyTorch's own.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

import abs_bench as ab

HERE = Path(__file__).resolve().parent
CONFIG = HERE.parent / "lenet-fashion-mnist.yaml"


def lenet(channels: int, height: int, width: int, classes: int) -> nn.Sequential:
    flat = 16 * ((((height - 4) // 2) - 4) // 2) * ((((width - 4) // 2) - 4) // 2)
    return nn.Sequential(
        nn.Conv2d(channels, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(flat, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, classes),
    )


class TorchLenet:
    """LeNet trained with PyTorch: plain SGD on the mean cross-entropy of mini-batches drawn with
    replacement from the job's samples, as the built-in learners train."""

    name = "torch-lenet"
    version = f"1 (torch {torch.__version__})"

    def __init__(self, data: ab.Dataset):
        self.train_x = torch.from_numpy(data.train_images.copy())
        self.train_y = torch.from_numpy(data.train_labels.astype(np.int64))
        self.test_x = torch.from_numpy(data.test_images.copy())
        self.test_y = torch.from_numpy(data.test_labels.astype(np.int64))
        _, c, h, w = data.train_images.shape
        self.net = lenet(c, h, w, data.classes)
        self.loss = nn.CrossEntropyLoss()

    def dim(self) -> int:
        return sum(p.numel() for p in self.net.parameters())

    def init(self, seed: int) -> np.ndarray:
        g = torch.Generator().manual_seed(seed % 2**63)
        parts = []
        for module in self.net:
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                fan_in = module.weight[0].numel()
                bound = 1.0 / fan_in**0.5
                for p in (module.weight, module.bias):
                    parts.append((torch.rand(p.numel(), generator=g) * 2 - 1) * bound)
        return torch.cat(parts).numpy().astype(np.float32)

    def _load(self, params: np.ndarray) -> torch.Tensor:
        """Sets the network's parameters to `params`; returns them as a tensor of their own (the
        network's parameters become views of the tensor it is given, which training changes)."""
        nn.utils.vector_to_parameters(torch.from_numpy(params.copy()), self.net.parameters())
        return torch.from_numpy(params.copy())

    def train(self, params: np.ndarray, job: ab.Job):
        start = self._load(params)
        samples = torch.from_numpy(job.samples.astype(np.int64))
        g = torch.Generator().manual_seed(job.seed % 2**63)
        opt = torch.optim.SGD(self.net.parameters(), lr=job.lr)
        total = 0.0
        for _ in range(job.steps):
            picks = samples[torch.randint(len(samples), (job.batch_size,), generator=g)]
            opt.zero_grad()
            loss = self.loss(self.net(self.train_x[picks]), self.train_y[picks])
            loss.backward()
            opt.step()
            total += loss.item()
        with torch.no_grad():
            delta = nn.utils.parameters_to_vector(self.net.parameters()) - start
        return delta.numpy(), total / max(job.steps, 1)

    @torch.no_grad()
    def evaluate(self, params: np.ndarray, split: str, samples: np.ndarray):
        self._load(params)
        x, y = (self.test_x, self.test_y) if split == "test" else (self.train_x, self.train_y)
        idx = torch.from_numpy(samples.astype(np.int64))
        loss, correct = 0.0, 0
        for chunk in idx.split(500):
            logits = self.net(x[chunk])
            loss += nn.functional.cross_entropy(logits, y[chunk], reduction="sum").item()
            correct += (logits.argmax(1) == y[chunk]).sum().item()
        return loss / len(idx), correct / len(idx)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--rounds", type=int, default=None, help="max_rounds (default: the config's)")
    p.add_argument("--threads", type=int, default=1, help="PyTorch intra-op threads (the built-in lenet uses 1 per cell here)")
    p.add_argument("--out", type=Path, default=Path("out/example-torch"))
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    overrides = {} if a.rounds is None else {"max_rounds": a.rounds}
    data = ab.dataset(CONFIG)
    learner = TorchLenet(data)
    rows = []
    for seed in range(a.seeds):
        for model in ("external", "lenet"):
            started = time.perf_counter()
            run = ab.run(CONFIG, overrides={**overrides, "model": model, "seed": seed},
                         learner=learner if model == "external" else None,
                         out=a.out / f"{model}-{seed}")
            seconds = time.perf_counter() - started
            rows.append({"model": "torch lenet" if model == "external" else "built-in lenet", "seed": seed,
                         "final_accuracy": run.evals["test_accuracy"][-1], "rounds": run.rounds.height,
                         "jobs": int(run.rounds["arrivals"].sum()), "host_s": round(seconds, 1)})
            print(json.dumps(rows[-1]), flush=True)
    for model in ("torch lenet", "built-in lenet"):
        mine = [r for r in rows if r["model"] == model]
        acc = [r["final_accuracy"] for r in mine]
        host = statistics.median(r["host_s"] for r in mine)
        print(f"{model}: final accuracy mean {statistics.mean(acc):.4f} (sd {statistics.stdev(acc) if len(acc) > 1 else 0:.4f}, "
              f"seeds {', '.join(f'{x:.4f}' for x in acc)}), median {host:.1f} s per cell")
    (a.out / "summary.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
