#!/usr/bin/python3
"""Open gapmap's output layers in QGIS, headless, as a planner would.

Loads every .geojson and .shp in DIR with QGIS's own OGR provider and checks
each layer is valid and that the .qml beside it (the style QGIS loads by itself
for <stem>.geojson and <stem>.shp) applies: QGIS loaded it on opening the
layer, loadNamedStyle accepts it, its renderer is the type the file names, and
every feature gets a symbol from it (a field name the layer lacks, e.g. one a
shapefile cut to 10 characters, leaves features unstyled); and that labels use
a field the layer has and get placed.  Prints each layer's feature count and
legend, then renders all layers into a 1200x900 PNG in EPSG:27700 and checks it
is not blank.

    /usr/bin/python3 tests/qgis_check.py DIR --png OUT.png \\
        [--expect-style NAME=graduatedSymbol ...] [--allow-unstyled]

NAME is a stem ("catchments": both formats) or a file name
("catchments.shp").  Exit status 0 when all is well, 1 with a message on
stderr naming the layer and the problem, 2 for bad usage.  Needs Debian's
python3-qgis (run with /usr/bin/python3, not a virtualenv's python).
"""
import argparse
import os
import sys
import xml.etree.ElementTree as ET

# No display: Qt draws into memory (set before Qt is imported).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

RENDERER_TYPES = ("singleSymbol", "graduatedSymbol", "categorizedSymbol")


class CheckError(Exception):
    pass


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("dir", help="folder holding .geojson and .shp layers")
    p.add_argument("--png", required=True, help="where to write the rendered map")
    p.add_argument("--expect-style", action="append", default=[], metavar="NAME=TYPE",
                   help="layer NAME (stem or file name) must carry a .qml with renderer TYPE "
                        "(%s)" % ", ".join(RENDERER_TYPES))
    p.add_argument("--allow-unstyled", action="store_true",
                   help="do not fail when some features match no class of their style")
    a = p.parse_args(argv)
    expect = {}
    for item in a.expect_style:
        name, sep, kind = item.partition("=")
        if not sep or not name or kind not in RENDERER_TYPES:
            p.error("--expect-style %r: want NAME=TYPE with TYPE one of %s"
                    % (item, ", ".join(RENDERER_TYPES)))
        expect[name] = kind
    a.expect = expect
    return a


def qml_renderer_type(path):
    """The renderer type a .qml names, read from the file itself."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        raise CheckError("%s: not well-formed XML: %s" % (path, e))
    r = root.find("renderer-v2")
    if root.tag != "qgis" or r is None or not r.get("type"):
        raise CheckError("%s: no <qgis><renderer-v2 type=...>: not a QGIS style" % path)
    return r.get("type")


def check_layer(core, QtCore, QtGui, path, expect, allow_unstyled):
    name = os.path.basename(path)
    stem = os.path.splitext(name)[0]
    layer = core.QgsVectorLayer(path, name, "ogr")
    if not layer.isValid():
        raise CheckError("%s: QGIS cannot open the layer (%s)"
                         % (path, layer.error().summary() or "invalid layer"))
    if not layer.crs().isValid():
        raise CheckError("%s: no coordinate reference system" % path)
    count = layer.featureCount()
    info = "%s: valid, %d features, %s" % (name, count, layer.crs().authid())

    qml = os.path.join(os.path.dirname(path), stem + ".qml")
    want = expect.get(name, expect.get(stem))
    if not os.path.exists(qml):
        if want:
            raise CheckError("%s: expected a %s style but there is no %s" % (path, want, qml))
        print(info + ", no style")
        return layer

    file_type = qml_renderer_type(qml)
    if want and file_type != want:
        raise CheckError("%s: expected a %s style but %s holds %s" % (path, want, qml, file_type))
    # QGIS loads <stem>.qml by itself when it opens a file layer: that is
    # what a planner sees, so check it did before loading it explicitly.
    auto = layer.renderer().type() if layer.renderer() else None
    if auto != file_type:
        raise CheckError("%s: QGIS did not load %s by itself (renderer %s, not %s)"
                         % (path, qml, auto, file_type))
    msg, ok = layer.loadNamedStyle(qml)
    if not ok:
        raise CheckError("%s: QGIS did not apply %s: %s" % (path, qml, msg))
    renderer = layer.renderer()
    if renderer is None or renderer.type() != file_type:
        raise CheckError("%s: after loading %s the renderer is %s, not %s"
                         % (path, qml, renderer.type() if renderer else None, file_type))

    # Every feature must get a symbol: a style whose field the layer lacks
    # loads without complaint but draws nothing.
    ctx = core.QgsRenderContext()
    ctx.expressionContext().appendScopes(
        core.QgsExpressionContextUtils.globalProjectLayerScopes(layer))
    renderer.startRender(ctx, layer.fields())
    unstyled = []
    for f in layer.getFeatures():
        ctx.expressionContext().setFeature(f)
        if not renderer.symbolsForFeature(f, ctx):
            unstyled.append(f.id())
    renderer.stopRender(ctx)
    if unstyled and not allow_unstyled:
        attr = getattr(renderer, "classAttribute", lambda: "")()
        raise CheckError("%s: %d of %d features match no class of %s (style field %r; layer "
                         "fields %s)" % (path, len(unstyled), count, qml, attr,
                                         ", ".join(layer.fields().names())))

    classes = ""
    if file_type == "graduatedSymbol":
        classes = " (%d ranges)" % len(renderer.ranges())
    elif file_type == "categorizedSymbol":
        classes = " (%d categories)" % len(renderer.categories())
    labels = ""
    if layer.labelsEnabled():
        settings = layer.labeling().settings()
        if settings.isExpression:
            e = core.QgsExpression(settings.fieldName)
            if e.hasParserError():
                raise CheckError("%s: label expression %r: %s"
                                 % (path, settings.fieldName, e.parserErrorString()))
        elif layer.fields().lookupField(settings.fieldName) < 0:
            raise CheckError("%s: labels use field %r, which the layer lacks"
                             % (path, settings.fieldName))
        # Placed on a map of this layer alone: in the full map the GeoJSON and
        # the shapefile of one layer lie on top of each other, and each one's
        # features are obstacles that push the other's labels off.
        placed = len(draw(core, QtCore, QtGui, [layer], layer_extent(core, layer), 600, 450)[1])
        if count and not placed:
            raise CheckError("%s: labels from %s are enabled but QGIS placed none"
                             % (path, settings.fieldName))
        labels = ", labels from %s (%d placed alone)" % (settings.fieldName, placed)
    print("%s, style %s %s%s%s, %d unstyled" % (info, os.path.basename(qml), file_type, classes,
                                                labels, len(unstyled)))
    # Legend text as QGIS read it, so a caller can check the escaping held.
    for item in renderer.legendSymbolItems():
        if item.label():
            print("  legend: %s" % item.label())
    return layer


BNG = "EPSG:27700"


def layer_extent(core, layer):
    """The layer's extent in EPSG:27700."""
    xform = core.QgsCoordinateTransform(layer.crs(), core.QgsCoordinateReferenceSystem(BNG),
                                        core.QgsProject.instance())
    return xform.transformBoundingBox(layer.extent())


def draw(core, QtCore, QtGui, layers, extent, width, height):
    """Render layers over extent (EPSG:27700): (image, placed labels)."""
    extent = core.QgsRectangle(extent)
    extent.scale(1.1)  # a margin, so edges are not cut by the frame
    if extent.width() < 200 or extent.height() < 200:  # one point: show 200 m around it
        extent = extent.buffered(100)
    settings = core.QgsMapSettings()
    # QGIS draws the first layer on top: points over lines over polygons
    order = {core.QgsWkbTypes.PointGeometry: 0, core.QgsWkbTypes.LineGeometry: 1}
    settings.setLayers(sorted(layers, key=lambda l: order.get(l.geometryType(), 2)))
    settings.setDestinationCrs(core.QgsCoordinateReferenceSystem(BNG))
    settings.setOutputSize(QtCore.QSize(width, height))
    settings.setBackgroundColor(QtGui.QColor(255, 255, 255))
    settings.setExtent(extent)
    settings.setFlag(core.QgsMapSettings.Antialiasing, True)
    job = core.QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    errors = ["%s: %s" % (e.layerID, e.message) for e in job.errors()]
    if errors:
        raise CheckError("rendering failed: " + "; ".join(errors))
    results = job.takeLabelingResults()
    return job.renderedImage(), results.allLabels() if results else []


def render(core, QtCore, QtGui, layers, png):
    drawn = [l for l in layers if l.featureCount() > 0]
    if not drawn:
        raise CheckError("nothing to draw: every layer is empty")
    extent = layer_extent(core, drawn[0])
    for layer in drawn[1:]:
        extent.combineExtentWith(layer_extent(core, layer))
    image, labels = draw(core, QtCore, QtGui, layers, extent, 1200, 900)
    if not image.save(png, "PNG"):
        raise CheckError("%s: cannot write the PNG" % png)

    # Read the file back, as a person's viewer would, and look for ink.
    img = QtGui.QImage(png)
    if img.isNull() or img.width() != 1200 or img.height() != 900:
        raise CheckError("%s: not a 1200x900 image" % png)
    colours = set()
    for y in range(0, img.height(), 3):
        for x in range(0, img.width(), 3):
            colours.add(img.pixel(x, y))
        if len(colours) > 1:
            break
    if len(colours) < 2:
        raise CheckError("%s: the map is blank (one colour): nothing was drawn" % png)
    print("rendered %d layers and %d labels into %s (extent %s in %s)"
          % (len(layers), len(labels), png, extent.toString(0), BNG))


def main(argv):
    args = parse_args(argv)
    try:
        from qgis import core
        from qgis.PyQt import QtCore, QtGui
    except ImportError as e:
        print("qgis_check: cannot import QGIS (%s): install Debian's python3-qgis and run "
              "with /usr/bin/python3" % e, file=sys.stderr)
        return 1
    if not os.path.isdir(args.dir):
        print("qgis_check: %s is not a folder" % args.dir, file=sys.stderr)
        return 1

    app = core.QgsApplication([], False)
    app.setPrefixPath("/usr", True)
    app.initQgis()
    status = 0
    try:
        # a run's folder keeps its layers in shareable/ and restricted/
        dirs = [args.dir] + [os.path.join(args.dir, d) for d in ("shareable", "restricted")
                             if os.path.isdir(os.path.join(args.dir, d))]
        paths = sorted(os.path.join(d, n) for d in dirs for n in os.listdir(d)
                       if n.endswith((".geojson", ".shp")) and not n.startswith("."))
        if not paths:
            raise CheckError("%s: no .geojson or .shp layers" % args.dir)
        stems = {os.path.splitext(os.path.basename(p))[0] for p in paths}
        names = {os.path.basename(p) for p in paths}
        for want in args.expect:
            if want not in stems and want not in names:
                raise CheckError("--expect-style %s: no such layer in %s" % (want, args.dir))
        layers = [check_layer(core, QtCore, QtGui, p, args.expect, args.allow_unstyled)
                  for p in paths]
        render(core, QtCore, QtGui, layers, args.png)
    except CheckError as e:
        print("qgis_check: error: %s" % e, file=sys.stderr)
        status = 1
    finally:
        layers = None
        app.exitQgis()
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
