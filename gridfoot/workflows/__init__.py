"""The studies: the grid study (``gridfoot run``), the hotspots of a raster or cube
(``gridfoot hotspots``) and the urban study (``gridfoot urban``)."""
