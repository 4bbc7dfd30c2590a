#!/usr/bin/python3
# -*- coding: utf-8 -*-
"""Deterministic generator of Examplshire, gapmap's fictional sample county.

    /usr/bin/python3 geodata/generate.py          # write every file, then self-check
    /usr/bin/python3 geodata/generate.py --check  # only re-check the files on disk

Writes, into the folder that holds this script:
  roads.gpkg              OS Open Roads layout (road_link, road_node), EPSG:27700
  boundaries.gpkg         county, msoa, lsoa and water polygons, EPSG:27700
  onspd_examplshire.csv   postcode directory in the ONSPD column layout
  providers.csv           framework register, one row per site (UTF-8, LF)
  customers.csv           case-management export (UTF-8 with BOM, CRLF)
  bus/*.txt               a fictional bus timetable in GTFS form (routes on the
                          roads above, stops in WGS84)
  expected.json           facts for tests (counts, deliberate bad rows, ids)
  README.md               description of all of the above (generated from the
                          template at the end of this file: edit it there)

Everything is fictional.  All randomness comes from the SplitMix64 generator
below, seeded per component from a fixed seed and the component's name, so the
output does not depend on the Python version (no `random`), and changing one
component does not reshuffle the others.  Two runs give byte-identical CSV,
GTFS, JSON and README files; the GeoPackages are written with OGR_CURRENT_DATE
fixed, so they are byte-identical too on the same GDAL/SQLite versions.

Needs Debian's python3-gdal, python3-shapely (1.8) and python3-numpy.
"""
import hashlib
import json
import math
import os
import sys
from collections import defaultdict, deque

from osgeo import gdal, ogr, osr
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, MultiPoint
from shapely.ops import unary_union, voronoi_diagram
from shapely.prepared import prep
from shapely.strtree import STRtree

import warnings
warnings.filterwarnings("ignore", message=".*STRtree.*")
try:
    from shapely.errors import ShapelyDeprecationWarning
    warnings.filterwarnings("ignore", category=ShapelyDeprecationWarning)
except ImportError:
    pass

gdal.UseExceptions()
ogr.UseExceptions()
osr.UseExceptions()

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 0x4558414D504C53  # "EXAMPLS"
M64 = (1 << 64) - 1
FIXED_DATE = "2025-01-01T00:00:00Z"

# --------------------------------------------------------------------------
# Deterministic randomness
# --------------------------------------------------------------------------


def fnv1a64(text):
    h = 0xCBF29CE484222325
    for b in text.encode("utf-8"):
        h ^= b
        h = (h * 0x100000001B3) & M64
    return h


class Rng:
    """SplitMix64 (Steele, Lea & Flood 2014): tiny, fast, and the same everywhere."""

    def __init__(self, name):
        self.s = (SEED ^ fnv1a64(name)) & M64

    def u64(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & M64
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)

    def random(self):
        return (self.u64() >> 11) * (1.0 / 9007199254740992.0)

    def uniform(self, a, b):
        return a + (b - a) * self.random()

    def randint(self, a, b):
        return a + self.u64() % (b - a + 1)

    def chance(self, p):
        return self.random() < p

    def choice(self, seq):
        return seq[self.randint(0, len(seq) - 1)]

    def shuffle(self, lst):
        for i in range(len(lst) - 1, 0, -1):
            j = self.randint(0, i)
            lst[i], lst[j] = lst[j], lst[i]
        return lst

    def sample(self, seq, k):
        lst = list(seq)
        self.shuffle(lst)
        return lst[:k]

    def weighted(self, items, weights):
        total = float(sum(weights))
        x = self.random() * total
        acc = 0.0
        for it, w in zip(items, weights):
            acc += w
            if x < acc:
                return it
        return items[-1]


def det_uuid(kind, n):
    """A GUID-looking id (as in OS Open Roads), derived from a counter."""
    h = hashlib.sha1(("examplshire/%s/%d" % (kind, n)).encode()).hexdigest().upper()
    return "%s-%s-4%s-%s-%s" % (h[0:8], h[8:12], h[13:16], "89AB"[int(h[16], 16) % 4] + h[17:20], h[20:32])


# --------------------------------------------------------------------------
# Small geometry helpers (plain tuples; coordinates rounded to 1 cm)
# --------------------------------------------------------------------------


def r2(v):
    return round(v, 2)


def P(x, y):
    return (r2(x), r2(y))


def dist(a, b):
    return math.hypot(a[0] - b[0], a[1] - b[1])


def unit(dx, dy):
    d = math.hypot(dx, dy)
    return (dx / d, dy / d)


def catmull(pts, step):
    """Catmull-Rom spline through pts, sampled about every `step` metres.
    The first and last points are kept exactly (shared node coordinates)."""
    if len(pts) == 2:
        a, b = pts
        n = max(1, int(dist(a, b) / step))
        out = [a]
        for k in range(1, n):
            t = k / n
            out.append(P(a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t))
        out.append(b)
        return out
    ext = [pts[0]] + list(pts) + [pts[-1]]
    out = [pts[0]]
    for i in range(1, len(ext) - 2):
        p0, p1, p2, p3 = ext[i - 1], ext[i], ext[i + 1], ext[i + 2]
        n = max(1, int(dist(p1, p2) / step))
        for k in range(1, n + 1):
            if k == n:
                out.append(p2)
                continue
            t = k / n
            t2, t3 = t * t, t * t * t
            x = 0.5 * (2 * p1[0] + (-p0[0] + p2[0]) * t + (2 * p0[0] - 5 * p1[0] + 4 * p2[0] - p3[0]) * t2
                       + (-p0[0] + 3 * p1[0] - 3 * p2[0] + p3[0]) * t3)
            y = 0.5 * (2 * p1[1] + (-p0[1] + p2[1]) * t + (2 * p0[1] - 5 * p1[1] + 4 * p2[1] - p3[1]) * t2
                       + (-p0[1] + 3 * p1[1] - 3 * p2[1] + p3[1]) * t3)
            out.append(P(x, y))
    return dedupe(out)


def dedupe(coords):
    out = [coords[0]]
    for c in coords[1:]:
        if c != out[-1]:
            out.append(c)
    return out


def line_len(coords):
    return sum(dist(coords[i], coords[i + 1]) for i in range(len(coords) - 1))


def rounded_polygon(geom):
    """Round polygon vertices to 1 cm (keeps files small and output stable)."""
    def ring(r):
        return [P(x, y) for x, y in r.coords]
    if geom.geom_type == "Polygon":
        return Polygon(ring(geom.exterior), [ring(i) for i in geom.interiors])
    return MultiPolygon([rounded_polygon(g) for g in geom.geoms])


class Tree:
    """STRtree that answers with sorted indices under Shapely 1.8 and 2.x alike."""

    def __init__(self, geoms):
        self.geoms = list(geoms)
        self.tree = STRtree(self.geoms)
        self.ids = {id(g): i for i, g in enumerate(self.geoms)}

    def _idx(self, r):
        return self.ids[id(r)] if hasattr(r, "geom_type") else int(r)

    def query(self, g):
        return sorted(set(self._idx(r) for r in self.tree.query(g)))

    def nearest_distance(self, g):
        near = [i for i in self.query(g.buffer(60))]
        if near:
            return min(self.geoms[i].distance(g) for i in near)
        r = self.tree.nearest(g)
        return self.geoms[self._idx(r)].distance(g)


# --------------------------------------------------------------------------
# The land: county outline, River Wend and its estuary, Holm Island
# --------------------------------------------------------------------------

CX, CY = 404000.0, 270000.0   # county centre (British National Grid)
A_HALF, B_HALF = 20500.0, 17500.0

RIVER_CTRL = [(376000, 270400), (380000, 270200), (384000, 270900), (388000, 270500), (392000, 269900),
              (396000, 270600), (401000, 271000), (405000, 270500), (409000, 269500), (413000, 268900),
              (418000, 268600), (423000, 268800), (428000, 269000), (433000, 269100)]
BRIDGE_X = 405000.0
ISLAND_C_X = 420000.0


def county_polygon():
    pts = []
    for k in range(720):
        th = 2 * math.pi * k / 720
        c, s = math.cos(th), math.sin(th)
        r = 1.0 / ((abs(c) / A_HALF) ** 4 + (abs(s) / B_HALF) ** 4) ** 0.25
        r *= 1 + 0.018 * math.sin(3 * th + 1.0) + 0.012 * math.sin(7 * th + 2.0) + 0.006 * math.sin(13 * th + 0.4)
        pts.append(P(CX + r * c, CY + r * s))
    return Polygon(pts)


class River:
    def __init__(self):
        dense = catmull([P(x, y) for x, y in RIVER_CTRL], 25.0)
        self.xs = [p[0] for p in dense]
        self.ys = [p[1] for p in dense]

    def y(self, x):
        xs, ys = self.xs, self.ys
        lo, hi = 0, len(xs) - 1
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if xs[mid] <= x:
                lo = mid
            else:
                hi = mid
        t = (x - xs[lo]) / (xs[hi] - xs[lo])
        return ys[lo] + (ys[hi] - ys[lo]) * t

    @staticmethod
    def width(x):
        if x <= 400000:
            return 30.0 + 50.0 * max(0.0, x - 380000) / 20000.0
        if x <= 408000:
            return 80.0 + 100.0 * (x - 400000) / 8000.0
        return 180.0 * math.exp(math.log(4000.0 / 180.0) / 17000.0 * (x - 408000))

    def polygon(self):
        north, south = [], []
        x = 376000.0
        while x <= 433000.0:
            w = self.width(x) / 2
            yc = self.y(x)
            north.append(P(x, yc + w))
            south.append(P(x, yc - w))
            x += 50.0
        return Polygon(north + south[::-1])


def island_polygon(river):
    cx, cy = ISLAND_C_X, river.y(ISLAND_C_X)
    rot = math.radians(12)
    pts = []
    for k in range(96):
        th = 2 * math.pi * k / 96
        f = 1 + 0.06 * math.sin(3 * th + 0.7) + 0.04 * math.sin(5 * th + 2.1)
        lx, ly = 480 * f * math.cos(th), 230 * f * math.sin(th)
        pts.append(P(cx + lx * math.cos(rot) - ly * math.sin(rot), cy + lx * math.sin(rot) + ly * math.cos(rot)))
    return Polygon(pts)


# --------------------------------------------------------------------------
# Road attributes
# --------------------------------------------------------------------------

ROAD_CLASSES = ["Motorway", "A Road", "B Road", "Classified Unnumbered", "Unclassified", "Not Classified", "Unknown"]
ROAD_FUNCTIONS = ["Motorway", "A Road", "B Road", "Minor Road", "Local Road", "Local Access Road",
                  "Restricted Local Access Road", "Secondary Access Road"]
FORMS = ["Single Carriageway", "Dual Carriageway", "Collapsed Dual Carriageway", "Slip Road", "Roundabout",
         "Shared Use Carriageway"]

BOTH, INDIR, OPPDIR = "bothDirections", "inDirection", "inOppositeDirection"


def attrs(cls, func, form="Single Carriageway", num=None, name=None, struct=None, dirn=BOTH, primary=0,
          trunk=0):
    assert cls in ROAD_CLASSES and func in ROAD_FUNCTIONS and form in FORMS, (cls, func, form)
    return dict(cls=cls, func=func, form=form, num=num, name=name, struct=struct, dirn=dirn, primary=primary,
                trunk=trunk)


def A_ROAD(num, name=None, primary=1, trunk=0, form="Single Carriageway"):
    return attrs("A Road", "A Road", form, num, name, primary=primary, trunk=trunk)


def B_ROAD(num, name=None):
    return attrs("B Road", "B Road", "Single Carriageway", num, name)


MINOR = lambda name=None: attrs("Classified Unnumbered", "Minor Road", name=name)
LOCAL = lambda name=None: attrs("Unclassified", "Local Road", name=name)
ACCESS = lambda name=None: attrs("Unclassified", "Local Access Road", name=name)

# Grades: how a way may meet others.  Ordinary roads are noded wherever they
# cross; the motorway (carriageways and slip roads) only meets other ways at
# designed nodes, and anything crossing it goes over on a bridge; designed
# bridges (junction overbridges, the estuary bridge) cross without nodes.
G_ROAD, G_MOTORWAY, G_BRIDGE = 0, 1, 2


class Way:
    __slots__ = ("coords", "a", "grade", "tag", "kind")

    def __init__(self, coords, a, grade=G_ROAD, tag="rural", kind="road"):
        self.coords = dedupe(list(coords))
        self.a = dict(a)
        self.grade = grade
        self.tag = tag
        self.kind = kind


# --------------------------------------------------------------------------
# Settlements
# --------------------------------------------------------------------------

class Settlement:
    def __init__(self, name, kind, c, R, spacing, rot_deg, pop, side, **kw):
        self.name, self.kind, self.c, self.R = name, kind, c, R
        self.spacing, self.rot, self.pop, self.side = spacing, math.radians(rot_deg), pop, side
        self.core = kw.get("core", 1)
        self.pdrop = kw.get("pdrop", 0.13)
        self.axes = kw.get("axes", {})
        self.distributor = kw.get("distributor", 0)
        self.nodes = {}
        self.used_gw = set()
        self.outline_poly = None
        self.ph = None


TOWN_STREET_WORDS = [
    "Albion", "Alder", "Beech", "Birch", "Bramble", "Brook", "Castle", "Cedar", "Chapel", "Cherry", "Church",
    "Clover", "Coronation", "Cotton", "Cross", "Dale", "Elm", "Ferry", "Field", "Forge", "Foundry", "Garden",
    "Glebe", "Granary", "Hawthorn", "Hazel", "Heath", "Holly", "Jubilee", "Juniper", "Larch", "Laurel", "Lime",
    "Linden", "Malt", "Maple", "Meadow", "Mill", "Nelson", "Newland", "Nursery", "Oak", "Orchard", "Park",
    "Pear", "Pine", "Poplar", "Priory", "Quarry", "Railway", "Rectory", "Regent", "Rope", "Rowan", "School",
    "Silver", "Spring", "Station", "Sycamore", "Tannery", "Tower", "Union", "Vicarage", "Victoria", "Walnut",
    "Water", "Well", "Wharf", "Willow", "Windmill", "Yew", "Abbey", "Acorn", "Bank", "Barley", "Blossom",
    "Bridge", "Canal", "Clay", "Coach", "Copper", "Corn", "Dove", "Elder", "Fern", "Flax", "Fountain",
    "Furze", "Grove", "Harvest", "Heron", "Hop", "Ivy", "Kiln", "Lark", "Lavender", "Lock", "Lode", "Market",
    "Marsh", "Mead", "Merchant", "Minster", "Moat", "Moss", "Oriel", "Osier", "Pinfold", "Pound", "Primrose",
    "Reed", "Ridge", "Rose", "Saffron", "Salt", "Sand", "Sedge", "Shire", "Slate", "Sorrel", "Stable",
    "Swallow", "Swan", "Tanner", "Teasel", "Thistle", "Timber", "Tithe", "Vine", "Warren", "Weaver", "Wheat",
    "Wood", "Wool", "Wren", "Yarrow"]
STREET_SUFFIX = ["Street", "Road", "Avenue", "Lane", "Way", "Grove", "Crescent", "Drive", "Terrace", "Gardens",
                 "Walk", "Row", "Place", "Rise", "Hill"]
CLOSE_SUFFIX = ["Close", "Court", "Mews", "Croft", "Yard", "End"]
LANE_NAMES = ["Mill Lane", "Hollow Lane", "Green Lane", "Long Lane", "Sandy Lane", "Pound Lane", "Moor Lane",
              "Ridgeway", "Back Lane", "Carters Lane", "Stony Lane", "Watery Lane", "Holloway", "Gravel Lane",
              "Common Lane", "Windmill Lane", "Drovers Way", "Hayfield Lane", "Nettle Lane", "Coldharbour Lane",
              "Bullock Lane", "Saltway", "Kiln Lane", "Gypsy Lane", "Pit Lane", "Woodgate", "Heath Lane",
              "Marsh Lane", "Fen Lane", "Pease Lane"]


def make_settlements():
    T = "town"
    V = "village"
    S = [
        Settlement("Kingsford", T, (405500.0, 274300.0), 2450, 88, 8, 25000, "n", core=4, distributor=6,
                   axes={"E": (A_ROAD("A431", trunk=1), "High Street", "Brackenby Road"),
                         "W": (A_ROAD("A431", trunk=1), "High Street", "Wrenfield Road"),
                         "N": (A_ROAD("A446"), "Northgate", "Northgate"),
                         "S": (A_ROAD("A452"), "Bridge Street", "Bridge Street")}),
        Settlement("Ashby Marsh", T, (412600.0, 264900.0), 1550, 90, -12, 9000, "s", core=2, distributor=5,
                   axes={"W": (A_ROAD("A452"), "Market Street", "Kingsford Road"),
                         "E": (B_ROAD("B4712"), "Market Street", "Dunmere Road"),
                         "S": (A_ROAD("A452"), "South Street", "Quenby Road"),
                         "N": (MINOR(), "Marsh Road", "Marsh Road")}),
        Settlement("Wrenfield", T, (390000.0, 277400.0), 1400, 95, 20, 7000, "n", core=2, distributor=5,
                   axes={"W": (A_ROAD("A431", trunk=1), "Broad Street", "Fernleigh Road"),
                         "E": (A_ROAD("A431", trunk=1), "Broad Street", "Tansley Road"),
                         "N": (B_ROAD("B4701"), "North Road", "Hollowell Road"),
                         "S": (B_ROAD("B4703"), "South Road", "Fernleigh Lane")}),
        Settlement("Marrowby", T, (389000.0, 257200.0), 1250, 95, -5, 5500, "s", core=2, distributor=5,
                   axes={"W": (A_ROAD("A437"), "High Street", "West Street"),
                         "E": (A_ROAD("A437"), "High Street", "Pelham Road"),
                         "N": (B_ROAD("B4711"), "Caverley Road", "Caverley Road"),
                         "S": (B_ROAD("B4710"), "Wick Road", "Wick Road")}),
        # villages: (name, centre, radius, pop, side, main street attrs along E-W, along N-S)
        Settlement("Hollowell", V, (397000.0, 285300.0), 380, 105, 5, 900, "n",
                   axes={"N": (B_ROAD("B4701"), "Main Street", "Main Street"),
                         "S": (B_ROAD("B4701"), "Main Street", "Main Street"),
                         "E": (LOCAL(), "Church Lane", "Church Lane"), "W": (LOCAL(), "Church Lane", "Church Lane")}),
        Settlement("Tansley Green", V, (398300.0, 275800.0), 430, 105, -8, 1200, "n",
                   axes={"E": (A_ROAD("A431", trunk=1), "The Green", "The Green"),
                         "W": (A_ROAD("A431", trunk=1), "The Green", "The Green"),
                         "N": (LOCAL(), "School Lane", "School Lane"), "S": (LOCAL(), "School Lane", "School Lane")}),
        Settlement("Fernleigh", V, (385800.0, 273400.0), 350, 105, 12, 700, "n",
                   axes={"E": (B_ROAD("B4703"), "Main Street", "Main Street"),
                         "W": (B_ROAD("B4703"), "Main Street", "Main Street"),
                         "N": (LOCAL(), "Well Lane", "Well Lane"), "S": (LOCAL(), "Well Lane", "Well Lane")}),
        Settlement("Stowe Norton", V, (398500.0, 272500.0), 330, 105, 0, 600, "n",
                   axes={"E": (B_ROAD("B4704"), "The Street", "The Street"),
                         "W": (LOCAL(), "The Street", "The Street"),
                         "N": (LOCAL(), "Chapel Lane", "Chapel Lane"), "S": (LOCAL(), "Chapel Lane", "Chapel Lane")}),
        Settlement("Oakhurst", V, (412800.0, 280300.0), 380, 105, 15, 900, "n",
                   axes={"E": (B_ROAD("B4702"), "Main Road", "Main Road"),
                         "W": (B_ROAD("B4702"), "Main Road", "Main Road"),
                         "N": (LOCAL(), "Church Walk", "Church Walk"), "S": (LOCAL(), "Church Walk", "Church Walk")}),
        Settlement("Brackenby", V, (418500.0, 274200.0), 400, 105, -4, 1000, "n",
                   axes={"E": (A_ROAD("A431", trunk=1), "Front Street", "Front Street"),
                         "W": (A_ROAD("A431", trunk=1), "Front Street", "Front Street"),
                         "N": (LOCAL(), "Vicarage Lane", "Vicarage Lane"), "S": (LOCAL(), "Vicarage Lane", "Vicarage Lane")}),
        Settlement("Pelham Cross", V, (398200.0, 264300.0), 380, 105, 6, 900, "s",
                   axes={"E": (A_ROAD("A437"), "Cross Street", "Cross Street"),
                         "W": (A_ROAD("A437"), "Cross Street", "Cross Street"),
                         "N": (LOCAL(), "Pump Lane", "Pump Lane"), "S": (LOCAL(), "Pump Lane", "Pump Lane")}),
        Settlement("Sedgecombe", V, (403800.0, 258300.0), 400, 105, -10, 1100, "s",
                   axes={"E": (B_ROAD("B4710"), "High Street", "High Street"),
                         "W": (B_ROAD("B4710"), "High Street", "High Street"),
                         "N": (B_ROAD("B4713"), "Northfield Road", "Northfield Road"),
                         "S": (LOCAL(), "Southfield", "Southfield")}),
        Settlement("Upper Wick", V, (395200.0, 255000.0), 330, 105, 3, 600, "s",
                   axes={"E": (B_ROAD("B4710"), "The Street", "The Street"),
                         "W": (B_ROAD("B4710"), "The Street", "The Street"),
                         "N": (LOCAL(), "Manor Lane", "Manor Lane"), "S": (LOCAL(), "Manor Lane", "Manor Lane")}),
        Settlement("Caverley", V, (386600.0, 263600.0), 340, 105, -15, 650, "s",
                   axes={"N": (B_ROAD("B4711"), "Main Street", "Main Street"),
                         "S": (B_ROAD("B4711"), "Main Street", "Main Street"),
                         "E": (LOCAL(), "Back Street", "Back Street"), "W": (LOCAL(), "Back Street", "Back Street")}),
        Settlement("Dunmere", V, (418300.0, 263300.0), 380, 105, 10, 900, "s",
                   axes={"W": (B_ROAD("B4712"), "Quay Street", "Quay Street"),
                         "N": (LOCAL(), "Ferry Road", "Ferry Road"),
                         "E": (LOCAL(), "Quay Street", "Quay Street"), "S": (LOCAL(), "Chapel Row", "Chapel Row")}),
        Settlement("Quenby St Mary", V, (411500.0, 256800.0), 360, 105, -6, 800, "s",
                   axes={"N": (A_ROAD("A452"), "Church Street", "Church Street"),
                         "S": (A_ROAD("A452"), "Church Street", "Church Street"),
                         "E": (LOCAL(), "Green Lane", "Green Lane"), "W": (LOCAL(), "Green Lane", "Green Lane")}),
    ]
    return S


# --------------------------------------------------------------------------
# The road network
# --------------------------------------------------------------------------

class World:
    """Everything the later stages need: land, settlements, roads."""
    pass


def build_land(W):
    W.county = county_polygon()
    W.river = River()
    W.island = island_polygon(W.river)
    raw = W.river.polygon()
    W.water_full = raw.difference(W.island)         # for land tests (runs past the county)
    W.water = rounded_polygon(W.water_full.intersection(W.county))
    W.water_buf = prep(W.water_full.buffer(25))
    W.water_buf_small = prep(W.water_full.buffer(6))
    W.island_buf = prep(W.island.buffer(60))
    W.island_prep = prep(W.island)
    W.county_inner = prep(W.county.buffer(-250))
    W.county_prep = prep(W.county)


# ---- motorway M59 ---------------------------------------------------------
M_P0 = (381000.0, 278800.0)
M_P1 = (422000.0, 288000.0)
M_BEND = 250.0
JUNCTION_S = {1: 10750.0, 2: 26150.0}


class Motorway:
    def __init__(self):
        self.L = dist(M_P0, M_P1)
        self.u = unit(M_P1[0] - M_P0[0], M_P1[1] - M_P0[1])
        self.n = (-self.u[1], self.u[0])

    def centre(self, s):
        b = M_BEND * math.sin(math.pi * s / self.L)
        return (M_P0[0] + s * self.u[0] + b * self.n[0], M_P0[1] + s * self.u[1] + b * self.n[1])

    def normal(self, s):
        db = M_BEND * math.pi / self.L * math.cos(math.pi * s / self.L)
        t = unit(self.u[0] + db * self.n[0], self.u[1] + db * self.n[1])
        return (-t[1], t[0])

    def off(self, s, d):
        c = self.centre(s)
        nn = self.normal(s)
        return P(c[0] + d * nn[0], c[1] + d * nn[1])


def clip_to_county(coords, county, keep="start"):
    """Cut a line where it leaves the county, keeping the part from its start
    (or its end); vertices inside are kept verbatim."""
    if keep == "end":
        return clip_to_county(coords[::-1], county, "start")[::-1]
    pc = prep(county)
    out = [coords[0]]
    for i in range(1, len(coords)):
        if pc.contains(Point(coords[i])):
            out.append(coords[i])
            continue
        seg = LineString([coords[i - 1], coords[i]])
        x = seg.intersection(county.exterior)
        pts = [x] if x.geom_type == "Point" else list(getattr(x, "geoms", []))
        pts.sort(key=lambda p: dist(coords[i - 1], (p.x, p.y)))
        p = P(pts[0].x, pts[0].y)
        if p != out[-1]:
            out.append(p)
        return out
    return out


def build_motorway(W, ways):
    M = Motorway()
    W.mway = M
    ss = set()
    s = -2000.0
    while s <= M.L + 2000:
        ss.add(s)
        s += 250.0
    for sj in JUNCTION_S.values():
        for d in (-500.0, 500.0):
            ss.add(sj + d)
        for d in (-250.0, 0.0, 250.0):
            ss.discard(sj + d)
    ss = sorted(ss)
    mw = attrs("Motorway", "Motorway", "Dual Carriageway", "M59", None, primary=0, trunk=1)
    # Eastbound on the north carriageway (UK traffic keeps left), digitised
    # west to east; westbound on the south one, digitised west to east too
    # and so flagged inOppositeDirection.
    A = clip_inside(W, [M.off(s, 15) for s in ss])
    B = clip_inside(W, [M.off(s, -15) for s in ss])
    ways.append(Way(A, dict(mw, dirn=INDIR), G_MOTORWAY, "motorway", "motorway"))
    ways.append(Way(B, dict(mw, dirn=OPPDIR), G_MOTORWAY, "motorway", "motorway"))
    W.junction_nodes = {}
    slip = attrs("Motorway", "Motorway", "Slip Road", "M59", None, primary=0, trunk=1)
    for j, sj in JUNCTION_S.items():
        NJ, SJ = M.off(sj, 160), M.off(sj, -160)
        A_div, A_mer = M.off(sj - 500, 15), M.off(sj + 500, 15)
        B_div, B_mer = M.off(sj + 500, -15), M.off(sj - 500, -15)
        assert A_div in A and A_mer in A and B_div in B and B_mer in B
        off_a = catmull([A_div, M.off(sj - 330, 38), M.off(sj - 150, 110), NJ], 40)
        on_a = catmull([NJ, M.off(sj + 150, 110), M.off(sj + 330, 38), A_mer], 40)
        off_b = catmull([B_div, M.off(sj + 330, -38), M.off(sj + 150, -110), SJ], 40)
        on_b = catmull([SJ, M.off(sj - 150, -110), M.off(sj - 330, -38), B_mer], 40)
        ways.append(Way(off_a, dict(slip, dirn=INDIR), G_MOTORWAY, "motorway", "slip"))
        ways.append(Way(on_a[::-1], dict(slip, dirn=OPPDIR), G_MOTORWAY, "motorway", "slip"))
        ways.append(Way(off_b, dict(slip, dirn=INDIR), G_MOTORWAY, "motorway", "slip"))
        ways.append(Way(on_b, dict(slip, dirn=INDIR), G_MOTORWAY, "motorway", "slip"))
        W.junction_nodes[j] = (NJ, SJ)
    return M


def clip_inside(W, coords):
    pc = W.county_prep
    inside = [pc.contains(Point(c)) for c in coords]
    i0 = inside.index(True)
    i1 = len(inside) - 1 - inside[::-1].index(True)
    assert all(inside[i0:i1 + 1])
    out = list(coords[i0:i1 + 1])
    for (a, b, front) in ((coords[i0 - 1], coords[i0], True), (coords[i1], coords[i1 + 1], False)):
        x = LineString([a, b]).intersection(W.county.exterior)
        p = P(x.x, x.y) if x.geom_type == "Point" else P(x.geoms[0].x, x.geoms[0].y)
        if front:
            out.insert(0, p)
        else:
            out.append(p)
    return dedupe(out)


# ---- settlements' street grids ---------------------------------------------

def outline_radius(S, th):
    ph = S.ph
    return S.R * (1 + 0.16 * math.sin(2 * th + ph[0]) + 0.09 * math.sin(3 * th + ph[1])
                  + 0.05 * math.sin(5 * th + ph[2]))


def build_grid(W, S, ways, rng):
    s = S.spacing
    n = int(S.R * 1.4 / s) + 1
    S.ph = [rng.uniform(0, 2 * math.pi) for _ in range(4)]
    S.outline_poly = Polygon([P(S.c[0] + outline_radius(S, th) * math.cos(th),
                                S.c[1] + outline_radius(S, th) * math.sin(th))
                              for th in [2 * math.pi * k / 120 for k in range(120)]])
    wp = [rng.uniform(0, 2 * math.pi) for _ in range(2)]
    warp = s * 0.35
    ct, st = math.cos(S.rot), math.sin(S.rot)
    nodes = {}
    for i in range(-n, n + 1):
        for j in range(-n, n + 1):
            axis = (i == 0 or j == 0)
            jm = 0.03 if axis else 0.11
            lx = i * s + rng.uniform(-jm, jm) * s
            ly = j * s + rng.uniform(-jm, jm) * s
            lx += warp * math.sin(ly / (2.7 * s) + wp[0])
            ly += warp * math.sin(lx / (3.1 * s) + wp[1])
            x = S.c[0] + lx * ct - ly * st
            y = S.c[1] + lx * st + ly * ct
            th = math.atan2(y - S.c[1], x - S.c[0])
            if math.hypot(x - S.c[0], y - S.c[1]) > outline_radius(S, th):
                continue
            p = Point(x, y)
            if W.water_buf.contains(p) or W.island_buf.contains(p) or not W.county_inner.contains(p):
                continue
            nodes[(i, j)] = P(x, y)
    assert (0, 0) in nodes, S.name
    edges = []
    for key in sorted(nodes):
        i, j = key
        for di, dj in ((1, 0), (0, 1)):
            k2 = (i + di, j + dj)
            if k2 not in nodes:
                continue
            axis = (dj == 0 and j == 0) or (di == 0 and i == 0)
            core = max(abs(i), abs(j), abs(k2[0]), abs(k2[1])) <= S.core
            if not axis and not core and rng.chance(S.pdrop):
                continue
            seg = LineString([nodes[key], nodes[k2]])
            if W.water_buf_small.intersects(seg) or W.island_buf.intersects(seg):
                continue
            edges.append((key, k2))
    # keep what is connected to the centre
    adj = defaultdict(list)
    for a, b in edges:
        adj[a].append(b)
        adj[b].append(a)
    seen = {(0, 0)}
    dq = deque([(0, 0)])
    while dq:
        k = dq.popleft()
        for m in adj[k]:
            if m not in seen:
                seen.add(m)
                dq.append(m)
    edges = [e for e in edges if e[0] in seen]
    S.nodes = {k: nodes[k] for k in nodes if k in seen}
    S.deg = defaultdict(int)
    for a, b in edges:
        S.deg[a] += 1
        S.deg[b] += 1
    # street names along each grid line, changing now and then
    names = {}
    pool = [w for w in TOWN_STREET_WORDS]
    rng.shuffle(pool)
    used = set()

    def new_name(suffixes):
        while True:
            w = pool.pop() if pool else rng.choice(TOWN_STREET_WORDS)
            nm = "%s %s" % (w, rng.choice(suffixes))
            if nm not in used and not nm.startswith(S.name):
                used.add(nm)
                return nm

    def line_name(line, pos):
        # a grid line is ('h', j) or ('v', i); names change every 5-12 nodes
        if line not in names:
            cuts = []
            p = -n - 1
            while p < n + 1:
                p += rng.randint(5, 12)
                cuts.append(p)
            names[line] = (cuts, [new_name(STREET_SUFFIX) for _ in range(len(cuts) + 1)])
        cuts, nms = names[line]
        k = 0
        while k < len(cuts) and pos >= cuts[k]:
            k += 1
        return nms[k]

    rng.uniform(0, 2 * math.pi)   # a spare draw, kept so that the published layout does not change
    for a, b in edges:
        i, j = a
        horiz = (b[1] == j)
        if horiz:
            line, pos, idx = ("h", j), i, j
        else:
            line, pos, idx = ("v", i), j, i
        attr = None
        tag = S.name
        if idx == 0:
            half = ("E" if pos >= 0 else "W") if horiz else ("N" if pos >= 0 else "S")
            if half in S.axes:
                base, core_name, outer_name = S.axes[half]
                nm = core_name if abs(pos + (0 if pos >= 0 else 1)) <= S.core else outer_name
                attr = dict(base, name=nm)
        if attr is None:
            nm = line_name(line, pos)
            if S.distributor and idx % S.distributor == 0:
                attr = MINOR(nm)
            else:
                attr = LOCAL(nm)
        # Kingsford's centre: one-way rows (alternating), a shared-use market place
        if S.name == "Kingsford" and horiz and idx in (-3, -2, -1, 1, 2, 3) and -4 <= pos <= 3:
            attr = dict(attr, dirn=(INDIR if idx % 2 else OPPDIR))
        if S.name == "Kingsford" and not horiz and idx in (-1, 1) and -1 <= pos <= 0:
            attr = attrs("Unclassified", "Local Road", "Shared Use Carriageway", name="Market Place")
        coords = [S.nodes[a], S.nodes[b]]
        # a gentle bow in longer streets
        L = dist(*coords)
        if L > 60 and not (idx == 0) and rng.chance(0.25):
            bow = rng.uniform(-0.06, 0.06) * L
            mx, my = (coords[0][0] + coords[1][0]) / 2, (coords[0][1] + coords[1][1]) / 2
            ux, uy = unit(coords[1][0] - coords[0][0], coords[1][1] - coords[0][1])
            coords = [coords[0], P(mx - uy * bow, my + ux * bow), coords[1]]
        ways.append(Way(coords, attr, G_ROAD, tag, "street"))
    # closes: short dead ends into blocks, and estate roads at the edge
    blocks = set()
    for key in sorted(S.nodes):
        i, j = key
        if i == 0 or j == 0 or max(abs(i), abs(j)) <= S.core + 1:
            continue
        if rng.chance(0.22 if S.kind == "town" else 0.14):
            di, dj = rng.choice([(1, 1), (1, -1), (-1, 1), (-1, -1)])
            blk = (i + (0 if di > 0 else -1), j + (0 if dj > 0 else -1))
            if blk in blocks:
                continue
            blocks.add(blk)
            f = rng.uniform(0.32, 0.42)
            lx, ly = di * f * s, dj * f * s
            p0 = S.nodes[key]
            p1 = P(p0[0] + lx * ct - ly * st, p0[1] + lx * st + ly * ct)
            if W.water_buf.contains(Point(p1)) or not W.county_inner.contains(Point(p1)):
                continue
            nm = "%s %s" % (rng.choice(TOWN_STREET_WORDS), rng.choice(CLOSE_SUFFIX))
            a = ACCESS(nm) if rng.chance(0.8) else attrs("Not Classified", "Secondary Access Road")
            ways.append(Way([p0, p1], a, G_ROAD, S.name, "close"))
    for key in sorted(S.nodes):
        i, j = key
        if i == 0 or j == 0:
            continue
        for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            if (i + di, j + dj) in S.nodes or S.deg[key] >= 3:
                continue
            if not rng.chance(0.40):
                continue
            f = rng.uniform(0.55, 0.9)
            lx, ly = di * f * s, dj * f * s
            p0 = S.nodes[key]
            p1 = P(p0[0] + lx * ct - ly * st, p0[1] + lx * st + ly * ct)
            pts = [p0, p1]
            if rng.chance(0.4):
                g = rng.choice([-1, 1]) * rng.uniform(0.35, 0.5) * s
                lx2, ly2 = (-dj * g, di * g)
                pts.append(P(p1[0] + lx2 * ct - ly2 * st, p1[1] + lx2 * st + ly2 * ct))
            seg = LineString(pts)
            if W.water_buf.intersects(seg) or W.island_buf.intersects(seg) or not W.county_inner.contains(seg):
                continue
            nm = "%s %s" % (rng.choice(TOWN_STREET_WORDS), rng.choice(CLOSE_SUFFIX))
            ways.append(Way(pts, ACCESS(nm), G_ROAD, S.name, "close"))
            break


def axis_end(S, d):
    """The outermost node along a grid axis, contiguous from the centre."""
    step = {"E": (1, 0), "W": (-1, 0), "N": (0, 1), "S": (0, -1)}[d]
    k = (0, 0)
    while (k[0] + step[0], k[1] + step[1]) in S.nodes:
        k = (k[0] + step[0], k[1] + step[1])
    return k


def gateway(S, toward):
    """A node on the edge of the settlement facing `toward` (a point or an axis
    letter); each node serves one road."""
    if isinstance(toward, str):
        k = axis_end(S, toward)
        S.used_gw.add(k)
        return S.nodes[k]
    ux, uy = unit(toward[0] - S.c[0], toward[1] - S.c[1])
    best, bk = None, None
    for k, p in sorted(S.nodes.items()):
        if k in S.used_gw or S.deg[k] >= 4:
            continue
        dx, dy = p[0] - S.c[0], p[1] - S.c[1]
        along = dx * ux + dy * uy
        perp = abs(-dx * uy + dy * ux)
        sc = along - 0.7 * perp
        if best is None or sc > best:
            best, bk = sc, k
    S.used_gw.add(bk)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            S.used_gw.add((bk[0] + di, bk[1] + dj))
    return S.nodes[bk]


def road_between(a, da, b, db, rng, wiggle=0.05, step=70.0):
    """A country road from a to b, leaving a along da and arriving at b from db.
    Lead-in points that would make the road double back are dropped."""
    L = dist(a, b)
    ab = unit(b[0] - a[0], b[1] - a[1])
    lead = min(300.0, L * 0.2)
    q0 = P(a[0] + da[0] * lead, a[1] + da[1] * lead)
    q1 = P(b[0] + db[0] * lead, b[1] + db[1] * lead)
    # a lead-in must head towards the far end, and the two must not pass each other
    use0 = da[0] * ab[0] + da[1] * ab[1] > 0.2
    use1 = -(db[0] * ab[0] + db[1] * ab[1]) > 0.2
    if use0 and use1:
        v = (q1[0] - q0[0], q1[1] - q0[1])
        if v[0] * ab[0] + v[1] * ab[1] < 0.3 * L:
            use0 = use1 = False
    s0 = q0 if use0 else a
    s1 = q1 if use1 else b
    pts = [a] + ([q0] if use0 else [])
    m = max(1, int(dist(s0, s1) / 1500.0))
    ux, uy = unit(s1[0] - s0[0], s1[1] - s0[1]) if dist(s0, s1) > 1 else (0.0, 0.0)
    amp = min(500.0, wiggle * L, 0.25 * dist(s0, s1) / m)
    for k in range(1, m):
        t = k / m
        off = rng.uniform(-amp, amp)
        pts.append(P(s0[0] + (s1[0] - s0[0]) * t - uy * off, s0[1] + (s1[1] - s0[1]) * t + ux * off))
    pts += ([q1] if use1 else []) + [b]
    return catmull(pts, step)


def max_turn(coords):
    """Largest change of direction between successive segments, in degrees."""
    worst = 0.0
    for i in range(1, len(coords) - 1):
        a, b, c = coords[i - 1], coords[i], coords[i + 1]
        t1 = math.atan2(b[1] - a[1], b[0] - a[0])
        t2 = math.atan2(c[1] - b[1], c[0] - b[0])
        worst = max(worst, abs(math.degrees(math.atan2(math.sin(t2 - t1), math.cos(t2 - t1)))))
    return worst


def out_dir(S, p):
    return unit(p[0] - S.c[0], p[1] - S.c[1])


def build_main_roads(W, ways, rng):
    St = W.S
    M = W.mway

    def conn(sa, ta, sb, tb, a, wig=0.05, tag="rural"):
        pa = gateway(sa, ta) if isinstance(sa, Settlement) else sa
        pb = gateway(sb, tb) if isinstance(sb, Settlement) else sb
        da = out_dir(sa, pa) if isinstance(sa, Settlement) else ta
        db = out_dir(sb, pb) if isinstance(sb, Settlement) else tb
        coords = road_between(pa, da, pb, db, rng, wig)
        ways.append(Way(coords, a, G_ROAD, tag, "main"))
        return coords

    def to_edge(sa, ta, far, a, wig=0.04):
        pa = gateway(sa, ta) if isinstance(sa, Settlement) else sa
        da = out_dir(sa, pa) if isinstance(sa, Settlement) else ta
        coords = road_between(pa, da, far, unit(pa[0] - far[0], pa[1] - far[1]), rng, wig)
        coords = clip_to_county(coords, W.county, "start")
        ways.append(Way(coords, a, G_ROAD, "rural", "main"))
        return coords

    K, AM, WR, MB = St["Kingsford"], St["Ashby Marsh"], St["Wrenfield"], St["Marrowby"]
    A431 = A_ROAD("A431", trunk=1)
    A446 = A_ROAD("A446")
    A452 = A_ROAD("A452")
    A437 = A_ROAD("A437")
    # --- north of the river
    to_edge(WR, "W", (380000.0, 276500.0), A431)
    conn(WR, "E", St["Tansley Green"], "W", A431)
    conn(St["Tansley Green"], "E", K, "W", A431)
    conn(K, "E", St["Brackenby"], "W", A431)
    to_edge(St["Brackenby"], "E", (428000.0, 274800.0), A431)
    NJ1, SJ1 = W.junction_nodes[1]
    NJ2, SJ2 = W.junction_nodes[2]
    nrm1, nrm2 = M.normal(JUNCTION_S[1]), M.normal(JUNCTION_S[2])
    # A446: Kingsford north to junction 2, over the motorway, on to the county edge
    conn(K, "N", SJ2, (-nrm2[0], -nrm2[1]), dict(A446, form="Collapsed Dual Carriageway"), 0.03)
    ways.append(Way([SJ2, NJ2], dict(A446, struct="Road On Bridge"), G_BRIDGE, "rural", "overbridge"))
    to_edge(NJ2, nrm2, (407500.0, 292000.0), A446)
    # B4701: Wrenfield north to junction 1, over it, through Hollowell, to the edge
    B4701 = B_ROAD("B4701")
    conn(WR, "N", SJ1, (-nrm1[0], -nrm1[1]), B4701, 0.03)
    ways.append(Way([SJ1, NJ1], dict(B4701, struct="Road On Bridge"), G_BRIDGE, "rural", "overbridge"))
    conn(NJ1, nrm1, St["Hollowell"], "S", B4701)
    to_edge(St["Hollowell"], "N", (397500.0, 291000.0), B4701)
    B4702 = B_ROAD("B4702")
    conn(K, St["Oakhurst"].c, St["Oakhurst"], "W", B4702)
    to_edge(St["Oakhurst"], "E", (428000.0, 281500.0), B4702)
    B4703 = B_ROAD("B4703")
    conn(WR, "S", St["Fernleigh"], "E", B4703)
    to_edge(St["Fernleigh"], "W", (379000.0, 273000.0), B4703)
    conn(K, St["Stowe Norton"].c, St["Stowe Norton"], "E", B_ROAD("B4704"))
    # --- the estuary bridge: the one way across the river
    yb = W.river.y(BRIDGE_X)
    half = W.river.width(BRIDGE_X) / 2
    bN, bS = P(BRIDGE_X, yb + half + 30), P(BRIDGE_X, yb - half - 30)
    W.bridge_ends = (bN, bS)
    conn(K, "S", bN, (0.0, 1.0), A452, 0.02)
    ways.append(Way([bN, bS], dict(A452, name="Wend Bridge", struct="Road On Bridge"), G_BRIDGE, "rural",
                    "estuary_bridge"))
    R3 = P(405350.0, 268250.0)
    W.roundabout_pts = [R3]
    conn(bS, (0.0, -1.0), R3, (-0.15, 0.99), A452, 0.02)
    conn(R3, (0.93, -0.37), AM, "W", A452)
    conn(AM, "S", St["Quenby St Mary"], "N", A452)
    to_edge(St["Quenby St Mary"], "S", (411200.0, 248000.0), A452)
    to_edge(MB, "W", (379000.0, 258500.0), A437)
    conn(MB, "E", St["Pelham Cross"], "W", A437)
    conn(St["Pelham Cross"], "E", R3, (-0.97, 0.24), A437)
    B4710 = B_ROAD("B4710")
    conn(MB, "S", St["Upper Wick"], "W", B4710)
    conn(St["Upper Wick"], "E", St["Sedgecombe"], "W", B4710)
    conn(St["Sedgecombe"], "E", AM, St["Sedgecombe"].c, B4710)
    B4711 = B_ROAD("B4711")
    conn(MB, "N", St["Caverley"], "S", B4711)
    to_edge(St["Caverley"], "N", (384500.0, 269000.0), dict(B4711), 0.03)
    conn(R3, (0.05, -1.0), St["Sedgecombe"], "N", B_ROAD("B4713"))
    conn(AM, "E", St["Dunmere"], "W", B_ROAD("B4712"))
    # Ferry Lane: from Dunmere to the slipway for the Holm Island passenger ferry
    D = St["Dunmere"]
    pd = gateway(D, "N")
    xi = ISLAND_C_X
    slip_y = W.river.y(xi) - W.river.width(xi) / 2 - 15
    slip = P(xi, slip_y)
    W.ferry_slipway = slip
    ways.append(Way(road_between(pd, out_dir(D, pd), slip, (0.0, -1.0), rng, 0.03),
                    LOCAL("Ferry Lane"), G_ROAD, "rural", "main"))
    W.kingsford_roundabouts = [gateway_coord(K, "S"), gateway_coord(K, "N")]
    W.roundabout_pts += W.kingsford_roundabouts


def gateway_coord(S, d):
    return S.nodes[axis_end(S, d)]


# ---- hamlets, lanes, farms -------------------------------------------------

def far_from(p, pts, d):
    return all(dist(p, q) >= d for q in pts)


def gen_points(W, rng, n, min_sep, others, town_gap, village_gap, water_gap, m_gap, edge_in, tries=40000):
    pts = []
    prep_edge = prep(W.county.buffer(-edge_in))
    x0, y0, x1, y1 = W.county.bounds
    for _ in range(tries):
        if len(pts) >= n:
            break
        p = P(rng.uniform(x0, x1), rng.uniform(y0, y1))
        pt = Point(p)
        if not prep_edge.contains(pt):
            continue
        if W.water_full.distance(pt) < water_gap or W.island.distance(pt) < water_gap:
            continue
        ok = True
        for S in W.S.values():
            gap = town_gap if S.kind == "town" else village_gap
            if S.outline_poly.distance(pt) < gap:
                ok = False
                break
        if not ok:
            continue
        if W.motorway_line.distance(pt) < m_gap:
            continue
        if not far_from(p, pts, min_sep) or not far_from(p, others, min_sep * 0.6):
            continue
        pts.append(p)
    return pts


def side_of(W, p):
    return "n" if p[1] > W.river.y(p[0]) else "s"


def build_lanes(W, ways, rng):
    M = W.mway
    W.motorway_line = LineString([M.centre(s) for s in range(0, int(M.L) + 1, 200)])
    hamlets = gen_points(W, rng, 90, 1250, [], 1300, 800, 500, 700, 800)
    W.hamlets = hamlets
    main_geoms = [LineString(w.coords) for w in ways if w.kind in ("main",)]
    main_union = unary_union(main_geoms)
    main_prep = prep(main_union.buffer(150))
    linked = set()
    # which settlement pairs already have a main road between them
    pairs = [("Wrenfield", "Tansley Green"), ("Tansley Green", "Kingsford"), ("Kingsford", "Brackenby"),
             ("Kingsford", "Oakhurst"), ("Wrenfield", "Fernleigh"), ("Kingsford", "Stowe Norton"),
             ("Wrenfield", "Hollowell"), ("Ashby Marsh", "Quenby St Mary"), ("Marrowby", "Pelham Cross"),
             ("Marrowby", "Upper Wick"), ("Upper Wick", "Sedgecombe"), ("Sedgecombe", "Ashby Marsh"),
             ("Marrowby", "Caverley"), ("Ashby Marsh", "Dunmere"), ("Pelham Cross", "Ashby Marsh"),
             ("Pelham Cross", "Sedgecombe"), ("Kingsford", "Ashby Marsh")]
    for a, b in pairs:
        linked.add((a, b))
        linked.add((b, a))
    lane_names = list(LANE_NAMES)
    rng.shuffle(lane_names)
    n_mway_cross = 0
    W.lane_count = 0
    end_dirs = defaultdict(list)   # node -> directions of the roads leaving it
    for w in ways:
        if w.grade == G_ROAD:
            add_dir(end_dirs, w.coords)
            add_dir(end_dirs, w.coords[::-1])
    hamlet_dirs = defaultdict(list)
    for side in ("n", "s"):
        pts = []   # (point, settlement or None)
        for h in hamlets:
            if side_of(W, h) == side:
                pts.append((h, None))
        for S in W.S.values():
            if S.side == side:
                pts.append((S.c, S))
        cand = []
        for i in range(len(pts)):
            for j in range(i + 1, len(pts)):
                p, q = pts[i][0], pts[j][0]
                m = ((p[0] + q[0]) / 2, (p[1] + q[1]) / 2)
                r = dist(p, q) / 2
                if any(dist(m, pts[k][0]) < r for k in range(len(pts)) if k != i and k != j):
                    continue  # not a Gabriel edge
                cand.append((dist(p, q), i, j))
        cand.sort()
        for L, i, j in cand:
            (p, Sp), (q, Sq) = pts[i], pts[j]
            if L > 6500:
                continue
            if Sp and Sq and ((Sp.name, Sq.name) in linked or (Sp.kind == "town" and Sq.kind == "town")):
                continue
            pa = gateway_peek(Sp, q) if Sp else p
            pb = gateway_peek(Sq, p) if Sq else q
            da = out_dir(Sp, pa) if Sp else unit(q[0] - p[0], q[1] - p[1])
            db = out_dir(Sq, pb) if Sq else unit(p[0] - q[0], p[1] - q[1])
            coords = road_between(pa, da, pb, db, rng, 0.07, 70.0)
            g = LineString(coords)
            if not g.is_simple or max_turn(coords) > 60 or narrow(end_dirs, coords) or \
                    narrow(end_dirs, coords[::-1]):
                continue
            if W.water_buf.intersects(g) or W.island_buf.intersects(g) or not W.county_inner.contains(g):
                continue
            bad = False
            for S in W.S.values():
                if S is Sp or S is Sq:
                    if g.intersection(S.outline_poly.buffer(-60)).length > 1.0:
                        bad = True
                        break
                elif g.distance(S.outline_poly) < 120:
                    bad = True
                    break
            if bad:
                continue
            crosses_m = g.distance(W.motorway_line) < 60
            if crosses_m:
                near_j = any(g.distance(Point(M.centre(sj))) < 1500 for sj in JUNCTION_S.values())
                if near_j or n_mway_cross >= 3 or g.intersection(W.motorway_line).geom_type != "Point":
                    continue
                # cross square-ish, so both carriageways are under one bridge
                xm = g.project(g.intersection(W.motorway_line))
                p1, p2 = g.interpolate(max(0.0, xm - 40)), g.interpolate(min(g.length, xm + 40))
                ang = math.degrees(math.atan2(p2.y - p1.y, p2.x - p1.x) - math.atan2(M.u[1], M.u[0])) % 180
                if min(ang, 180 - ang) < 50:
                    continue
            # do not run alongside a main road
            samples = [Point(c) for c in coords[::3]]
            near = sum(1 for sp in samples if main_prep.contains(sp)
                       and dist((sp.x, sp.y), pa) > 400 and dist((sp.x, sp.y), pb) > 400)
            if near > 0.25 * len(samples):
                continue
            if crosses_m:
                n_mway_cross += 1
            if Sp:
                gateway(Sp, q) if gateway_peek(Sp, q) == pa else None
            if Sq:
                gateway(Sq, p) if gateway_peek(Sq, p) == pb else None
            if L > 3000 and rng.chance(0.35):
                a = MINOR(lane_names.pop() if lane_names and rng.chance(0.6) else None)
            else:
                a = LOCAL(lane_names.pop() if lane_names and rng.chance(0.35) else None)
            ways.append(Way(coords, a, G_ROAD, "rural", "lane"))
            add_dir(end_dirs, coords)
            add_dir(end_dirs, coords[::-1])
            W.lane_count += 1
            if not Sp:
                hamlet_dirs[p].append(math.atan2(da[1], da[0]))
            if not Sq:
                hamlet_dirs[q].append(math.atan2(db[1], db[0]))
    # hamlet closes: short dead ends away from the lanes
    W.hamlets = hamlets = [h for h in hamlets if hamlet_dirs.get(h)]   # hamlets no lane reached are dropped
    for h in hamlets:
        dirs = hamlet_dirs.get(h, [])
        k = rng.randint(1, 3)
        made = 0
        for _ in range(12):
            if made >= k:
                break
            th = rng.uniform(-math.pi, math.pi)
            if any(abs(math.atan2(math.sin(th - d), math.cos(th - d))) < 0.7 for d in dirs):
                continue
            Ls = rng.uniform(90, 230)
            e = P(h[0] + Ls * math.cos(th), h[1] + Ls * math.sin(th))
            ways.append(Way([h, e], ACCESS(), G_ROAD, "hamlet", "hamlet_spur"))
            dirs.append(th)
            made += 1
        hamlet_dirs[h] = dirs
    W.hamlet_dirs = hamlet_dirs


def leave_angle(coords):
    """Direction in which a line leaves its first point (over its first 60 m)."""
    p0 = coords[0]
    for c in coords[1:]:
        if dist(p0, c) >= 60 or c is coords[-1]:
            return math.atan2(c[1] - p0[1], c[0] - p0[0])
    return 0.0


def add_dir(end_dirs, coords):
    end_dirs[coords[0]].append(leave_angle(coords))


def narrow(end_dirs, coords, min_deg=35.0):
    th = leave_angle(coords)
    return any(abs(math.atan2(math.sin(th - d), math.cos(th - d))) < math.radians(min_deg)
               for d in end_dirs.get(coords[0], ()))


def gateway_peek(S, toward):
    saved = set(S.used_gw)
    p = gateway(S, toward)
    S.used_gw = saved
    return p


def build_farms(W, ways, rng):
    rural = [w for w in ways if w.kind in ("lane", "main") and w.grade == G_ROAD]
    verts = []
    for wi, w in enumerate(rural):
        for c in w.coords[2:-2]:
            verts.append(c)
    vtree_pts = [Point(v) for v in verts]
    vtree = Tree(vtree_pts)
    all_geoms = [LineString(w.coords) for w in ways]
    gtree = Tree(all_geoms)
    farms = gen_points(W, rng, 140, 650, W.hamlets, 800, 400, 300, 500, 500)
    W.farms = []
    names = list(FARM_NAMES)
    rng.shuffle(names)
    for f in farms:
        near = vtree.query(Point(f).buffer(1300))
        near = sorted(near, key=lambda i: (vtree_pts[i].distance(Point(f)), i))
        for i in near[:6]:
            v = verts[i]
            if dist(v, f) < 150:
                continue
            mid = ((f[0] + v[0]) / 2 + rng.uniform(-60, 60), (f[1] + v[1]) / 2 + rng.uniform(-60, 60))
            coords = catmull([f, P(*mid), v], 80)
            line = LineString(coords)
            if W.water_buf.intersects(line) or W.motorway_line.distance(line) < 80:
                continue
            hits = [h for h in gtree.query(line) if all_geoms[h].intersects(LineString(coords[:-1]))]
            if hits:
                continue
            r = rng.random()
            if r < 0.55:
                a = attrs("Not Classified", "Restricted Local Access Road")
            elif r < 0.85:
                a = ACCESS(None)
            else:
                a = attrs("Unknown", "Restricted Local Access Road")
            nm = names.pop() if names else "Farm %d" % len(W.farms)
            ways.append(Way(coords, a, G_ROAD, "farm", "farm_track"))
            W.farms.append((f, nm))
            break


FARM_NAMES = ["Orchard Farm", "Hill Top Farm", "Meadowbank Farm", "Greenacre Farm", "Lower Barn Farm",
              "Ashtree Farm", "Brook Farm", "Manor Farm", "Grange Farm", "Moat Farm", "Home Farm",
              "Highfield Farm", "Lodge Farm", "Park Farm", "Rookery Farm", "Church Farm", "Elm Tree Farm",
              "Holly Bush Farm", "Fox Covert Farm", "Windmill Farm", "Cold Comfort Farm", "Springfield Farm",
              "Westfield Farm", "Oak Farm", "Poplar Farm", "Sheepcote Farm", "Hollins Farm", "Thorn Farm",
              "Yew Tree Farm", "Crossways Farm", "Coppice Farm", "Dairy Farm", "Marsh Farm", "Old Hall Farm",
              "Rose Farm", "Stonehouse Farm", "Upper House Farm", "Woodside Farm", "Birch Farm", "Bank Farm",
              "Glebe Farm", "Heath Farm", "Keepers Farm", "Moor Farm", "New Farm", "Pear Tree Farm",
              "Red House Farm", "Sandpit Farm", "Top Farm", "Walnut Farm", "Beech Farm", "Cherry Tree Farm",
              "Dovecote Farm", "Fernhill Farm", "Gorse Farm", "Hazel Farm", "Ivy House Farm", "Larkrise Farm",
              "Mill Farm", "Nook Farm", "Pound Farm", "Quarry Farm", "Rectory Farm", "Smithy Farm",
              "Tithe Barn Farm", "Vale Farm", "Well Farm", "Willow Farm", "Bridge Farm", "Common Farm",
              "Furlong Farm", "Green Farm", "Hollow Farm", "Kiln Farm", "Long Meadow Farm", "Pinfold Farm"]


def build_island(W, ways):
    cx, cy = ISLAND_C_X, W.river.y(ISLAND_C_X)
    rot = math.radians(12)

    def ep(th, a, b):
        lx, ly = a * math.cos(th), b * math.sin(th)
        return P(cx + lx * math.cos(rot) - ly * math.sin(rot), cy + lx * math.sin(rot) + ly * math.cos(rot))
    th0 = -math.pi / 2
    ring = [ep(th0 + 2 * math.pi * k / 40, 360, 130) for k in range(40)]
    ring.append(ring[0])
    J = ring[0]
    # the jetty: straight south from the ring to the shore
    y = J[1]
    while W.island_prep.contains(Point(J[0], y - 5)):
        y -= 5
    jetty = P(J[0], y + 15)
    ways.append(Way(ring, LOCAL("Holm Road"), G_ROAD, "Holm Island", "island"))
    ways.append(Way([J, P(J[0], (J[1] + jetty[1]) / 2), jetty], LOCAL("Jetty Lane"), G_ROAD, "Holm Island",
                    "island"))
    W.island_jetty = jetty


# ---- roundabouts ------------------------------------------------------------

def make_roundabout(W, ways, C, R=22.0):
    ends = []
    for w in ways:
        if w.coords[0] == C:
            ends.append((w, 0))
        if w.coords[-1] == C:
            ends.append((w, -1))
    assert len(ends) >= 3, (C, len(ends))
    entries = []
    big = None
    rank = {c: i for i, c in enumerate(ROAD_CLASSES)}
    for w, e in ends:
        cs = w.coords if e == 0 else w.coords[::-1]
        k = 1
        while dist(cs[k], C) < R:
            k += 1
        a, b = cs[k - 1], cs[k]
        # point on segment a-b at distance R from C
        dx, dy = b[0] - a[0], b[1] - a[1]
        fx, fy = a[0] - C[0], a[1] - C[1]
        qa, qb, qc = dx * dx + dy * dy, 2 * (fx * dx + fy * dy), fx * fx + fy * fy - R * R
        t = (-qb + math.sqrt(qb * qb - 4 * qa * qc)) / (2 * qa)
        E = P(a[0] + t * dx, a[1] + t * dy)
        new = dedupe([E] + cs[k:])
        w.coords = new if e == 0 else new[::-1]
        entries.append((math.atan2(E[1] - C[1], E[0] - C[0]), E))
        if big is None or rank[w.a["cls"]] < rank[big["cls"]]:
            big = w.a
    entries.sort()
    for i in range(len(entries) - 1):
        assert entries[i + 1][0] - entries[i][0] > math.radians(25), "roundabout arms too close"
    # clockwise arcs (UK), digitised clockwise: from entry k down to entry k-1
    n = len(entries)
    for k in range(n):
        th1, E1 = entries[k]
        th0, E0 = entries[k - 1]
        if th0 >= th1:
            th0 -= 2 * math.pi
        m = max(2, int((th1 - th0) / math.radians(15)))
        arc = [E1] + [P(C[0] + R * math.cos(th1 - (th1 - th0) * q / m), C[1] + R * math.sin(th1 - (th1 - th0) * q / m))
                      for q in range(1, m)] + [E0]
        a = attrs(big["cls"], big["func"], "Roundabout", big["num"], None, dirn=INDIR, primary=big["primary"],
                  trunk=big["trunk"])
        ways.append(Way(arc, a, G_ROAD, "rural", "roundabout"))


# ---- noding ----------------------------------------------------------------

def node_ways(ways):
    """Split ways where they meet so that links meet only at their ends.
    Returns pieces: (coords, attrs, tag, kind, way index)."""
    n = len(ways)
    geoms = [LineString(w.coords) for w in ways]
    # cumulative measures for each way
    cum = []
    for w in ways:
        c = [0.0]
        for i in range(len(w.coords) - 1):
            c.append(c[-1] + dist(w.coords[i], w.coords[i + 1]))
        cum.append(c)
    splits = [dict() for _ in range(n)]   # coord -> measure
    bridges = [[] for _ in range(n)]      # (m0, m1)
    snap = {}                             # 0.5 m grid cell -> coord

    def cell(c):
        return (int(math.floor(c[0] / 0.5)), int(math.floor(c[1] / 0.5)))

    def snap_to(c):
        cx, cy = cell(c)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                q = snap.get((cx + dx, cy + dy))
                if q is not None and dist(q, c) < 0.05:
                    return q
        snap[(cx, cy)] = c
        return c

    for w in ways:
        snap_to(w.coords[0])
        snap_to(w.coords[-1])

    def measure_of(wi, c):
        w = ways[wi]
        best, bm = None, 0.0
        cs = w.coords
        for i in range(len(cs) - 1):
            a, b = cs[i], cs[i + 1]
            dx, dy = b[0] - a[0], b[1] - a[1]
            L2 = dx * dx + dy * dy
            t = max(0.0, min(1.0, ((c[0] - a[0]) * dx + (c[1] - a[1]) * dy) / L2))
            px, py = a[0] + t * dx, a[1] + t * dy
            d = math.hypot(c[0] - px, c[1] - py)
            if best is None or d < best:
                best, bm = d, cum[wi][i] + t * math.sqrt(L2)
        return bm, best

    def add_split(wi, c):
        m, d = measure_of(wi, c)
        assert d < 0.6, (d, c)
        L = cum[wi][-1]
        if m < 1e-6 or m > L - 1e-6:
            if c in (ways[wi].coords[0], ways[wi].coords[-1]):
                return
        splits[wi][c] = m

    # 1. shared vertices
    vmap = defaultdict(list)
    for wi, w in enumerate(ways):
        last = len(w.coords) - 1
        for vi, c in enumerate(w.coords):
            vmap[c].append((wi, vi, vi == 0 or vi == last))
    for c, lst in vmap.items():
        wis = set(x[0] for x in lst)
        if len(wis) < 2:
            continue
        ends = set(x[0] for x in lst if x[2])
        for wi, vi, is_end in lst:
            if is_end:
                continue
            others = wis - {wi}
            if any(o in ends for o in others) or any(compatible(ways[wi], ways[o]) for o in others):
                splits[wi][c] = cum[wi][vi]
    # 2. crossings
    tree = Tree(geoms)
    problems = []
    for i, gi in enumerate(geoms):
        for j in tree.query(gi):
            gj = geoms[j]
            if j <= i:
                continue
            if not gi.intersects(gj):
                continue
            x = gi.intersection(gj)
            parts = [x] if x.geom_type in ("Point", "LineString") else list(x.geoms)
            for p in parts:
                if p.geom_type != "Point":
                    problems.append((i, j, "overlap"))
                    continue
                c = (p.x, p.y)
                wi_, wj_ = ways[i], ways[j]
                gi_, gj_ = wi_.grade, wj_.grade
                if gi_ == G_BRIDGE or gj_ == G_BRIDGE:
                    other = wj_ if gi_ == G_BRIDGE else wi_
                    if other.grade in (G_MOTORWAY,) or other.grade == G_BRIDGE:
                        continue
                    # a designed bridge touching an ordinary road: only at its ends
                    bw = wi_ if gi_ == G_BRIDGE else wj_
                    cc = P(*c)
                    if dist(cc, bw.coords[0]) < 0.05 or dist(cc, bw.coords[-1]) < 0.05:
                        continue
                    problems.append((i, j, "crosses a bridge"))
                    continue
                if gi_ == G_MOTORWAY and gj_ == G_MOTORWAY:
                    cc = P(*c)
                    if any(dist(cc, e) < 0.05 for e in (wi_.coords[0], wi_.coords[-1], wj_.coords[0], wj_.coords[-1])):
                        continue
                    if cc in vmap:
                        continue
                    problems.append((i, j, "motorway ways cross"))
                    continue
                if gi_ == G_MOTORWAY or gj_ == G_MOTORWAY:
                    rw = j if gi_ == G_MOTORWAY else i
                    cc = P(*c)
                    mwy = ways[i if rw == j else j]
                    if any(dist(cc, e) < 0.05 for e in (mwy.coords[0], mwy.coords[-1])):
                        continue
                    m, _ = measure_of(rw, c)
                    bridges[rw].append(m)
                    continue
                # ordinary crossing: snap and split both
                cc = snap_to(P(*c))
                for k in (i, j):
                    if cc in (ways[k].coords[0], ways[k].coords[-1]):
                        continue
                    add_split(k, cc)
    if problems:
        for i, j, what in problems[:20]:
            print("  noding problem:", what, ways[i].kind, ways[i].a.get("name"), "/", ways[j].kind,
                  ways[j].a.get("name"), file=sys.stderr)
    bad = set()
    for i, j, what in problems:
        # drop the lesser way of a bad pair (lanes and tracks go first)
        order = {"farm_track": 0, "hamlet_spur": 1, "close": 2, "lane": 3, "street": 4}
        ki, kj = order.get(ways[i].kind, 9), order.get(ways[j].kind, 9)
        if min(ki, kj) == 9:
            raise SystemExit("cannot resolve noding problem between %s and %s" % (ways[i].kind, ways[j].kind))
        bad.add(i if ki <= kj else j)
    # 3. auto bridges where an ordinary road crosses the motorway
    pieces = []
    for wi, w in enumerate(ways):
        if wi in bad:
            continue
        items = dict(splits[wi])
        L = cum[wi][-1]
        spans = []
        groups = []
        for m in sorted(bridges[wi]):     # crossings of both carriageways share one bridge
            if groups and m - groups[-1][-1] < 150.0:
                groups[-1].append(m)
            else:
                groups.append([m])
        for grp in groups:
            m0, m1 = max(0.5, grp[0] - 35.0), min(L - 0.5, grp[-1] + 35.0)
            for mm in (m0, m1):
                items[interp(w.coords, cum[wi], mm)] = mm
            spans.append((m0, m1))
        pieces.extend(split_way(w, cum[wi], items, spans, wi))
    return pieces, len(bad), problems


def interp(coords, cum, m):
    for i in range(len(coords) - 1):
        if cum[i + 1] >= m:
            a, b = coords[i], coords[i + 1]
            t = (m - cum[i]) / (cum[i + 1] - cum[i]) if cum[i + 1] > cum[i] else 0.0
            return P(a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)
    return coords[-1]


def compatible(w1, w2):
    return w1.grade == G_ROAD and w2.grade == G_ROAD


def split_way(w, cum, items, spans, wi):
    """Cut way w at the given coords (coord -> measure)."""
    pts = [(cum[i], 0, c) for i, c in enumerate(w.coords)]
    vset = set(w.coords)
    for c, m in items.items():
        if c not in vset:
            pts.append((m, 1, c))
    pts.sort(key=lambda t: (t[0], t[1]))
    cut = set(items.keys())
    out = []
    cur = [pts[0][2]]
    for m, _, c in pts[1:]:
        if c == cur[-1]:
            continue
        cur.append(c)
        if c in cut and c != pts[-1][2]:
            out.append(cur)
            cur = [c]
    if len(cur) >= 2:
        out.append(cur)
    pieces = []
    m = 0.0
    for cs in out:
        L = line_len(cs)
        a = dict(w.a)
        mid = m + L / 2
        if any(m0 <= mid <= m1 for m0, m1 in spans):
            a["struct"] = "Road On Bridge"
        m += L
        pieces.append([cs, a, w.tag, w.kind, wi])
    return pieces


def attr_key(a, flip=False):
    d = a["dirn"]
    if flip:
        d = {BOTH: BOTH, INDIR: OPPDIR, OPPDIR: INDIR}[d]
    return (a["cls"], a["func"], a["form"], a["num"], a["name"], a["struct"], d, a["primary"], a["trunk"])


def topology(pieces, keep_tags):
    """Nodes, components and merged links from pieces."""
    node_of = {}
    for p in pieces:
        for c in (p[0][0], p[0][-1]):
            if c not in node_of:
                node_of[c] = len(node_of)
    # components
    parent = list(range(len(node_of)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    for p in pieces:
        a, b = find(node_of[p[0][0]]), find(node_of[p[0][-1]])
        if a != b:
            parent[max(a, b)] = min(a, b)
    comp_len = defaultdict(float)
    for p in pieces:
        comp_len[find(node_of[p[0][0]])] += line_len(p[0])
    main = max(comp_len, key=lambda k: (comp_len[k], -k))
    keep_comps = {main}
    for p in pieces:
        if p[2] in keep_tags:
            keep_comps.add(find(node_of[p[0][0]]))
    dropped = [p for p in pieces if find(node_of[p[0][0]]) not in keep_comps]
    pieces = [p for p in pieces if find(node_of[p[0][0]]) in keep_comps]
    return pieces, dropped


def merge_chains(pieces, roundabout_nodes):
    """Join pieces through degree-2 nodes where the attributes do not change
    (OS Open Roads has a pseudo node only where something changes)."""
    inc = defaultdict(list)   # coord -> [(piece index, end 0|1)]
    for k, p in enumerate(pieces):
        inc[p[0][0]].append((k, 0))
        inc[p[0][-1]].append((k, 1))
    used = [False] * len(pieces)
    links = []

    def mergeable(c):
        lst = inc[c]
        if len(lst) != 2 or c in roundabout_nodes:
            return False
        (k1, e1), (k2, e2) = lst
        if k1 == k2:
            return False
        p1, p2 = pieces[k1], pieces[k2]
        if p1[2] != p2[2] and "Holm Island" in (p1[2], p2[2]):
            return False
        # p1 arriving at c (end 1) then p2 leaving (end 0) keeps both directions as digitised
        flip = (e1 == e2)
        return attr_key(p1[1]) == attr_key(p2[1], flip)

    for k in range(len(pieces)):
        if used[k]:
            continue
        # walk backwards to the chain's start
        seen = {k}
        cur_k, cur_e = k, 0
        while True:
            c = pieces[cur_k][0][0] if cur_e == 0 else pieces[cur_k][0][-1]
            if not mergeable(c):
                break
            (k1, e1), (k2, e2) = inc[c]
            nk, ne = (k2, e2) if k1 == cur_k else (k1, e1)
            if nk in seen:
                break   # a ring
            seen.add(nk)
            cur_k, cur_e = nk, 1 - ne
        # now walk forward from (cur_k, entering at cur_e)
        coords = list(pieces[cur_k][0] if cur_e == 0 else pieces[cur_k][0][::-1])
        a = dict(pieces[cur_k][1])
        if cur_e == 1:
            a["dirn"] = {BOTH: BOTH, INDIR: OPPDIR, OPPDIR: INDIR}[a["dirn"]]
        tag, kind = pieces[cur_k][2], pieces[cur_k][3]
        used[cur_k] = True
        members = [cur_k]
        while True:
            c = coords[-1]
            if not mergeable(c):
                break
            (k1, e1), (k2, e2) = inc[c]
            last = members[-1]
            nk, ne = (k2, e2) if k1 == last else (k1, e1)
            if used[nk]:
                break
            used[nk] = True
            members.append(nk)
            nc = pieces[nk][0] if ne == 0 else pieces[nk][0][::-1]
            coords.extend(nc[1:])
        # keep the majority digitising direction: if most members were reversed, flip the whole link
        links.append([coords, a, tag, kind])
    assert all(used)
    return links


def build_roads(W):
    ways = []
    W.S = {}
    for S in make_settlements():
        W.S[S.name] = S
    build_motorway(W, ways)
    for name, S in W.S.items():
        build_grid(W, S, ways, Rng("grid/" + name))
    build_main_roads(W, ways, Rng("main roads"))
    build_lanes(W, ways, Rng("lanes"))
    build_farms(W, ways, Rng("farms"))
    build_island(W, ways)
    for C in W.roundabout_pts:
        make_roundabout(W, ways, C)
    # checks on design: nothing but the bridge crosses the water
    for w in ways:
        g = LineString(w.coords)
        if w.kind == "estuary_bridge":
            continue
        if w.kind == "island":
            assert W.island_prep.contains(g)
            continue
        if g.intersects(W.water_full):
            raise SystemExit("way crosses the water: %s %s" % (w.kind, w.a))
    pieces, ndrop_bad, problems = node_ways(ways)
    pieces, dropped = topology(pieces, {"Holm Island"})
    W.dropped_pieces = len(dropped) + ndrop_bad
    rb_nodes = set()
    for p in pieces:
        if p[1]["form"] == "Roundabout":
            rb_nodes.add(p[0][0])
            rb_nodes.add(p[0][-1])
    links = merge_chains(pieces, rb_nodes)
    # drop zero-length oddities
    links = [l for l in links if line_len(l[0]) >= 0.5]
    W.links = links
    W.rb_nodes = rb_nodes
    finish_topology(W)
    # hamlets and farms whose roads did not join the network were dropped with them
    W.hamlets = [h for h in W.hamlets if h in W.node_index]
    W.farms = [(f, nm) for f, nm in W.farms if f in W.node_index]


def finish_topology(W):
    links = W.links
    node_ids = {}
    deg = defaultdict(int)
    for l in links:
        deg[l[0][0]] += 1
        deg[l[0][-1]] += 1
    # node order: by first appearance in link order
    for l in links:
        for c in (l[0][0], l[0][-1]):
            if c not in node_ids:
                node_ids[c] = len(node_ids)
    W.node_coords = sorted(node_ids, key=lambda c: node_ids[c])
    W.node_uuid = [det_uuid("node", i) for i in range(len(W.node_coords))]
    forms = []
    for c in W.node_coords:
        if c in W.rb_nodes:
            forms.append("roundabout")
        elif deg[c] == 1:
            forms.append("road end")
        elif deg[c] == 2:
            forms.append("pseudo node")
        else:
            forms.append("junction")
    W.node_form = forms
    W.node_index = node_ids
    W.link_uuid = [det_uuid("link", i) for i in range(len(links))]


# --------------------------------------------------------------------------
# Writing GeoPackages
# --------------------------------------------------------------------------

def bng():
    s = osr.SpatialReference()
    s.ImportFromEPSG(27700)
    return s


def new_gpkg(path):
    if os.path.exists(path):
        os.remove(path)
    drv = ogr.GetDriverByName("GPKG")
    return drv.CreateDataSource(path)


def add_field(lyr, name, t, width=0, sub=None):
    fd = ogr.FieldDefn(name, t)
    if width:
        fd.SetWidth(width)
    if sub is not None:
        fd.SetSubType(sub)
    lyr.CreateField(fd)


def write_roads(W, path):
    ds = new_gpkg(path)
    lyr = ds.CreateLayer("road_link", bng(), ogr.wkbLineString, ["SPATIAL_INDEX=NO", "FID=fid",
                                                                   "DESCRIPTION=Examplshire road links (fictional)"])
    S, I, B = ogr.OFTString, ogr.OFTInteger, ogr.OFSTBoolean
    fields = [("id", S, 38, None), ("fictitious", I, 0, B), ("road_classification", S, 21, None),
              ("road_function", S, 40, None), ("form_of_way", S, 43, None),
              ("road_classification_number", S, 10, None), ("name_1", S, 150, None), ("name_1_lang", S, 3, None),
              ("name_2", S, 150, None), ("name_2_lang", S, 3, None), ("road_structure", S, 14, None),
              ("length", I, 0, None), ("length_uom", S, 2, None), ("loop", I, 0, B), ("primary_route", I, 0, B),
              ("trunk_road", I, 0, B), ("start_node", S, 38, None), ("end_node", S, 38, None),
              ("directionality", S, 20, None)]
    for f in fields:
        add_field(lyr, *f)
    defn = lyr.GetLayerDefn()
    ds.StartTransaction()
    for k, (coords, a, tag, kind) in enumerate(W.links):
        f = ogr.Feature(defn)
        g = ogr.Geometry(ogr.wkbLineString)
        for x, y in coords:
            g.AddPoint_2D(x, y)
        f.SetGeometry(g)
        sn, en = W.node_index[coords[0]], W.node_index[coords[-1]]
        vals = {"id": W.link_uuid[k], "fictitious": 0, "road_classification": a["cls"],
                "road_function": a["func"], "form_of_way": a["form"],
                "road_classification_number": a["num"], "name_1": a["name"],
                "road_structure": a["struct"], "length": int(round(line_len(coords))), "length_uom": "m",
                "loop": 1 if sn == en else 0, "primary_route": a["primary"], "trunk_road": a["trunk"],
                "start_node": W.node_uuid[sn], "end_node": W.node_uuid[en], "directionality": a["dirn"]}
        for key, v in vals.items():
            if v is None:
                f.SetFieldNull(key)
            else:
                f.SetField(key, v)
        lyr.CreateFeature(f)
    ds.CommitTransaction()
    nl = ds.CreateLayer("road_node", bng(), ogr.wkbPoint, ["SPATIAL_INDEX=NO", "FID=fid",
                                                           "DESCRIPTION=Examplshire road nodes (fictional)"])
    add_field(nl, "id", S, 38)
    add_field(nl, "form_of_road_node", S, 21)
    nd = nl.GetLayerDefn()
    ds.StartTransaction()
    for k, c in enumerate(W.node_coords):
        f = ogr.Feature(nd)
        g = ogr.Geometry(ogr.wkbPoint)
        g.AddPoint_2D(c[0], c[1])
        f.SetGeometry(g)
        f.SetField("id", W.node_uuid[k])
        f.SetField("form_of_road_node", W.node_form[k])
        nl.CreateFeature(f)
    ds.CommitTransaction()
    lyr = nl = defn = nd = f = None
    ds = None


def write_polys(path, layers):
    ds = new_gpkg(path)
    for name, gtype, fields, rows, desc in layers:
        lyr = ds.CreateLayer(name, bng(), gtype, ["SPATIAL_INDEX=YES", "FID=fid", "DESCRIPTION=" + desc])
        for fname, width in fields:
            add_field(lyr, fname, ogr.OFTString, width)
        defn = lyr.GetLayerDefn()
        ds.StartTransaction()
        for vals, geom in rows:
            f = ogr.Feature(defn)
            if gtype == ogr.wkbMultiPolygon and geom.geom_type == "Polygon":
                geom = MultiPolygon([geom])
            f.SetGeometry(ogr.CreateGeometryFromWkb(geom.wkb))
            for (fname, _), v in zip(fields, vals):
                f.SetField(fname, v)
            lyr.CreateFeature(f)
        ds.CommitTransaction()
        lyr = defn = f = None
    ds = None


# --------------------------------------------------------------------------
# Postcodes
# --------------------------------------------------------------------------

INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
PEOPLE_PER_POSTCODE = 15.0


class PC:
    __slots__ = ("x", "y", "district", "sector", "unit", "settlement", "link", "m", "dointr", "doterm",
                 "usertype", "osgrdind", "oa", "lsoa", "msoa", "lat", "lon", "nogrid", "twin")

    def __init__(self, x, y, settlement, link, m):
        self.x, self.y, self.settlement, self.link, self.m = x, y, settlement, link, m
        self.district = self.sector = self.unit = None
        self.dointr, self.doterm, self.usertype, self.osgrdind = "198001", "", 0, 1
        self.oa = self.lsoa = self.msoa = ""
        self.nogrid = False
        self.twin = None

    @property
    def pcds(self):
        return "%s %d%s" % (self.district, self.sector, self.unit)

    @property
    def compact(self):
        return self.pcds.replace(" ", "")


def fmt_pcd(pcds):
    out, inw = pcds.split(" ")
    return out.ljust(4)[:4] + inw if len(out) < 4 else out + inw


def fmt_pcd2(pcds):
    out, inw = pcds.split(" ")
    return out.ljust(4) + " " + inw


def place_postcodes(W):
    rng = Rng("postcodes")
    usable = [k for k, l in enumerate(W.links)
              if l[1]["cls"] != "Motorway" and l[1]["struct"] is None and l[1]["form"] != "Roundabout"]
    geoms = {k: LineString(W.links[k][0]) for k in usable}
    road_geoms = [geoms[k] for k in usable]
    tree = Tree(road_geoms)
    all_geoms = [LineString(l[0]) for l in W.links]
    all_tree = Tree(all_geoms)
    taken = {}

    def cellk(x, y):
        return (int(x // 20), int(y // 20))

    def too_close(x, y):
        cx, cy = cellk(x, y)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for q in taken.get((cx + dx, cy + dy), ()):
                    if math.hypot(q[0] - x, q[1] - y) < 14:
                        return True
        return False

    areas = []
    for S in W.S.values():
        area = S.outline_poly.buffer(70 if S.kind == "town" else 120)
        areas.append((S.name, S.kind, area, int(round(S.pop / PEOPLE_PER_POSTCODE))))
    for i, h in enumerate(W.hamlets):
        areas.append(("hamlet %d" % i, "hamlet", Point(h).buffer(320), 2 + (i * 7) % 4))
    for i, (f, nm) in enumerate(W.farms):
        areas.append((nm, "farm", Point(f).buffer(160), 1 + (1 if i % 5 == 0 else 0)))
    areas.append(("Holm Island", "island", W.island, 5))
    pcs = []
    for name, kind, area, n in areas:
        ap = prep(area)
        cands = [usable[i] for i in tree.query(area) if road_geoms[i].intersects(area)]
        if kind != "island":
            cands = [k for k in cands if W.links[k][2] != "Holm Island"]
        else:
            cands = [k for k in cands if W.links[k][2] == "Holm Island"]
        if kind == "farm":
            cands = [k for k in cands if W.links[k][3] == "farm_track"] or cands
        cands.sort()
        weights = [geoms[k].intersection(area).length for k in cands]
        if not cands:
            print("  note: no road for the postcodes of %s" % name, file=sys.stderr)
            continue
        made = 0
        tries = 0
        while made < n and tries < n * 200:
            tries += 1
            k = rng.weighted(cands, weights)
            g = geoms[k]
            m = rng.uniform(0, g.length)
            p = g.interpolate(m)
            p2 = g.interpolate(min(g.length, m + 1.0)) if m + 1.0 <= g.length else g.interpolate(m - 1.0)
            dx, dy = p2.x - p.x, p2.y - p.y
            if m + 1.0 > g.length:
                dx, dy = -dx, -dy
            d = math.hypot(dx, dy) or 1.0
            off = rng.uniform(12, 40) * rng.choice([-1, 1])
            x = int(round(p.x - dy / d * off))
            y = int(round(p.y + dx / d * off))
            pt = Point(x, y)
            if not ap.contains(pt) or not W.county_inner.contains(pt):
                continue
            if W.water_buf_small.contains(pt):
                continue
            if kind != "island" and W.island_buf.contains(pt):
                continue
            nd = all_tree.nearest_distance(pt)
            if nd < 9 or nd > 45:
                continue
            if W.motorway_line.distance(pt) < 90:
                continue
            if too_close(x, y):
                continue
            taken.setdefault(cellk(x, y), []).append((x, y))
            pc = PC(x, y, name, k, m)
            pcs.append(pc)
            made += 1
        if made < n:
            print("  note: %s got %d of %d postcodes" % (name, made, n), file=sys.stderr)
    W.taken = taken
    return pcs




def kingsford_district(W, pc):
    S = W.S["Kingsford"]
    dx, dy = pc.x - S.c[0], pc.y - S.c[1]
    if math.hypot(dx, dy) < 950:
        return "EM1"
    ang = math.degrees(math.atan2(dy, dx)) % 360
    if 30 <= ang < 150:
        return "EM2"
    if 150 <= ang < 300:
        return "EM3"
    return "EM10"


DISTRICT_NOTE = [
    ("EM1", "Kingsford town centre"), ("EM2", "Kingsford north"), ("EM3", "Kingsford south and west"),
    ("EM10", "Kingsford east"), ("EM4", "Ashby Marsh"), ("EM5", "Wrenfield"), ("EM6", "Marrowby"),
    ("EM7", "rural north-west (Fernleigh, Hollowell, Tansley Green, Stowe Norton and around)"),
    ("EM8", "rural south (Pelham Cross, Sedgecombe, Upper Wick, Caverley, Dunmere, Quenby St Mary and "
            "around); sector EM8 9 is Holm Island"),
    ("EM9", "rural north-east (Oakhurst, Brackenby and around)"),
]


def assign_codes(W, pcs):
    rng = Rng("postcode codes")
    towns = {"Ashby Marsh": "EM4", "Wrenfield": "EM5", "Marrowby": "EM6"}
    for pc in pcs:
        if pc.settlement == "Kingsford":
            pc.district = kingsford_district(W, pc)
        elif pc.settlement in towns:
            pc.district = towns[pc.settlement]
        elif pc.settlement == "Holm Island":
            pc.district = "EM8"
        elif pc.y < W.river.y(pc.x):
            pc.district = "EM8"
        elif pc.x < 402000:
            pc.district = "EM7"
        else:
            pc.district = "EM9"
    by_d = defaultdict(list)
    for pc in pcs:
        by_d[pc.district].append(pc)
    for d in sorted(by_d):
        lst = by_d[d]
        island = [pc for pc in lst if pc.settlement == "Holm Island"]
        rest = [pc for pc in lst if pc.settlement != "Holm Island"]
        cx = sum(p.x for p in rest) / len(rest)
        cy = sum(p.y for p in rest) / len(rest)
        rest.sort(key=lambda p: (math.atan2(p.y - cy, p.x - cx), p.x, p.y))
        maxsec = 8 if d == "EM8" else 9
        k = min(maxsec, max(1, int(math.ceil(len(rest) / 60.0))))
        per = int(math.ceil(len(rest) / float(k)))
        groups = [rest[i:i + per] for i in range(0, len(rest), per)]
        if island:
            groups.append(island)
        for si, grp in enumerate(groups):
            sector = 9 if grp is island else si + 1
            grp.sort(key=lambda p: (p.link, p.m))
            letters = iter_units(rng)
            for pc in grp:
                pc.sector = sector
                pc.unit = next(letters)
            W_units_used[(d, sector)] = set(p.unit for p in grp)


W_units_used = {}


def iter_units(rng):
    combos = [a + b for a in INWARD_LETTERS for b in INWARD_LETTERS]
    i = 0
    while True:
        if rng.chance(0.25):
            i += rng.randint(1, 3)
        yield combos[i]
        i += 1


def free_unit(rng, d, s):
    used = W_units_used.setdefault((d, s), set())
    while True:
        u = rng.choice(INWARD_LETTERS) + rng.choice(INWARD_LETTERS)
        if u not in used:
            used.add(u)
            return u


def postcode_dates(W, pcs):
    rng = Rng("postcode dates")
    for pc in pcs:
        S = W.S.get(pc.settlement)
        if S is not None and S.kind == "town":
            r = math.hypot(pc.x - S.c[0], pc.y - S.c[1]) / S.R
            p_new = max(0.0, (r - 0.55)) * 0.9
        else:
            p_new = 0.08
        if rng.chance(p_new):
            pc.dointr = "%04d%02d" % (rng.randint(1990, 2023), rng.randint(1, 12))


def add_terminated(W, pcs):
    """About 3%: half re-coded (same place as a live postcode that replaced
    them), half gone (demolished, their own place)."""
    rng = Rng("terminated")
    live = [pc for pc in pcs if W.S.get(pc.settlement) is not None]
    n_total = int(round(len(pcs) * 0.0305))
    n_twin = n_total // 2
    out = []
    chosen = rng.sample(range(len(live)), n_twin)
    for idx in sorted(chosen):
        L = live[idx]
        if L.dointr == "198001":
            L.dointr = "%04d%02d" % (rng.randint(2005, 2022), rng.randint(1, 12))
        T = PC(L.x, L.y, L.settlement, L.link, L.m + 0.5)
        T.district, T.sector = L.district, L.sector
        T.unit = free_unit(rng, L.district, L.sector)
        T.doterm = L.dointr
        T.twin = L
        out.append(T)
    # demolished: new points near town streets
    towns = [S for S in W.S.values() if S.kind == "town"]
    geoms = [(k, LineString(l[0])) for k, l in enumerate(W.links) if l[2] in [S.name for S in towns]
             and l[1]["cls"] != "Motorway" and l[1]["form"] != "Roundabout" and l[1]["struct"] is None]
    all_tree = Tree([LineString(l[0]) for l in W.links])
    made = 0
    while made < n_total - n_twin:
        k, g = rng.choice(geoms)
        m = rng.uniform(0, g.length)
        p = g.interpolate(m)
        x = int(round(p.x + rng.uniform(-35, 35)))
        y = int(round(p.y + rng.uniform(-35, 35)))
        pt = Point(x, y)
        nd = all_tree.nearest_distance(pt)
        if nd < 9 or nd > 45 or W.water_buf_small.contains(pt):
            continue
        cx, cy = int(x // 20), int(y // 20)
        if any(math.hypot(q[0] - x, q[1] - y) < 14 for dx in (-1, 0, 1) for dy in (-1, 0, 1)
               for q in W.taken.get((cx + dx, cy + dy), ())):
            continue
        W.taken.setdefault((cx, cy), []).append((x, y))
        T = PC(x, y, W.links[k][2], k, m)
        T.district = kingsford_district(W, T) if T.settlement == "Kingsford" else \
            {"Ashby Marsh": "EM4", "Wrenfield": "EM5", "Marrowby": "EM6"}[T.settlement]
        T.sector = rng.choice(sorted(set(s for (d, s) in W_units_used if d == T.district)))
        T.unit = free_unit(rng, T.district, T.sector)
        T.doterm = "%04d%02d" % (rng.randint(1992, 2023), rng.randint(1, 12))
        out.append(T)
        made += 1
    return out


def add_nogrid(W, pcs):
    rng = Rng("nogrid")
    out = []
    for d in ("EM1", "EM4", "EM7"):
        sec = min(s for (dd, s) in W_units_used if dd == d)
        T = PC(None, None, None, -1, 0)
        T.district, T.sector = d, sec
        T.unit = free_unit(rng, d, sec)
        T.nogrid = True
        T.osgrdind = 9
        T.dointr = "2024%02d" % rng.randint(1, 9)
        out.append(T)
    return out


# --------------------------------------------------------------------------
# Zones: LSOA-like polygons (Voronoi of population-weighted seeds)
# --------------------------------------------------------------------------

def kmeans(points, k, iters=25):
    pts = sorted(points)
    cx = sum(p[0] for p in pts) / len(pts)
    cy = sum(p[1] for p in pts) / len(pts)
    first = min(pts, key=lambda p: (dist(p, (cx, cy)), p))
    cents = [first]
    dmin = [dist(p, first) for p in pts]
    while len(cents) < k:
        i = max(range(len(pts)), key=lambda i: (dmin[i], -i))
        cents.append(pts[i])
        dmin = [min(dmin[j], dist(pts[j], pts[i])) for j in range(len(pts))]
    for _ in range(iters):
        groups = [[] for _ in cents]
        for p in pts:
            gi = min(range(len(cents)), key=lambda i: (dist(p, cents[i]), i))
            groups[gi].append(p)
        cents = [(sum(q[0] for q in g) / len(g), sum(q[1] for q in g) / len(g)) if g else cents[i]
                 for i, g in enumerate(groups)]
    return cents


def build_zones(W, pcs):
    groups = defaultdict(list)
    for pc in pcs:
        if pc.nogrid:
            continue
        S = W.S.get(pc.settlement)
        if S is not None and S.kind == "town":
            groups[S.name].append((pc.x, pc.y))
        elif pc.y > W.river.y(pc.x):
            groups["rural north"].append((pc.x, pc.y))
        else:
            groups["rural south"].append((pc.x, pc.y))
    k_of = {"Kingsford": 30, "Ashby Marsh": 11, "Wrenfield": 9, "Marrowby": 7, "rural north": 13,
            "rural south": 11}
    msoa_k = {"Kingsford": 6, "Ashby Marsh": 2, "Wrenfield": 2, "Marrowby": 1, "rural north": 3,
              "rural south": 2}
    seeds = []   # (x, y, group)
    for g in sorted(groups):
        for c in kmeans(groups[g], k_of[g]):
            seeds.append((r2(c[0]), r2(c[1]), g))
    mp = MultiPoint([(s[0], s[1]) for s in seeds])
    env = W.county.buffer(3000).envelope
    vor = voronoi_diagram(mp, envelope=env)
    cells = list(vor.geoms)
    seed_cell = {}
    for i, s in enumerate(seeds):
        pt = Point(s[0], s[1])
        for ci, c in enumerate(cells):
            if c.contains(pt):
                seed_cell[i] = ci
                break
    zones = []
    for i, s in enumerate(seeds):
        poly = cells[seed_cell[i]].intersection(W.county)
        zones.append(dict(seed=s, group=s[2], geom=poly))
    # MSOAs: k-means of the seeds within each group
    offset = 0
    for g in sorted(groups):
        zs = [z for z in zones if z["group"] == g]
        cents = kmeans([(z["seed"][0], z["seed"][1]) for z in zs], msoa_k[g])
        for z in zs:
            z["msoa_i"] = offset + min(range(len(cents)),
                                       key=lambda i: (dist((z["seed"][0], z["seed"][1]), cents[i]), i))
        offset += len(cents)
    nms = max(z["msoa_i"] for z in zones) + 1
    members = [[] for _ in range(nms)]
    for z in zones:
        members[z["msoa_i"]].append(z)
    msoa_list = []
    for i, mem in enumerate(members):
        if not mem:
            continue
        geom = unary_union([z["geom"] for z in mem])
        msoa_list.append(dict(geom=geom, members=mem))
    # number MSOAs north to south (as ONS does, roughly), LSOAs within them likewise
    msoa_list.sort(key=lambda m: (-round(m["geom"].centroid.y), round(m["geom"].centroid.x)))
    lsoas = []
    for mi, m in enumerate(msoa_list):
        m["code"] = "E02999%03d" % (mi + 1)
        m["name"] = "Examplshire %03d" % (mi + 1)
        mem = sorted(m["members"], key=lambda z: (-round(z["geom"].centroid.y), round(z["geom"].centroid.x)))
        for li, z in enumerate(mem):
            z["name"] = "%s%s" % (m["name"], chr(ord("A") + li))
            z["msoa"] = m
            lsoas.append(z)
    for i, z in enumerate(lsoas):
        z["code"] = "E01999%03d" % (i + 1)
        z["prep"] = prep(z["geom"])
    W.lsoas = lsoas
    W.msoas = msoa_list


def assign_zones(W, pcs):
    for pc in pcs:
        if pc.nogrid:
            continue
        pt = Point(pc.x, pc.y)
        for z in W.lsoas:
            if z["prep"].covers(pt):
                pc.lsoa = z["code"]
                pc.msoa = z["msoa"]["code"]
                break
        assert pc.lsoa, (pc.x, pc.y)
    # output areas: groups of about 12 postcodes within each LSOA
    by_l = defaultdict(list)
    for pc in pcs:
        if not pc.nogrid:
            by_l[pc.lsoa].append(pc)
    n_oa = 0
    for code in sorted(by_l):
        lst = by_l[code]
        cx = sum(p.x for p in lst) / len(lst)
        cy = sum(p.y for p in lst) / len(lst)
        lst.sort(key=lambda p: (math.atan2(p.y - cy, p.x - cx), p.x, p.y))
        k = max(1, int(round(len(lst) / 12.0)))
        per = int(math.ceil(len(lst) / float(k)))
        for i in range(0, len(lst), per):
            n_oa += 1
            for p in lst[i:i + per]:
                p.oa = "E00999%03d" % n_oa if n_oa < 1000 else "E0099%04d" % n_oa
    W.n_oa = n_oa


# --------------------------------------------------------------------------
# lat/long
# --------------------------------------------------------------------------

# Pinned so every machine gives the same lat/long: EPSG:27700 -> 4326 with the
# OSGB36 to WGS 84 (6) Helmert transformation (EPSG:1314, about 2 m), which PROJ
# picks anyway when the OSTN15 grid is not installed.
HELMERT = ("+proj=pipeline +step +inv +proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 "
           "+y_0=-100000 +ellps=airy +step +proj=push +v_3 +step +proj=cart +ellps=airy "
           "+step +proj=helmert +x=446.448 +y=-125.157 +z=542.06 +rx=0.15 +ry=0.247 +rz=0.842 "
           "+s=-20.489 +convention=position_vector +step +inv +proj=cart +ellps=WGS84 +step +proj=pop +v_3 "
           "+step +proj=unitconvert +xy_in=rad +xy_out=deg +step +proj=axisswap +order=2,1")


def lonlat_transform():
    src = bng()
    src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    dst = osr.SpatialReference()
    dst.ImportFromEPSG(4326)
    dst.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    opt = osr.CoordinateTransformationOptions()
    opt.SetOperation(HELMERT)
    return osr.CoordinateTransformation(src, dst, opt)


# --------------------------------------------------------------------------
# Providers and customers
# --------------------------------------------------------------------------

WEEK = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MON_FRI = "Mon;Tue;Wed;Thu;Fri"
LD, AUT, DEM, PHY, SEN, MH, OLD = ("learning_disability", "autism", "dementia", "physical", "sensory",
                                   "mental_health", "older_people")
O2O, SG, BB, ST = "one_to_one", "small_group", "building_based", "skills_training"

# (provider name, framework status, [(site name, place, services, needs, open days, price range, virtual)])
# place: a settlement name, or ("farm", side) / ("farmxy", side) for coordinates only.
PROVIDERS = [
    ("Examplshire Council Day Services", "legacy", [
        ("Kingsford Day Centre", "Kingsford", [BB], [LD, PHY, SEN], MON_FRI, (52, 64), "no"),
        ("Kingsford Dementia Day Service", "Kingsford", [BB], [DEM, OLD], MON_FRI, (58, 70), "no"),
        ("Ashby Marsh Day Centre", "Ashby Marsh", [BB], [LD, PHY, SEN, OLD], MON_FRI, (50, 62), "no"),
        ("Wrenfield Resource Centre", "Wrenfield", [BB, SG], [LD, AUT, PHY], MON_FRI, (50, 62), "no"),
        ("Tansley Green Day Centre", "Tansley Green", [BB], [OLD, DEM, PHY], MON_FRI, (48, 58), "no")]),
    ("Brightpath Community Support", "framework", [
        ("Brightpath Kingsford", "Kingsford", [O2O, SG], ["all"], MON_FRI, (96, 118), "no"),
        ("Brightpath Ashby Marsh", "Ashby Marsh", [O2O, SG], ["all"], MON_FRI, (96, 118), "no"),
        ("Brightpath Wrenfield", "Wrenfield", [O2O, SG], ["all"], MON_FRI, (96, 118), "no"),
        ("Brightpath Online", "Kingsford", [O2O], ["all"], MON_FRI, (88, 98), "yes")]),
    ("Orchard Farm Trust", "framework", [
        ("Orchard Farm Skills", ("farm", "n"), [ST, SG], [LD, AUT, MH], MON_FRI, (62, 78), "no"),
        ("Hillside Market Garden", ("farmxy", "n"), [ST, SG], [LD, AUT, MH], "Mon;Tue;Wed;Thu", (60, 74), "no"),
        ("Orchard Kitchen Kingsford", "Kingsford", [ST], [LD, AUT], MON_FRI, (55, 68), "no")]),
    ("Age Well Examplshire", "framework", [
        ("Kingsford Luncheon Club", "Kingsford", [BB], [OLD, DEM], "Mon;Wed;Fri", (35, 42), "no"),
        ("Ashby Marsh Luncheon Club", "Ashby Marsh", [BB], [OLD, DEM], "Tue;Wed;Thu", (35, 42), "no"),
        ("Wrenfield Luncheon Club", "Wrenfield", [BB], [OLD], "Mon;Wed;Fri", (35, 42), "no"),
        ("Tansley Green Luncheon Club", "Tansley Green", [BB], [OLD], "Tue;Thu;Fri", (35, 40), "no"),
        ("Oakhurst Luncheon Club", "Oakhurst", [BB], [OLD, DEM], "Mon;Tue;Thu", (35, 40), "no"),
        ("Quenby St Mary Luncheon Club", "Quenby St Mary", [BB], [OLD], "Tue;Wed;Fri", (35, 40), "no")]),
    ("Horizon Autism Services", "framework", [
        ("Horizon Kingsford", "Kingsford", [BB, SG, O2O], [AUT, LD], "Tue;Wed;Thu;Fri;Sat", (78, 108), "no"),
        ("Horizon Ashby Marsh", "Ashby Marsh", [BB, SG], [AUT, LD], MON_FRI, (76, 104), "no"),
        ("Horizon Wrenfield", "Wrenfield", [BB, SG], [AUT, LD], MON_FRI, (76, 104), "no")]),
    ("Canolfan Dydd Glyndŵr", "framework", [
        ("Tŷ Glyndŵr", "Kingsford", [BB, SG], [LD, AUT, PHY], MON_FRI, (55, 66), "no")]),
    ("Riverside Recovery Hub CIC", "framework", [
        ("Riverside Recovery Hub", "Kingsford", [SG, ST], [MH], MON_FRI, (40, 55), "yes")]),
    ("Willow Tree Day Opportunities Ltd", "framework", [
        ("Willow Tree Centre", "Kingsford", [BB, SG], [LD, PHY, SEN], MON_FRI, (54, 66), "no")]),
    ("Meadowbank Farm Partnership", "spot", [
        ("Meadowbank Farm", ("farmxy", "se"), [ST, SG], [LD, AUT, MH], "Mon;Tue;Wed;Thu", (64, 80), "no")]),
    ("Hill Top Farm Enterprises", "framework", [
        ("Hill Top Farm", ("farmxy", "n"), [ST, SG], [LD, MH], MON_FRI, (60, 75), "no")]),
    ("Kingsford College", "framework", [
        ("Kingsford College Supported Learning", "Kingsford", [ST], [LD, AUT, SEN], "Mon;Tue;Wed;Thu", (48, 60), "no")]),
    ("Ashby Marsh Community Association", "spot", [
        ("Ashby Marsh Community Hub", "Ashby Marsh", [BB, SG], ["all"], MON_FRI, (45, 56), "no")]),
    ("Sensory World Trust", "framework", [
        ("Sensory World Kingsford", "Kingsford", [BB], [SEN, PHY, LD], MON_FRI, (62, 76), "no")]),
    ("Forget-Me-Not Care Ltd", "framework", [
        ("The Forget-Me-Not Club", "Wrenfield", [BB], [DEM, OLD], MON_FRI, (58, 72), "no")]),
    ("Wrenfield Arts Collective", "spot", [
        ("Wrenfield Arts Studio", "Wrenfield", [SG, ST], [LD, MH, AUT], "Mon;Tue;Wed;Thu", (42, 58), "no")]),
    ("Open Door Outreach", "framework", [
        ("Open Door Kingsford", "Kingsford", [O2O], ["all"], MON_FRI, (98, 120), "yes")]),
    ("Stepping Stones Support Ltd", "framework", [
        ("Stepping Stones Ashby Marsh", "Ashby Marsh", [O2O, SG], [LD, AUT, MH], MON_FRI, (90, 112), "no")]),
    ("Marshside Makers CIC", "spot", [
        ("Marshside Makers Workshop", "Ashby Marsh", [ST, SG], [LD, AUT], MON_FRI, (46, 60), "no")]),
    ("Kingsford Allotment Project", "spot", [
        ("Kingsford Allotments", "Kingsford", [ST, SG], [LD, MH, AUT], "Mon;Tue;Wed", (40, 52), "no")]),
    ("The Wellbeing Kitchen", "framework", [
        ("Wellbeing Kitchen Kingsford", "Kingsford", [ST], [LD, MH], MON_FRI, (50, 62), "no")]),
    ("Harbour Lights Care", "framework", [
        ("Harbour Lights Day Service", "Ashby Marsh", [BB], [DEM, OLD, PHY], MON_FRI, (60, 74), "no")]),
    ("Phoenix Life Skills", "framework", [
        ("Phoenix Centre", "Wrenfield", [ST, SG], [LD, AUT, MH], MON_FRI, (48, 62), "no")]),
    ("Bridges Befriending", "spot", [
        ("Bridges Kingsford", "Kingsford", [O2O], [OLD, DEM, MH], MON_FRI, (92, 110), "yes")]),
    ("Oakhurst Village Care", "legacy", [
        ("Oakhurst Village Day Club", "Oakhurst", [BB], [OLD, PHY], "Mon;Tue;Wed;Thu", (44, 54), "no")]),
    ("Brackenby Woodcraft", "spot", [
        ("Brackenby Wood Workshop", "Brackenby", [ST, SG], [LD, MH, AUT], "Mon;Tue;Wed;Thu", (50, 64), "no")]),
    ("Hollowell Green Care", "framework", [
        ("Hollowell Green Care Farm", "Hollowell", [ST, SG], [LD, AUT, MH, PHY], MON_FRI, (58, 72), "no")]),
    ("Active Minds Kingsford", "framework", [
        ("Active Minds Centre", "Kingsford", [SG], [MH, LD], MON_FRI, (44, 56), "no")]),
    ("Kingsford Deaf Centre", "framework", [
        ("Kingsford Deaf Centre", "Kingsford", [BB, SG], [SEN], MON_FRI, (55, 68), "no")]),
    ("Pathways Independent Living", "framework", [
        ("Pathways Physical Disability Centre", "Kingsford", [BB], [PHY, SEN], MON_FRI, (60, 75), "no")]),
    ("Evergreen Day Care Ltd", "framework", [
        ("Evergreen Day Care", "Kingsford", [BB], [DEM, OLD], MON_FRI, (62, 78), "no")]),
    ("Silver Threads Club", "spot", [
        ("Silver Threads Luncheon Club", "Kingsford", [BB], [OLD], "Tue;Thu;Fri", (35, 40), "no")]),
    ("Tansley Green Social Club", "spot", [
        ("Tansley Green Village Hall Club", "Tansley Green", [BB], [OLD, PHY], "Mon;Wed;Thu", (36, 44), "no")]),
    ("Quenby Rural Skills", "framework", [
        ("Quenby Rural Skills Centre", "Quenby St Mary", [ST, SG], [LD, AUT, MH], MON_FRI, (52, 66), "no")]),
    ("Ashby Marsh Sports Inclusion", "spot", [
        ("Ashby Marsh Leisure Centre Inclusion", "Ashby Marsh", [SG], [PHY, LD, AUT], "Mon;Wed;Fri", (38, 48), "no")]),
    ("Kingsford Music Makers", "spot", [
        ("Music Makers Studio", "Kingsford", [SG], [LD, AUT], "Tue;Wed;Thu", (40, 52), "no")]),
    ("Compass Supported Employment", "framework", [
        ("Compass Kingsford", "Kingsford", [ST, O2O], [LD, AUT, MH], MON_FRI, (70, 95), "no")]),
    ("Lighthouse Autism Trust", "framework", [
        ("Lighthouse Day Service", "Ashby Marsh", [BB, O2O], [AUT], MON_FRI, (84, 112), "no")]),
    ("Wrenfield Men's Shed", "spot", [
        ("Wrenfield Men's Shed", "Wrenfield", [SG], [MH, OLD], "Tue;Thu", (35, 38), "no")]),
    ("Castle View Care Ltd", "framework", [
        ("Castle View Day Service, Kingsford", "Kingsford", [BB], [LD, PHY, DEM], MON_FRI, (56, 68), "no")]),
    ("Greenacre Smallholding", "spot", [
        ("Greenacre Smallholding", ("farm", "n"), [ST, SG], [LD, AUT], "Mon;Wed;Thu", (55, 70), "no")]),
]


def build_sites(W, live_pcs):
    rng = Rng("providers")
    by_s = defaultdict(list)
    for pc in live_pcs:
        if pc.usertype == 0 and not pc.nogrid:
            by_s[pc.settlement].append(pc)
    for k in by_s:
        by_s[k].sort(key=lambda p: p.compact)
    used_pc = set()
    farms = sorted(W.farms)
    farm_used = set()
    sites = []
    providers = []
    sid = 0
    for pi, (pname, status, slist) in enumerate(PROVIDERS):
        pid = "P%03d" % (pi + 1)
        providers.append((pid, pname))
        for (sname, place, services, needs, days, prange, virtual) in slist:
            sid += 1
            site = dict(provider_id=pid, provider_name=pname, site_id="S%03d" % sid, site_name=sname,
                        services=services, needs=needs, open_days=days, framework_status=status,
                        virtual=virtual, postcode="", easting="", northing="")
            site["price"] = round(rng.uniform(*prange), 2)
            if isinstance(place, str):
                # town centres for the big day centres, anywhere in the settlement otherwise
                S = W.S[place]
                cand = [pc for pc in by_s[place] if pc.compact not in used_pc]
                if S.kind == "town" and BB in services:
                    cand = [pc for pc in cand if math.hypot(pc.x - S.c[0], pc.y - S.c[1]) < S.R * 0.6] or cand
                pc = rng.choice(cand)
                used_pc.add(pc.compact)
                site.update(postcode=pc.pcds, x=pc.x, y=pc.y, settlement=place)
            else:
                kind, side = place
                ok = []
                for f, nm in farms:
                    if nm in farm_used:
                        continue
                    s = side_of(W, f)
                    if side == "n" and s == "n":
                        ok.append((f, nm))
                    elif side == "se" and s == "s" and f[0] > 409000:
                        ok.append((f, nm))
                f, nm = rng.choice(ok)
                farm_used.add(nm)
                if kind == "farmxy":
                    # coordinates only: the farmyard, a little off the track end
                    x, y = int(round(f[0] + 18)), int(round(f[1] - 14))
                    site.update(easting=str(x), northing=str(y), x=x, y=y, settlement=nm)
                else:
                    fpcs = [pc for pc in by_s[nm] if pc.compact not in used_pc]
                    pc = fpcs[0]
                    used_pc.add(pc.compact)
                    site.update(postcode=pc.pcds, x=pc.x, y=pc.y, settlement=nm)
            sites.append(site)
    return providers, sites


def fmt_money(v):
    return "%.2f" % v


# customer names ------------------------------------------------------------
FIRST = ["Aaron", "Abigail", "Adam", "Aisha", "Alan", "Alice", "Amir", "Amy", "Andrew", "Angela", "Anita",
         "Anthony", "Ayesha", "Barbara", "Barry", "Beatrice", "Bethany", "Bilal", "Brenda", "Bryony", "Callum",
         "Carl", "Carol", "Catherine", "Chloe", "Christine", "Ciaran", "Colin", "Connor", "Craig", "Daniel",
         "Darren", "Deborah", "Declan", "Denise", "Derek", "Dominic", "Donna", "Doreen", "Edith", "Eileen",
         "Elaine", "Eleanor", "Ellie", "Emeka", "Emily", "Ethan", "Evelyn", "Fatima", "Fiona", "Frances",
         "Gareth", "Gemma", "Geoffrey", "Gillian", "Glenys", "Gordon", "Grace", "Hannah", "Harjit", "Harvey",
         "Hazel", "Heather", "Helen", "Ian", "Imran", "Irene", "Isaac", "Jack", "Jacqueline", "Jamal", "Janet",
         "Jason", "Jean", "Jennifer", "Jessica", "Joan", "Jordan", "Joseph", "Joyce", "Julie", "Kamala",
         "Karen", "Kathleen", "Keith", "Kelly", "Kevin", "Kieran", "Kirsty", "Lauren", "Leanne", "Leon",
         "Lewis", "Liam", "Linda", "Lorraine", "Lucy", "Maureen", "Marcus", "Margaret", "Mark", "Martin",
         "Mavis", "Megan", "Mohammed", "Nadia", "Naomi", "Natalie", "Neil", "Nicola", "Nigel", "Olivia",
         "Oscar", "Pamela", "Patricia", "Paul", "Pauline", "Priya", "Rachel", "Rajesh", "Raymond", "Rebecca",
         "Rhys", "Ricky", "Rita", "Robert", "Ruth", "Ryan", "Samira", "Samuel", "Sandra", "Sean", "Shaun",
         "Sharon", "Sheila", "Simon", "Sophie", "Stacey", "Stephen", "Stuart", "Susan", "Tariq", "Terence",
         "Thomas", "Tracey", "Trevor", "Valerie", "Vera", "Vincent", "Wayne", "Wendy", "Yasmin", "Zainab",
         "Zoe"]
SURNAME = ["Adebayo", "Ahmed", "Ali", "Allsopp", "Appleby", "Armitage", "Atkinson", "Bagshaw", "Bains",
           "Barker", "Barlow", "Bateman", "Begum", "Bennett", "Birchall", "Blackwood", "Boateng", "Bostock",
           "Bradshaw", "Brennan", "Broadhurst", "Buckley", "Bulmer", "Burgess", "Cartwright", "Chadwick",
           "Chaudhry", "Clegg", "Connolly", "Cooper", "Crowther", "Dalton", "Dawson", "Dhillon", "Doherty",
           "Duffy", "Eastwood", "Ellison", "Entwistle", "Farrell", "Fairclough", "Finch", "Fitzgerald",
           "Fletcher", "Foster", "Gallagher", "Garside", "Gill", "Goodwin", "Greenwood", "Haigh", "Halliwell",
           "Hammond", "Hargreaves", "Harrison", "Haworth", "Hepworth", "Hewitt", "Hodgson", "Holroyd", "Hussain",
           "Iqbal", "Jackson", "Jagger", "Jennings", "Kaur", "Kavanagh", "Kendrick", "Khan", "Kowalski",
           "Lambert", "Lathom", "Lindley", "Lockwood", "Lomax", "Lord", "Lowe", "Mahmood", "Malik", "Marsden",
           "Mellor", "Metcalfe", "Mistry", "Moorhouse", "Murphy", "Naylor", "Nowak", "Nuttall", "Okafor",
           "Oldroyd", "Ormerod", "Owusu", "Patel", "Pickersgill", "Pilkington", "Platt", "Pollard", "Powell",
           "Quinn", "Rahman", "Ramsden", "Rawlinson", "Redfern", "Rhodes", "Riley", "Robinson", "Rushworth",
           "Sandhu", "Schofield", "Shackleton", "Sharples", "Shaw", "Singh", "Slater", "Stansfield",
           "Sutcliffe", "Tattersall", "Thackeray", "Thornton", "Tomlinson", "Turner", "Uddin", "Varley",
           "Wadsworth", "Walsh", "Warburton", "Whitaker", "Whiteley", "Wilkinson", "Winstanley", "Wood",
           "Wrigley", "Yates", "Zielinski"]

NEED_WEIGHTS = [(LD, 38), (AUT, 18), (PHY, 13), (DEM, 12), (MH, 10), (OLD, 5), (SEN, 4)]
AGE_BANDS = ["18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75-84", "85+"]
SECOND_NEEDS = {LD: [AUT, PHY, SEN, MH], AUT: [LD, MH, SEN], PHY: [SEN, LD, OLD], DEM: [OLD, PHY, SEN],
                MH: [AUT, PHY], OLD: [PHY, SEN, DEM], SEN: [PHY, LD, OLD]}
SERVICE_WEIGHTS = {LD: [(BB, 45), (SG, 20), (ST, 20), (O2O, 15)], AUT: [(O2O, 30), (SG, 25), (BB, 25), (ST, 20)],
                   DEM: [(BB, 85), (O2O, 15)], OLD: [(BB, 85), (O2O, 15)],
                   MH: [(SG, 45), (ST, 30), (O2O, 25)], PHY: [(BB, 60), (SG, 20), (O2O, 20)],
                   SEN: [(BB, 60), (SG, 20), (O2O, 20)]}


def pick_age(rng, need):
    if need == DEM:
        return rng.weighted(AGE_BANDS[5:], [30, 45, 25])
    if need == OLD:
        return rng.weighted(AGE_BANDS[5:], [35, 45, 20])
    if need in (LD, AUT):
        return rng.weighted(AGE_BANDS, [25, 30, 20, 13, 8, 3, 1, 0])
    return rng.weighted(AGE_BANDS, [6, 12, 16, 20, 20, 16, 8, 2])


def site_matches(site, needs, service):
    if service not in site["services"]:
        return False
    if site["needs"] == ["all"]:
        return True
    return all(n in site["needs"] for n in needs)


def build_customers(W, live_pcs, sites):
    rng = Rng("customers")
    # home postcodes, weighted by people: Marrowby 60 and Holm Island 3 exactly
    pools = defaultdict(list)
    for pc in live_pcs:
        if pc.nogrid or pc.usertype:
            continue
        pools[pc.settlement].append(pc)
    for k in pools:
        pools[k].sort(key=lambda p: p.compact)
    groups = []
    for name in sorted(pools):
        S = W.S.get(name)
        if S is not None:
            w = S.pop
        elif name == "Holm Island":
            continue
        else:
            w = PEOPLE_PER_POSTCODE * len(pools[name])
        if name == "Marrowby":
            continue
        groups.append((name, w))
    n_base = 798
    n_marrowby, n_island = 60, 3
    homes = []
    for _ in range(n_marrowby):
        homes.append(rng.choice(pools["Marrowby"]))
    for i in range(n_island):
        homes.append(pools["Holm Island"][i % len(pools["Holm Island"])])
    names, weights = [g[0] for g in groups], [g[1] for g in groups]
    while len(homes) < n_base:
        s = rng.weighted(names, weights)
        homes.append(rng.choice(pools[s]))
    rng.shuffle(homes)
    # names
    used_names = set()
    people = []
    specials = {137: "Siân Llŷr", 412: "Dafydd ap Gruffudd"}
    for i in range(n_base):
        if i in specials:
            nm = specials[i]
        else:
            while True:
                nm = "%s %s" % (rng.choice(FIRST), rng.choice(SURNAME))
                if nm not in used_names:
                    break
        used_names.add(nm)
        people.append(nm)
    valid_sites = [s for s in sites if not s.get("bad")]
    load = defaultdict(int)
    custs = []
    for i in range(n_base):
        home = homes[i]
        need = rng.weighted([n for n, _ in NEED_WEIGHTS], [w for _, w in NEED_WEIGHTS])
        needs = [need]
        r = rng.random()
        extra = 2 if r < 0.10 else (1 if r < 0.45 else 0)
        for _ in range(extra):
            nn = rng.choice(SECOND_NEEDS[need])
            if nn not in needs:
                needs.append(nn)
        age = pick_age(rng, need)
        if DEM in needs and age not in AGE_BANDS[5:]:
            needs.remove(DEM)
        svc_opts = SERVICE_WEIGHTS[need]
        service = rng.weighted([s for s, _ in svc_opts], [w for _, w in svc_opts])
        match = [s for s in valid_sites if site_matches(s, needs, service)]
        if not match:
            needs = [need]
            match = [s for s in valid_sites if site_matches(s, needs, service)]
        tries = 0
        while not match:
            tries += 1
            service = rng.weighted([s for s, _ in svc_opts], [w for _, w in svc_opts])
            match = [s for s in valid_sites if site_matches(s, needs, service)]
            assert tries < 50
        in_marrowby = home.settlement == "Marrowby"
        placed = not rng.chance(0.12 if in_marrowby else 0.045)
        site = None
        roomy = [s for s in match if load[s["site_id"]] < 36] or match
        match_all, match = match, roomy
        if placed:
            if rng.chance(0.35):
                site = min(match, key=lambda s: (math.hypot(s["x"] - home.x, s["y"] - home.y), s["site_id"]))
            else:
                site = rng.choice(match)
        c = dict(customer_id="C%04d" % (i + 1), name=people[i], home=home, postcode=home.pcds,
                 needs=needs, age_band=age, service=service, site=site)
        if site:
            open_days = site["open_days"].split(";")
            k = rng.weighted([1, 2, 3, 4, 5], [15, 25, 30, 15, 15])
            k = min(k, len(open_days))
            days = sorted(rng.sample(open_days, k), key=WEEK.index)
            c["days"] = days
        else:
            c["days"] = []
        if need in (DEM, OLD):
            tr = rng.weighted(["specialist", "family", "independent"], [60, 30, 10])
        elif need in (LD, AUT):
            tr = rng.weighted(["specialist", "travel_trained", "family", "independent"], [40, 25, 20, 15])
        else:
            tr = rng.weighted(["independent", "family", "specialist", "travel_trained"], [40, 20, 25, 15])
        c["transport"] = tr
        older = age in ("75-84", "85+")
        c["mobility"] = "reduced" if (PHY in needs and rng.chance(0.8)) or (older and rng.chance(0.6)) or \
            rng.chance(0.08) else "standard"
        st = site["framework_status"] if site else "framework"
        if st == "framework":
            fund = rng.weighted(["framework", "direct_payment", "spot"], [80, 15, 5])
        elif st == "spot":
            fund = rng.weighted(["spot", "direct_payment"], [85, 15])
        else:
            fund = rng.weighted(["framework", "spot", "direct_payment"], [50, 40, 10])
        c["funding"] = fund
        if site:
            cost = len(c["days"]) * site["price"]
            if tr == "specialist" and rng.chance(0.7):
                cost += len(c["days"]) * 18.50
            c["weekly_cost"] = fmt_money(cost)
        else:
            c["weekly_cost"] = ""
        if site:
            load[site["site_id"]] += 1
        pref = ""
        if rng.chance(0.12):
            pref = rng.choice(match_all)["site_id"]
        c["preferred_site"] = pref
        custs.append(c)
    return custs


# --------------------------------------------------------------------------
# CSV writing (by hand: exact control over quoting and line ends)
# --------------------------------------------------------------------------

def csv_field(v, force=False):
    v = "" if v is None else str(v)
    if force or any(ch in v for ch in ',"\r\n'):
        return '"' + v.replace('"', '""') + '"'
    return v


def write_csv(path, header, rows, bom=False, eol="\n"):
    with open(path, "w", encoding="utf-8", newline="") as fh:
        if bom:
            fh.write("\ufeff")
        fh.write(",".join(header) + eol)
        for r in rows:
            fh.write(",".join(r) + eol)


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def set_large_users(W, pcs):
    """A few large-user postcodes (one organisation, its own postcode) in town
    centres: ONSPD usertype 1."""
    rng = Rng("large users")
    for name, n in (("Kingsford", 12), ("Ashby Marsh", 4), ("Wrenfield", 4)):
        S = W.S[name]
        cand = sorted([pc for pc in pcs if pc.settlement == name and math.hypot(pc.x - S.c[0], pc.y - S.c[1]) < 650],
                      key=lambda p: p.pcds)
        for pc in rng.sample(cand, n):
            pc.usertype = 1


def unused_postcode(rng, district, sector):
    """A well-formed postcode that is not (and will not be) in the directory."""
    return "%s %d%s" % (district, sector, free_unit(rng, district, sector))


def compute_lonlat(pcs):
    ct = lonlat_transform()
    for pc in pcs:
        if pc.nogrid:
            pc.lat, pc.lon = "99.999999", "0.000000"
        else:
            lon, lat, _ = ct.TransformPoint(float(pc.x), float(pc.y))
            pc.lat, pc.lon = "%.6f" % lat, "%.6f" % lon


ONSPD_HEADER = ["pcd", "pcd2", "pcds", "dointr", "doterm", "usertype", "oseast1m", "osnrth1m", "osgrdind", "oa21",
                "lsoa21", "msoa21", "ctry", "rgn", "lat", "long"]


def onspd_rows(pcs):
    rows = []
    for pc in sorted(pcs, key=lambda p: fmt_pcd(p.pcds)):
        rows.append([fmt_pcd(pc.pcds), fmt_pcd2(pc.pcds), pc.pcds, pc.dointr, pc.doterm, str(pc.usertype),
                     "" if pc.nogrid else str(pc.x), "" if pc.nogrid else str(pc.y), str(pc.osgrdind),
                     pc.oa, pc.lsoa, pc.msoa, "E92000001", "E12000005", pc.lat, pc.lon])
    return rows


# ---- providers ---------------------------------------------------------------

PROVIDER_HEADER = ["provider_id", "provider_name", "site_id", "site_name", "postcode", "easting", "northing",
                   "services", "needs", "places_per_day", "places_used", "price_per_day", "framework_status",
                   "open_days", "virtual"]
FULL_SITE = "Kingsford Day Centre"
OVERFULL_SITE = "Evergreen Day Care"


def set_capacity(sites, custs):
    rng = Rng("capacity")
    for s in sites:
        per_day = defaultdict(int)
        for c in custs:
            if c["site"] is s:
                for d in c["days"]:
                    per_day[d] += 1
        peak = max(per_day.values()) if per_day else 0
        svc = s["services"]
        if "Luncheon" in s["site_name"]:
            base = rng.randint(14, 30)
        elif "Day Centre" in s["site_name"]:
            base = rng.randint(36, 55)
        elif BB in svc:
            base = rng.randint(20, 45)
        elif svc == [O2O]:
            base = rng.randint(6, 14)
        else:
            base = rng.randint(8, 20)
        ppd = max(base, peak + rng.randint(2, 8))
        assert ppd <= 60, (s["site_name"], peak)
        ppd = max(6, ppd)
        used = peak + rng.randint(0, max(0, (ppd - 1 - peak) // 2))
        used = min(used, ppd - 1)
        if s["site_name"] == FULL_SITE:
            used = ppd
        if s["site_name"] == OVERFULL_SITE:
            used = ppd + 3
        s["places_per_day"], s["places_used"], s["peak"] = ppd, used, peak


def provider_table(W, providers, sites):
    """Rows for providers.csv, with the four deliberate bad rows slotted in
    after their providers' sites.  Returns rows and a list of facts."""
    rng = Rng("bad providers")
    live_by_s = defaultdict(list)
    for pc in W.live:
        if not pc.nogrid and pc.usertype == 0:
            live_by_s[pc.settlement].append(pc)
    for k in live_by_s:
        live_by_s[k].sort(key=lambda p: p.pcds)
    by_pid = defaultdict(list)
    for s in sites:
        by_pid[s["provider_id"]].append(s)
    pid_of = {name: pid for pid, name in providers}
    n_sites = len(sites)
    wk = [s for s in sites if s["provider_name"] == "The Wellbeing Kitchen"][0]
    bad = {
        pid_of["Age Well Examplshire"]: dict(
            site_id="S%03d" % (n_sites + 1), site_name="Fernleigh Luncheon Club", postcode="", easting="",
            northing="", services=[BB], needs=[OLD], places_per_day="14", places_used="9", price="36.50",
            open_days="Tue;Thu", virtual="no", reason="missing_location", field="postcode",
            note="neither a postcode nor coordinates: rejected (no location)"),
        pid_of["The Wellbeing Kitchen"]: dict(
            site_id=wk["site_id"], site_name="Wellbeing Kitchen Ashby Marsh",
            postcode=rng.choice(live_by_s["Ashby Marsh"]).pcds, easting="", northing="", services=[ST],
            needs=[LD, MH], places_per_day="12", places_used="7", price="52.00", open_days="Mon;Wed;Fri",
            virtual="no", reason="duplicate_id", field="site_id",
            note="repeats the site_id of line %d: rejected (the first is kept)"),
        pid_of["Phoenix Life Skills"]: dict(
            site_id="S%03d" % (n_sites + 2), site_name="Phoenix Outreach Wrenfield",
            postcode=rng.choice(live_by_s["Wrenfield"]).pcds, easting="", northing="", services=[O2O, SG],
            needs=[LD, AUT], places_per_day="-5", places_used="0", price="88.00", open_days=MON_FRI,
            virtual="no", reason="bad_value", field="places_per_day",
            note="places_per_day -5 is not a whole number of 0 or more: rejected"),
        pid_of["Riverside Recovery Hub CIC"]: dict(
            site_id="S%03d" % (n_sites + 3), site_name="Riverside Recovery Hub Annexe",
            postcode=unused_postcode(rng, "EM3", 4), easting="", northing="", services=[SG],
            needs=[MH], places_per_day="10", places_used="6", price="45.00", open_days="Mon;Wed;Thu",
            virtual="no", reason="unknown_postcode", field="postcode",
            note="well-formed postcode that is not in the directory: rejected"),
    }
    rows, facts = [], []
    for pid, pname in providers:
        for s in by_pid[pid]:
            rows.append([s["provider_id"], csv_field(s["provider_name"]), s["site_id"], csv_field(s["site_name"]),
                         s["postcode"], s["easting"], s["northing"], ";".join(s["services"]),
                         ";".join(s["needs"]), str(s["places_per_day"]), str(s["places_used"]),
                         "%.2f" % s["price"], s["framework_status"], s["open_days"], s["virtual"]])
        if pid in bad:
            b = bad[pid]
            status = by_pid[pid][0]["framework_status"]
            rows.append([pid, csv_field(pname), b["site_id"], csv_field(b["site_name"]), b["postcode"],
                         b["easting"], b["northing"], ";".join(b["services"]), ";".join(b["needs"]),
                         b["places_per_day"], b["places_used"], b["price"], status, b["open_days"],
                         b["virtual"]])
            if b["reason"] == "duplicate_id":
                first = 1 + next(i + 1 for i, r in enumerate(rows) if r[2] == b["site_id"])
                b["note"] = b["note"] % first
            facts.append(dict(line=len(rows) + 1, site_id=b["site_id"], site_name=b["site_name"],
                              field=b["field"], value=rows[-1][PROVIDER_HEADER.index(b["field"])],
                              reason=b["reason"], outcome="rejected", note=b["note"]))
    return rows, facts


# ---- customers: deliberate problems -----------------------------------------

CUSTOMER_HEADER = ["customer_id", "name", "postcode", "needs", "age_band", "service", "current_site", "days",
                   "transport", "mobility", "funding", "weekly_cost", "preferred_site"]
SPECIAL_NAMES = ("Siân Llŷr", "Dafydd ap Gruffudd")

# (key, outcome, reason, field, note)
CUSTOMER_DEFECTS = [
    ("lower", "accepted", None, "postcode", "postcode in lower case"),
    ("lower", "accepted", None, "postcode", "postcode in lower case"),
    ("nospace", "accepted", None, "postcode", "postcode without its space"),
    ("nospace10", "accepted", None, "postcode", "postcode without its space (four-character district)"),
    ("twospaces", "accepted", None, "postcode", "two spaces inside the postcode"),
    ("padded", "accepted", None, "postcode", "spaces before and after the postcode"),
    ("csvquoted", "accepted", None, "postcode", "CSV-quoted field (standard CSV quoting)"),
    ("quotes", "accepted", None, "postcode", "the value itself wrapped in single quotes"),
    ("unknown", "rejected", "unknown_postcode", "postcode", "well-formed, not in the directory"),
    ("unknown", "rejected", "unknown_postcode", "postcode", "well-formed, not in the directory"),
    ("unknown_district", "rejected", "unknown_postcode", "postcode",
     "well-formed, district EM14 does not exist"),
    ("letter_o", "rejected", "unknown_postcode", "postcode",
     "letter O for zero in the district; the real postcode is in the directory (expect a suggestion)"),
    ("malformed", "rejected", "malformed_postcode", "postcode", "inward code of three letters"),
    ("malformed2", "rejected", "malformed_postcode", "postcode", "not a postcode at all"),
    ("terminated", "rejected", "terminated_postcode", "postcode", "postcode terminated (no longer in use)"),
    ("terminated", "rejected", "terminated_postcode", "postcode", "postcode terminated (no longer in use)"),
    ("terminated_recoded", "rejected", "terminated_postcode", "postcode",
     "postcode terminated when re-coded: a live postcode now has the same location"),
    ("missing_postcode", "rejected", "missing_field", "postcode", "postcode blank"),
    ("missing_postcode", "rejected", "missing_field", "postcode", "postcode blank"),
    ("missing_needs", "rejected", "missing_field", "needs", "needs blank"),
    ("bad_needs", "rejected", "bad_value", "needs", "unknown needs value (misspelt)"),
    ("bad_service", "rejected", "bad_value", "service", "unknown service value"),
    ("unknown_site", "warning", "unknown_current_site", "current_site",
     "current_site is not a site in providers.csv: customer kept, field dropped"),
    ("bad_cost", "warning", "bad_weekly_cost", "weekly_cost",
     "weekly_cost is not an amount: customer kept, field dropped"),
    ("bad_days", "warning", "bad_days", "days", "unknown day 'Fnd': customer kept, days dropped"),
]


def apply_defects(W, custs, terminated):
    rng = Rng("customer defects")
    special = set(SPECIAL_NAMES)
    eligible = [c for c in custs if c["site"] is not None and c["home"].settlement not in ("Marrowby", "Holm Island")
                and c["name"] not in special]
    used = set()
    facts = []
    gone = sorted([t for t in terminated if t.twin is None], key=lambda t: t.pcds)
    recoded = sorted([t for t in terminated if t.twin is not None], key=lambda t: t.pcds)
    for key, outcome, reason, field, note in CUSTOMER_DEFECTS:
        def ok(c):
            if c["customer_id"] in used:
                return False
            d = c["home"].district
            if key in ("nospace10", "letter_o"):
                return d == "EM10"
            if key == "bad_needs":
                return c["needs"] == [LD]
            if key == "bad_days":
                return len(c["days"]) >= 2
            return True
        c = rng.choice([c for c in eligible if ok(c)])
        used.add(c["customer_id"])
        pc = c["postcode"]
        out, inw = pc.split(" ")
        raw = None
        if key == "lower":
            raw = pc.lower()
        elif key in ("nospace", "nospace10"):
            raw = out + inw
        elif key == "twospaces":
            raw = out + "  " + inw
        elif key == "padded":
            raw = "  " + pc + " "
        elif key == "csvquoted":
            raw = pc
            c["quote_postcode"] = True
        elif key == "quotes":
            raw = "'" + pc + "'"
        elif key == "unknown":
            raw = unused_postcode(rng, c["home"].district, c["home"].sector)
        elif key == "unknown_district":
            raw = "EM14 %d%s%s" % (rng.randint(1, 9), rng.choice(INWARD_LETTERS), rng.choice(INWARD_LETTERS))
        elif key == "letter_o":
            raw = out.replace("EM10", "EM1O") + " " + inw
        elif key == "malformed":
            raw = "EM1 ZZZ"
        elif key == "malformed2":
            raw = "12345"
        elif key == "terminated":
            t = gone.pop(rng.randint(0, len(gone) - 1))
            raw = t.pcds
        elif key == "terminated_recoded":
            t = recoded.pop(rng.randint(0, len(recoded) - 1))
            raw = t.pcds
        elif key == "missing_postcode":
            raw = ""
        if raw is not None:
            c["postcode"] = raw
        if key == "missing_needs":
            c["needs_raw"] = ""
        elif key == "bad_needs":
            c["needs_raw"] = "learning dissability"
        elif key == "bad_service":
            c["service_raw"] = "respite"
        elif key == "unknown_site":
            c["site_raw"] = "S099"
        elif key == "bad_cost":
            c["weekly_cost"] = "abc"
        elif key == "bad_days":
            c["days_raw"] = c["days"][0] + ";Fnd"
        value = {"postcode": c["postcode"], "needs": c.get("needs_raw"), "service": c.get("service_raw"),
                 "current_site": c.get("site_raw"), "weekly_cost": c["weekly_cost"],
                 "days": c.get("days_raw")}[field]
        facts.append(dict(customer_id=c["customer_id"], field=field, value=value, outcome=outcome,
                          reason=reason, note=note, key=key))
        c["defect"] = facts[-1]
    return facts


def add_duplicates(custs, rng_name="customer duplicates"):
    """Two rows that reuse an earlier customer's id (export glitch)."""
    rng = Rng(rng_name)
    clean = [c for c in custs if "defect" not in c and c["site"] is not None
             and c["home"].settlement not in ("Marrowby", "Holm Island") and c["name"] not in SPECIAL_NAMES]
    out = list(custs)
    facts = []
    for pos, src_lo, src_hi in ((520, 90, 200), (705, 300, 450)):
        victim = rng.choice([c for c in clean if src_lo <= int(c["customer_id"][1:]) <= src_hi])
        donor = rng.choice([c for c in clean if c is not victim and c["customer_id"] != victim["customer_id"]
                            and int(c["customer_id"][1:]) > 600])
        dup = dict(donor)
        dup["customer_id"] = victim["customer_id"]
        dup["name"] = None   # filled in by the caller with a fresh name
        dup["defect"] = dict(customer_id=victim["customer_id"], field="customer_id", value=victim["customer_id"],
                             outcome="rejected", reason="duplicate_id",
                             note="repeats the id of an earlier row (the first is kept)", key="duplicate")
        out.insert(pos, dup)
        facts.append(dup["defect"])
    return out, facts


def customer_row(c):
    site = c["site"]
    needs = c.get("needs_raw", ";".join(c["needs"]))
    return [c["customer_id"], csv_field(c["name"]), csv_field(c["postcode"], c.get("quote_postcode", False)),
            needs, c["age_band"], c.get("service_raw", c["service"]),
            c.get("site_raw", site["site_id"] if site else ""), c.get("days_raw", ";".join(c["days"])),
            c["transport"], c["mobility"], c["funding"], c["weekly_cost"], c["preferred_site"]]


def fresh_name(rng, used):
    while True:
        nm = "%s %s" % (rng.choice(FIRST), rng.choice(SURNAME))
        if nm not in used:
            used.add(nm)
            return nm


# ---- road graph helpers (for facts in expected.json / README) ---------------

def road_graph(W, car=True):
    adj = defaultdict(list)
    for k, (coords, a, tag, kind) in enumerate(W.links):
        u, v = W.node_index[coords[0]], W.node_index[coords[-1]]
        L = line_len(coords)
        d = a["dirn"]
        if not car or d in (BOTH, INDIR):
            adj[u].append((v, L))
        if not car or d in (BOTH, OPPDIR):
            adj[v].append((u, L))
    return adj


def dijkstra(adj, src):
    import heapq
    D = {src: 0.0}
    h = [(0.0, src)]
    while h:
        d, u = heapq.heappop(h)
        if d > D.get(u, 1e18):
            continue
        for v, L in adj[u]:
            nd = d + L
            if nd < D.get(v, 1e18):
                D[v] = nd
                heapq.heappush(h, (nd, v))
    return D


def nearest_node(W, x, y, exclude_motorway=True):
    best, bi = None, None
    ok = W.node_ok if exclude_motorway else None
    for i, c in enumerate(W.node_coords):
        if ok is not None and not ok[i]:
            continue
        d = (c[0] - x) ** 2 + (c[1] - y) ** 2
        if best is None or d < best:
            best, bi = d, i
    return bi


def scc_outside(W):
    """Nodes of the main component that are not in its largest strongly
    connected component (by car, honouring one-way links)."""
    adj = road_graph(W, True)
    radj = defaultdict(list)
    for u in list(adj):
        for v, L in adj[u]:
            radj[v].append((u, L))
    n = len(W.node_coords)
    order, seen = [], [False] * n
    for s0 in range(n):
        if seen[s0]:
            continue
        stack = [(s0, iter(adj[s0]))]
        seen[s0] = True
        while stack:
            u, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                order.append(u)
                stack.pop()
                continue
            v = nxt[0]
            if not seen[v]:
                seen[v] = True
                stack.append((v, iter(adj[v])))
    comp = [-1] * n
    nc = 0
    for s0 in reversed(order):
        if comp[s0] >= 0:
            continue
        comp[s0] = nc
        st = [s0]
        while st:
            u = st.pop()
            for v, _ in radj[u]:
                if comp[v] < 0:
                    comp[v] = nc
                    st.append(v)
        nc += 1
    sizes = defaultdict(int)
    for c in comp:
        sizes[c] += 1
    big = max(sizes, key=lambda c: (sizes[c], -c))
    return [i for i in range(n) if comp[i] != big], sizes[big]


# --------------------------------------------------------------------------
# Buses: a fictional GTFS feed over the generated roads (bus/)
# --------------------------------------------------------------------------
#
# Routes are shortest paths on the road links a bus may use (no motorway, no
# closes, farm tracks or access roads), honouring one-way streets, between
# waypoints (settlement centres, a few Kingsford grid corners, the ferry
# slipway).  Stops are points ON those paths, shared between routes where
# routes share a road; run times come from the path's length at road-class
# speeds plus a dwell per stop.  The feed uses its own random stream
# (Rng("bus")) and is built after every other output is final, so adding it
# changed none of them.

BUS_DIR = "bus"
BUS_START, BUS_END = "20260901", "20270831"
BUS_REF_DATE = "20261124"              # a Tuesday: the sample config's service date
BUS_REMOVED = ("MF", "20261225")       # Christmas Day (a Friday): no weekday buses
BUS_ADDED = ("NYE", "20261231")        # New Year's Eve late buses (a Thursday night)
BUS_URL = "https://example.org/examplshire-buses"   # example.org: reserved for examples (RFC 2606)
BUS_TOWNS = ("Kingsford", "Ashby Marsh", "Wrenfield", "Marrowby")
BUS_SERVICES = [("MF", (1, 1, 1, 1, 1, 0, 0)), ("SAT", (0, 0, 0, 0, 0, 1, 0)), ("SUN", (0, 0, 0, 0, 0, 0, 1)),
                ("TT", (0, 1, 0, 1, 0, 0, 0))]
BUS_SERVICE_NOTE = {"MF": "Monday to Friday", "SAT": "Saturdays", "SUN": "Sundays",
                    "TT": "Tuesdays and Thursdays", "NYE": "New Year's Eve only (calendar_dates.txt)"}
# 01632 960xxx: Ofcom's range reserved for drama, so no real line rings
BUS_AGENCIES = [("EXB", "Examplshire Buses", BUS_URL, "01632 960100"),
                ("WVCT", "Wend Valley Community Transport", "https://example.org/wend-valley-ct", "01632 960200")]
GTFS_HEADERS = {
    "agency.txt": ["agency_id", "agency_name", "agency_url", "agency_timezone", "agency_lang", "agency_phone"],
    "stops.txt": ["stop_id", "stop_name", "stop_lat", "stop_lon", "location_type"],
    "routes.txt": ["route_id", "agency_id", "route_short_name", "route_long_name", "route_type", "route_color",
                   "route_text_color"],
    "trips.txt": ["route_id", "service_id", "trip_id", "trip_headsign", "direction_id"],
    "stop_times.txt": ["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence", "pickup_type",
                       "drop_off_type"],
    "calendar.txt": ["service_id", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
                     "start_date", "end_date"],
    "calendar_dates.txt": ["service_id", "date", "exception_type"],
    "frequencies.txt": ["trip_id", "start_time", "end_time", "headway_secs", "exact_times"],
    "feed_info.txt": ["feed_publisher_name", "feed_publisher_url", "feed_lang", "feed_start_date", "feed_end_date",
                      "feed_version"],
}
GTFS_FILES = list(GTFS_HEADERS)
# columns the GTFS reference requires (conditionally required ones as this feed uses them)
GTFS_REQUIRED = {
    "agency.txt": ["agency_id", "agency_name", "agency_url", "agency_timezone"],
    "stops.txt": ["stop_id", "stop_name", "stop_lat", "stop_lon"],
    "routes.txt": ["route_id", "agency_id", "route_short_name", "route_type"],
    "trips.txt": ["route_id", "service_id", "trip_id"],
    "stop_times.txt": ["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"],
    "calendar.txt": ["service_id", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
                     "start_date", "end_date"],
    "calendar_dates.txt": ["service_id", "date", "exception_type"],
    "frequencies.txt": ["trip_id", "start_time", "end_time", "headway_secs"],
    "feed_info.txt": ["feed_publisher_name", "feed_publisher_url", "feed_lang"],
}

# Stop spacing, metres of route between stops: about 400 m in towns (CIHT,
# Buses in Urban Developments, 2018: most homes within a 400 m walk of a
# stop), one or two stops per village, a request stop every few km between.
BUS_SPACING_M = {"town": 400.0, "village": 480.0, "rural": 2600.0}
BUS_MIN_GAP_M = 150.0       # never two stops of a route closer than this (except a loop's ends)
BUS_SHARE_M = 30.0          # a new stop this close to an existing one is that stop
BUS_ON_PATH_M = 3.0         # an existing stop this close to a path is served by it
# dwell at a stop, seconds, drawn once per stop (busier in towns)
BUS_DWELL_S = {"town": (25, 30), "village": (20, 25), "rural": (20, 25)}
# landmark names for the stop at each settlement's centre (fictional)
BUS_CENTRE_STOP = {"Kingsford": "Market Place", "Ashby Marsh": "Market Cross", "Wrenfield": "Broad Street",
                   "Marrowby": "High Street", "Hollowell": "The Green", "Tansley Green": "The Green",
                   "Fernleigh": "Post Office", "Stowe Norton": "Church", "Oakhurst": "The Oak",
                   "Brackenby": "Front Street", "Pelham Cross": "The Cross", "Sedgecombe": "High Street",
                   "Upper Wick": "Village Hall", "Caverley": "Main Street", "Dunmere": "Quay",
                   "Quenby St Mary": "Church"}


def hms(t):
    return "%02d:%02d:%02d" % (t // 3600, t // 60 % 60, t % 60)


def parse_hms(s):
    h, m, sec = s.split(":")
    return int(h) * 3600 + int(m) * 60 + int(sec)


def at(*hhmm):
    """Departure times from 'HH:MM' strings (hours past 24 for after midnight)."""
    return [int(s[:2]) * 3600 + int(s[3:5]) * 60 for s in hhmm]


def every(first, last, minutes):
    """Departures from first to last (inclusive when on the interval)."""
    a, b = at(first, last)
    return list(range(a, b + 1, minutes * 60))


def bus_route_specs():
    """The network: id, short name, operator, name, waypoints, colour, and
    departures from the first waypoint ('O') and from the last ('I') for each
    service.  A waypoint is a settlement (its centre), (settlement, grid key)
    for a node of its street grid, or 'ferry' (the slipway on Ferry Lane).
    A loop has only 'O'; `freq` gives frequencies.txt rows for a template trip
    instead of departures."""
    K = "Kingsford"
    return [
        dict(id="EB1", short="1", agency="EXB", name="Kingsford - Ashby Marsh - Quenby St Mary", colour="C8102E",
             via=[K, "Ashby Marsh", "Quenby St Mary"],
             tt={"MF": {"O": every("06:30", "18:30", 60) + at("20:15", "22:15", "23:50"),
                        "I": every("06:10", "18:10", 60) + at("19:40", "21:40")},
                 "SAT": {"O": every("07:30", "18:30", 60), "I": every("07:10", "18:10", 60)},
                 "SUN": {"O": every("09:30", "17:30", 120), "I": every("09:10", "17:10", 120)},
                 "NYE": {"O": at("24:30")}}),
        dict(id="EB2", short="2", agency="EXB", name="Wrenfield - Tansley Green - Kingsford - Brackenby",
             colour="0057B8", via=["Wrenfield", "Tansley Green", K, "Brackenby"],
             tt={"MF": {"O": every("06:30", "19:00", 60), "I": every("06:35", "19:05", 60)},
                 "SAT": {"O": every("08:00", "18:00", 60), "I": every("08:05", "18:05", 60)},
                 "SUN": {"O": every("10:00", "16:00", 120), "I": every("10:05", "16:05", 120)},
                 "NYE": {"I": at("24:20")}}),
        dict(id="EB3", short="3", agency="EXB", name="Kingsford - Pelham Cross - Marrowby", colour="7A3E9D",
             via=[K, "Pelham Cross", "Marrowby"],
             tt={"MF": {"O": at("07:15", "10:15", "13:15", "16:45"), "I": at("08:25", "11:25", "14:25", "17:55")},
                 "SAT": {"O": at("09:15", "13:15"), "I": at("10:25", "14:25")}}),
        dict(id="EB4", short="4", agency="EXB", name="Ashby Marsh - Sedgecombe - Upper Wick - Marrowby",
             colour="E87722", via=["Ashby Marsh", "Sedgecombe", "Upper Wick", "Marrowby"],
             tt={"MF": {"O": at("07:40", "12:40", "16:10"), "I": at("08:50", "13:50", "17:20")},
                 "SAT": {"O": at("10:40"), "I": at("11:50")}}),
        dict(id="EB5", short="5", agency="EXB", name="Hollowell - Wrenfield - Fernleigh", colour="00843D",
             via=["Hollowell", "Wrenfield", "Fernleigh"],
             tt={"MF": {"O": every("07:05", "17:05", 120), "I": every("08:00", "18:00", 120)},
                 "SAT": {"O": at("09:05", "13:05"), "I": at("10:00", "14:00")}}),
        dict(id="EB6", short="6", agency="EXB", name="Kingsford - Stowe Norton", colour="6CACE4",
             via=[K, "Stowe Norton"],
             tt={"MF": {"O": every("07:20", "17:20", 120), "I": every("07:45", "17:45", 120)},
                 "SAT": {"O": at("09:20", "12:20", "15:20"), "I": at("09:45", "12:45", "15:45")}}),
        dict(id="EB7", short="7", agency="EXB", name="Kingsford - Oakhurst", colour="B58500",
             via=[K, "Oakhurst"],
             tt={"MF": {"O": every("06:50", "18:50", 120), "I": every("07:20", "19:20", 120)},
                 "SAT": {"O": every("08:50", "16:50", 120), "I": every("09:20", "17:20", 120)}}),
        dict(id="EB8", short="8", agency="EXB", name="Ashby Marsh - Dunmere - Ferry Slipway", colour="008C95",
             via=["Ashby Marsh", "Dunmere", "ferry"],
             tt={"MF": {"O": every("07:00", "17:00", 120), "I": every("07:30", "17:30", 120)},
                 "SAT": {"O": at("09:00", "13:00"), "I": at("09:30", "13:30")}}),
        dict(id="EBK1", short="K1", agency="EXB", name="Kingsford Town Circular East", colour="DA291C",
             via=[K, (K, (0, 12)), (K, (12, 12)), (K, (12, -12)), (K, (0, -12)), K],
             tt={"MF": {"O": at("07:00")}, "SAT": {"O": at("08:30")}},
             freq={"MF": [("07:00:00", "09:30:00", 600), ("09:30:00", "18:40:00", 900)],
                   "SAT": [("08:30:00", "18:00:00", 720)]}),
        dict(id="EBK2", short="K2", agency="EXB", name="Kingsford Town Circular West", colour="FFB81C",
             via=[K, (K, (0, -12)), (K, (-12, -12)), (K, (-12, 12)), (K, (0, 12)), K],
             tt={"MF": {"O": every("07:15", "18:15", 30)}, "SAT": {"O": every("08:45", "17:45", 60)}}),
        dict(id="CT1", short="C1", agency="WVCT", name="Caverley - Marrowby (community bus)", colour="5B7F95",
             via=["Caverley", "Marrowby"],
             tt={"TT": {"O": at("09:30", "13:00"), "I": at("12:15", "15:30")}}),
    ]


def bus_link_ok(a, kind):
    """Links a bus may use: no motorway (carriageways or slip roads), no closes,
    hamlet spurs, farm tracks or access roads, nothing on Holm Island."""
    if a["cls"] == "Motorway" or kind in ("close", "hamlet_spur", "farm_track", "island"):
        return False
    return a["func"] not in ("Local Access Road", "Restricted Local Access Road", "Secondary Access Road")


def bus_zone(W, tag):
    if tag in BUS_TOWNS:
        return "town"
    return "village" if tag in W.S else "rural"


def bus_speed_kmh(W, a, tag):
    """Scheduled running speed: 20 km/h in towns (stop-start, junctions), 30 in
    villages, on rural roads by class; roundabouts 20."""
    z = bus_zone(W, tag)
    if a["form"] == "Roundabout" or z == "town":
        return 20.0
    if z == "village":
        return 30.0
    return {"A Road": 50.0, "B Road": 45.0, "Classified Unnumbered": 40.0}.get(a["cls"], 30.0)


# routing preference on top of time, so that buses keep to main roads and the
# grid towns' distributors rather than back streets of equal length
BUS_CLASS_COST = {"A Road": 1.0, "B Road": 1.05, "Classified Unnumbered": 1.1}


class BusGraph:
    def __init__(self, W):
        self.W = W
        self.adj = defaultdict(list)     # node -> [(cost, v, link, forward)]
        self.deg = defaultdict(int)      # all links, for junction tests
        self.inc = defaultdict(list)     # node -> links touching it (all links)
        for k, (coords, a, tag, kind) in enumerate(W.links):
            u, v = W.node_index[coords[0]], W.node_index[coords[-1]]
            self.deg[u] += 1
            self.deg[v] += 1
            self.inc[u].append(k)
            self.inc[v].append(k)
            if not bus_link_ok(a, kind):
                continue
            L = line_len(coords)
            cost = L / (bus_speed_kmh(W, a, tag) / 3.6) * BUS_CLASS_COST.get(a["cls"], 1.7)
            if a["dirn"] in (BOTH, INDIR):
                self.adj[u].append((cost, v, k, True))
            if a["dirn"] in (BOTH, OPPDIR):
                self.adj[v].append((cost, u, k, False))

    def nearest(self, p):
        best = None
        for u in sorted(self.adj):
            c = self.W.node_coords[u]
            d = (c[0] - p[0]) ** 2 + (c[1] - p[1]) ** 2
            if best is None or d < best[0]:
                best = (d, u)
        return best[1]

    def path(self, s, t):
        """[(link, forward)] of the cheapest path from node s to node t."""
        import heapq
        D = {s: 0.0}
        prev = {}
        h = [(0.0, s)]
        while h:
            d, u = heapq.heappop(h)
            if u == t:
                break
            if d > D[u]:
                continue
            for cost, v, k, fwd in self.adj[u]:
                nd = d + cost
                if nd < D.get(v, 1e18) - 1e-9:
                    D[v] = nd
                    prev[v] = (u, k, fwd)
                    heapq.heappush(h, (nd, v))
        assert t in D, "no bus path"
        steps = []
        v = t
        while v != s:
            u, k, fwd = prev[v]
            steps.append((k, fwd))
            v = u
        return steps[::-1]


class BusPath:
    """A route in one direction: polyline, measures, the link of each segment,
    cumulative running time, and what is at each end (a settlement's centre,
    the ferry slipway, or None)."""

    def __init__(self, W, steps, first, last):
        coords, seg_k = [], []
        for k, fwd in steps:
            cs = W.links[k][0] if fwd else W.links[k][0][::-1]
            if not coords:
                coords.append(cs[0])
            assert coords[-1] == cs[0]
            for c in cs[1:]:
                coords.append(c)
                seg_k.append(k)
        self.coords, self.seg_k = coords, seg_k
        self.cum = [0.0]
        self.time = [0.0]
        for i in range(len(coords) - 1):
            L = dist(coords[i], coords[i + 1])
            a, tag = W.links[seg_k[i]][1], W.links[seg_k[i]][2]
            self.cum.append(self.cum[-1] + L)
            self.time.append(self.time[-1] + L / (bus_speed_kmh(W, a, tag) / 3.6))
        self.L = self.cum[-1]
        self.g = LineString(coords)
        self.first, self.last = first, last     # settlement or 'ferry' at the ends, or None

    def seg(self, m):
        import bisect
        i = bisect.bisect_right(self.cum, m) - 1
        return max(0, min(i, len(self.coords) - 2))

    def point(self, m):
        """The point at measure m (rounded to 1 cm, so on the line) and its segment."""
        i = self.seg(m)
        if m <= 0:
            return self.coords[0], i
        if m >= self.L:
            return self.coords[-1], i
        return interp(self.coords, self.cum, m), i

    def time_at(self, m):
        i = self.seg(m)
        L = self.cum[i + 1] - self.cum[i]
        f = 0.0 if L <= 0 else min(1.0, max(0.0, (m - self.cum[i]) / L))
        return self.time[i] + f * (self.time[i + 1] - self.time[i])


def bus_waypoint(W, BG, wp):
    if wp == "ferry":
        return BG.nearest(W.ferry_slipway), None
    if isinstance(wp, str):
        S = W.S[wp]
        return BG.nearest(S.nodes[(0, 0)]), wp
    name, key = wp
    S = W.S[name]
    best = min(S.nodes, key=lambda k: ((k[0] - key[0]) ** 2 + (k[1] - key[1]) ** 2, k))
    return BG.nearest(S.nodes[best]), None


class BusStops:
    def __init__(self, W, BG, rng):
        self.W, self.BG, self.rng = W, BG, rng
        self.stops = []                  # dicts: x, y, link, zone, tag, centre, special
        self.grid = defaultdict(list)

    def near(self, p, r):
        cx, cy = int(p[0] // 50), int(p[1] // 50)
        best = None
        for i in range(cx - 1, cx + 2):
            for j in range(cy - 1, cy + 2):
                for s in self.grid[(i, j)]:
                    d = dist(p, (self.stops[s]["x"], self.stops[s]["y"]))
                    if d <= r and (best is None or d < best[0]):
                        best = (d, s)
        return None if best is None else best[1]

    def add(self, p, k, centre=None, special=None):
        s = self.near(p, BUS_SHARE_M)
        if s is not None:
            if centre and not self.stops[s]["centre"]:
                self.stops[s]["centre"] = centre
            return s
        tag = self.W.links[k][2]
        zone = bus_zone(self.W, tag)
        self.stops.append(dict(x=p[0], y=p[1], link=k, tag=tag, zone=zone, centre=centre, special=special,
                               dwell=self.rng.randint(*BUS_DWELL_S[zone])))
        s = len(self.stops) - 1
        self.grid[(int(p[0] // 50), int(p[1] // 50))].append(s)
        return s


def bus_place_stops(W, BS, BP, loop):
    """Stops along one direction of a route: [(measure, stop)], in order."""
    anchors = []                         # (measure, priority, stop or None, centre, special)
    for m, nm in ((0.0, BP.first), (BP.L, BP.last)):
        anchors.append((m, 0, None, nm if nm != "ferry" else None, "ferry" if nm == "ferry" else None))
    # settlement centres the path passes through
    for name in sorted(W.S):
        c = W.node_coords[BS.BG.nearest(W.S[name].nodes[(0, 0)])]
        if BP.g.distance(Point(c)) < 1.0:
            m = BP.g.project(Point(c))
            if all(abs(m - a[0]) > 1.0 for a in anchors):
                anchors.append((m, 1, None, name, None))
    # stops of earlier routes on this path
    for s, st in enumerate(BS.stops):
        pt = Point(st["x"], st["y"])
        if BP.g.distance(pt) <= BUS_ON_PATH_M:
            anchors.append((BP.g.project(pt), 2, s, None, None))
    anchors.sort(key=lambda a: (a[0], a[1]))
    kept = []
    for a in anchors:
        if kept and a[0] - kept[-1][0] < BUS_MIN_GAP_M and not (loop and a[0] >= BP.L - 1.0):
            if a[1] < kept[-1][1]:
                kept[-1] = a
            continue
        kept.append(a)
    # drop an anchor crowding the last waypoint
    while len(kept) >= 2 and BP.L - kept[-2][0] < BUS_MIN_GAP_M and kept[-2][1] > 0:
        del kept[-2]

    def density(m):
        z = bus_zone(W, W.links[BP.seg_k[BP.seg(m)]][2])
        return 1.0 / BUS_SPACING_M[z]
    out = []
    for n, a in enumerate(kept):
        out.append(a)
        if n + 1 == len(kept):
            break
        m0, m1 = a[0], kept[n + 1][0]
        step = 10.0
        xs = [m0 + step * i for i in range(int((m1 - m0) / step) + 1)] + [m1]
        acc = [0.0]
        for i in range(1, len(xs)):
            acc.append(acc[-1] + density((xs[i - 1] + xs[i]) / 2) * (xs[i] - xs[i - 1]))
        k = int(round(acc[-1]))
        if k < 2:
            continue
        for j in range(1, k):
            target = acc[-1] * j / k
            i = next(i for i in range(len(acc)) if acc[i] >= target)
            m = xs[i]
            if bus_zone(W, W.links[BP.seg_k[BP.seg(m)]][2]) == "rural":
                m = bus_snap_junction(W, BS.BG, BP, m, 400.0)
            if m - out[-1][0] < BUS_MIN_GAP_M or m1 - m < BUS_MIN_GAP_M:
                continue
            out.append((m, 3, None, None, None))
    res = []
    for m, pri, s, centre, special in out:
        if s is None:
            p, i = BP.point(m)
            near = BS.near(p, BUS_SHARE_M)
            if near is not None and any(r[1] == near for r in res) and not (loop and m >= BP.L - 1.0):
                # a stop of another road, already served: skip rather than repeat
                continue
            s = BS.add(p, BP.seg_k[i], centre, special)
        if res and res[-1][1] == s:
            continue
        res.append((m, s))
    return res


def bus_snap_junction(W, BG, BP, m, within):
    """Move a rural stop to the nearest path vertex that is a junction (a lane
    joins there), if one is within `within` metres along the path."""
    best = None
    for i, c in enumerate(BP.coords):
        if abs(BP.cum[i] - m) > within or i == 0 or i == len(BP.coords) - 1:
            continue
        u = W.node_index.get(c)
        if u is None or BG.deg[u] < 3:
            continue
        d = abs(BP.cum[i] - m)
        if best is None or d < best[0]:
            best = (d, BP.cum[i])
    return m if best is None else best[1]


# things a rural stop may be named after when no lane or farm is at hand (fictional)
BUS_RURAL_MARKS = ["Toll House", "Milestone", "Keeper's Cottage", "Old Forge", "Pump House", "Chapel",
                   "Wayside Cottages", "Lay-by", "Old School", "Water Tower", "Post Box", "Tithe Cottages"]


def bus_name_stops(W, BG, stops, rng):
    """'Settlement, Street' names, unique: landmarks at centres (named first),
    streets elsewhere in settlements, lane ends, farms or a roadside landmark
    between them (the nearest settlement as the locality)."""
    centres = {n: S.c for n, S in W.S.items()}
    farms = [(f, nm) for f, nm in W.farms if not nm.startswith("Farm ")]
    bridge = W.bridge_ends
    used = set()
    order = sorted(range(len(stops)), key=lambda i: (0 if stops[i]["centre"] or stops[i]["special"] else 1, i))
    for i in order:
        st = stops[i]
        p = (st["x"], st["y"])
        a, tag = W.links[st["link"]][1], st["tag"]
        loc = tag if tag in W.S else min(centres, key=lambda n: (dist(p, centres[n]), n))
        coords = W.links[st["link"]][0]
        ends = sorted((dist(p, c), W.node_index[c]) for c in (coords[0], coords[-1]))
        # cross streets: other named links at this link's nearer ends
        cross = []
        for d, u in ends:
            if d > 250:
                continue
            for k2 in BG.inc[u]:
                nm = W.links[k2][1]["name"]
                if nm and nm != a["name"] and nm not in cross:
                    cross.append(nm)
        if st["special"] == "ferry":
            desc = ["Ferry Slipway"]
        elif st["centre"]:
            desc = [BUS_CENTRE_STOP[st["centre"]]]
        elif st["zone"] != "rural":
            street = a["name"] or (cross[0] if cross else a["num"])
            desc = [street] + ["%s (%s)" % (street, c) for c in cross if c != street]
        else:
            desc = []
            at_node = [u for d, u in ends if d < 1.0]
            for u in at_node:
                for k2 in BG.inc[u]:
                    l2 = W.links[k2]
                    if k2 != st["link"] and l2[1]["name"] and l2[1]["name"] != a["name"]:
                        desc.append("%s End" % l2[1]["name"])
            near = sorted((dist(p, f), nm) for f, nm in farms)
            if near and near[0][0] < 900:
                desc.append(near[0][1])
            for bp, side in ((bridge[0], "North"), (bridge[1], "South")):
                if dist(p, bp) < 800:
                    desc.append("Wend Bridge %s" % side)
            if at_node:
                desc.append("Crossroads" if BG.deg[at_node[0]] >= 4 else "Lane End")
            desc += rng.sample(BUS_RURAL_MARKS, len(BUS_RURAL_MARKS))
        name = None
        for d in desc:
            if "%s, %s" % (loc, d) not in used:
                name = "%s, %s" % (loc, d)
                break
        n = 2
        while name is None:
            cand = "%s, %s %d" % (loc, desc[0], n)
            if cand not in used:
                name = cand
            n += 1
        used.add(name)
        st["name"] = name


def bus_offsets(BS, BP, seq):
    """(arrival, departure) seconds after the first departure at each stop."""
    out = []
    for n, (m, s) in enumerate(seq):
        if n == 0:
            out.append((0, 0))
            continue
        run = BP.time_at(m) - BP.time_at(seq[n - 1][0])
        arr = out[-1][1] + max(0, int(round(run)))
        last = n == len(seq) - 1
        dwell = 0 if last else BS.stops[s]["dwell"]
        out.append((arr, arr + dwell))
    return out


def build_bus(W):
    """The feed as tables of strings, plus what the facts and README need."""
    rng = Rng("bus")
    BG = BusGraph(W)
    BS = BusStops(W, BG, rng)
    specs = bus_route_specs()
    bridge_k = [k for k, l in enumerate(W.links) if l[3] == "estuary_bridge"][0]
    routes = []
    for r in specs:
        loop = r["via"][0] == r["via"][-1]
        wps = [bus_waypoint(W, BG, v) for v in r["via"]]
        names = [w[1] if not (isinstance(v, str) and v == "ferry") else "ferry" for w, v in zip(wps, r["via"])]
        dirs = {}
        for d in (("O",) if loop else ("O", "I")):
            seq_w = wps if d == "O" else wps[::-1]
            seq_n = names if d == "O" else names[::-1]
            steps = []
            for (a, _), (b, _) in zip(seq_w, seq_w[1:]):
                for st in BG.path(a, b):
                    # a waypoint off the best line leaves a spur (there and back on
                    # one link): cut it, buses do not reverse
                    if steps and steps[-1][0] == st[0] and steps[-1][1] != st[1]:
                        steps.pop()
                    else:
                        steps.append(st)
            BP = BusPath(W, steps, seq_n[0], seq_n[-1])
            north = [W.links[k][0][0][1] > W.river.y(W.links[k][0][0][0]) for k, f in steps]
            crosses = sum(1 for k, f in steps if k == bridge_k)
            assert all(bus_link_ok(W.links[k][1], W.links[k][3]) for k, f in steps)
            assert (crosses > 0) == (any(north) and not all(north)), r["id"]
            seq = bus_place_stops(W, BS, BP, loop)
            dirs[d] = dict(path=BP, seq=seq, offsets=bus_offsets(BS, BP, seq), crosses_bridge=crosses > 0)
        routes.append(dict(spec=r, loop=loop, dirs=dirs))
    bus_name_stops(W, BG, BS.stops, rng)
    ct = lonlat_transform()
    stops = []
    for i, st in enumerate(BS.stops):
        lon, lat, _ = ct.TransformPoint(float(st["x"]), float(st["y"]))
        st["id"] = "EMS%04d" % (i + 1)
        st["lat"], st["lon"] = "%.6f" % lat, "%.6f" % lon
        stops.append(st)
    # trips
    trips, stop_times, freqs = [], [], []
    for R in routes:
        r = R["spec"]
        for svc in sorted(r["tt"], key=lambda s: [x for x, _ in BUS_SERVICES].index(s) if s != "NYE" else 9):
            for d in ("O", "I"):
                if d not in r["tt"][svc]:
                    continue
                D = R["dirs"][d]
                heads = r["via"][-1] if d == "O" else r["via"][0]
                if R["loop"]:
                    head = r["name"]
                elif heads == "ferry":
                    head = "Dunmere, Ferry Slipway"
                else:
                    head = heads if isinstance(heads, str) else heads[0]
                for t0 in r["tt"][svc][d]:
                    if "freq" in r and svc in r["freq"]:
                        tid = "%s-%s-F%s" % (r["id"], svc, hms(t0)[:5].replace(":", ""))
                    else:
                        tid = "%s-%s-%s%s" % (r["id"], svc, d, hms(t0)[:5].replace(":", ""))
                    trips.append(dict(route=r["id"], service=svc, trip=tid, headsign=head,
                                      direction=0 if d == "O" else 1))
                    for n, ((m, s), (ao, do)) in enumerate(zip(D["seq"], D["offsets"])):
                        stop_times.append((tid, t0 + ao, t0 + do, stops[s]["id"], n + 1))
                    if "freq" in r and svc in r["freq"]:
                        for a, b, h in r["freq"][svc]:
                            freqs.append((tid, a, b, h))
    trips.sort(key=lambda t: t["trip"])
    stop_times.sort(key=lambda x: (x[0], x[4]))
    return dict(routes=routes, stops=stops, trips=trips, stop_times=stop_times, freqs=freqs)


def text_colour(hexrgb):
    r, g, b = (int(hexrgb[i:i + 2], 16) for i in (0, 2, 4))
    return "000000" if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "FFFFFF"


def bus_tables(B):
    """{file: [row of strings]} in file order (ids sorted, stop times by trip
    then stop_sequence)."""
    T = {}
    T["agency.txt"] = [[aid, nm, url, "Europe/London", "en", tel] for aid, nm, url, tel in BUS_AGENCIES]
    T["stops.txt"] = [[st["id"], st["name"], st["lat"], st["lon"], "0"]
                      for st in sorted(B["stops"], key=lambda s: s["id"])]
    T["routes.txt"] = [[R["spec"]["id"], R["spec"]["agency"], R["spec"]["short"], R["spec"]["name"], "3",
                        R["spec"]["colour"], text_colour(R["spec"]["colour"])]
                       for R in sorted(B["routes"], key=lambda R: R["spec"]["id"])]
    T["trips.txt"] = [[t["route"], t["service"], t["trip"], t["headsign"], str(t["direction"])] for t in B["trips"]]
    T["stop_times.txt"] = [[tid, hms(a), hms(d), sid, str(n), "0", "0"] for tid, a, d, sid, n in B["stop_times"]]
    T["calendar.txt"] = [[svc] + [str(f) for f in flags] + [BUS_START, BUS_END] for svc, flags in BUS_SERVICES]
    T["calendar_dates.txt"] = sorted([[BUS_REMOVED[0], BUS_REMOVED[1], "2"], [BUS_ADDED[0], BUS_ADDED[1], "1"]],
                                     key=lambda r: (r[1], r[0]))
    T["frequencies.txt"] = [[tid, a, b, str(h), "0"] for tid, a, b, h in sorted(B["freqs"])]
    T["feed_info.txt"] = [["Examplshire Buses (fictional sample feed for gapmap)", BUS_URL, "en", BUS_START, BUS_END,
                           "examplshire-2026-27"]]
    return T


def write_bus(T):
    folder = os.path.join(HERE, BUS_DIR)
    os.makedirs(folder, exist_ok=True)
    for f in GTFS_FILES:
        write_csv(os.path.join(folder, f), GTFS_HEADERS[f], [[csv_field(v) for v in r] for r in T[f]])


def gtfs_dicts(T, headers):
    return {f: [dict(zip(headers[f], r)) for r in T[f]] for f in GTFS_FILES}


GTFS_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def gtfs_services_on(G, date):
    """Service ids running on date (YYYYMMDD string): calendar, then calendar_dates."""
    import datetime
    wd = datetime.date(int(date[:4]), int(date[4:6]), int(date[6:])).weekday()
    on = set(r["service_id"] for r in G["calendar.txt"]
             if r["start_date"] <= date <= r["end_date"] and r[GTFS_WEEKDAYS[wd]] == "1")
    for r in G["calendar_dates.txt"]:
        if r["date"] == date:
            if r["exception_type"] == "1":
                on.add(r["service_id"])
            else:
                on.discard(r["service_id"])
    return on


def gtfs_runs(G, date):
    """Vehicle runs on date: [(trip_id, [(stop, arr_s, dep_s)])], frequencies
    expanded (start, start + headway, ... before end: ceil((end-start)/h) runs)."""
    on = gtfs_services_on(G, date)
    st = defaultdict(list)
    for r in G["stop_times.txt"]:
        st[r["trip_id"]].append((int(r["stop_sequence"]), r["stop_id"], parse_hms(r["arrival_time"]),
                                 parse_hms(r["departure_time"])))
    freq = defaultdict(list)
    for r in G["frequencies.txt"]:
        freq[r["trip_id"]].append((parse_hms(r["start_time"]), parse_hms(r["end_time"]), int(r["headway_secs"])))
    runs, templates, nfreq = [], 0, 0
    for t in G["trips.txt"]:
        if t["service_id"] not in on:
            continue
        seq = [(s, a, d) for n, s, a, d in sorted(st[t["trip_id"]])]
        if t["trip_id"] in freq:
            templates += 1
            first = seq[0][2]
            for a, b, h in sorted(freq[t["trip_id"]]):
                x = a
                while x < b:
                    runs.append((t["trip_id"], [(s, ar + x - first, de + x - first) for s, ar, de in seq]))
                    nfreq += 1
                    x += h
        else:
            runs.append((t["trip_id"], seq))
    return runs, templates, nfreq


INF_S = 10 ** 9


def gtfs_rounds(runs, src, t0, max_trips):
    """Brute-force earliest arrival at every stop with at most 1..max_trips
    trips (no walking between stops; boarding allowed at the second of
    arrival).  Returns one dict per number of trips."""
    best = {src: t0}
    out = []
    for _ in range(max_trips):
        new = dict(best)
        for tid, seq in runs:
            on = False
            for s, a, d in seq:
                if on and a < new.get(s, INF_S):
                    new[s] = a
                if not on and best.get(s, INF_S) <= d:
                    on = True
        best = new
        out.append(dict(best))
    return out


def gtfs_direct(runs, frm, to, t0, route_of=None, route=None):
    """First run leaving frm at or after t0 that reaches `to` later on: (dep, arr, trip)."""
    best = None
    for tid, seq in runs:
        if route is not None and route_of[tid] != route:
            continue
        for i, (s, a, d) in enumerate(seq):
            if s == frm and d >= t0:
                later = [x for x in seq[i + 1:] if x[0] == to]
                if later:
                    cand = (d, later[0][1], tid)
                    if best is None or cand < best:
                        best = cand
                break
    return best


def gtfs_one_change(runs, frm, to, t0):
    """Earliest arrival with exactly two trips (one change at a shared stop),
    ties broken by the latest departure, then the earliest change: (arr, -dep,
    change arrival, trip1, change stop, trip2, change departure)."""
    best = None
    by_stop = defaultdict(list)      # stop -> [(dep, run index, position)]
    for j, (tid, seq) in enumerate(runs):
        for i, (s, a, d) in enumerate(seq):
            by_stop[s].append((d, j, i))
    for tid, seq in runs:
        for i, (s, a, d) in enumerate(seq):
            if s != frm or d < t0:
                continue
            for x, ax, dx in seq[i + 1:]:
                for d2, j, i2 in by_stop[x]:
                    if d2 < ax or runs[j][0] == tid:
                        continue
                    for y, ay, dy in runs[j][1][i2 + 1:]:
                        if y == to:
                            cand = (ay, -d, ax, tid, x, runs[j][0], d2)
                            if best is None or cand < best:
                                best = cand
                            break
            break
    return best


def gtfs_facts(G, spec):
    """Facts for expected.json, computed from the feed's rows (so that --check
    can recompute them from the files).  spec: the journeys' inputs."""
    date = spec["service_date"]
    runs, templates, nfreq = gtfs_runs(G, date)
    on = gtfs_services_on(G, date)
    trip_route = {t["trip_id"]: t["route_id"] for t in G["trips.txt"]}
    names = {s["stop_id"]: s["stop_name"] for s in G["stops.txt"]}
    last_arr = defaultdict(int)
    for r in G["stop_times.txt"]:
        last_arr[r["trip_id"]] = max(last_arr[r["trip_id"]], parse_hms(r["arrival_time"]))
    trips_on = [t for t in G["trips.txt"] if t["service_id"] in on]
    late = [t for t in trips_on if last_arr[t["trip_id"]] >= 24 * 3600]
    cal = {r["service_id"]: r for r in G["calendar.txt"]}
    weekend = [sid for sid, r in sorted(cal.items()) if all(r[d] == "0" for d in GTFS_WEEKDAYS[:5])]
    removed = [r for r in G["calendar_dates.txt"] if r["exception_type"] == "2"]
    added = [r for r in G["calendar_dates.txt"] if r["exception_type"] == "1"]
    F = {
        "service_date": int(date),
        "services_on_service_date": sorted(on),
        "trips_on_service_date": len(trips_on),
        "frequency_templates_on_service_date": templates,
        "frequency_runs_on_service_date": nfreq,
        "trips_on_service_date_frequencies_expanded": len(runs),
        "after_midnight_trip": [{"trip_id": t["trip_id"], "route_id": t["route_id"], "service_id": t["service_id"],
                                 "last_arrival": hms(last_arr[t["trip_id"]])} for t in late],
        "weekend_only_services": weekend,
        "calendar_dates_removed": [{"service_id": r["service_id"], "date": int(r["date"])} for r in removed],
        "calendar_dates_added": [{"service_id": r["service_id"], "date": int(r["date"]),
                                  "trips": sum(1 for t in G["trips.txt"] if t["service_id"] == r["service_id"])}
                                 for r in added],
        "frequencies": [{"trip_id": r["trip_id"], "start_time": r["start_time"], "end_time": r["end_time"],
                         "headway_secs": int(r["headway_secs"]),
                         "runs": -(-(parse_hms(r["end_time"]) - parse_hms(r["start_time"])) // int(r["headway_secs"]))}
                        for r in G["frequencies.txt"]],
    }
    deps = []
    for sid in spec["departures_from"]:
        runs_here = [(tid, seq) for tid, seq in runs if any(s == sid for s, a, d in seq[:-1])]
        deps.append({"stop_id": sid, "stop_name": names[sid], "departures": len(runs_here),
                     "routes": sorted(set(trip_route[tid] for tid, seq in runs_here))})
    F["departures_on_service_date"] = deps
    j = spec["journey_direct"]
    d = gtfs_direct(runs, j["from_stop_id"], j["to_stop_id"], parse_hms(j["not_before"]), trip_route, j["route_id"])
    F["journey_direct"] = dict(j, from_stop_name=names[j["from_stop_id"]], to_stop_name=names[j["to_stop_id"]],
                               trip_id=d[2], departure=hms(d[0]), arrival=hms(d[1]), in_vehicle_s=d[1] - d[0])
    j = spec["journey_one_change"]
    t0 = parse_hms(j["depart_at"])
    rounds = gtfs_rounds(runs, j["from_stop_id"], t0, 6)
    oc = gtfs_one_change(runs, j["from_stop_id"], j["to_stop_id"], t0)
    F["journey_one_change"] = dict(
        j, from_stop_name=names[j["from_stop_id"]], to_stop_name=names[j["to_stop_id"]],
        direct_possible=j["to_stop_id"] in rounds[0],
        earliest_arrival=hms(rounds[-1][j["to_stop_id"]]),
        earliest_arrival_with_one_change=hms(oc[0]),
        legs=[{"trip_id": oc[3], "route_id": trip_route[oc[3]], "from_stop_id": j["from_stop_id"],
               "departure": hms(-oc[1]), "to_stop_id": oc[4], "arrival": hms(oc[2])},
              {"trip_id": oc[5], "route_id": trip_route[oc[5]], "from_stop_id": oc[4], "departure": hms(oc[6]),
               "to_stop_id": j["to_stop_id"], "arrival": hms(oc[0])}],
        change_stop_name=names[oc[4]])
    return F


def describe_times(times):
    """'hourly 06:30-18:30, then 20:15, 23:50' or '3 a day: 07:40, 12:40, 16:10'."""
    times = sorted(times)
    words = {60: "hourly", 120: "every 2 hours", 180: "every 3 hours"}
    n = 1
    if len(times) >= 3:
        g = times[1] - times[0]
        while n < len(times) and times[n] - times[n - 1] == g:
            n += 1
    if n >= 3:
        g = (times[1] - times[0]) // 60
        out = "%s %s-%s" % (words.get(g, "every %d min" % g), hms(times[0])[:5], hms(times[n - 1])[:5])
        if n < len(times):
            out += ", then " + ", ".join(hms(t)[:5] for t in times[n:])
        return out
    return "%d a day: %s" % (len(times), ", ".join(hms(t)[:5] for t in times)) if len(times) > 1 \
        else "once: %s" % hms(times[0])[:5]


def bus_facts(B, T):
    """expected.json's "gtfs" object: counts, the special cases, two
    hand-checkable journeys, and the routes as the README lists them."""
    G = gtfs_dicts(T, GTFS_HEADERS)
    by_name = {st["name"]: st["id"] for st in B["stops"]}
    spec = {
        "service_date": BUS_REF_DATE,
        "journey_direct": {"route_id": "EB1", "from_stop_id": by_name["Kingsford, Market Place"],
                           "to_stop_id": by_name["Ashby Marsh, Market Cross"], "not_before": "08:00:00"},
        "journey_one_change": {"from_stop_id": by_name["Brackenby, Front Street"],
                               "to_stop_id": by_name["Quenby St Mary, Church"], "depart_at": "08:00:00"},
        "departures_from": [by_name["Kingsford, Market Place"], by_name["Marrowby, High Street"]],
    }
    facts = gtfs_facts(G, spec)
    oc = facts["journey_one_change"]
    assert not oc["direct_possible"] and oc["earliest_arrival"] == oc["earliest_arrival_with_one_change"], oc
    exceptions = facts["calendar_dates_removed"] + facts["calendar_dates_added"]
    assert facts["service_date"] not in [d["date"] for d in exceptions]
    assert len(facts["after_midnight_trip"]) == 1
    served = defaultdict(set)
    for tid, a, d, sid, n in B["stop_times"]:
        served[sid].add(tid.split("-")[0])
    routes = []
    for R in B["routes"]:
        r = R["spec"]
        towns = []
        for m, s in R["dirs"]["O"]["seq"]:
            tag = B["stops"][s]["tag"]
            if tag in BUS_CENTRE_STOP and tag not in towns:
                towns.append(tag)
        freq = {}
        for svc in r["tt"]:
            if "freq" in r and svc in r["freq"]:
                freq[svc] = ", ".join("every %d min %s-%s" % (h // 60, a[:5], b[:5]) for a, b, h in r["freq"][svc]) \
                    + " (frequencies.txt)"
            else:
                d0 = "O" if "O" in r["tt"][svc] else "I"
                freq[svc] = describe_times(r["tt"][svc][d0])
                if not R["loop"]:
                    frm = r["via"][0] if d0 == "O" else r["via"][-1]
                    frm = "Dunmere, Ferry Slipway" if frm == "ferry" else frm
                    freq[svc] += " from %s" % frm
        routes.append({"route_id": r["id"], "short_name": r["short"], "agency_id": r["agency"], "name": r["name"],
                       "serves": towns, "circular": R["loop"],
                       "crosses_wend_bridge": any(D["crosses_bridge"] for D in R["dirs"].values()),
                       "trips": sum(1 for t in B["trips"] if t["route"] == r["id"]), "timetable": freq})
    out = {
        "about": "bus/ is a fictional GTFS feed (Examplshire Buses and a community bus). Times are service-day "
                 "times (24:35:00 is 00:35 the next morning). Trips on the service date count a frequency "
                 "template trip once, or, expanded, as ceil((end_time - start_time) / headway_secs) runs per "
                 "frequencies.txt row (end exclusive, as OpenTripPlanner and R5 read it). Journeys: no walking "
                 "between different stops (footpaths off), boarding allowed at the second of arrival.",
        "folder": BUS_DIR,
        "files": {f: len(T[f]) for f in GTFS_FILES},
        "agencies": len(T["agency.txt"]), "stops": len(T["stops.txt"]), "routes": len(T["routes.txt"]),
        "trips": len(T["trips.txt"]), "stop_times": len(T["stop_times.txt"]),
        "frequencies_rows": len(T["frequencies.txt"]), "calendar_rows": len(T["calendar.txt"]),
        "calendar_dates_rows": len(T["calendar_dates.txt"]),
        "calendar_range": [int(BUS_START), int(BUS_END)],
        "stops_served_by_two_or_more_routes": sum(1 for v in served.values() if len(v) >= 2),
    }
    out.update(facts)
    out["routes_crossing_wend_bridge"] = [r["route_id"] for r in routes if r["crosses_wend_bridge"]]
    out["route_list"] = routes
    return out


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def generate():
    os.environ["OGR_CURRENT_DATE"] = FIXED_DATE
    gdal.SetConfigOption("OGR_CURRENT_DATE", FIXED_DATE)
    W_units_used.clear()
    W = World()
    log("land and water")
    build_land(W)
    log("roads")
    build_roads(W)
    log("  %d links, %d nodes; %d stray pieces dropped" % (len(W.links), len(W.node_coords), W.dropped_pieces))

    log("postcodes")
    live = place_postcodes(W)
    assign_codes(W, live)
    postcode_dates(W, live)
    set_large_users(W, live)
    terminated = add_terminated(W, live)
    nogrid = add_nogrid(W, live)
    W.live = live + nogrid
    allpcs = live + terminated + nogrid
    build_zones(W, live)
    assign_zones(W, allpcs)
    compute_lonlat(allpcs)
    seen = set()
    for pc in allpcs:
        assert pc.pcds not in seen, pc.pcds
        seen.add(pc.pcds)

    log("providers and customers")
    providers, sites = build_sites(W, live)
    custs = build_customers(W, live, sites)
    set_capacity(sites, custs)
    prov_rows, prov_facts = provider_table(W, providers, sites)
    apply_defects(W, custs, terminated)
    rows_c, dfacts = add_duplicates(custs)
    nrng = Rng("duplicate names")
    used_names = set(c["name"] for c in custs)
    for c in rows_c:
        if c["name"] is None:
            c["name"] = fresh_name(nrng, used_names)
    for i, c in enumerate(rows_c):
        if "defect" in c:
            c["defect"]["line"] = i + 2
    # line numbers for defects (duplicates carry their own record)
    all_cfacts = sorted([c["defect"] for c in rows_c if "defect" in c], key=lambda f: f["line"])

    log("writing")
    write_roads(W, os.path.join(HERE, "roads.gpkg"))
    vacuum(os.path.join(HERE, "roads.gpkg"))
    write_polys(os.path.join(HERE, "boundaries.gpkg"), [
        ("county", ogr.wkbPolygon, [("name", 40), ("code", 9)], [(("Examplshire", "E06999001"), W.county)],
         "Examplshire county boundary (fictional)"),
        ("msoa", ogr.wkbMultiPolygon, [("msoa21cd", 9), ("msoa21nm", 40)],
         [((m["code"], m["name"]), rounded_polygon(m["geom"])) for m in W.msoas],
         "MSOA-like zones (fictional)"),
        ("lsoa", ogr.wkbMultiPolygon, [("lsoa21cd", 9), ("lsoa21nm", 40), ("msoa21cd", 9)],
         [((z["code"], z["name"], z["msoa"]["code"]), rounded_polygon(z["geom"])) for z in W.lsoas],
         "LSOA-like zones (fictional)"),
        ("water", ogr.wkbMultiPolygon, [("name", 40)], [(("River Wend and Wend Estuary",), W.water)],
         "River Wend and its estuary (fictional)"),
    ])
    vacuum(os.path.join(HERE, "boundaries.gpkg"))
    write_csv(os.path.join(HERE, "onspd_examplshire.csv"), ONSPD_HEADER, onspd_rows(allpcs))
    write_csv(os.path.join(HERE, "providers.csv"), PROVIDER_HEADER, prov_rows)
    write_csv(os.path.join(HERE, "customers.csv"), CUSTOMER_HEADER, [customer_row(c) for c in rows_c],
              bom=True, eol="\r\n")

    facts = collect_facts(W, allpcs, live, terminated, nogrid, providers, sites, prov_rows, prov_facts,
                          rows_c, all_cfacts)

    # the bus feed last, from finished roads, with its own random stream: the
    # files above do not depend on it
    log("buses")
    B = build_bus(W)
    T = bus_tables(B)
    write_bus(T)
    facts["gtfs"] = bus_facts(B, T)
    with open(os.path.join(HERE, "expected.json"), "w", encoding="utf-8", newline="\n") as fh:
        json.dump(facts, fh, indent=2, ensure_ascii=False, sort_keys=False)
        fh.write("\n")
    with open(os.path.join(HERE, "README.md"), "w", encoding="utf-8", newline="\n") as fh:
        fh.write(readme(facts))
    return facts


def log(msg):
    print("generate: " + msg, file=sys.stderr)


def vacuum(path):
    import sqlite3
    con = sqlite3.connect(path)
    con.execute("VACUUM")
    con.close()


def bbox_of(points, pad):
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return [int(min(xs) - pad), int(min(ys) - pad), int(max(xs) + pad), int(max(ys) + pad)]


def in_bbox(b, x, y):
    return b[0] <= x <= b[2] and b[1] <= y <= b[3]


def collect_facts(W, allpcs, live, terminated, nogrid, providers, sites, prov_rows, prov_facts, rows_c, cfacts):
    # roads
    W.node_ok = [True] * len(W.node_coords)
    for coords, a, tag, kind in W.links:
        if a["cls"] == "Motorway":
            W.node_ok[W.node_index[coords[0]]] = False
            W.node_ok[W.node_index[coords[-1]]] = False
    bridge = [k for k, l in enumerate(W.links) if l[3] == "estuary_bridge"]
    assert len(bridge) == 1
    bk = bridge[0]
    island_links = [k for k, l in enumerate(W.links) if l[2] == "Holm Island"]
    island_nodes = sorted(set(W.node_index[W.links[k][0][e]] for k in island_links for e in (0, -1)))
    dirs = defaultdict(int)
    for l in W.links:
        dirs[l[1]["dirn"]] += 1
    forms = defaultdict(int)
    for l in W.links:
        forms[l[1]["form"]] += 1
    classes = defaultdict(int)
    for l in W.links:
        classes[l[1]["cls"]] += 1
    outside, scc_size = scc_outside(W)
    # Marrowby
    mb_pcs = [(pc.x, pc.y) for pc in live if pc.settlement == "Marrowby"]
    mb_box = bbox_of(mb_pcs, 150)
    hi_pcs = [(pc.x, pc.y) for pc in live if pc.settlement == "Holm Island"]
    hi_box = bbox_of([(x, y) for x, y in W.island.exterior.coords], 0)
    located = [c for c in rows_c if c.get("defect", {}).get("outcome") in (None, "accepted", "warning")]
    mb_c = [c for c in located if in_bbox(mb_box, c["home"].x, c["home"].y)]
    hi_c = [c for c in located if in_bbox(hi_box, c["home"].x, c["home"].y)]
    assert len(mb_c) == 60 and all(c["home"].settlement == "Marrowby" for c in mb_c), len(mb_c)
    assert len(hi_c) == 3
    valid_sites = sites
    assert not any(in_bbox(mb_box, s["x"], s["y"]) for s in valid_sites)
    assert not any(in_bbox(hi_box, s["x"], s["y"]) for s in valid_sites)
    # distances from Marrowby's centre to the nearest site, by road (car) and straight
    M = W.S["Marrowby"]
    src = nearest_node(W, *M.c)
    D = dijkstra(road_graph(W, True), src)
    best_road = None
    for s in valid_sites:
        nn = nearest_node(W, s["x"], s["y"])
        d = D.get(nn)
        if d is not None and (best_road is None or d < best_road[0]):
            best_road = (d, s["site_id"], s["site_name"])
    best_line = min((math.hypot(s["x"] - M.c[0], s["y"] - M.c[1]), s["site_id"], s["site_name"]) for s in valid_sites)
    # customers
    rej = defaultdict(int)
    warn = defaultdict(int)
    for f in cfacts:
        if f["outcome"] == "rejected":
            rej[f["reason"]] += 1
        elif f["outcome"] == "warning":
            warn[f["reason"]] += 1
    for k in ("unknown_postcode", "malformed_postcode", "terminated_postcode", "duplicate_id", "missing_field",
              "bad_value"):
        rej.setdefault(k, 0)
    n_rows = len(rows_c)
    n_rej = sum(rej.values())
    prov_rej = defaultdict(int)
    for f in prov_facts:
        prov_rej[f["reason"]] += 1
    overfull = [s for s in sites if s["site_name"] == OVERFULL_SITE][0]
    full = [s for s in sites if s["site_name"] == FULL_SITE][0]
    line_of_site = {}
    for i, r in enumerate(prov_rows):
        line_of_site.setdefault(r[2], i + 2)
    districts = defaultdict(int)
    for pc in allpcs:
        districts[pc.district] += 1

    def order_keys(d, keys):
        return {k: d[k] for k in keys}
    facts = {
        "about": "Facts about the generated Examplshire sample (fictional). Written by geodata/generate.py; "
                 "do not edit by hand. Line numbers count the header as line 1.",
        "crs": "EPSG:27700",
        "county": {"bbox": [int(math.floor(v)) if i < 2 else int(math.ceil(v))
                            for i, v in enumerate(W.county.bounds)],
                   "area_km2": round(W.county.area / 1e6, 1)},
        "files": {
            "onspd_examplshire.csv": {"rows": len(allpcs)},
            "providers.csv": {"rows": len(prov_rows)},
            "customers.csv": {"rows": n_rows},
            "roads.gpkg": {"road_link": len(W.links), "road_node": len(W.node_coords)},
            "boundaries.gpkg": {"county": 1, "msoa": len(W.msoas), "lsoa": len(W.lsoas), "water": 1},
        },
        "postcodes": {
            "rows": len(allpcs), "live": len(live) + len(nogrid), "terminated": len(terminated),
            "terminated_sharing_a_live_location": sum(1 for t in terminated if t.twin is not None),
            "no_grid_reference": len(nogrid), "with_coordinates": len(allpcs) - len(nogrid),
            "large_user": sum(1 for pc in allpcs if pc.usertype == 1),
            "output_areas": W.n_oa,
            "by_district": {d: districts[d] for d in sorted(districts, key=lambda s: (len(s), s))},
            "no_grid_postcodes": sorted(pc.pcds for pc in nogrid),
        },
        "customers": {
            "rows": n_rows,
            "distinct_ids": len(set(c["customer_id"] for c in rows_c)),
            "located": n_rows - n_rej,
            "rejected": n_rej,
            "rows_with_warnings": sum(warn.values()),
            "accepted_after_normalisation": sum(1 for f in cfacts if f["outcome"] == "accepted"),
            "unplaced": sum(1 for c in rows_c if c["site"] is None),
            "problems": [{k: f[k] for k in ("line", "customer_id", "field", "value", "outcome", "reason", "note")}
                         for f in cfacts],
        },
        "customers_rejected": order_keys(rej, ["unknown_postcode", "malformed_postcode", "terminated_postcode",
                                               "duplicate_id", "missing_field", "bad_value"]),
        "customers_warnings": dict(sorted(warn.items())),
        "providers": {
            "rows": len(prov_rows), "sites_located": len(sites), "providers": len(providers),
            "rejected": len(prov_facts),
            "sites_by_coordinates": sum(1 for s in sites if s["easting"]),
            "problems": prov_facts,
            "warnings": [{"line": line_of_site[overfull["site_id"]], "site_id": overfull["site_id"],
                          "field": "places_used", "value": str(overfull["places_used"]),
                          "reason": "over_full",
                          "note": "places_used is more than places_per_day: kept, with a warning"}],
            "full_site": {"site_id": full["site_id"], "places_per_day": full["places_per_day"],
                          "places_used": full["places_used"]},
        },
        "providers_rejected": dict(sorted(prov_rej.items())),
        "marrowby": {
            "bbox": mb_box, "postcodes": len(mb_pcs), "customers": len(mb_c),
            "customers_placed": sum(1 for c in mb_c if c["site"] is not None),
            "provider_sites": 0,
            "nearest_site_straight_line_km": round(best_line[0] / 1000.0, 1),
            "nearest_site_by_road_km": round(best_road[0] / 1000.0, 1),
            "nearest_site_by_road": best_road[1],
        },
        "holm_island": {
            "bbox": hi_box, "postcodes": len(hi_pcs), "customers": len(hi_c), "provider_sites": 0,
            "link_ids": [W.link_uuid[k] for k in island_links],
            "node_ids": [W.node_uuid[i] for i in island_nodes],
        },
        "roads": {
            "links": len(W.links), "nodes": len(W.node_coords), "components": 2,
            "bridge_link_id": W.link_uuid[bk],
            "bridge_nodes": [W.node_uuid[W.node_index[W.links[bk][0][0]]],
                             W.node_uuid[W.node_index[W.links[bk][0][-1]]]],
            "road_on_bridge_links": sum(1 for l in W.links if l[1]["struct"] == "Road On Bridge"),
            "directionality": dict(sorted(dirs.items())),
            "form_of_way": dict(sorted(forms.items())),
            "road_classification": dict(sorted(classes.items())),
            "roundabouts": len(W.roundabout_pts),
            "motorway_junctions": len(JUNCTION_S),
            "nodes_outside_main_strong_component": len(outside) - len(island_nodes),
            "node_forms": dict(sorted(((f, W.node_form.count(f)) for f in set(W.node_form)))),
            "total_length_km": round(sum(line_len(l[0]) for l in W.links) / 1000.0, 1),
        },
        "bridge_link_id": W.link_uuid[bk],
        "districts": {d: n for d, n in DISTRICT_NOTE},
    }
    return facts


# --------------------------------------------------------------------------
# README (generated, so that its tables always match the data)
# --------------------------------------------------------------------------

def md_val(v):
    if v is None:
        return ""
    if v == "":
        return "(blank)"
    return "`%s`" % json.dumps(v, ensure_ascii=False).replace("|", "\\|")


def fmt_date(d):
    s = str(d)
    return "%s-%s-%s" % (s[:4], s[4:6], s[6:])


BUS_SVC_SHORT = {"MF": "Mon-Fri", "SAT": "Sat", "SUN": "Sun", "TT": "Tue and Thu", "NYE": "New Year's Eve"}


def readme_bus(G, a):
    """The README's bus/ section (a: append a line)."""
    import datetime
    a("### bus/")
    a("")
    a("A **fictional** bus timetable in GTFS (static) form: a folder of `.txt` files, UTF-8 without BOM, LF line "
      "ends, a header row; `stop_times.txt` is sorted by `trip_id`, then `stop_sequence`. Two operators: "
      "**Examplshire Buses** (`EXB`) and **Wend Valley Community Transport** (`WVCT`, a community bus), time zone "
      "`Europe/London`. No operator, route, stop or time is real: the URLs are under `example.org` and the phone "
      "numbers in Ofcom's range for drama (01632 960xxx).")
    a("")
    a("| file | rows |")
    a("| --- | --- |")
    for f, n in G["files"].items():
        a("| `%s` | %d |" % (f, n))
    a("")
    a("Routes follow the road network: each direction is a cheapest path over the road links a bus may use (no "
      "motorway carriageways or slip roads, no closes, farm tracks or access roads; one-way streets honoured), so "
      "the routes between the two halves (%s) cross the river on Wend Bridge and none uses the M59. Stops are "
      "points on those paths, so each lies on a `road_link` (the check allows 5 m), with `stop_lat`/`stop_lon` "
      "to 6 decimals by the same pinned transformation as the postcodes: about every 400 m in towns, one or two "
      "per village, a stop every 2-3 km between (at a lane end where there is one). Routes on the same road "
      "share its stops (a new stop within 30 m of an existing one is that stop): %d of the %d stops serve two or "
      "more routes. Stop ids are `EMS0001`…; names are `Locality, Street` (`Kingsford, Bridge Street (Dale "
      "Rise)`), a landmark at each settlement's centre stop (`Kingsford, Market Place`, `Hollowell, The Green`), "
      "and lane ends, farms or roadside landmarks in the country, under the nearest settlement."
      % (", ".join("`%s`" % r for r in G["routes_crossing_wend_bridge"]), G["stops_served_by_two_or_more_routes"],
         G["stops"]))
    a("")
    a("Run times: the path's length at 20 km/h in towns and round roundabouts, 30 km/h in villages, and 50, 45, "
      "40 or 30 km/h on rural A, B, minor and other roads; plus a dwell of 20-30 s at every stop but the ends. "
      "Times are to the second.")
    a("")
    a("| route | short name | operator | name | serves | timetable (first departures) |")
    a("| --- | --- | --- | --- | --- | --- |")
    for r in G["route_list"]:
        tt = "; ".join("%s: %s" % (BUS_SVC_SHORT[s], t) for s, t in r["timetable"].items())
        a("| `%s` | %s | %s | %s | %s | %s |" % (r["route_id"], r["short_name"], r["agency_id"], r["name"],
                                                ", ".join(r["serves"]), tt))
    a("")
    a("Services (`calendar.txt`, all from %s to %s): %s. `NYE` has no calendar row: it runs only on the date "
      "`calendar_dates.txt` adds." % (fmt_date(G["calendar_range"][0]), fmt_date(G["calendar_range"][1]),
                                      ", ".join("`%s` %s" % (s, BUS_SERVICE_NOTE[s]) for s, _ in BUS_SERVICES)))
    a("")
    d = str(G["service_date"])
    wd = datetime.date(int(d[:4]), int(d[4:6]), int(d[6:])).strftime("%A")
    a("**Reference service date: %s (a %s)**, the service date meant for gapmap's sample configuration: an ordinary weekday, "
      "not a `calendar_dates.txt` exception. Services %s run; %d trips (each frequency template counted once), "
      "or %d vehicle runs with frequencies expanded (%d of them from frequencies.txt)."
      % (fmt_date(d), wd, ", ".join("`%s`" % s for s in G["services_on_service_date"]),
         G["trips_on_service_date"], G["trips_on_service_date_frequencies_expanded"],
         G["frequency_runs_on_service_date"]))
    a("")
    a("Special cases a test can rely on (all in `expected.json` under `gtfs`):")
    a("")
    for t in G["after_midnight_trip"]:
        a("- **Past midnight**: trip `%s` (the last weekday bus on route %s) arrives at its last stop at `%s`, "
          "that is %s the next morning, still on the service day it started." % (
              t["trip_id"], t["route_id"], t["last_arrival"],
              "%02d:%s" % (int(t["last_arrival"][:2]) - 24, t["last_arrival"][3:5])))
    a("- **Weekend only**: %s run on no weekday." % " and ".join("`%s`" % s for s in G["weekend_only_services"]))
    for r in G["calendar_dates_removed"]:
        a("- **Removed**: `%s` does not run on %s (Christmas Day, a Friday): `exception_type` 2."
          % (r["service_id"], fmt_date(r["date"])))
    for r in G["calendar_dates_added"]:
        a("- **Added**: `%s` (%d late buses on New Year's Eve, after midnight) runs only on %s: `exception_type` 1."
          % (r["service_id"], r["trips"], fmt_date(r["date"])))
    a("- **Frequencies**: the K1 circular is one template trip per service with frequencies.txt rows (`exact_times` "
      "0): %s. A row from start to end (exclusive) at headway h gives ceil((end - start) / h) runs, as "
      "OpenTripPlanner and R5 read it." % "; ".join(
          "`%s` %s-%s every %d s (%d runs)" % (f["trip_id"], f["start_time"], f["end_time"], f["headway_secs"],
                                              f["runs"]) for f in G["frequencies"]))
    k, m = G["departures_on_service_date"]
    a("- **Marrowby** (the sample's gap) is poorly served: a few buses a day to Kingsford (route 3) and to Ashby "
      "Marsh (route 4), the community bus from Caverley on Tuesdays and Thursdays, nothing on Sundays. On the "
      "reference date %d buses leave `%s` (%s; routes %s), against %d from `%s` (%s)."
      % (m["departures"], m["stop_id"], m["stop_name"], ", ".join(m["routes"]), k["departures"], k["stop_id"],
         k["stop_name"]))
    j = G["journey_direct"]
    a("- **Direct journey**: route `%s` from `%s` (%s) to `%s` (%s), first trip leaving at or after %s on the "
      "reference date: `%s`, departs %s, arrives %s: %d s (%.1f min) in the bus."
      % (j["route_id"], j["from_stop_id"], j["from_stop_name"], j["to_stop_id"], j["to_stop_name"],
         j["not_before"], j["trip_id"], j["departure"], j["arrival"], j["in_vehicle_s"], j["in_vehicle_s"] / 60.0))
    j = G["journey_one_change"]
    l1, l2 = j["legs"]
    a("- **One change**: from `%s` (%s) to `%s` (%s), leaving at %s on the reference date, with no walking between "
      "stops and boarding allowed at the second of arrival: no bus goes direct; the earliest arrival is **%s**: "
      "`%s` (route %s) %s-%s to `%s` (%s), then `%s` (route %s) %s-%s. Computed by brute force over every trip; "
      "more changes arrive no earlier."
      % (j["from_stop_id"], j["from_stop_name"], j["to_stop_id"], j["to_stop_name"], j["depart_at"],
         j["earliest_arrival"], l1["trip_id"], l1["route_id"], l1["departure"], l1["arrival"], l1["to_stop_id"],
         j["change_stop_name"], l2["trip_id"], l2["route_id"], l2["departure"], l2["arrival"]))
    a("")



def readme(F):
    r = F["roads"]
    pcs = F["postcodes"]
    cu = F["customers"]
    pv = F["providers"]
    mb = F["marrowby"]
    hi = F["holm_island"]
    L = []
    a = L.append
    a("# Examplshire: gapmap's sample county")
    a("")
    a("**Everything in this folder is fictional.** Examplshire, its towns, roads, postcodes, zones, providers, "
      "customers and bus timetable were made up by `generate.py`; the county is only *placed* on the British "
      "National Grid (EPSG:27700, bounding box `%s`) so that real coordinate handling is exercised. Real places, postcodes "
      "or people that happen to share a name or code are coincidence. Postcode area `EM` and the zone codes "
      "(`E00999…`, `E01999…`, `E02999…`, `E06999001`) are invented; road numbers (`M59`, `A431`, `B4701` …) are "
      "invented too." % F["county"]["bbox"])
    a("")
    a("*This file is written by `generate.py` (edit the template there, not here).*")
    a("")
    a("## Regenerating")
    a("")
    a("```sh")
    a("/usr/bin/python3 geodata/generate.py          # writes every file below, then checks them")
    a("/usr/bin/python3 geodata/generate.py --check  # checks the files on disk only")
    a("```")
    a("")
    a("Needs Debian's `python3-gdal`, `python3-shapely` and `python3-numpy` (Debian's interpreter, "
      "`/usr/bin/python3`). The generator is deterministic: all randomness comes from its own SplitMix64 "
      "generator (not Python's `random`), seeded per component, so two runs give byte-identical CSV, GTFS, JSON "
      "and Markdown files; the GeoPackages are written with `OGR_CURRENT_DATE` fixed and vacuumed, so they are "
      "identical too with the same GDAL and SQLite. Latitude/longitude use a pinned transformation "
      "(OSGB36 to WGS 84 Helmert, EPSG:1314, about 2 m) so they do not depend on whether the OSTN15 grid is "
      "installed.")
    a("")
    a("## The county")
    a("")
    cb = F["county"]["bbox"]
    a("About %.0f x %.0f km (%.0f km²), split west to east by the **River Wend**"
      % ((cb[2] - cb[0]) / 1000.0, (cb[3] - cb[1]) / 1000.0, F["county"]["area_km2"])
      + ", which widens into the **Wend Estuary** in the east. North of the river: Kingsford, Wrenfield and the M59; south: Ashby Marsh and Marrowby.")
    a("")
    a("| place | kind | people | postcode district | notes |")
    a("| --- | --- | --- | --- | --- |")
    for row in [
        ("Kingsford", "town", "25,000", "EM1, EM2, EM3, EM10",
         "county town, street grid; one-way streets and a shared-use Market Place in the centre; roundabouts "
         "at its north (A446) and south (A452) entries"),
        ("Ashby Marsh", "town", "9,000", "EM4", "south of the estuary"),
        ("Wrenfield", "town", "7,000", "EM5", "near M59 junction 1"),
        ("Marrowby", "town", "5,500", "EM6", "**no provider sites at all: the built-in gap**"),
        ("12 villages", "village", "600-1,200 each", "EM7, EM8, EM9",
         "Hollowell, Tansley Green, Fernleigh, Stowe Norton, Oakhurst, Brackenby (north); Pelham Cross, "
         "Sedgecombe, Upper Wick, Caverley, Dunmere, Quenby St Mary (south)"),
        ("hamlets and farms", "rural", "", "EM7, EM8, EM9", "lanes, farm tracks"),
        ("Holm Island", "island", "about 75", "EM8 9", "in the estuary; **its roads connect to nothing** "
         "(reached by a passenger ferry that is not in the road data)"),
    ]:
        a("| %s |" % " | ".join(row))
    a("")
    a("Design features a test can rely on:")
    a("")
    a("- **Marrowby gap**: %d customers live in Marrowby (bounding box `%s`), %d of them placed; no site is in "
      "Marrowby. The nearest site is %.1f km away in a straight line and %.1f km by road (`%s`)."
      % (mb["customers"], mb["bbox"], mb["customers_placed"], mb["nearest_site_straight_line_km"],
         mb["nearest_site_by_road_km"], mb["nearest_site_by_road"]))
    a("- **Bridge bottleneck**: the river can be crossed by road only on **Wend Bridge** (A452, "
      "`road_structure = 'Road On Bridge'`, link id `%s`). Every route between the north and south halves uses "
      "it. Exactly one link intersects the `water` layer." % r["bridge_link_id"])
    a("- **Holm Island**: a loop road (`Holm Road`, `loop = 1`) and `Jetty Lane` (%d links, %d nodes), a "
      "separate network component with %d postcodes (sector EM8 9) and %d customers; no sites. Bounding box "
      "`%s`. The mainland end of the ferry is the road end of `Ferry Lane` south of the island."
      % (len(hi["link_ids"]), len(hi["node_ids"]), hi["postcodes"], hi["customers"], hi["bbox"]))
    a("- **Motorway M59** across the north with two junctions (J1 near Wrenfield on the B4701, J2 north of "
      "Kingsford on the A446). Each carriageway is its own one-way link (`form_of_way = 'Dual Carriageway'`), "
      "with four one-way slip roads per junction; the crossing roads go over it on bridges. The carriageways "
      "stop at the county boundary, as in any clipped extract, so the stubs beyond the outer junctions lead out "
      "of the county (%d nodes outside the main strongly connected component, besides the island)."
      % r["nodes_outside_main_strong_component"])
    a("- **One-way streets** in Kingsford centre (alternate rows of the grid), motorway carriageways, slip roads "
      "and roundabouts: %d links `inDirection`, %d `inOppositeDirection`."
      % (r["directionality"].get("inDirection", 0), r["directionality"].get("inOppositeDirection", 0)))
    a("- **%d roundabouts** (Kingsford north and south entries; the A452/A437/B4713 junction south of the "
      "bridge), drawn clockwise as in the UK." % r["roundabouts"])
    a("")
    a("## Files")
    a("")
    a("| file | what | rows |")
    a("| --- | --- | --- |")
    a("| `roads.gpkg` | road network, OS Open Roads GeoPackage layout | %d `road_link`, %d `road_node` |"
      % (r["links"], r["nodes"]))
    a("| `boundaries.gpkg` | `county`, `msoa`, `lsoa`, `water` polygons | 1, %d, %d, 1 |"
      % (F["files"]["boundaries.gpkg"]["msoa"], F["files"]["boundaries.gpkg"]["lsoa"]))
    a("| `onspd_examplshire.csv` | postcode directory, ONSPD layout | %d |" % pcs["rows"])
    a("| `providers.csv` | framework register, one row per site | %d |" % pv["rows"])
    a("| `customers.csv` | case-management export, one row per person | %d |" % cu["rows"])
    a("| `expected.json` | machine-readable facts for tests (counts, bad rows, ids) | |")
    a("| `bus/` | bus timetable, GTFS (fictional) | %d stops, %d routes, %d trips, %d stop times |"
      % (F["gtfs"]["stops"], F["gtfs"]["routes"], F["gtfs"]["trips"], F["gtfs"]["stop_times"]))
    a("| `generate.py` | the generator | |")
    a("")
    a("Row counts exclude the header line. All files are in EPSG:27700 where they have coordinates, except "
      "`bus/stops.txt` (WGS84 latitude/longitude, as GTFS requires).")
    a("")
    a("### roads.gpkg")
    a("")
    a("Layer `road_link` (LineString) and layer `road_node` (Point), as in OS Open Roads, plus one extension "
      "field, `directionality`. No spatial index is stored (to keep the file small); "
      "`ogrinfo roads.gpkg -sql \"SELECT CreateSpatialIndex('road_link','geom')\"` adds one.")
    a("")
    a("| field | type | values |")
    a("| --- | --- | --- |")
    a("| `id` | text | GUID-like, deterministic |")
    a("| `fictitious` | boolean | always 0 |")
    a("| `road_classification` | text | %s |" % ", ".join("`%s`" % c for c in ROAD_CLASSES))
    a("| `road_function` | text | %s |" % ", ".join("`%s`" % c for c in ROAD_FUNCTIONS))
    a("| `form_of_way` | text | %s |" % ", ".join("`%s`" % c for c in FORMS))
    a("| `road_classification_number` | text | `M59`, `A431`, `A437`, `A446`, `A452`, `B4701`-`B4704`, "
      "`B4710`-`B4713`, or null |")
    a("| `name_1` | text | street or road name, or null |")
    a("| `name_1_lang`, `name_2`, `name_2_lang` | text | always null (kept for the OS layout) |")
    a("| `road_structure` | text | null, or `Road On Bridge` |")
    a("| `length` | integer | metres, the geometry's length rounded |")
    a("| `length_uom` | text | `m` |")
    a("| `loop` | boolean | 1 when `start_node` = `end_node` (Holm Road) |")
    a("| `primary_route`, `trunk_road` | boolean | 0/1 |")
    a("| `start_node`, `end_node` | text | `road_node.id` of the first and last vertex |")
    a("| `directionality` | text | `bothDirections`, `inDirection` (one way, along the digitised direction), "
      "`inOppositeDirection` (one way, against it) |")
    a("")
    a("`road_node.form_of_road_node`: `junction`, `pseudo node` (two links meet where an attribute changes), "
      "`road end`, `roundabout` (a node on a roundabout).")
    a("")
    a("Topology: every link's first and last vertex is exactly its start and end node's point; links meet only at "
      "their end nodes (streets are split at junctions), except where a link passes over the motorway on a "
      "bridge (`road_structure = 'Road On Bridge'`; the M59 junction overbridges and %d minor-road "
      "overbridges). Two links connect only through a shared node, never by crossing."
      % (r["road_on_bridge_links"] - 3))
    a("")
    a("Counts by class: %s. By form of way: %s. Total length %.0f km."
      % (", ".join("%s %d" % kv for kv in r["road_classification"].items()),
         ", ".join("%s %d" % kv for kv in r["form_of_way"].items()), r["total_length_km"]))
    a("")
    a("### boundaries.gpkg")
    a("")
    a("| layer | geometry | fields |")
    a("| --- | --- | --- |")
    a("| `county` | Polygon (1) | `name` = `Examplshire`, `code` = `E06999001` |")
    a("| `msoa` | MultiPolygon (%d) | `msoa21cd` (`E02999001`…), `msoa21nm` (`Examplshire 001`…) |"
      % F["files"]["boundaries.gpkg"]["msoa"])
    a("| `lsoa` | MultiPolygon (%d) | `lsoa21cd` (`E01999001`…), `lsoa21nm` (`Examplshire 001A`…), `msoa21cd` |"
      % F["files"]["boundaries.gpkg"]["lsoa"])
    a("| `water` | MultiPolygon (1) | `name` = `River Wend and Wend Estuary` (Holm Island is a hole in it) |")
    a("")
    a("LSOAs are a Voronoi partition of population-weighted seeds (k-means of postcodes: several small zones per "
      "town, large rural ones) clipped to the county, so they cover it exactly, estuary included. MSOAs are "
      "unions of LSOAs, numbered north to south.")
    a("")
    a("### onspd_examplshire.csv")
    a("")
    a("UTF-8, LF, header, no quoting. Columns: `%s`." % ",".join(ONSPD_HEADER))
    a("")
    a("- `pcd` 7 characters (`EM1 1AB`, `EM101AB`), `pcd2` 8 characters (`EM1  1AB`, `EM10 1AB`), `pcds` with "
      "one space (`EM1 1AB`).")
    a("- `dointr`/`doterm` as `YYYYMM`; `doterm` blank for live postcodes.")
    a("- `usertype` 0 (small user) or 1 (large user: %d, in town centres)." % pcs["large_user"])
    a("- `oseast1m`/`osnrth1m` whole metres; `osgrdind` 1, or 9 with blank coordinates, `lat` 99.999999 and "
      "`long` 0.000000 for the %d postcodes with no grid reference (%s), as ONSPD does."
      % (pcs["no_grid_reference"], ", ".join("`%s`" % p for p in pcs["no_grid_postcodes"])))
    a("- `oa21`/`lsoa21`/`msoa21` from the zone the point falls in (blank without a grid reference); `ctry` "
      "`E92000001`, `rgn` `E12000005`; `lat`/`long` WGS84 to 6 decimals.")
    a("- Postcode centroids lie 9-45 m off the nearest road, along the streets of their settlement.")
    a("- Inward codes use a digit and two of `%s`." % INWARD_LETTERS)
    a("")
    a("Counts: %d rows = %d live (%d of them with no grid reference) + %d terminated (%d of these share the exact "
      "location of the live postcode that replaced them)."
      % (pcs["rows"], pcs["live"], pcs["no_grid_reference"], pcs["terminated"],
         pcs["terminated_sharing_a_live_location"]))
    a("")
    a("| district | area | postcodes |")
    a("| --- | --- | --- |")
    for d, note in DISTRICT_NOTE:
        a("| %s | %s | %d |" % (d, note, pcs["by_district"].get(d, 0)))
    a("")
    a("### providers.csv")
    a("")
    a("UTF-8 (no BOM), LF, header. Columns exactly: `%s`." % ",".join(PROVIDER_HEADER))
    a("")
    a("- One row per site: %d rows, %d good sites of %d providers, %d deliberately bad rows."
      % (pv["rows"], pv["sites_located"], pv["providers"], pv["rejected"]))
    a("- `services`: `;` list of `one_to_one`, `small_group`, `building_based`, `skills_training`. `needs`: `;` "
      "list of `learning_disability`, `autism`, `dementia`, `physical`, `sensory`, `mental_health`, "
      "`older_people`, or `all`.")
    a("- `postcode` is a live postcode near the site; %d sites are given by `easting`/`northing` only (postcode "
      "blank). `price_per_day` in pounds with 2 decimals; `framework_status` `framework`, `spot` or `legacy`; "
      "`open_days` a `;` list of `Mon`…`Sun`; `virtual` `yes`/`no`." % pv["sites_by_coordinates"])
    a("- Site `%s` is exactly full (places_used = places_per_day = %d); one site is over-full (a warning, below)."
      % (pv["full_site"]["site_id"], pv["full_site"]["places_per_day"]))
    a("- One site name contains a comma (CSV-quoted), one an apostrophe, and one provider is Welsh: "
      "`Canolfan Dydd Glyndŵr`, site `Tŷ Glyndŵr`.")
    a("")
    a("| line | site_id | field | value | expected outcome | why |")
    a("| --- | --- | --- | --- | --- | --- |")
    for f in pv["problems"]:
        a("| %d | %s | %s | %s | rejected: `%s` | %s |" % (f["line"], f["site_id"], f["field"], md_val(f["value"]),
                                                         f["reason"], f["note"]))
    for f in pv["warnings"]:
        a("| %d | %s | %s | %s | kept, warning: `%s` | %s |" % (f["line"], f["site_id"], f["field"],
                                                              md_val(f["value"]), f["reason"], f["note"]))
    a("")
    a("### customers.csv")
    a("")
    a("UTF-8 **with a byte order mark** and **CRLF** line ends, as case-management exports are. Columns exactly: "
      "`%s`." % ",".join(CUSTOMER_HEADER))
    a("")
    a("- `customer_id` pseudonymous `C0001`…; `name` fictional full names (gapmap never reads this column; no "
      "name occurs anywhere else in the sample, so a test can search outputs for them). One Welsh name has "
      "accented letters and one is a Welsh patronymic with `ap`.")
    a("- `needs` 1-3 codes (as for providers); `age_band` `18-24`, `25-34`, `35-44`, `45-54`, `55-64`, `65-74`, "
      "`75-84`, `85+`; `service` one of the four lots; `current_site` a `site_id` whose needs and services suit "
      "the person (blank for the %d people not placed); `days` a `;` list within the site's open days; "
      "`transport` `specialist`, `independent`, `travel_trained`, `family`; `mobility` `standard`/`reduced`; "
      "`funding` `framework`, `spot`, `direct_payment`; `weekly_cost` pounds (days x price, plus 18.50 a day "
      "for some specialist transport), blank when not placed; `preferred_site` mostly blank." % cu["unplaced"])
    a("- Homes are spread in proportion to population, with %d in Marrowby and %d on Holm Island."
      % (mb["customers"], hi["customers"]))
    a("")
    a("Counts: %d rows, %d distinct ids; expected **%d located** and **%d rejected**; %d located rows carry a "
      "warning; %d rows have a postcode that is valid once normalised."
      % (cu["rows"], cu["distinct_ids"], cu["located"], cu["rejected"], cu["rows_with_warnings"],
         cu["accepted_after_normalisation"]))
    a("")
    a("Rejected by reason (`customers_rejected` in `expected.json`): %s."
      % ", ".join("%s %d" % kv for kv in F["customers_rejected"].items()))
    a("")
    a("| line | customer_id | field | value | expected outcome | what |")
    a("| --- | --- | --- | --- | --- | --- |")
    for f in cu["problems"]:
        out = {"accepted": "accepted", "rejected": "rejected: `%s`" % f["reason"],
               "warning": "kept, warning: `%s`" % f["reason"]}[f["outcome"]]
        a("| %d | %s | %s | %s | %s | %s |" % (f["line"], f["customer_id"], f["field"], md_val(f["value"]), out,
                                              f["note"]))
    a("")
    a("Reason keys: `unknown_postcode` (well-formed but not in the directory), `malformed_postcode` (not a "
      "postcode shape), `terminated_postcode`, `duplicate_id` (the second row with an id; the first is kept), "
      "`missing_field` (a required field blank: postcode, needs, service), `bad_value` (a required field with an "
      "unknown value). Problems in optional fields (`current_site`, `weekly_cost`, `days`) keep the person and "
      "are warnings, as gapmap's docs/inputs.md says.")
    a("")
    readme_bus(F["gtfs"], a)
    a("### expected.json")
    a("")
    a("`files` (row counts), `postcodes`, `customers` (with `problems`: every deliberate problem row with its "
      "line, id, field, value and expected outcome), `customers_rejected` (reason -> count), "
      "`customers_warnings`, `providers` (with `problems` and `warnings`), `providers_rejected`, `marrowby` and "
      "`holm_island` (bounding boxes `[xmin, ymin, xmax, ymax]` in EPSG:27700, counts, island link and node ids), "
      "`roads` (counts, `bridge_link_id`, directionality, forms), `bridge_link_id` at the top level, and `gtfs` "
      "(the bus feed: row counts, the reference service date and the trips on it, the special cases, two "
      "journeys and the route list; dates as `YYYYMMDD` numbers, times as GTFS `HH:MM:SS`).")
    a("")
    return "\n".join(L)


# --------------------------------------------------------------------------
# Self-check: read the files back and verify what the README promises
# --------------------------------------------------------------------------

import csv as _csv
import io as _io
import re as _re

PC_SHAPE = _re.compile(r"^(?:[A-Z][0-9]|[A-Z][0-9][0-9]|[A-Z][0-9][A-Z]|[A-Z][A-Z][0-9]|[A-Z][A-Z][0-9][0-9]|"
                       r"[A-Z][A-Z][0-9][A-Z])[0-9][ABDEFGHJLNPQRSTUWXYZ]{2}$")
NEED_CODES = {LD, AUT, DEM, PHY, SEN, MH, OLD, "all"}
SERVICE_CODES = {O2O, SG, BB, ST}


def norm_postcode(raw):
    s = raw.strip().strip("'\"").strip()
    return s.upper().replace(" ", "")


def read_csv_text(path, expect_bom, expect_crlf):
    data = open(path, "rb").read()
    errs = []
    has_bom = data.startswith(b"\xef\xbb\xbf")
    if has_bom != expect_bom:
        errs.append("%s: byte order mark %s" % (os.path.basename(path), "missing" if expect_bom else "present"))
    text = data.decode("utf-8-sig")
    lines = text.split("\n")
    crlf = all(l.endswith("\r") for l in lines[:-1])
    lf = not any(l.endswith("\r") for l in lines[:-1])
    if expect_crlf and not crlf:
        errs.append("%s: not CRLF throughout" % os.path.basename(path))
    if not expect_crlf and not lf:
        errs.append("%s: not LF throughout" % os.path.basename(path))
    if not text.endswith("\n"):
        errs.append("%s: no final line end" % os.path.basename(path))
    rows = list(_csv.reader(_io.StringIO(text, newline="")))
    return rows, text, errs


def read_layer(path, name):
    """[(attributes, shapely geometry)] of a layer; the dataset is closed after."""
    from shapely import wkb as _wkb
    ds = ogr.Open(path)
    lyr = ds.GetLayerByName(name)
    out = []
    f = lyr.GetNextFeature()
    while f is not None:
        a = {f.GetFieldDefnRef(i).GetName(): f.GetField(i) for i in range(f.GetFieldCount())}
        g = f.GetGeometryRef()
        out.append((a, _wkb.loads(bytes(g.ExportToWkb()))))
        f = lyr.GetNextFeature()
    f = lyr = None
    ds = None
    return out


GTFS_TIME = _re.compile(r"^(\d{2}):([0-5]\d):([0-5]\d)$")


def check_bus(F, need, links, geoms, water):
    """Read bus/ back: file form, required columns, references, ordering and
    times, stops on a (non-motorway) road, and the facts in expected.json
    recomputed from the files."""
    import datetime
    E = F["gtfs"]
    folder = os.path.join(HERE, E["folder"])
    G = {}
    for f in GTFS_FILES:
        path = os.path.join(folder, f)
        if not os.path.exists(path):
            need(False, "bus/%s missing" % f)
            return
        rows, text, errs = read_csv_text(path, False, False)
        for e in errs:
            need(False, "bus/" + e)
        need(rows and rows[0] == GTFS_HEADERS[f], "bus/%s header" % f)
        need(set(GTFS_REQUIRED[f]) <= set(rows[0]), "bus/%s lacks a required column" % f)
        need(all(len(r) == len(rows[0]) for r in rows[1:]), "bus/%s rows of the wrong width" % f)
        G[f] = [dict(zip(rows[0], r)) for r in rows[1:]]
        need(len(G[f]) == E["files"][f], "bus/%s has %d rows, expected.json says %d" % (f, len(G[f]), E["files"][f]))
        need(all(v.strip() == v for r in G[f] for v in r.values()), "bus/%s: a value with spaces around it" % f)

    def date_ok(s):
        try:
            datetime.date(int(s[:4]), int(s[4:6]), int(s[6:]))
            return len(s) == 8
        except ValueError:
            return False

    def unique(f, key):
        ids = [r[key] for r in G[f]]
        need(len(set(ids)) == len(ids) and all(ids), "bus/%s: %s empty or repeated" % (f, key))
        return set(ids)
    agencies = unique("agency.txt", "agency_id")
    need(all(r["agency_timezone"] == "Europe/London" and r["agency_url"].startswith("https://")
             for r in G["agency.txt"]), "agency timezone/url")
    need(any(r["agency_name"] == "Examplshire Buses" for r in G["agency.txt"]), "no Examplshire Buses")
    stops = unique("stops.txt", "stop_id")
    need(len(set(r["stop_name"] for r in G["stops.txt"])) == len(stops), "stop names not unique")
    routes = unique("routes.txt", "route_id")
    need(8 <= len(routes) <= 14, "%d routes" % len(routes))
    need(all(r["agency_id"] in agencies and r["route_type"] == "3" for r in G["routes.txt"]), "route agency/type")
    services = unique("calendar.txt", "service_id")
    for r in G["calendar.txt"]:
        need(all(r[d] in ("0", "1") for d in GTFS_WEEKDAYS) and date_ok(r["start_date"]) and date_ok(r["end_date"])
             and r["start_date"] <= r["end_date"], "calendar row %s" % r["service_id"])
    lo, hi = min(r["start_date"] for r in G["calendar.txt"]), max(r["end_date"] for r in G["calendar.txt"])
    for r in G["calendar_dates.txt"]:
        need(date_ok(r["date"]) and lo <= r["date"] <= hi and r["exception_type"] in ("1", "2"),
             "calendar_dates row %s %s" % (r["service_id"], r["date"]))
        need(r["exception_type"] == "1" or r["service_id"] in services, "calendar_dates removes an unknown service")
    services |= set(r["service_id"] for r in G["calendar_dates.txt"])
    trips = unique("trips.txt", "trip_id")
    need(all(r["route_id"] in routes and r["service_id"] in services and r["direction_id"] in ("0", "1")
             for r in G["trips.txt"]), "trip with a bad route, service or direction")
    need(set(r["route_id"] for r in G["trips.txt"]) == routes, "a route without trips")
    # stop_times: grouped by trip, in stop_sequence order, times never going back
    prev, seen_trips, used_stops, n_st = None, set(), set(), defaultdict(int)
    first_dep = {}
    for i, r in enumerate(G["stop_times.txt"]):
        where = "stop_times.txt line %d" % (i + 2)
        need(r["trip_id"] in trips and r["stop_id"] in stops, where + ": unknown trip or stop")
        ma, md = GTFS_TIME.match(r["arrival_time"]), GTFS_TIME.match(r["departure_time"])
        need(ma is not None and md is not None and r["stop_sequence"].isdigit(), where + ": bad time or sequence")
        if ma is None or md is None or not r["stop_sequence"].isdigit():
            continue
        a, d, q = parse_hms(r["arrival_time"]), parse_hms(r["departure_time"]), int(r["stop_sequence"])
        need(a <= d, where + ": departure before arrival")
        if prev is not None and prev[0] == r["trip_id"]:
            need(q > prev[1] and a >= prev[2], where + ": sequence or time goes back")
        else:
            need(r["trip_id"] not in seen_trips, where + ": trip %s not contiguous" % r["trip_id"])
            need(prev is None or r["trip_id"] > prev[0], where + ": trips not sorted")
            seen_trips.add(r["trip_id"])
            first_dep[r["trip_id"]] = d
        prev = (r["trip_id"], q, d)
        used_stops.add(r["stop_id"])
        n_st[r["trip_id"]] += 1
    need(all(n_st[t] >= 2 for t in trips), "a trip with fewer than 2 stop times")
    need(used_stops == stops, "stops no trip serves")
    for r in G["frequencies.txt"]:
        need(r["trip_id"] in trips and 600 <= int(r["headway_secs"]) <= 900 and r["exact_times"] == "0"
             and parse_hms(r["start_time"]) < parse_hms(r["end_time"]), "frequencies row %s" % r["trip_id"])
    for tid in set(r["trip_id"] for r in G["frequencies.txt"]):
        starts = [parse_hms(r["start_time"]) for r in G["frequencies.txt"] if r["trip_id"] == tid]
        need(first_dep.get(tid) == min(starts), "template trip %s does not start at its first frequency" % tid)
    need(len(G["feed_info.txt"]) == 1, "feed_info rows")
    # stops: 6 decimals, in the county, on a road a bus may use (not the motorway)
    src = osr.SpatialReference()
    src.ImportFromEPSG(4326)
    src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    opt = osr.CoordinateTransformationOptions()
    opt.SetOperation(HELMERT, True)
    inv = osr.CoordinateTransformation(src, bng(), opt)
    roads = Tree([g for g, (c, a) in zip(geoms, links) if a["road_classification"] != "Motorway"])
    worst = 0.0
    for r in G["stops.txt"]:
        ok = _re.match(r"^EMS\d{4}$", r["stop_id"]) and _re.match(r"^\d{2}\.\d{6}$", r["stop_lat"]) and \
            _re.match(r"^-?\d\.\d{6}$", r["stop_lon"]) and ", " in r["stop_name"]
        need(ok, "stop %s: id, name or coordinate format" % r["stop_id"])
        x, y, _ = inv.TransformPoint(float(r["stop_lon"]), float(r["stop_lat"]))
        d = roads.nearest_distance(Point(x, y))
        worst = max(worst, d)
        need(d <= 5.0, "stop %s is %.1f m from a non-motorway road" % (r["stop_id"], d))
    # the river: consecutive stops on opposite banks are joined across it at Wend Bridge
    xy = {}
    for r in G["stops.txt"]:
        x, y, _ = inv.TransformPoint(float(r["stop_lon"]), float(r["stop_lat"]))
        xy[r["stop_id"]] = (x, y)
    bridge = [g for g, (c, a) in zip(geoms, links) if a["id"] == F["bridge_link_id"]][0]
    pairs = set()
    for r0, r1 in zip(G["stop_times.txt"], G["stop_times.txt"][1:]):
        if r0["trip_id"] == r1["trip_id"]:
            pairs.add((r0["stop_id"], r1["stop_id"]))
    crossings = 0
    for s0, s1 in sorted(pairs):
        seg = LineString([xy[s0], xy[s1]])
        if seg.intersects(water):
            crossings += 1
            need(seg.intersection(water).distance(bridge) < 500,
                 "stops %s and %s are joined across the river away from Wend Bridge" % (s0, s1))
    need(crossings > 0, "no bus crosses the river")
    # the reference date and the special cases
    ref = str(E["service_date"])
    need(datetime.date(int(ref[:4]), int(ref[4:6]), int(ref[6:])).weekday() == 1, "service date not a Tuesday")
    need(all(r["date"] != ref for r in G["calendar_dates.txt"]), "service date is a calendar_dates exception")
    need(lo <= ref <= hi and "MF" in gtfs_services_on(G, ref), "weekday service not running on the service date")
    spec = {"service_date": ref,
            "journey_direct": {k: E["journey_direct"][k] for k in ("route_id", "from_stop_id", "to_stop_id",
                                                                   "not_before")},
            "journey_one_change": {k: E["journey_one_change"][k] for k in ("from_stop_id", "to_stop_id",
                                                                           "depart_at")},
            "departures_from": [x["stop_id"] for x in E["departures_on_service_date"]]}
    facts = gtfs_facts(G, spec)
    for k, v in facts.items():
        need(E.get(k) == v, "bus facts: %s is %s in the files, %s in expected.json" % (k, v, E.get(k)))
    counts = {"agencies": "agency.txt", "stops": "stops.txt", "routes": "routes.txt", "trips": "trips.txt",
              "stop_times": "stop_times.txt", "frequencies_rows": "frequencies.txt",
              "calendar_rows": "calendar.txt", "calendar_dates_rows": "calendar_dates.txt"}
    need(all(E[k] == len(G[f]) for k, f in counts.items()), "bus counts")
    need(len(G["stop_times.txt"]) < 60000 and len(stops) <= 400, "bus feed too big")
    return len(G["stops.txt"]), len(G["trips.txt"]), worst


def check():
    errors = []

    def need(cond, msg):
        if not cond:
            errors.append(msg)
    F = json.load(open(os.path.join(HERE, "expected.json"), encoding="utf-8"))

    # ---- roads
    ds = ogr.Open(os.path.join(HERE, "roads.gpkg"))
    nl = ds.GetLayerByName("road_node")
    ll = ds.GetLayerByName("road_link")
    need(nl.GetSpatialRef().GetAuthorityCode(None) == "27700", "road_node not EPSG:27700")
    need(ll.GetSpatialRef().GetAuthorityCode(None) == "27700", "road_link not EPSG:27700")
    node_pt, node_form = {}, {}
    for f in nl:
        g = f.GetGeometryRef()
        nid = f.GetField("id")
        need(nid not in node_pt, "duplicate node id %s" % nid)
        node_pt[nid] = (g.GetX(), g.GetY())
        node_form[nid] = f.GetField("form_of_road_node")
    links = []
    ids = set()
    deg = defaultdict(int)
    for f in ll:
        g = f.GetGeometryRef()
        coords = [(g.GetX(i), g.GetY(i)) for i in range(g.GetPointCount())]
        a = {k: f.GetField(k) for k in ("id", "road_classification", "road_function", "form_of_way",
                                        "road_structure", "length", "loop", "start_node", "end_node",
                                        "directionality", "fictitious", "length_uom")}
        need(a["id"] not in ids, "duplicate link id")
        ids.add(a["id"])
        need(a["road_classification"] in ROAD_CLASSES, "bad class %s" % a["road_classification"])
        need(a["road_function"] in ROAD_FUNCTIONS, "bad function %s" % a["road_function"])
        need(a["form_of_way"] in FORMS, "bad form %s" % a["form_of_way"])
        need(a["road_structure"] in (None, "Road On Bridge"), "bad structure")
        need(a["directionality"] in (BOTH, INDIR, OPPDIR), "bad directionality")
        need(a["fictitious"] == 0 and a["length_uom"] == "m", "fictitious/length_uom")
        need(coords[0] == node_pt.get(a["start_node"]), "link %s: first vertex is not its start node" % a["id"])
        need(coords[-1] == node_pt.get(a["end_node"]), "link %s: last vertex is not its end node" % a["id"])
        L = line_len(coords)
        need(a["length"] == int(round(L)), "link %s: length %s vs %.2f" % (a["id"], a["length"], L))
        need(a["loop"] == (1 if a["start_node"] == a["end_node"] else 0), "loop flag")
        need(len(set(coords)) == len(coords) or a["loop"] == 1, "link %s repeats a vertex" % a["id"])
        need(max_turn(coords) < 150, "link %s doubles back on itself" % a["id"])
        deg[a["start_node"]] += 1
        deg[a["end_node"]] += 1
        links.append((coords, a))
    need(len(links) == F["roads"]["links"] and len(node_pt) == F["roads"]["nodes"], "road counts")
    need(set(deg) == set(node_pt), "nodes without links")
    for nid, form in node_form.items():
        d = deg[nid]
        if form == "road end":
            need(d == 1, "road end with degree %d" % d)
        elif form == "pseudo node":
            need(d == 2, "pseudo node with degree %d" % d)
        elif form == "junction":
            need(d >= 3, "junction with degree %d" % d)
        else:
            need(form == "roundabout", "bad node form %s" % form)
    geoms = [LineString(c) for c, a in links]
    tree = Tree(geoms)
    ends = [set([c[0], c[-1]]) for c, a in links]
    grade_sep = 0
    for i, gi in enumerate(geoms):
        for j in tree.query(gi):
            if j <= i or not gi.intersects(geoms[j]):
                continue
            x = gi.intersection(geoms[j])
            parts = [x] if x.geom_type in ("Point", "LineString") else list(x.geoms)
            for p in parts:
                if p.geom_type != "Point":
                    need(False, "links %s and %s overlap" % (links[i][1]["id"], links[j][1]["id"]))
                    continue
                c = (p.x, p.y)
                if any(dist(c, e) < 0.01 for e in ends[i] & ends[j]):
                    continue
                ai, aj = links[i][1], links[j][1]
                bridge_over_m = ((ai["road_structure"] == "Road On Bridge" and aj["road_classification"] == "Motorway")
                                 or (aj["road_structure"] == "Road On Bridge" and ai["road_classification"] == "Motorway"))
                if bridge_over_m:
                    grade_sep += 1
                    continue
                need(False, "links %s and %s meet away from a shared node at %s" % (ai["id"], aj["id"], c))
    node_geoms = {nid: Point(p) for nid, p in node_pt.items()}
    for nid, p in node_geoms.items():
        for j in tree.query(p.buffer(0.01)):
            if node_pt[nid] in ends[j]:
                continue
            need(geoms[j].distance(p) > 0.001, "node %s lies inside link %s" % (nid, links[j][1]["id"]))
    # components
    parent = {nid: nid for nid in node_pt}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    for c, a in links:
        ra, rb = find(a["start_node"]), find(a["end_node"])
        if ra != rb:
            parent[ra] = rb
    comps = defaultdict(set)
    for c, a in links:
        comps[find(a["start_node"])].add(a["id"])
    need(len(comps) == 2, "expected 2 road components, found %d" % len(comps))
    island_ids = set(F["holm_island"]["link_ids"])
    need(any(v == island_ids for v in comps.values()), "Holm Island's links are not a component of their own")
    # water crossing
    bpath = os.path.join(HERE, "boundaries.gpkg")
    water = read_layer(bpath, "water")[0][1]
    wet = [links[i][1] for i in range(len(links)) if geoms[i].intersects(water)]
    need(len(wet) == 1 and wet[0]["id"] == F["bridge_link_id"] and wet[0]["road_structure"] == "Road On Bridge",
         "exactly one link, the bridge, should cross the water (found %d)" % len(wet))
    dset = set(a["directionality"] for c, a in links)
    need(INDIR in dset and OPPDIR in dset, "both one-way kinds present")
    # ---- boundaries
    county = read_layer(bpath, "county")[0][1]
    lsoas = [(a["lsoa21cd"], a["lsoa21nm"], g) for a, g in read_layer(bpath, "lsoa")]
    need(len(lsoas) == F["files"]["boundaries.gpkg"]["lsoa"], "lsoa count")
    need(len(set(l[0] for l in lsoas)) == len(lsoas), "lsoa codes unique")
    tot = sum(l[2].area for l in lsoas)
    need(abs(tot - county.area) < 1e-6 * county.area, "lsoas do not tile the county (%.1f vs %.1f)" % (tot, county.area))
    need(all(_re.match(r"^Examplshire \d{3}[A-Z]$", l[1]) for l in lsoas), "lsoa names")
    cprep = prep(county)
    # ---- postcodes
    rows, text, errs = read_csv_text(os.path.join(HERE, "onspd_examplshire.csv"), False, False)
    errors.extend(errs)
    need(rows[0] == ONSPD_HEADER, "onspd header")
    body = rows[1:]
    need(len(body) == F["files"]["onspd_examplshire.csv"]["rows"], "onspd rows")
    directory = {}
    lsoa_prep = [(c, prep(g)) for c, n, g in lsoas]
    road_tree = Tree([g for g, (c, a) in zip(geoms, links)])
    n_term = n_nogrid = 0
    # an independent transformation (PROJ's own choice) to check lat/long against
    src = bng()
    src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    dst = osr.SpatialReference()
    dst.ImportFromEPSG(4326)
    dst.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ct = osr.CoordinateTransformation(src, dst)
    for r in body:
        pcd, pcd2, pcds = r[0], r[1], r[2]
        need(len(pcd) == 7 and len(pcd2) == 8, "pcd/pcd2 widths: %r %r" % (pcd, pcd2))
        need(pcd.replace(" ", "") == pcds.replace(" ", "") == pcd2.replace(" ", ""), "pcd forms differ")
        need(PC_SHAPE.match(pcds.replace(" ", "")) is not None, "bad postcode shape %s" % pcds)
        need(pcds not in directory, "duplicate postcode %s" % pcds)
        directory[pcds.replace(" ", "")] = r
        if r[4]:
            n_term += 1
            need(_re.match(r"^(19|20)\d\d(0[1-9]|1[0-2])$", r[4]) is not None, "doterm format")
        if not r[6]:
            n_nogrid += 1
            need(r[8] == "9" and r[14] == "99.999999", "no-grid row form")
            continue
        x, y = int(r[6]), int(r[7])
        pt = Point(x, y)
        lon, lat, _ = ct.TransformPoint(float(x), float(y))
        need(abs(float(r[14]) - lat) < 2e-4 and abs(float(r[15]) - lon) < 2e-4,
             "postcode %s lat/long %s,%s vs %.6f,%.6f" % (pcds, r[14], r[15], lat, lon))
        need(cprep.contains(pt), "postcode %s outside the county" % pcds)
        z = [c for c, p in lsoa_prep if p.covers(pt)]
        need(r[10] in z, "postcode %s lsoa21 %s not where it lies" % (pcds, r[10]))
        d = road_tree.nearest_distance(pt)
        need(8.0 <= d <= 46.0, "postcode %s is %.1f m from a road" % (pcds, d))
    need(n_term == F["postcodes"]["terminated"] and n_nogrid == F["postcodes"]["no_grid_reference"],
         "terminated/no-grid counts")
    # ---- providers
    rows, text, errs = read_csv_text(os.path.join(HERE, "providers.csv"), False, False)
    errors.extend(errs)
    need(rows[0] == PROVIDER_HEADER, "providers header")
    rows_p = rows
    body = rows[1:]
    need(len(body) == F["files"]["providers.csv"]["rows"], "providers rows")
    site_ids, seen_site, prov_ids = set(), set(), set()
    prov_rej = defaultdict(int)
    for r in body:
        d = dict(zip(PROVIDER_HEADER, r))
        if d["site_id"] in seen_site:
            prov_rej["duplicate_id"] += 1
            continue
        seen_site.add(d["site_id"])
        if d["easting"]:
            loc_ok = cprep.contains(Point(float(d["easting"]), float(d["northing"])))
            need(loc_ok, "site %s coordinates outside the county" % d["site_id"])
        elif d["postcode"]:
            e = directory.get(norm_postcode(d["postcode"]))
            if e is None:
                prov_rej["unknown_postcode"] += 1
                continue
            need(not e[4] and e[6], "site %s postcode not live with coordinates" % d["site_id"])
        else:
            prov_rej["missing_location"] += 1
            continue
        if not _re.match(r"^\d+$", d["places_per_day"]):
            prov_rej["bad_value"] += 1
            continue
        need(set(d["services"].split(";")) <= SERVICE_CODES and set(d["needs"].split(";")) <= NEED_CODES,
             "site %s vocab" % d["site_id"])
        need(all(x in WEEK for x in d["open_days"].split(";")), "site %s open days" % d["site_id"])
        site_ids.add(d["site_id"])
        prov_ids.add(d["provider_id"])
    need(dict(sorted(prov_rej.items())) == F["providers_rejected"], "provider rejects %s" % dict(prov_rej))
    need(len(site_ids) == F["providers"]["sites_located"] and len(prov_ids) == F["providers"]["providers"],
         "provider/site counts")
    prov_text = text
    # ---- customers
    rows, ctext, errs = read_csv_text(os.path.join(HERE, "customers.csv"), True, True)
    errors.extend(errs)
    need(rows[0] == CUSTOMER_HEADER, "customers header")
    body = rows[1:]
    need(len(body) == F["files"]["customers.csv"]["rows"], "customer rows")
    rej, warn = defaultdict(int), defaultdict(int)
    seen_c = set()
    names = []
    for r in body:
        d = dict(zip(CUSTOMER_HEADER, r))
        names.append(d["name"])
        if d["customer_id"] in seen_c:
            rej["duplicate_id"] += 1
            continue
        seen_c.add(d["customer_id"])
        pc = norm_postcode(d["postcode"])
        if not pc:
            rej["missing_field"] += 1
            continue
        if not PC_SHAPE.match(pc):
            rej["malformed_postcode"] += 1
            continue
        e = directory.get(pc)
        if e is None:
            rej["unknown_postcode"] += 1
            continue
        if e[4]:
            rej["terminated_postcode"] += 1
            continue
        if not d["needs"].strip() or not d["service"].strip():
            rej["missing_field"] += 1
            continue
        if not set(d["needs"].split(";")) <= NEED_CODES or d["service"] not in SERVICE_CODES:
            rej["bad_value"] += 1
            continue
        if d["current_site"] and d["current_site"] not in site_ids:
            warn["unknown_current_site"] += 1
        if d["days"] and not all(x in WEEK for x in d["days"].split(";")):
            warn["bad_days"] += 1
        if d["weekly_cost"] and not _re.match(r"^\d+(\.\d\d)?$", d["weekly_cost"]):
            warn["bad_weekly_cost"] += 1
        need(d["preferred_site"] == "" or d["preferred_site"] in site_ids, "preferred site")
    need(dict(rej) == {k: v for k, v in F["customers_rejected"].items() if v}, "customer rejects %s" % dict(rej))
    # every listed problem row is where expected.json says, and the accepted ones really resolve
    for f in F["customers"]["problems"]:
        r = dict(zip(CUSTOMER_HEADER, body[f["line"] - 2]))
        need(r["customer_id"] == f["customer_id"] and r[f["field"]] == f["value"],
             "problem row at line %d does not match expected.json" % f["line"])
        if f["outcome"] == "accepted":
            e = directory.get(norm_postcode(r["postcode"]))
            need(e is not None and not e[4] and e[6], "accepted postcode %r does not resolve" % r["postcode"])
        if "letter O" in f["note"]:
            fixed = norm_postcode(r["postcode"]).replace("EM1O", "EM10")
            e = directory.get(fixed)
            need(e is not None and not e[4], "letter-O row: %s is not a live postcode" % fixed)
    # Marrowby and Holm Island: customers inside the boxes, no sites
    problem_lines = {f["line"]: f for f in F["customers"]["problems"]}

    def located_points():
        for i, r in enumerate(body):
            f = problem_lines.get(i + 2)
            if f and f["outcome"] == "rejected":
                continue
            e = directory.get(norm_postcode(r[CUSTOMER_HEADER.index("postcode")]))
            if e is not None and e[6]:
                yield int(e[6]), int(e[7])
    pts = list(located_points())
    need(len(pts) == F["customers"]["located"], "located customers %d" % len(pts))
    site_pts = []
    for r in rows_p[1:]:
        d = dict(zip(PROVIDER_HEADER, r))
        if d["site_id"] in site_ids:
            if d["easting"]:
                site_pts.append((float(d["easting"]), float(d["northing"])))
            else:
                e = directory[norm_postcode(d["postcode"])]
                site_pts.append((int(e[6]), int(e[7])))
    for key in ("marrowby", "holm_island"):
        b = F[key]["bbox"]
        need(sum(1 for x, y in pts if in_bbox(b, x, y)) == F[key]["customers"], "%s customers" % key)
        need(not any(in_bbox(b, x, y) for x, y in site_pts), "a site in %s" % key)
    need(dict(sorted(warn.items())) == F["customers_warnings"], "customer warnings %s" % dict(warn))
    # names never appear anywhere else
    others = [prov_text, open(os.path.join(HERE, "onspd_examplshire.csv"), encoding="utf-8").read(),
              open(os.path.join(HERE, "expected.json"), encoding="utf-8").read(),
              open(os.path.join(HERE, "README.md"), encoding="utf-8").read()]
    for f in ("stops.txt", "routes.txt", "trips.txt"):
        path = os.path.join(HERE, BUS_DIR, f)
        if os.path.exists(path):
            others.append(open(path, encoding="utf-8").read())
    others.append("\n".join(",".join(v for k, v in zip(CUSTOMER_HEADER, r) if k != "name") for r in body))
    for lyr in (ll,):
        lyr.ResetReading()
        others.append("\n".join(str(f.GetField("name_1")) for f in lyr))
    blob = "\n".join(others)
    need(len(set(names)) == len(names), "customer names not unique")
    for nm in names:
        need(nm not in blob, "customer name %r occurs outside the name column" % nm)
    need(any("ŵ" in n or "ŷ" in n or "â" in n for n in names), "Welsh accented name")
    # ---- buses
    bus = check_bus(F, need, links, geoms, water) if "gtfs" in F else None
    need(bus is not None, "no bus feed facts in expected.json")
    # ---- summary (drop OGR layers before their datasets)
    ll = nl = None
    ds = None
    if errors:
        for e in errors[:50]:
            print("check: FAIL: " + e, file=sys.stderr)
        print("check: %d problems" % len(errors), file=sys.stderr)
        return 1
    print("check: ok (%d links, %d nodes, %d grade-separated crossings, %d postcodes, %d sites, %d customers, "
          "%d bus stops (all within %.1f m of a road), %d trips)"
          % (len(links), len(node_pt), grade_sep, len(directory), len(site_ids), len(body), bus[0], bus[2], bus[1]),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    if "--check" not in sys.argv[1:]:
        generate()
    sys.exit(check())
