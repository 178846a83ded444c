"""The "INSS" Processing provider: its identity, algorithms and the executable setting."""

from __future__ import annotations

import os

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from .algorithms.synthesize import SynthesizeAlgorithm
from .runner import EXECUTABLE_SETTING

ICON = os.path.join(os.path.dirname(__file__), "icon.svg")


class InssProvider(QgsProcessingProvider):
    def id(self) -> str:
        return "inss"

    def name(self) -> str:
        return "INSS"

    def longName(self) -> str:  # noqa: N802 - QGIS's name
        return "INSS hyperspectral synthesis (inss-geo)"

    def icon(self) -> QIcon:
        return QIcon(ICON)

    def load(self) -> bool:
        from processing.core.ProcessingConfig import ProcessingConfig, Setting

        ProcessingConfig.settingIcons[self.name()] = self.icon()
        ProcessingConfig.addSetting(Setting(self.name(), EXECUTABLE_SETTING,
                                            "inss-geo executable (empty: inss-geo on PATH)", "",
                                            valuetype=Setting.FILE))
        ProcessingConfig.readSettings()
        self.refreshAlgorithms()
        return True

    def unload(self) -> None:
        from processing.core.ProcessingConfig import ProcessingConfig

        ProcessingConfig.removeSetting(EXECUTABLE_SETTING)

    def loadAlgorithms(self) -> None:  # noqa: N802
        self.addAlgorithm(SynthesizeAlgorithm())

    def supportedOutputRasterLayerExtensions(self) -> list[str]:  # noqa: N802
        return ["tif", "envi", "img", "dat"]
