#!/usr/bin/python3
"""Recompute gapmap's shortest-path times with networkx and compare.

Usage: nx_check.py ARCS_CSV RESULTS_CSV [TOLERANCE_S]

ARCS_CSV and RESULTS_CSV are written by tests/graph_export.c:
  arcs:    tail,head,time_s,dist_m   (one row per arc of gapmap's graph)
  results: source,node,time_s        (every node gapmap's search reached)

The arcs go into a networkx DiGraph, keeping the fastest arc among parallel
arcs (a shortest path by time uses no other).  From every source named in
RESULTS_CSV, networkx's own Dijkstra (single_source_dijkstra_path_length,
weight = time) gives the times; every node's time must agree with gapmap's
within TOLERANCE_S (default 1 s) and the reached sets must be identical.

gapmap sums float32 costs, networkx sums the same costs in double, so the
expected difference is rounding only (about 1e-3 s on a county).

Exit 0 when everything agrees, 1 on a disagreement (with a message naming the
first few), 2 on unreadable input.  The last line printed always carries the
figures: sources, compared nodes, max |diff| and where.
"""
import csv
import sys

try:
    import networkx as nx
except ImportError as e:  # the Criterion test checks this first and skips
    print(f"nx_check: networkx not available: {e}", file=sys.stderr)
    sys.exit(2)


def read_csv(path, header):
    with open(path, newline="") as f:
        r = csv.reader(f)
        got = next(r, None)
        if got != header:
            print(f"nx_check: {path}: header {got}, expected {header}", file=sys.stderr)
            sys.exit(2)
        yield from r


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    arcs_path, res_path = argv[1], argv[2]
    tol = float(argv[3]) if len(argv) == 4 else 1.0

    g = nx.DiGraph()
    narcs = 0
    for tail, head, t, _d in read_csv(arcs_path, ["tail", "head", "time_s", "dist_m"]):
        u, v, t = int(tail), int(head), float(t)
        narcs += 1
        if not (t > 0):
            print(f"nx_check: arc {u}->{v} has time {t}, not > 0", file=sys.stderr)
            return 1
        old = g.get_edge_data(u, v)
        if old is None or t < old["time"]:
            g.add_edge(u, v, time=t)

    # gapmap's answers, grouped by source in file order.
    gap = {}
    for src, node, t in read_csv(res_path, ["source", "node", "time_s"]):
        gap.setdefault(int(src), {})[int(node)] = float(t)
    if not gap:
        print(f"nx_check: {res_path} has no rows", file=sys.stderr)
        return 2

    max_diff, where, compared, problems = 0.0, None, 0, []
    for src, theirs in gap.items():
        if src not in g:
            problems.append(f"source {src} is not a node of the graph")
            continue
        ours = nx.single_source_dijkstra_path_length(g, src, weight="time")
        only_gap = theirs.keys() - ours.keys()
        only_nx = ours.keys() - theirs.keys()
        if only_gap or only_nx:
            problems.append(
                f"source {src}: reached sets differ: {len(only_gap)} nodes only gapmap reached "
                f"(e.g. {sorted(only_gap)[:5]}), {len(only_nx)} only networkx reached "
                f"(e.g. {sorted(only_nx)[:5]})")
        for v, t in theirs.items():
            if v not in ours:
                continue
            compared += 1
            d = abs(t - ours[v])
            if d > max_diff:
                max_diff, where = d, (src, v, t, ours[v])
            if d >= tol and len(problems) < 10:
                problems.append(f"source {src} node {v}: gapmap {t:.6f} s, networkx {ours[v]:.6f} s")

    print(f"nx_check: {g.number_of_nodes()} nodes, {narcs} arcs ({g.number_of_edges()} after "
          f"keeping the fastest of parallel arcs)")
    for p in problems:
        print(f"nx_check: MISMATCH {p}")
    w = (f" at source {where[0]} node {where[1]} (gapmap {where[2]:.6f} s, networkx {where[3]:.6f} s)"
         if where else "")
    print(f"nx_check: {len(gap)} sources, {compared} node times compared, "
          f"max |diff| {max_diff:.6g} s{w}, tolerance {tol} s: {'FAIL' if problems else 'ok'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
