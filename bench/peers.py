#!/usr/bin/python3
"""
peers.py: gapmap beside osmnx+networkx and igraph on the same work, one run.

The work, the method and the measured figures are in bench/peers.md.  In
short, for each data set (Rutland, and Monaco's street network moved into
Great Britain):

  1. gapmap end to end: `gapmap matrix` as a whole process (reads the
     .osm.pbf and the CSVs, writes matrix.csv), median of --runs (5);
  2. osmnx+networkx end to end in a separate process (read the OSM XML, car
     speeds, nearest nodes, one networkx Dijkstra per site on the reversed
     graph, write the matrix CSV), median of --peer-runs (3);
  3. routing alone: igraph's Graph.distances on the osmnx graph (only that
     call timed), against gapmap's own matrix phase in a one-thread run
     (the time between its "Travel times (car): 0%" and "100%" log lines);
  4. agreement: median relative difference between gapmap's and osmnx's
     times over the pairs both reach, and igraph against networkx.

Every tool uses gapmap's default car speeds by road class (read from
engine/network/graph.c and checked at start), capped by maxspeed, the same
access and one-way rules, the same 2,000 m join limit, 120-minute cut-off and
4.8 km/h walk between a point and the road.

Usage (Debian: apt-get install python3-osmnx python3-igraph python3-networkx
osmium-tool):
    /usr/bin/python3 bench/peers.py [--gapmap build-bench/cli/gapmap]
        [--data ../shared/data] [--only rutland|monaco] [--runs 5]
        [--peer-runs 3] [--keep DIR] [--json FILE]

Internal sub-commands (run in child processes by the above):
    peers.py _osmnx CASE_DIR OUT_CSV     osmnx+networkx end to end
    peers.py _igraph CASE_DIR [REPS]     routing alone: igraph and networkx
"""
import argparse
import csv
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# ---- the work: gapmap's car rules, for the peers ---------------------------

# gapmap's default car speeds, km/h, by road class (engine/network/graph.c,
# CAR_KMH; docs/routing.md).  check_speeds() compares them with the source.
CAR_KMH = {
    "motorway": 96.0, "trunk": 80.0, "primary": 64.0, "secondary": 56.0,
    "tertiary": 48.0, "unclassified": 40.0, "residential": 30.0,
    "service": 15.0, "track": 10.0, "path": 0.0,
}
FERRY_KMH = 15.0
WALK_KMH = 4.8          # the walk between a point and the road ([travel] walk_speed_kmh)
JOIN_MAX_M = 2000.0     # [travel] join_max_m
CUTOFF_S = 120 * 60.0   # [travel] cutoff_minutes

# OSM highway=* -> (gapmap class, cars allowed by default): docs/travel.md,
# engine/io/roads_osm.c HIGHWAYS.  Anything else is not a road.
HIGHWAY_CLASS = {
    "motorway": ("motorway", True), "motorway_link": ("motorway", True),
    "trunk": ("trunk", True), "trunk_link": ("trunk", True),
    "primary": ("primary", True), "primary_link": ("primary", True),
    "secondary": ("secondary", True), "secondary_link": ("secondary", True),
    "tertiary": ("tertiary", True), "tertiary_link": ("tertiary", True),
    "unclassified": ("unclassified", True), "road": ("unclassified", True),
    "residential": ("residential", True), "living_street": ("residential", True),
    "service": ("service", True), "track": ("track", True),
    "footway": ("path", False), "pedestrian": ("path", False), "steps": ("path", False),
    "path": ("path", False), "bridleway": ("path", False), "cycleway": ("path", False),
}
ACCESS_YES = {"yes", "designated", "permissive", "destination", "customers", "delivery",
              "official", "discouraged"}
ACCESS_NO = {"no", "private", "agricultural", "forestry", "use_sidepath", "permit",
             "military", "emergency"}
# The OSM tags the rules read; osmnx keeps only the way tags it is told to.
WAY_TAGS = ["highway", "route", "area", "oneway", "junction", "maxspeed", "access",
            "vehicle", "motor_vehicle", "motorcar", "name", "ref"]


def _ci(v):
    return v.lower() if isinstance(v, str) else None


def _access(dflt, *vals):
    """Key:access hierarchy: the most specific key with a known value decides."""
    for v in vals:
        v = _ci(v)
        if v in ACCESS_YES:
            return True
        if v in ACCESS_NO:
            return False
    return dflt


def _oneway(v):
    """1 along the way, -1 against, 0 both, 2 absent (as roads_osm.c oneway_dir)."""
    if not isinstance(v, str) or not v:
        return 2
    v = v.lower()
    if v in ("yes", "true", "1"):
        return 1
    if v in ("-1", "reverse"):
        return -1
    return 0


def _starts_word(s, w):
    return s[:len(w)].lower() == w.lower() and (len(s) == len(w) or s[len(w)] in " ;")


def maxspeed_kmh(v):
    """gm__osm_maxspeed_kmh (engine/io/roads_osm.c) in Python: km/h, 0 unknown."""
    if not isinstance(v, str):
        return 0
    v = v.lstrip(" ")
    named = [("GB:nsl_single", 60), ("UK:nsl_single", 60), ("national", 60),
             ("GB:nsl_dual", 70), ("UK:nsl_dual", 70), ("GB:motorway", 70),
             ("UK:motorway", 70), ("GB:nsl_restricted", 30), ("UK:nsl_restricted", 30)]
    for name, mph in named:
        if _starts_word(v, name):
            return int(mph * 1.609344 + 0.5)
    factor = 1.0
    if v.startswith("GB:zone") or v.startswith("UK:zone"):
        v, factor = v[7:], 1.609344
    m = re.match(r"([0-9]+)(?:\.([0-9]*))?", v)
    if not m:
        return 0
    num = float(m.group(1)) + (float("0." + m.group(2)) if m.group(2) else 0.0)
    rest = v[m.end():].lstrip(" ")
    if factor == 1.0:
        if _starts_word(rest, "mph"):
            factor = 1.609344
        elif _starts_word(rest, "knots"):
            factor = 1.852
        elif not (rest == "" or rest[0] == ";" or _starts_word(rest, "km/h")
                  or _starts_word(rest, "kmh") or _starts_word(rest, "kph")):
            return 0
    kmh = num * factor
    if not (1.0 <= kmh <= 300.0):
        return 0
    return int(kmh + 0.5)


def car_rule(t):
    """(speed km/h, direction) of an OSM way for gapmap's car mode, from its tags
    (gm__osm_classify + the car profile): speed 0 = not for cars; direction 1
    along the way, -1 against it, 0 both ways."""
    if _ci(t.get("route")) == "ferry":
        car = _access(False, t.get("motorcar"), t.get("motor_vehicle"))
        return (FERRY_KMH if car else 0.0), 0
    hw = t.get("highway")
    if not isinstance(hw, str) or _ci(t.get("area")) == "yes":
        return 0.0, 0
    rule = HIGHWAY_CLASS.get(hw.lower())
    if rule is None:
        return 0.0, 0
    cls, car_dflt = rule
    if not _access(car_dflt, t.get("motorcar"), t.get("motor_vehicle"), t.get("vehicle"),
                   t.get("access")):
        return 0.0, 0
    speed = CAR_KMH[cls]
    ms = maxspeed_kmh(t.get("maxspeed"))
    if ms > 0 and ms < speed:
        speed = float(ms)
    d = _oneway(t.get("oneway"))
    if d == 2:
        d = 1 if (_ci(t.get("junction")) in ("roundabout", "circular") or hw.lower() == "motorway") else 0
    return speed, d


def check_speeds():
    """The table above must be gapmap's: read CAR_KMH in engine/network/graph.c."""
    src = os.path.join(ROOT, "engine", "network", "graph.c")
    if not os.path.exists(src):
        print(f"note: {src} not found; using the speeds written in peers.py")
        return
    text = open(src, encoding="utf-8").read()
    block = re.search(r"CAR_KMH\[[^\]]*\]\s*=\s*\{(.*?)\};", text, re.S)
    found = dict((k.lower(), float(v)) for k, v in
                 re.findall(r"\[GM__RC_([A-Z]+)\]\s*=\s*([0-9.]+)f?", block.group(1)))
    ferry = float(re.search(r"#define FERRY_KMH ([0-9.]+)", text).group(1))
    if found != CAR_KMH or ferry != FERRY_KMH:
        sys.exit(f"peers.py: car speeds differ from engine/network/graph.c: {found}, ferry {ferry}")


# ---- inputs ------------------------------------------------------------------

GAPMAP_INI = """; written by bench/peers.py
[run]
name = peers benchmark ({name})
output = out
formats = geojson

[postcodes]
file = postcodes.csv
format = custom
header = yes
postcode = postcode
x = lon
y = lat
crs = EPSG:4326

[providers]
file = providers.csv
coords_crs = EPSG:4326

[customers]
file = customers.csv

[roads]
file = {roads}

[travel]
modes = car
cutoff_minutes = 120
join_max_m = 2000
walk_speed_kmh = 4.8
threads = {threads}
"""


def write_inputs(case, name, roads_pbf, postcodes, sites):
    """postcodes: [(postcode, lon, lat)] (one customer each); sites: [(provider_id,
    provider_name, lon, lat)].  Writes postcodes.csv, customers.csv, providers.csv,
    gapmap.ini (all cores) and gapmap1.ini (threads = 1)."""
    with open(os.path.join(case, "postcodes.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["postcode", "lon", "lat"])
        for pc, lon, lat in postcodes:
            w.writerow([pc, lon, lat])
    with open(os.path.join(case, "customers.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["customer_id", "postcode", "needs", "service"])
        for i, (pc, _, _) in enumerate(postcodes):
            w.writerow([f"C{i + 1:05d}", pc, "all", "building_based"])
    with open(os.path.join(case, "providers.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["provider_id", "provider_name", "site_id", "easting", "northing", "services",
                    "needs", "places_per_day", "framework_status"])
        for i, (pid, pname, lon, lat) in enumerate(sites):
            w.writerow([pid, pname, f"S{i + 1:02d}", lon, lat, "building_based", "all", 10,
                        "framework"])
    for fname, threads in (("gapmap.ini", 0), ("gapmap1.ini", 1)):
        with open(os.path.join(case, fname), "w") as f:
            f.write(GAPMAP_INI.format(name=name, roads=roads_pbf, threads=threads))


def osmium(*args):
    subprocess.run(["osmium", *args], check=True, stdout=subprocess.DEVNULL)


def prepare_rutland(data, case):
    d = os.path.join(data, "rutland")
    pbf = os.path.join(d, "rutland-latest.osm.pbf")
    pcs = os.path.join(d, "postcodes_codepoint2014.csv")
    scp = os.path.join(d, "social_care_providers_2014.csv")
    for p in (pbf, pcs, scp):
        if not os.path.exists(p):
            return f"{p} is absent"
    os.makedirs(case)
    with open(pcs, newline="") as f:
        postcodes = [(r["postcode"], r["lon"], r["lat"]) for r in csv.DictReader(f)]
    with open(scp, newline="", encoding="utf-8") as f:
        sites = [(r["OrganisationCode"], r["OrganisationName"], r["Longitude"], r["Latitude"])
                 for r in csv.DictReader(f)]
    write_inputs(case, "Rutland", pbf, postcodes, sites)
    # osmnx 1.2 reads OSM XML only, and graph_from_xml makes edges of every way
    # in the file: give it the highway (and ferry) ways with their nodes.
    osmium("tags-filter", pbf, "w/highway", "w/route=ferry", "-o",
           os.path.join(case, "roads.osm"), "-O")
    return None


# Monaco's street network moved into Great Britain (gapmap's working CRS is
# the British National Grid and it refuses points outside GB): latitude
# shifted by a constant, longitude scaled about Monaco's centre by
# cos(43.74)/cos(51.0) so that east-west distances stay as on the ground.
MC_LON0, MC_LAT0 = 7.42, 43.74
GB_LON0, GB_LAT0 = -2.0, 51.0
MC_KX = math.cos(math.radians(MC_LAT0)) / math.cos(math.radians(GB_LAT0))
MC_BBOX = (7.349, 43.715, 7.491, 43.770)  # highway extent (../shared/data/monaco/SOURCE.txt)


def mc_move(lon, lat):
    return GB_LON0 + (lon - MC_LON0) * MC_KX, lat - MC_LAT0 + GB_LAT0


def prepare_monaco(data, case):
    pbf = os.path.join(data, "monaco", "monaco.osm.pbf")
    if not os.path.exists(pbf):
        return f"{pbf} is absent"
    os.makedirs(case)
    full = os.path.join(case, "orig.osm")
    osmium("cat", pbf, "-o", full, "-O")
    pat = re.compile(r'lat="(-?[0-9.]+)" lon="(-?[0-9.]+)"')

    def sub(m):
        lon, lat = mc_move(float(m.group(2)), float(m.group(1)))
        return f'lat="{lat:.7f}" lon="{lon:.7f}"'

    moved = os.path.join(case, "moved.osm")
    with open(full, encoding="utf-8") as fi, open(moved, "w", encoding="utf-8") as fo:
        for line in fi:
            if "<bounds" in line:
                continue
            fo.write(pat.sub(sub, line) if "<node" in line else line)
    os.unlink(full)
    roads_pbf = os.path.join(case, "monaco-gb.osm.pbf")
    osmium("cat", moved, "-o", roads_pbf, "-O")
    os.unlink(moved)
    osmium("tags-filter", roads_pbf, "w/highway", "w/route=ferry", "-o",
           os.path.join(case, "roads.osm"), "-O")
    # Customers: a 35 x 35 grid of cell centres over the highway extent (1,225
    # points, sea included: points beyond join_max_m get no times in every
    # tool); sites: a 5 x 4 grid of cell centres over the same extent.
    x0, y0, x1, y1 = MC_BBOX

    def grid(nx_, ny_):
        pts = []
        for j in range(ny_):
            for i in range(nx_):
                lon = x0 + (i + 0.5) * (x1 - x0) / nx_
                lat = y0 + (j + 0.5) * (y1 - y0) / ny_
                lon, lat = mc_move(lon, lat)
                pts.append((f"{lon:.6f}", f"{lat:.6f}"))
        return pts

    letters = "ABDEFGHJLNPQRSTUWXYZ"  # Royal Mail's inward-code letters
    postcodes = []
    for k, (lon, lat) in enumerate(grid(35, 35)):
        pc = f"MC{k // 200 + 1} {k % 10}{letters[(k // 10) % 20]}{letters[k // 200 % 20]}"
        postcodes.append((pc, lon, lat))
    assert len({p[0] for p in postcodes}) == len(postcodes)
    sites = [(f"P{k + 1:02d}", f"Grid site {k + 1}", lon, lat)
             for k, (lon, lat) in enumerate(grid(5, 4))]
    write_inputs(case, "Monaco moved to GB", roads_pbf, postcodes, sites)
    return None


CASES = [("rutland", "Rutland", prepare_rutland), ("monaco", "Monaco (moved to GB)", prepare_monaco)]


# ---- the peers (child processes) -------------------------------------------

def read_points(case):
    """The same files gapmap reads: customers.csv + postcodes.csv, providers.csv."""
    with open(os.path.join(case, "postcodes.csv"), newline="") as f:
        where = {r["postcode"]: (float(r["lon"]), float(r["lat"])) for r in csv.DictReader(f)}
    with open(os.path.join(case, "customers.csv"), newline="") as f:
        cust = [(r["customer_id"], *where[r["postcode"]]) for r in csv.DictReader(f)]
    with open(os.path.join(case, "providers.csv"), newline="") as f:
        sites = [(r["site_id"], float(r["easting"]), float(r["northing"]))
                 for r in csv.DictReader(f)]
    return cust, sites


def osmnx_graph(case, phases):
    """The car graph by osmnx: all ways as read (all_oneway keeps each way's own
    direction and its raw oneway tag), gapmap's rules applied edge by edge,
    largest strongly connected component (gapmap's rule), then simplified
    (travel_time and length summed along merged chains)."""
    t = time.perf_counter()
    import osmnx as ox
    phases["import"] = time.perf_counter() - t
    ox.settings.use_cache = False
    ox.settings.log_console = False
    ox.settings.all_oneway = True
    ox.settings.useful_tags_way = WAY_TAGS
    t = time.perf_counter()
    G = ox.graph_from_xml(os.path.join(case, "roads.osm"), simplify=False, retain_all=True)
    phases["read_xml"] = time.perf_counter() - t
    t = time.perf_counter()
    drop, add = [], []
    for u, v, k, d in G.edges(keys=True, data=True):
        speed, way_dir = car_rule(d)
        if speed <= 0:
            drop.append((u, v, k))
            continue
        d["speed_kph"] = speed
        d["travel_time"] = d["length"] * 3.6 / speed
        # osmnx laid the edge against the way for oneway=-1/reverse/T.
        edge_dir = -1 if d.get("oneway") in ("-1", "reverse", "T") else 1
        if way_dir == 0:
            add.append((v, u, dict(d)))
        elif way_dir != edge_dir:
            drop.append((u, v, k))
            add.append((v, u, dict(d)))
    G.remove_edges_from(drop)
    G.add_edges_from(add)
    G.remove_nodes_from([n for n in G.nodes if G.degree(n) == 0])
    G = ox.simplify_graph(G)
    phases["car_graph"] = time.perf_counter() - t
    return ox, G


def snap(ox, Gall, case, phases):
    """Nearest node of the whole car graph, then gapmap's island rule: a point
    whose nearest node is off the largest strongly connected component, or
    farther than join_max_m, is not joined (distance set to infinity).
    Returns the routing graph (that component) too."""
    t = time.perf_counter()
    G = ox.utils_graph.get_largest_component(Gall, strongly=True)
    cust, sites = read_points(case)
    cn, cd = ox.distance.nearest_nodes(Gall, [c[1] for c in cust], [c[2] for c in cust],
                                       return_dist=True)
    sn, sd = ox.distance.nearest_nodes(Gall, [s[1] for s in sites], [s[2] for s in sites],
                                       return_dist=True)
    cd = [d if (n in G and d <= JOIN_MAX_M) else math.inf for n, d in zip(cn, cd)]
    sd = [d if (n in G and d <= JOIN_MAX_M) else math.inf for n, d in zip(sn, sd)]
    phases["scc_read_csv_snap"] = time.perf_counter() - t
    return G, cust, sites, list(cn), cd, list(sn), sd


def child_osmnx(case, out_csv):
    phases = {}
    t_all = time.perf_counter()
    ox, Gall = osmnx_graph(case, phases)
    import networkx as nx
    G, cust, sites, cn, cd, sn, sd = snap(ox, Gall, case, phases)
    t = time.perf_counter()
    R = G.reverse(copy=False)
    cols = []
    for s in range(len(sites)):
        if sd[s] > JOIN_MAX_M:
            cols.append(None)
            continue
        cols.append(nx.single_source_dijkstra_path_length(R, sn[s], cutoff=CUTOFF_S,
                                                          weight="travel_time"))
    phases["route"] = time.perf_counter() - t
    t = time.perf_counter()
    walk = WALK_KMH / 3.6
    reached = 0
    with open(out_csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["customer_id", "site_id", "mode", "time_s", "customer_join_m", "site_join_m"])
        cj = [f"{d:.1f}" if math.isfinite(d) else "" for d in cd]
        sj = [f"{d:.1f}" if math.isfinite(d) else "" for d in sd]
        for c, (cid, _, _) in enumerate(cust):
            for s, (sid, _, _) in enumerate(sites):
                tt = ""
                col = cols[s]
                if col is not None and cd[c] <= JOIN_MAX_M and cn[c] in col:
                    total = cd[c] / walk + col[cn[c]] + sd[s] / walk
                    if total <= CUTOFF_S:
                        tt = f"{total:.1f}"
                        reached += 1
                w.writerow([cid, sid, "car", tt, cj[c], sj[s]])
    phases["write"] = time.perf_counter() - t
    phases["total_in_process"] = time.perf_counter() - t_all
    print(json.dumps({"phases": phases, "nodes": len(G), "edges": G.number_of_edges(),
                      "pairs": len(cust) * len(sites), "reached": reached}))


def child_igraph(case, reps):
    """Routing alone on the same graph: igraph's distances (C core) and, for
    reference, the networkx loop of the end-to-end run."""
    phases = {}
    ox, Gall = osmnx_graph(case, phases)
    import networkx as nx
    import igraph as ig
    G, cust, sites, cn, cd, sn, sd = snap(ox, Gall, case, phases)
    idx = {n: i for i, n in enumerate(G.nodes)}
    edges, wts = [], []
    for u, v, d in G.edges(data=True):
        edges.append((idx[u], idx[v]))
        wts.append(d["travel_time"])
    g = ig.Graph(n=len(idx), edges=edges, directed=True)
    g.es["w"] = wts
    # The joined sites (as in the end-to-end run) and the joined customers' nodes.
    src = [idx[n] for n, d in zip(sn, sd) if math.isfinite(d)]
    tgt = sorted({idx[n] for n, d in zip(cn, cd) if math.isfinite(d)})
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        D = g.distances(source=src, target=tgt, weights="w", mode="in")
        times.append(time.perf_counter() - t)
    R = G.reverse(copy=False)
    nx_times = []
    for _ in range(max(1, reps // 2)):
        t = time.perf_counter()
        cols = [nx.single_source_dijkstra_path_length(R, n, cutoff=CUTOFF_S, weight="travel_time")
                for n, d in zip(sn, sd) if math.isfinite(d)]
        nx_times.append(time.perf_counter() - t)
    # The two must agree: same graph, same weights.
    nodes = list(G.nodes)
    worst = 0.0
    for i, col in enumerate(cols):
        for j, vid in enumerate(tgt):
            a, b = D[i][j], col.get(nodes[vid], math.inf)
            if a > CUTOFF_S:  # igraph has no cut-off
                a = math.inf
            if math.isfinite(a) or math.isfinite(b):
                worst = max(worst, abs(a - b))
    # Points for the rule check: nodes of the routing graph, every k-th by OSM id.
    ids = sorted(G.nodes)
    pick = lambda n, off: [(G.nodes[v]["x"], G.nodes[v]["y"])
                           for v in ids[off::max(1, len(ids) // n)][:n]]
    print(json.dumps({"check_customers": pick(400, 0), "check_sites": pick(10, 7),
                      "igraph_s": times, "networkx_s": nx_times, "nodes": g.vcount(),
                      "edges": g.ecount(), "sources": len(src), "targets": len(tgt),
                      "igraph_vs_networkx_max_abs_s": worst, "igraph": ig.__version__,
                      "networkx": nx.__version__, "osmnx": ox.__version__}))


# ---- the parent: run, time, compare ---------------------------------------

def _reap(p, t0):
    """Wait for p with wait4: wall seconds since t0, peak RSS MB of that process."""
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    return wall, ru.ru_maxrss / 1024.0  # Linux reports kilobytes


def timed(cmd, cwd=None):
    """Run cmd as a whole process: wall seconds (perf_counter from start to
    exit), peak RSS MB (wait4), its standard output."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err)
        wall, rss = _reap(p, t0)
        out.seek(0)
        err.seek(0)
        if p.returncode != 0:
            sys.exit(f"peers.py: {' '.join(cmd)} failed ({p.returncode}):\n{err.read()[-3000:]}")
        return wall, rss, out.read()


GAPMAP_PHASES = [  # (name, log line that ends it); the last phase ends at exit
    ("start (load libraries)", "Reading postcode directory"),
    ("read postcodes, providers, customers", "Reading roads "),
    ("read roads (.osm.pbf through GDAL)", "Building the car network"),
    ("graph, reverse, snap index, joins", "Travel times (car): 0%"),
    ("matrix (routing)", "Travel times (car): 100%"),
    ("write outputs, exit", None),
]


def gapmap_routing(gapmap, case, out):
    """One-thread gapmap run, log read line by line as it is written (stderr is
    unbuffered): the matrix phase is the time from 'Travel times (car): 0%' to
    '100%' (every search, and every customer read off the labels; the search
    state is allocated before the 0% line).  Returns that, the whole process's
    wall time, its peak RSS, and the time of each phase in GAPMAP_PHASES."""
    t0 = time.perf_counter()
    p = subprocess.Popen([gapmap, "matrix", "gapmap1.ini", "-o", out], cwd=case,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, bufsize=0)
    ends = {}
    while True:
        line = p.stderr.readline()
        if not line:
            break
        now = time.perf_counter()
        s = line.decode("utf-8", "replace")
        for name, mark in GAPMAP_PHASES:
            if mark and mark in s and name not in ends:
                ends[name] = now
    wall, rss = _reap(p, t0)
    if p.returncode != 0 or len(ends) != len(GAPMAP_PHASES) - 1:
        sys.exit(f"peers.py: gapmap one-thread run failed (exit {p.returncode}, log marks {ends})")
    ends[GAPMAP_PHASES[-1][0]] = t0 + wall
    phases, prev = {}, t0
    for name, _ in GAPMAP_PHASES:
        phases[name] = ends[name] - prev
        prev = ends[name]
    return phases["matrix (routing)"], wall, rss, phases


def read_matrix(path):
    """{(customer, site): (time_s or None, largest of the two join distances)}"""
    out = {}
    num = lambda v: float(v) if v else math.inf
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            out[(r["customer_id"], r["site_id"])] = (
                num(r["time_s"]) if r["time_s"] else None,
                max(num(r["customer_join_m"]), num(r["site_join_m"])))
    return out


NEAR_ROAD_M = 100.0  # "well joined": both points this close to the road in both tools


def agreement(g_csv, o_csv):
    g, o = read_matrix(g_csv), read_matrix(o_csv)
    assert g.keys() == o.keys(), "the two matrices do not cover the same pairs"
    rel, near, only_g, only_o = [], [], 0, 0
    for k, (a, ja) in g.items():
        b, jb = o[k]
        if a is not None and b is not None:
            rel.append(abs(a - b) / a if a > 0 else (0.0 if b == 0 else math.inf))
            if max(ja, jb) <= NEAR_ROAD_M:
                near.append(rel[-1])
        elif a is not None:
            only_g += 1
        elif b is not None:
            only_o += 1
    rel.sort()
    near.sort()
    q = lambda v, p: v[min(len(v) - 1, int(p * len(v)))] if v else math.nan
    return {"pairs": len(g), "both": len(rel), "only_gapmap": only_g, "only_osmnx": only_o,
            "median_rel": q(rel, 0.5), "p90_rel": q(rel, 0.9),
            "within_5pct": sum(r <= 0.05 for r in rel) / max(1, len(rel)),
            "within_10pct": sum(r <= 0.10 for r in rel) / max(1, len(rel)),
            "near_road_pairs": len(near), "near_median_rel": q(near, 0.5),
            "near_p90_rel": q(near, 0.9)}


def rule_check(gapmap, py, me, case, ig_out):
    """Same roads, rules and speeds?  Put the points on nodes of the osmnx
    routing graph, where a node join and an edge join coincide, run both tools
    once (untimed) and compare: what differs then is the network, not the joins."""
    d = os.path.join(case, "nodes")
    os.makedirs(d)
    os.symlink(os.path.join(case, "roads.osm"), os.path.join(d, "roads.osm"))
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    pcs = [(f"ZZ{k // 200 + 1} {k % 10}{letters[(k // 10) % 20]}{letters[k // 200 % 20]}",
            f"{x:.7f}", f"{y:.7f}") for k, (x, y) in enumerate(ig_out.pop("check_customers"))]
    sites = [(f"N{k + 1:02d}", f"graph node {k + 1}", f"{x:.7f}", f"{y:.7f}")
             for k, (x, y) in enumerate(ig_out.pop("check_sites"))]
    with open(os.path.join(case, "gapmap.ini")) as f:
        roads = re.search(r"^\[roads\]\s*file = (.*)$", f.read(), re.M).group(1)
    write_inputs(d, "rule check", roads, pcs, sites)
    timed([gapmap, "matrix", "gapmap.ini", "-o", "out", "--quiet"], cwd=d)
    timed([py, me, "_osmnx", d, os.path.join(d, "osmnx-matrix.csv")])
    return agreement(os.path.join(d, "out", "matrix.csv"), os.path.join(d, "osmnx-matrix.csv"))


def gg_s(r):
    g = r["gapmap_graph"]
    return f"{g['sites_joined']} searches x {g['nodes_kept']} nodes"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gapmap", default=os.path.join(ROOT, "build-bench", "cli", "gapmap"))
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--only", choices=[c[0] for c in CASES])
    ap.add_argument("--runs", type=int, default=5, help="gapmap runs (median)")
    ap.add_argument("--peer-runs", type=int, default=3, help="osmnx+networkx runs (median)")
    ap.add_argument("--keep", help="keep the inputs and outputs in this folder")
    ap.add_argument("--json", help="also write the figures to this file")
    a = ap.parse_args()

    gapmap = os.path.abspath(a.gapmap)
    if not os.access(gapmap, os.X_OK):
        sys.exit(f"peers.py: no gapmap binary at {gapmap} (build it, or pass --gapmap)")
    if not shutil.which("osmium"):
        sys.exit("peers.py: osmium is missing (apt-get install osmium-tool)")
    import importlib.util
    for mod in ("osmnx", "igraph", "networkx", "sklearn"):  # sklearn: osmnx's nearest_nodes
        if importlib.util.find_spec(mod) is None:
            sys.exit(f"peers.py: no module {mod} in {sys.executable} (apt-get install "
                     "python3-osmnx python3-igraph python3-networkx; run with /usr/bin/python3)")
    check_speeds()
    work = os.path.abspath(a.keep) if a.keep else tempfile.mkdtemp(prefix="gapmap-peers-")
    os.makedirs(work, exist_ok=True)
    py = sys.executable
    me = os.path.abspath(__file__)
    results = {"date": time.strftime("%Y-%m-%d"), "cases": {}}
    rows = []
    try:
        for key, label, prep in CASES:
            if a.only and key != a.only:
                continue
            case = os.path.join(work, key)
            if os.path.exists(case):
                shutil.rmtree(case)
            why = prep(os.path.abspath(a.data), case)
            if why:
                print(f"skipping {label}: {why}")
                continue
            print(f"== {label}", flush=True)
            r = {}
            # One untimed warm-up of each (page cache, Python byte code), then
            # the timed runs interleaved, so that both tools see the same
            # machine (a shared VM's speed drifts over a minute).
            g_out = os.path.join(case, "gapmap-out")
            g_cmd = [gapmap, "matrix", "gapmap.ini", "-o", g_out, "--quiet"]
            o_csv = os.path.join(case, "osmnx-matrix.csv")
            o_cmd = [py, me, "_osmnx", case, o_csv]
            timed(g_cmd, cwd=case)
            timed(o_cmd)
            ge, gr, oe = [], [], []
            for i in range(max(a.runs, a.peer_runs)):
                if i < a.runs:
                    ge.append(timed(g_cmd, cwd=case)[:2])
                    gr.append(gapmap_routing(gapmap, case, os.path.join(case, "gapmap-out1")))
                if i < a.peer_runs:
                    oe.append(timed(o_cmd))
            r["gapmap_e2e_s"] = [w for w, _ in ge]
            r["gapmap_rss_mb"] = max(m for _, m in ge)
            r["gapmap_route_1t_s"] = [x[0] for x in gr]
            r["gapmap_e2e_1t_s"] = [x[1] for x in gr]
            r["gapmap_1t_rss_mb"] = max(x[2] for x in gr)
            r["gapmap_1t_phases_median_s"] = {name: statistics.median(x[3][name] for x in gr)
                                              for name, _ in GAPMAP_PHASES}
            print(f"   gapmap: {statistics.median(r['gapmap_e2e_s']):.3f} s end to end; one thread, "
                  f"medians: {', '.join(f'{k} {1000 * v:.1f} ms' for k, v in r['gapmap_1t_phases_median_s'].items())}",
                  flush=True)
            r["osmnx_e2e_s"] = [w for w, _, _ in oe]
            r["osmnx_rss_mb"] = max(m for _, m, _ in oe)
            r["osmnx_child"] = json.loads(oe[-1][2])
            print(f"   osmnx+networkx: {statistics.median(r['osmnx_e2e_s']):.2f} s end to end "
                  f"(last run, in process: "
                  f"{', '.join(f'{k} {v:.2f}' for k, v in r['osmnx_child']['phases'].items())})",
                  flush=True)
            # igraph routing alone.
            _, ig_rss, out = timed([py, me, "_igraph", case, str(a.runs)])
            r["igraph"] = json.loads(out)
            print(f"   igraph distances: {1000 * statistics.median(r['igraph']['igraph_s']):.1f} ms; "
                  f"networkx routing {1000 * statistics.median(r['igraph']['networkx_s']):.0f} ms; "
                  f"graph {r['igraph']['nodes']} nodes, {r['igraph']['edges']} edges", flush=True)
            r["agreement"] = agreement(os.path.join(g_out, "matrix.csv"), o_csv)
            r["rule_check"] = rule_check(gapmap, py, me, case, r["igraph"])
            with open(os.path.join(g_out, "manifest.json")) as f:
                r["gapmap_graph"] = json.load(f)["travel"]["car"]
            # The graphs differ in size (gapmap keeps a node wherever any road or
            # path met a car road; osmnx's simplification drops those): time per
            # search and graph node too.
            gg = r["gapmap_graph"]
            r["ns_per_search_node"] = {
                "gapmap": 1e9 * statistics.median(r["gapmap_route_1t_s"])
                / (gg["sites_joined"] * gg["nodes_kept"]),
                "igraph": 1e9 * statistics.median(r["igraph"]["igraph_s"])
                / (r["igraph"]["sources"] * r["igraph"]["nodes"])}
            results["cases"][key] = r

            med = statistics.median
            g_e2e, g_rt = med(r["gapmap_e2e_s"]), med(r["gapmap_route_1t_s"])
            rows += [
                ("gapmap matrix (2 threads)", label, "end to end", g_e2e, r["gapmap_rss_mb"], 1.0),
                ("gapmap matrix (threads = 1)", label, "end to end", med(r["gapmap_e2e_1t_s"]),
                 r["gapmap_1t_rss_mb"], med(r["gapmap_e2e_1t_s"]) / g_e2e),
                ("osmnx + networkx", label, "end to end", med(r["osmnx_e2e_s"]), r["osmnx_rss_mb"],
                 med(r["osmnx_e2e_s"]) / g_e2e),
                ("gapmap matrix phase (1 thread)", label, "routing", g_rt, None, 1.0),
                ("igraph Graph.distances", label, "routing", med(r["igraph"]["igraph_s"]), None,
                 med(r["igraph"]["igraph_s"]) / g_rt),
                ("networkx Dijkstra x sites", label, "routing", med(r["igraph"]["networkx_s"]),
                 None, med(r["igraph"]["networkx_s"]) / g_rt),
            ]
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)

    print()
    print(f"{'tool':32} {'data':22} {'work':11} {'wall s (median)':>16} {'peak RSS MB':>12} "
          f"{'ratio vs gapmap':>16}")
    for tool, data, what, s, rss, ratio in rows:
        rs = f"{rss:.0f}" if rss is not None else "-"
        print(f"{tool:32} {data:22} {what:11} {s:16.4f} {rs:>12} {ratio:15.1f}x")
    print()
    for key, r in results["cases"].items():
        ag, ig_ = r["agreement"], r["igraph"]
        print(f"{key}: gapmap and osmnx both reach {ag['both']} of {ag['pairs']} pairs "
              f"(gapmap only {ag['only_gapmap']}, osmnx only {ag['only_osmnx']})")
        print(f"   |gapmap - osmnx| / gapmap: median {100 * ag['median_rel']:.2f}%, 90th percentile "
              f"{100 * ag['p90_rel']:.1f}%, {100 * ag['within_5pct']:.1f}% of pairs within 5%")
        print(f"   pairs whose points are all within {NEAR_ROAD_M:.0f} m of the road in both tools "
              f"({ag['near_road_pairs']}): median {100 * ag['near_median_rel']:.2f}%, "
              f"90th percentile {100 * ag['near_p90_rel']:.1f}%")
        print(f"   igraph vs networkx on the same graph: largest |difference| "
              f"{ig_['igraph_vs_networkx_max_abs_s']:.2e} s; graphs: gapmap "
              f"{r['gapmap_graph']['nodes_kept']} nodes, {r['gapmap_graph']['arcs_kept']} arcs; "
              f"osmnx (simplified) {ig_['nodes']} nodes, {ig_['edges']} edges")
        rc = r["rule_check"]
        print(f"   rule check, points on graph nodes ({rc['pairs']} pairs, both reach {rc['both']}): "
              f"median {100 * rc['median_rel']:.2f}%, 90th percentile {100 * rc['p90_rel']:.2f}%, "
              f"{100 * rc['within_5pct']:.1f}% of pairs within 5%")
        ns = r["ns_per_search_node"]
        g_ms = 1000 * statistics.median(r["gapmap_route_1t_s"]) / r["gapmap_graph"]["sites_joined"]
        i_ms = 1000 * statistics.median(ig_["igraph_s"]) / ig_["sources"]
        print(f"   routing per search: gapmap {g_ms:.3f} ms, igraph {i_ms:.3f} ms; per search and "
              f"graph node: gapmap {ns['gapmap']:.0f} ns ({gg_s(r)}), igraph {ns['igraph']:.0f} ns "
              f"({ig_['sources']} sources x {ig_['nodes']} nodes)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    if a.keep:
        print(f"inputs and outputs kept in {work}")


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "_osmnx":
        child_osmnx(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 2 and sys.argv[1] == "_igraph":
        child_igraph(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 5)
    else:
        main()
