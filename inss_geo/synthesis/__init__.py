"""Synthesis of scenes larger than memory: input, tiling, the block pipeline, workers, areas of interest."""
