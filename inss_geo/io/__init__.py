"""Files: raster outputs with spectral metadata, the parameter-grid array, atomic writes and output checks."""
