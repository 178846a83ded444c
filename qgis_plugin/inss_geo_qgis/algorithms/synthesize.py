"""Processing algorithm "Synthesize hyperspectral image from RGB" = ``inss-geo synthesize``."""

from __future__ import annotations

from qgis.core import (
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
)

from .. import runner
from ..args import ABUNDANCE_DTYPES, DEVICES, DTYPES, FORMATS, synthesize_args


class SynthesizeAlgorithm(QgsProcessingAlgorithm):
    INPUT = "INPUT"
    RGB_BANDS = "RGB_BANDS"
    MODEL = "MODEL"
    INPUT_SCALE = "INPUT_SCALE"
    EXTENT = "EXTENT"
    TILE = "TILE"
    DEVICE = "DEVICE"
    FORMAT = "FORMAT"
    DTYPE = "DTYPE"
    OUTPUT = "OUTPUT"
    ABUNDANCE = "ABUNDANCE"
    ABUNDANCE_DTYPE = "ABUNDANCE_DTYPE"
    ABUNDANCE_TOP_K = "ABUNDANCE_TOP_K"
    MIXING = "MIXING"

    def name(self) -> str:
        return "synthesize"

    def displayName(self) -> str:  # noqa: N802 - QGIS's name
        return "Synthesize hyperspectral image from RGB"

    def shortHelpString(self) -> str:  # noqa: N802
        return ("Runs inss-geo synthesize: a georeferenced hyperspectral image (the model's sensor channels, "
                "with wavelengths) from an RGB raster, optionally with the abundance raster (one band per library "
                "spectrum) and the nonlinear mixing contributions. The scene is processed tile by tile, so it may be "
                "larger than memory. Leave the model empty for the model shipped with inss-geo.")

    def createInstance(self) -> SynthesizeAlgorithm:  # noqa: N802
        return SynthesizeAlgorithm()

    def flags(self):
        return super().flags() | QgsProcessingAlgorithm.FlagNoThreading  # a subprocess does the work

    def canExecute(self) -> tuple[bool, str]:  # noqa: N802
        return (True, "") if runner.find_executable() else (False, runner.NOT_FOUND)

    def initAlgorithm(self, config=None) -> None:  # noqa: N802
        self.addParameter(QgsProcessingParameterRasterLayer(self.INPUT, "Input RGB raster"))
        self.addParameter(QgsProcessingParameterString(self.RGB_BANDS, "RGB bands (e.g. 1,2,3; empty: from colour interpretation)",
                                                       optional=True))
        self.addParameter(QgsProcessingParameterFile(self.MODEL, "Model checkpoint (empty: the shipped default model)",
                                                     optional=True, fileFilter="Checkpoints (*.pt)"))
        self.addParameter(QgsProcessingParameterExtent(self.EXTENT, "Area of interest (empty: the whole raster)",
                                                       optional=True))
        self.addParameter(QgsProcessingParameterEnum(self.DEVICE, "Device", [d[0] for d in DEVICES], defaultValue=0))
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT, "Hyperspectral image"))
        self.addParameter(QgsProcessingParameterRasterDestination(self.ABUNDANCE, "Abundances", optional=True,
                                                                  createByDefault=False))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.MIXING, "Nonlinear mixing contributions (per order; the full parameter grid goes beside it as .npy)",
            optional=True, createByDefault=False))
        advanced = [
            QgsProcessingParameterString(self.INPUT_SCALE, "Input scale (auto, percentile, or a number to divide by)",
                                         defaultValue="auto"),
            QgsProcessingParameterNumber(self.TILE, "Tile size (a multiple of 32 for the default model)", defaultValue=512,
                                         minValue=32),
            QgsProcessingParameterEnum(self.FORMAT, "Output format", [f[0] for f in FORMATS], defaultValue=0),
            QgsProcessingParameterEnum(self.DTYPE, "Hyperspectral data type", [d[0] for d in DTYPES], defaultValue=0),
            QgsProcessingParameterEnum(self.ABUNDANCE_DTYPE, "Abundance data type", [d[0] for d in ABUNDANCE_DTYPES],
                                       defaultValue=0),
            QgsProcessingParameterNumber(self.ABUNDANCE_TOP_K, "Write only the K largest abundances (0: all)",
                                         defaultValue=0, minValue=0),
        ]
        for p in advanced:
            p.setFlags(p.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
            self.addParameter(p)

    def processAlgorithm(self, parameters, context: QgsProcessingContext, feedback):  # noqa: N802
        executable = runner.find_executable()
        if not executable:
            raise QgsProcessingException(runner.NOT_FOUND)
        layer = self.parameterAsRasterLayer(parameters, self.INPUT, context)
        if layer is None:
            raise QgsProcessingException("the input is not a raster layer")
        output = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        abundance = self._optional_output(parameters, self.ABUNDANCE, context)
        mixing = self._optional_output(parameters, self.MIXING, context)
        bbox, bbox_crs = None, ""
        if parameters.get(self.EXTENT):
            crs = self.parameterAsExtentCrs(parameters, self.EXTENT, context)
            rect = self.parameterAsExtent(parameters, self.EXTENT, context, crs)
            bbox, bbox_crs = (rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum()), crs.authid() or crs.toWkt()
        argv = synthesize_args(
            executable, layer.source(), output,
            rgb_bands=self.parameterAsString(parameters, self.RGB_BANDS, context),
            model=self.parameterAsFile(parameters, self.MODEL, context),
            input_scale=self.parameterAsString(parameters, self.INPUT_SCALE, context),
            tile=self.parameterAsInt(parameters, self.TILE, context),
            device=self.parameterAsEnum(parameters, self.DEVICE, context),
            fmt=self.parameterAsEnum(parameters, self.FORMAT, context),
            dtype=self.parameterAsEnum(parameters, self.DTYPE, context),
            abundance=abundance, abundance_dtype=self.parameterAsEnum(parameters, self.ABUNDANCE_DTYPE, context),
            abundance_top_k=self.parameterAsInt(parameters, self.ABUNDANCE_TOP_K, context),
            mixing=mixing, bbox=bbox, bbox_crs=bbox_crs,
        )
        runner.run(argv, feedback)
        results = {self.OUTPUT: output}
        if abundance:
            results[self.ABUNDANCE] = abundance
        if mixing:
            results[self.MIXING] = mixing
        return results

    def _optional_output(self, parameters, name: str, context) -> str:
        """The path of an optional raster destination, or '' when it was left out."""
        if parameters.get(name) in (None, ""):
            return ""
        return self.parameterAsOutputLayer(parameters, name, context) or ""
