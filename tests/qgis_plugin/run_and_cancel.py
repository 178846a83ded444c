"""Run by QGIS's own Python: the INSS algorithm in real QGIS, cancelled at its first progress report.

Usage: python3 run_and_cancel.py INPUT OUTPUT INSS_GEO_EXECUTABLE. Prints one JSON line: whether the run succeeded,
the errors it reported and the progress seen.
"""

import json
import sys

from qgis.core import QgsApplication, QgsProcessingContext, QgsProcessingFeedback

sys.path.append("/usr/share/qgis/python/plugins")
app = QgsApplication([], False)
app.initQgis()

from processing.core.Processing import Processing  # noqa: E402  (needs the application)

Processing.initialize()
from inss_geo_qgis.provider import InssProvider  # noqa: E402
from inss_geo_qgis.runner import EXECUTABLE_SETTING  # noqa: E402
from processing.core.ProcessingConfig import ProcessingConfig  # noqa: E402

provider = InssProvider()
QgsApplication.processingRegistry().addProvider(provider)
ProcessingConfig.setSettingValue(EXECUTABLE_SETTING, sys.argv[3])
algorithm = QgsApplication.processingRegistry().createAlgorithmById("inss:synthesize")

class Recorder(QgsProcessingFeedback):
    errors: list[str] = []

    def reportError(self, error: str, fatalError: bool = False) -> None:  # noqa: N802, N803 - QGIS's names
        self.errors.append(error)
        super().reportError(error, fatalError)


feedback = Recorder()
seen = []


def on_progress(value: float) -> None:
    seen.append(value)
    if value > 0:
        feedback.cancel()


feedback.progressChanged.connect(on_progress)
# small tiles: several progress reports on the small example, so the cancel lands mid-run
params = {"INPUT": sys.argv[1], "OUTPUT": sys.argv[2], "TILE": 128}
_, ok = algorithm.run(params, QgsProcessingContext(), feedback)
print(json.dumps({"ok": ok, "errors": feedback.errors, "progress": seen}))
