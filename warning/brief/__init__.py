"""The morning brief: per country of concern, what changed over the last day.

``options.py`` is the ``brief:`` section (imported by the configuration, so it stays
light); ``gather.py`` reads the brief's data from the store; ``render.py`` writes it
for the terminal, Slack and email; ``send.py`` queues it once per period under its
dedup key and delivers it, retried like an alert. docs/brief.md tells the same story.
"""
