#!/usr/bin/python3
"""Open a gapmap QGIS project (gapmap.qgs) in QGIS, headless, as a planner would.

Reads the project file twice: as XML (what gapmap wrote) and with
QgsProject.read() (what QGIS makes of it), and checks they agree:

  - QGIS reads the project; its CRS is EPSG:27700 and its title the file's;
  - every data source is relative ("./name.ext", paths stored as relative)
    and QGIS resolves it inside the project's own folder;
  - every layer is valid, with a CRS, and its renderer is the type its
    <stem>.qml beside it declares, with as many classes, labels on or off as
    the .qml says, and a symbol for every feature;
  - the layer tree (groups, layers, names, checked or not) is the file's, in
    the file's order;
  - the default view holds every checked layer.

Then renders the checked layers over the default view into a 1200x900 PNG
and checks it holds more than a few distinct colours.

    /usr/bin/python3 tests/qgis_project_check.py PROJECT.qgs --png OUT.png [--min-colours N]

Prints the layer tree as QGIS loaded it ("tree:" lines).  Exit status 0 when
all is well, 1 with a message on stderr, 2 for bad usage.  Needs Debian's
python3-qgis (run with /usr/bin/python3).
"""
import argparse
import os
import sys
import xml.etree.ElementTree as ET

# No display: Qt draws into memory (set before Qt is imported).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

BNG = "EPSG:27700"


class CheckError(Exception):
    pass


def file_tree(root):
    """The layer tree as written: [(group or None, [(id, name, checked)])]."""
    top = root.find("layer-tree-group")
    if top is None:
        raise CheckError("no <layer-tree-group>")
    out = []
    for node in top:
        if node.tag == "layer-tree-group":
            out.append((node.get("name"), [(l.get("id"), l.get("name"), l.get("checked") == "Qt::Checked")
                                           for l in node.findall("layer-tree-layer")]))
        elif node.tag == "layer-tree-layer":
            out.append((None, [(node.get("id"), node.get("name"), node.get("checked") == "Qt::Checked")]))
    return out


def qgis_tree(core, project):
    """The layer tree as QGIS loaded it, in the same shape as file_tree."""
    out = []
    for node in project.layerTreeRoot().children():
        if core.QgsLayerTree.isGroup(node):
            out.append((node.name(), [(l.layerId(), l.name(), l.itemVisibilityChecked())
                                      for l in node.children() if core.QgsLayerTree.isLayer(l)]))
        else:
            out.append((None, [(node.layerId(), node.name(), node.itemVisibilityChecked())]))
    return out


def qml_facts(path):
    """What a .qml declares: renderer type, number of classes, labels on."""
    try:
        q = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as e:
        raise CheckError("%s: cannot read: %s" % (path, e))
    r = q.find("renderer-v2")
    if q.tag != "qgis" or r is None:
        raise CheckError("%s: not a QGIS style" % path)
    classes = len(r.findall("ranges/range")) + len(r.findall("categories/category"))
    return r.get("type"), classes, q.get("labelsEnabled") == "1"


def check_layer(core, project, folder, ml):
    lid = ml.findtext("id")
    source = ml.findtext("datasource")
    # beside the project, or one plain sub-folder down (shareable/, restricted/)
    parts = source[2:].split("/") if source and source.startswith("./") else []
    if not parts or len(parts) > 2 or any(not p or p.startswith(".") for p in parts):
        raise CheckError("layer %s: data source %r is not a relative path in the project's folder"
                         % (lid, source))
    layer = project.mapLayer(lid)
    if layer is None:
        raise CheckError("layer %s: QGIS did not load it" % lid)
    if not layer.isValid():
        raise CheckError("layer %s (%s): not valid in QGIS: %s"
                         % (lid, source, layer.error().summary() or "invalid layer"))
    if not layer.crs().isValid():
        raise CheckError("layer %s: no CRS" % lid)
    resolved = os.path.realpath(layer.source().split("|")[0])
    if resolved != os.path.realpath(os.path.join(folder, source[2:])):
        raise CheckError("layer %s: QGIS opened %s, not the file beside the project" % (lid, resolved))

    stem = os.path.splitext(source[2:])[0]
    qml = os.path.join(folder, stem + ".qml")
    renderer = layer.renderer()
    kind = renderer.type() if renderer else None
    info = "%s, %d features, %s, renderer %s" % (layer.name(), layer.featureCount(), layer.crs().authid(), kind)
    if not os.path.exists(qml):
        return layer, info + " (no .qml)"
    want, nclasses, labels = qml_facts(qml)
    if kind != want:
        raise CheckError("layer %s: renderer %s, but %s declares %s (the style was not copied into the "
                         "project)" % (lid, kind, qml, want))
    got = len(renderer.ranges()) if kind == "graduatedSymbol" else \
        len(renderer.categories()) if kind == "categorizedSymbol" else 0
    if got != nclasses:
        raise CheckError("layer %s: %d classes in QGIS, %d in %s" % (lid, got, nclasses, qml))
    if layer.labelsEnabled() != labels:
        raise CheckError("layer %s: labels %s in QGIS but %s in %s"
                         % (lid, "on" if layer.labelsEnabled() else "off", "on" if labels else "off", qml))
    # Every feature gets a symbol: a style whose field the layer lacks loads
    # without complaint but draws nothing.
    ctx = core.QgsRenderContext()
    ctx.expressionContext().appendScopes(core.QgsExpressionContextUtils.globalProjectLayerScopes(layer))
    renderer.startRender(ctx, layer.fields())
    unstyled = 0
    for f in layer.getFeatures():
        ctx.expressionContext().setFeature(f)
        if f.hasGeometry() and not renderer.symbolsForFeature(f, ctx):
            unstyled += 1
    renderer.stopRender(ctx)
    if unstyled:
        raise CheckError("layer %s: %d of %d features match no class of its style"
                         % (lid, unstyled, layer.featureCount()))
    return layer, info + " as %s declares (%d classes, labels %s)" % (
        os.path.basename(qml), nclasses, "on" if labels else "off")


def render(core, QtCore, QtGui, project, png, min_colours):
    root = project.layerTreeRoot()
    layers = root.checkedLayers()  # tree order: the first draws on top
    if not layers:
        raise CheckError("no layer starts checked: the project opens on an empty map")
    view = project.viewSettings().defaultViewExtent()
    if view.isNull() or view.crs().authid() != BNG:
        raise CheckError("no default view in %s" % BNG)
    to_bng = lambda l: core.QgsCoordinateTransform(l.crs(), view.crs(), project).transformBoundingBox(l.extent())
    for l in layers:
        if l.featureCount() > 0 and not view.contains(to_bng(l)):
            raise CheckError("the default view %s does not hold checked layer %s (%s)"
                             % (view.toString(0), l.id(), to_bng(l).toString(0)))
    settings = core.QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(view.crs())
    settings.setOutputSize(QtCore.QSize(1200, 900))
    settings.setBackgroundColor(QtGui.QColor(255, 255, 255))
    settings.setExtent(view)
    settings.setFlag(core.QgsMapSettings.Antialiasing, True)
    job = core.QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    errors = ["%s: %s" % (e.layerID, e.message) for e in job.errors()]
    if errors:
        raise CheckError("rendering failed: " + "; ".join(errors))
    if not job.renderedImage().save(png, "PNG"):
        raise CheckError("%s: cannot write the PNG" % png)
    img = QtGui.QImage(png)  # read back, as a person's viewer would
    if img.isNull() or img.width() != 1200 or img.height() != 900:
        raise CheckError("%s: not a 1200x900 image" % png)
    colours = set()
    for y in range(0, img.height(), 4):
        for x in range(0, img.width(), 4):
            colours.add(img.pixel(x, y))
    if len(colours) < min_colours:
        raise CheckError("%s: only %d distinct colours (want %d or more): the map is nearly blank"
                         % (png, len(colours), min_colours))
    print("rendered %d checked layers (%s) over %s into %s: %d distinct colours"
          % (len(layers), ", ".join(l.id() for l in layers), view.toString(0), png, len(colours)))


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("project", help="the gapmap.qgs to open")
    p.add_argument("--png", required=True, help="where to write the rendered map")
    p.add_argument("--min-colours", type=int, default=8, help="distinct colours the map must hold")
    args = p.parse_args(argv)
    try:
        from qgis import core
        from qgis.PyQt import QtCore, QtGui
    except ImportError as e:
        print("qgis_project_check: cannot import QGIS (%s): install Debian's python3-qgis and run with "
              "/usr/bin/python3" % e, file=sys.stderr)
        return 1
    app = core.QgsApplication([], False)
    app.setPrefixPath("/usr", True)
    app.initQgis()
    status = 0
    project = core.QgsProject.instance()
    try:
        try:
            xml = ET.parse(args.project).getroot()
        except (ET.ParseError, OSError) as e:
            raise CheckError("%s: not well-formed XML: %s" % (args.project, e))
        folder = os.path.dirname(os.path.abspath(args.project))
        if xml.findtext("properties/Paths/Absolute") != "false":
            raise CheckError("the project does not store relative paths")
        if not project.read(args.project):
            raise CheckError("QgsProject.read failed: %s" % project.error())
        if project.crs().authid() != BNG:
            raise CheckError("project CRS %s, not %s" % (project.crs().authid(), BNG))
        if project.title() != xml.findtext("title"):
            raise CheckError("title %r, the file says %r" % (project.title(), xml.findtext("title")))
        maplayers = xml.findall("projectlayers/maplayer")
        if len(project.mapLayers()) != len(maplayers):
            raise CheckError("QGIS loaded %d layers, the file has %d" % (len(project.mapLayers()), len(maplayers)))
        infos = {}
        for ml in maplayers:
            layer, infos[ml.findtext("id")] = check_layer(core, project, folder, ml)
        want, got = file_tree(xml), qgis_tree(core, project)
        if want != got:
            raise CheckError("layer tree differs from the file's:\n  file: %s\n  QGIS: %s" % (want, got))
        for group, layers in got:
            for lid, name, on in layers:
                print("tree: %s/%s [%s] %s" % (group or "", lid, "x" if on else " ", infos[lid]))
        render(core, QtCore, QtGui, project, args.png, args.min_colours)
    except CheckError as e:
        print("qgis_project_check: error: %s" % e, file=sys.stderr)
        status = 1
    finally:
        project.clear()
        app.exitQgis()
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
