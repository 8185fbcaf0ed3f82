"""The peer-comparison queueing models in SimPy 4.1.2.

mm1: Poisson arrivals at rate 0.9, one FIFO server with exponential service
     at rate 1.0 (theory: mean time in system 10.0).
mm4: Poisson arrivals at rate 3.6 behind a random load balancer that sends
     each customer to one of 4 single-server FIFO queues, each serving at
     rate 1.0 (each queue is then an M/M/1 at load 0.9: mean 10.0).

Process-based, as SimPy intends: a source process spawns one process per
customer, which requests a `simpy.Resource` of capacity 1, holds it for its
service time and records its time in system in a list.

Prints one machine-readable line per model:
    RESULT tool=simpy model=mm1 customers=N seconds=S mean=M
`seconds` is the best wall-clock time of `--repeats` runs of the simulation
itself (interpreter start-up and imports excluded); `mean` is the mean of
every recorded time in system.
"""

import argparse
import random
import time

import simpy

LAMBDA_PER_SERVER = 0.9
MU = 1.0


def customer(env, server, rng, sojourns, done, target):
    arrived = env.now
    with server.request() as req:
        yield req
        yield env.timeout(rng.expovariate(MU))
    sojourns.append(env.now - arrived)
    if len(sojourns) == target:
        done.succeed()


def source(env, servers, rate, rng, customers, sojourns, done):
    for _ in range(customers):
        yield env.timeout(rng.expovariate(rate))
        # The load balancer: a uniformly random server (only one for M/M/1).
        server = servers[0] if len(servers) == 1 else rng.choice(servers)
        env.process(customer(env, server, rng, sojourns, done, customers))


def run(servers, customers, seed):
    """One run: `servers` FIFO single-server queues behind a random balancer.
    Returns the time in system of every customer."""
    rng = random.Random(seed)
    env = simpy.Environment()
    queues = [simpy.Resource(env, capacity=1) for _ in range(servers)]
    sojourns = []
    done = env.event()
    env.process(source(env, queues, LAMBDA_PER_SERVER * servers, rng, customers, sojourns, done))
    env.run(until=done)
    return sojourns


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--customers", type=int, default=200_000)
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--model", choices=["mm1", "mm4", "all"], default="all")
    a = p.parse_args()
    models = {"mm1": 1, "mm4": 4}
    for name, servers in models.items():
        if a.model not in ("all", name):
            continue
        best = float("inf")
        for _ in range(a.repeats):
            t0 = time.perf_counter()
            sojourns = run(servers, a.customers, a.seed)
            best = min(best, time.perf_counter() - t0)
        mean = sum(sojourns) / len(sojourns)
        print(
            f"RESULT tool=simpy model={name} customers={len(sojourns)} seconds={best:.6f} mean={mean:.6f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
