"""Geography: which countries, and where in them, each item is about.

``gazetteer`` builds (and caches) the names we recognise; ``resolve`` finds
them in text and decides what an item is about; ``zones`` and ``borders``
answer whether a place lies in an operator's watch zone.
"""
