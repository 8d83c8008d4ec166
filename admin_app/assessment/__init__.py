"""The assessment of villages.

The indicator methods and their scoring, ranking, timeliness, inspections, accountability, the
dashboard charts and the data version that caches them.
"""
