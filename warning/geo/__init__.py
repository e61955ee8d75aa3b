"""Geography: which countries, and where in them, each item is about.

``gazetteer`` builds (and caches) the names we recognise; ``mentions`` finds
them in text and ``resolve`` decides what an item is about; ``zones`` and
``borders`` answer whether a place lies in an operator's watch zone.
"""
