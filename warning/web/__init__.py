"""The situation page: a read-only web view of the map, trends, evidence and alerts.

``situation.py`` decides what is shown (levels, trends) from the store's reads;
``svg.py`` draws the map and charts, ``pages.py`` the HTML and ``api.py`` the JSON;
``server.py`` serves them (the daemon's when ``web.listen`` is set, or ``warning web``).
``data/`` holds the country shapes (Natural Earth) and the script that built them.
"""
