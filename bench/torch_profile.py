"""PyTorch's side of `nbcnn profile`: the same network, batch and threads under torch.profiler.

    python bench/torch_profile.py vgg16 --batch-size 1
    python bench/torch_profile.py resnet34 --batch-size 8

Prints the top operators and the median forward and forward+backward times, to set beside `nbcnn profile`.
"""
import argparse
import resource
import statistics
import time

import torch
from torch.profiler import ProfilerActivity, profile

import networks

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model", choices=sorted(networks.NETWORKS))
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model, shape, _ = networks.build(args.model, torch.nn)
    x = torch.randn(args.batch_size, *shape)
    y = torch.zeros(args.batch_size, dtype=torch.long)

    def forward():
        with torch.no_grad():
            model.eval()(x)

    def step():
        model.train()
        model.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()

    for fn in (forward, step):
        fn()  # warm-up
    timings = {}
    for name, fn in (("forward (eval)", forward), ("forward + backward", step)):
        samples = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - start)
        timings[name] = statistics.median(samples)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        step()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12))
    for name, seconds in timings.items():
        print(f"{name}: {seconds * 1e3:.1f} ms median of {args.repeat}, "
              f"{args.batch_size / seconds:.1f} images/s")
    print(f"peak resident memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
