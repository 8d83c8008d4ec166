"""The reports and spreadsheets.

The report definitions, the declared columns, the xlsx writer, the stored tables, the export
archive and the display of values.
"""
