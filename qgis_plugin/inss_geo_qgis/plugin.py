"""Registers the INSS Processing provider when QGIS (or qgis_process) initialises Processing."""

from qgis.core import QgsApplication

from .provider import InssProvider


class InssPlugin:
    def __init__(self, iface) -> None:
        self.iface = iface
        self.provider: InssProvider | None = None

    def initProcessing(self) -> None:  # noqa: N802 - QGIS's name
        self.provider = InssProvider()
        QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self) -> None:  # noqa: N802
        self.initProcessing()

    def unload(self) -> None:
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
