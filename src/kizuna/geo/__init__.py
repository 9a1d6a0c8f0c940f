"""Administrative areas: boundaries and P-code gazetteers in the workspace, area names, point-in-polygon.

* :mod:`kizuna.geo.readers` reads boundary files (GeoJSON, zipped shapefiles, COD-AB workbooks) and
  the HDX global P-code gazetteer into :class:`~kizuna.geo.readers.Area` rows;
* :mod:`kizuna.geo.store` stores them (``kizuna boundaries add``) and the areas 3W sheets name;
* :mod:`kizuna.geo.areas` gives every part the one table of area names (:func:`~kizuna.geo.areas.area_names`);
* :mod:`kizuna.geo.assign` places points in polygons (pure, vectorised);
* :mod:`kizuna.geo.pcodes` knows a P-code's country and the aliases of older boundary editions.
"""
