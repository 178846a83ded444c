"""QGIS plugin entry point: a Processing provider that runs the ``inss-geo`` CLI."""


def classFactory(iface):  # noqa: N802 - QGIS's name
    from .plugin import InssPlugin

    return InssPlugin(iface)
