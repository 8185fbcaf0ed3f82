"""The peer-comparison queueing models in Ciw 3.2.7.

mm1: Poisson arrivals at rate 0.9, one FIFO server with exponential service
     at rate 1.0 (theory: mean time in system 10.0).
mm4: Poisson arrivals at rate 3.6 behind a random load balancer that sends
     each customer to one of 4 single-server FIFO queues, each serving at
     rate 1.0 (each queue is then an M/M/1 at load 0.9: mean 10.0).

As Ciw intends, each model is a network built with `ciw.create_network` and
run with `Simulation.simulate_until_max_customers`. The balancer of mm4 is a
node of its own with instantaneous service and unlimited servers, routing
each customer to one of the four queues with probability 1/4
(`ciw.routing.Probabilistic`); the queues route to the exit.
Every customer's time in system comes from Ciw's data records.

Prints one machine-readable line per model:
    RESULT tool=ciw model=mm1 customers=N seconds=S mean=M
`seconds` is the best wall-clock time of `--repeats` runs of the simulation
and the extraction of the times in system from its records (interpreter
start-up and imports excluded); `mean` is the mean of those times.
"""

import argparse
import time

import ciw

LAMBDA_PER_SERVER = 0.9
MU = 1.0


def mm1_network():
    return ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=LAMBDA_PER_SERVER)],
        service_distributions=[ciw.dists.Exponential(rate=MU)],
        number_of_servers=[1],
    )


def mm4_network(servers=4):
    # Node 1 is the balancer; nodes 2..servers+1 are the queues.
    queues = list(range(2, servers + 2))
    return ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=LAMBDA_PER_SERVER * servers)] + [None] * servers,
        service_distributions=[ciw.dists.Deterministic(value=0.0)]
        + [ciw.dists.Exponential(rate=MU) for _ in queues],
        number_of_servers=[float("inf")] + [1] * servers,
        routing=ciw.routing.NetworkRouting(
            routers=[ciw.routing.Probabilistic(destinations=queues, probs=[1.0 / servers] * servers)]
            + [ciw.routing.Leave() for _ in queues]
        ),
    )


def run(network, customers, seed):
    """Runs until `customers` have left; returns each one's time in system."""
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_customers(customers, method="Finish")
    records = sim.get_all_records()
    if len(network.service_centres) == 1:
        return [r.exit_date - r.arrival_date for r in records]
    # Time in system runs from arrival at the balancer to exit from a queue.
    entered = {r.id_number: r.arrival_date for r in records if r.node == 1}
    return [r.exit_date - entered[r.id_number] for r in records if r.node != 1]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--customers", type=int, default=200_000)
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--model", choices=["mm1", "mm4", "all"], default="all")
    a = p.parse_args()
    models = {"mm1": mm1_network, "mm4": mm4_network}
    for name, build in models.items():
        if a.model not in ("all", name):
            continue
        best = float("inf")
        for _ in range(a.repeats):
            network = build()
            t0 = time.perf_counter()
            sojourns = run(network, a.customers, a.seed)
            best = min(best, time.perf_counter() - t0)
        mean = sum(sojourns) / len(sojourns)
        print(
            f"RESULT tool=ciw model={name} customers={len(sojourns)} seconds={best:.6f} mean={mean:.6f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
