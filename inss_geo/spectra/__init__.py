"""Spectra: the USGS library, sensors' channels and response functions, the solar-atmospheric signature's start."""
